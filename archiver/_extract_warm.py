"""Warm-up of the extraction workers for ``check``, imported by the pool's forkserver only.

Never import this from the main process. Importing it loads trafilatura and builds
jusText's stop-word list (every language, ~150,000 words) and its lower-cased set,
which trafilatura otherwise builds lazily in *each* worker the first time a page needs
its jusText fallback (measured: 0.15-0.25 s of CPU per worker). ``check`` extracts only
the pages that changed and did not keep their archived text, where that fallback is
common; built here, before the workers are forked, it is paid once per pool (on the
check bench the workers' CPU went from 1.1-1.25 s to 0.7-0.8 s). The archive pipeline
does not use this warm-up: measured on the archive bench (three runs each way) it saved
no CPU there, and it adds ~100 MB to the summed RSS of the pool (181-185 -> 285-288 MB).
"""

from __future__ import annotations

import contextlib

import trafilatura  # noqa: F401 - preloaded for the workers

import archiver.extract  # noqa: F401 - preloaded for the workers

with contextlib.suppress(Exception):  # internals of trafilatura and jusText: a warm-up only, never required
    from justext.core import define_stoplist
    from trafilatura import external

    if getattr(external, "JT_STOPLIST", None) is None:
        external.jt_stoplist_init()
    define_stoplist(external.JT_STOPLIST)  # lru-cached: the workers inherit the lower-cased set
