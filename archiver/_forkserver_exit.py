"""Fast exit of the extraction forkserver, imported by the pool's forkserver only (first of its preloads).

Never import this from the main process: importing it makes the process end with
``os._exit(0)`` as soon as it starts to exit. The forkserver exits when the archiving
process is gone; its normal teardown then frees trafilatura, lxml and the rest one object
at a time (about 50 ms), while it still holds the command's standard output and error:
a reader of ``archiver archive --json | ...`` waited that long for the end of its input.
The forkserver has nothing to flush or clean up (its workers exit with ``os._exit``
themselves, and do not run this).
"""

from __future__ import annotations

import atexit
import os

atexit.register(os._exit, 0)
