"""Fast exit of the extraction forkserver, imported by the pool's forkserver (first of its preloads).

The forkserver exits when the archiving process is gone; its normal teardown then frees
trafilatura, lxml and the rest one object at a time (about 50 ms), while it still holds
the command's standard output and error: a reader of ``archiver archive --json | ...``
waited that long for the end of its input. Imported there, this module makes the
forkserver end with ``os._exit(0)`` as soon as it starts to exit; it has nothing to flush
or clean up, and its workers exit with ``os._exit`` themselves without running it.

Imported anywhere else (a documentation tool, ``pytest --doctest-modules``), it does
nothing: the handler is only registered when the import runs inside
``multiprocessing.forkserver.main``, the forkserver's own preloading.
"""

from __future__ import annotations

import atexit
import os
import sys


def _in_forkserver_preload() -> bool:
    """Whether this import runs inside ``multiprocessing.forkserver.main`` (its preloads)."""
    forkserver = sys.modules.get("multiprocessing.forkserver")
    main = getattr(forkserver, "main", None)
    code = getattr(main, "__code__", None)
    if code is None:
        return False
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code is code:
            return True
        frame = frame.f_back
    return False


if _in_forkserver_preload():
    atexit.register(os._exit, 0)
