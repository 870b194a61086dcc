"""Warm-up of the extraction workers, imported once by the process pool's forkserver.

Never import this from the main process: importing it loads trafilatura and builds
jusText's stop-word list (every language, ~150,000 words: 0.1 s of CPU), which
trafilatura otherwise builds lazily in *each* worker the first time a page needs its
jusText fallback (common on real pages: a short or "unclean" main text). Built here,
before the workers are forked from the forkserver, it is paid once per pool.
"""

from __future__ import annotations

import contextlib

import trafilatura  # noqa: F401 - preloaded for the workers

import archiver.extract  # noqa: F401 - preloaded for the workers

with contextlib.suppress(Exception):  # an internal of trafilatura's: a warm-up only, never required
    from trafilatura import external

    if getattr(external, "JT_STOPLIST", None) is None:
        external.jt_stoplist_init()
