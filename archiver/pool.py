"""The extraction process pool shared by ``archive`` and ``check``: a light module.

trafilatura is CPU-bound, so pages are extracted in worker processes. Contract:

- Workers come from a *forkserver* (never forked from a process with running threads),
  which imports trafilatura once and forks the workers from that state.
- :func:`start_forkserver` can be called as soon as a command knows it will extract, so
  that import (about half a second) runs on the other core while the command is still
  loading its own modules, reading its sources and opening the database. This module
  imports nothing heavy for that reason: the archive command calls it before it imports
  the pipeline.
- Workers ignore Ctrl-C (the archiving process decides what an interrupt means) and exit
  when that process is gone, even after ``kill -9``.
- One pool per process (:func:`process_pool`), stopped by :func:`shutdown_pool` (also at
  exit), which never leaves a worker behind.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

__all__ = ["pid_alive", "process_pool", "shutdown_pool", "start_forkserver", "warm_pool"]

log = logging.getLogger(__name__)


def pid_alive(pid: int) -> bool:
    """True when process ``pid`` runs on this host (a zombie counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    # A killed child that its parent has not reaped yet is a zombie: dead for our purpose.
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rsplit(b")", 1)[1].split()[0]
        return state not in (b"Z", b"X")
    except (OSError, IndexError):
        return True


def _worker_init(owner_pid: int) -> None:
    """In each extraction worker: ignore Ctrl-C (the archiving process decides) and exit
    when that process is gone, even after kill -9 (a forkserver worker's parent is the
    forkserver, which itself lives as long as any worker does)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if not pid_alive(owner_pid):
                os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


_POOL: ProcessPoolExecutor | None = None
_POOL_SIZE = 0
_POOL_LOCK = threading.Lock()


def _preload(warm_justext: bool) -> list[str]:
    return ["archiver._extract_warm"] if warm_justext else ["archiver.extract", "trafilatura"]


def start_forkserver(*, warm_justext: bool = False) -> None:
    """Start the extraction forkserver now, deaf to Ctrl-C; call it from the main thread.

    Ctrl-C signals the whole process group: a forkserver (or a worker) caught while still
    importing would print a ``KeyboardInterrupt`` traceback. An ignored signal stays
    ignored across fork and exec, so the forkserver is started with SIGINT ignored, and
    the workers it forks inherit that; the archiving process alone decides what an
    interrupt means. From another thread (where signal handlers cannot be changed) this
    does nothing, and the pool starts the forkserver itself when first used.
    """
    import multiprocessing
    import signal

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return
    if threading.current_thread() is not threading.main_thread():
        return
    from multiprocessing import forkserver

    multiprocessing.get_context("forkserver").set_forkserver_preload(_preload(warm_justext))
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        forkserver.ensure_running()
    except OSError as exc:
        log.warning("could not start the extraction forkserver (%s)", exc)
    finally:
        signal.signal(signal.SIGINT, previous)


def process_pool(workers: int, *, warm_justext: bool = False) -> ProcessPoolExecutor | None:
    """A process pool shared by the runs of this process (so tests and repeated runs pay its start once).

    Workers come from a forkserver (never forked from a process with running threads);
    ``None`` when no pool can be made (then extraction runs in-line in a thread).
    ``warm_justext`` (``check``): the forkserver, when this call starts it, also builds
    jusText's stop words once for all workers (see :mod:`archiver._extract_warm`).
    """
    global _POOL, _POOL_SIZE
    with _POOL_LOCK:
        if _POOL is not None and _POOL_SIZE == workers and not getattr(_POOL, "_broken", False):
            return _POOL
        if _POOL is not None:
            _POOL.shutdown(wait=False, cancel_futures=True)
            _POOL = None
        try:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
            ctx = multiprocessing.get_context(method)
            if method == "forkserver":
                ctx.set_forkserver_preload(_preload(warm_justext))  # no effect if start_forkserver ran
            _POOL = ProcessPoolExecutor(
                max_workers=workers, mp_context=ctx, initializer=_worker_init, initargs=(os.getpid(),)
            )
            _POOL_SIZE = workers
        except (OSError, ImportError, ValueError, NotImplementedError) as exc:
            log.warning("no extraction process pool (%s); extracting in-line", exc)
            _POOL = None
        return _POOL


def _ready() -> bool:
    return True


def warm_pool(workers: int) -> None:
    """Start the extraction workers in the background, so they are ready when the first page
    arrives and the first downloads do not wait for them (a worker start imports trafilatura)."""
    if workers <= 0:
        return
    start_forkserver()

    def warm() -> None:
        pool = process_pool(workers)
        if pool is not None:
            with contextlib.suppress(Exception):
                for _ in range(workers):
                    pool.submit(_ready)

    threading.Thread(target=warm, name="archiver-warm", daemon=True).start()


@atexit.register
def shutdown_pool(timeout: float = 3.0) -> None:
    """Stop the shared extraction workers now (the CLI calls this when a run ends).

    Pending jobs are cancelled, then the workers are asked to exit and given ``timeout``
    seconds to do so; any still alive (a worker deep in a huge page) is terminated.
    Waiting matters: a worker still being started by the forkserver unpickles the
    pool's semaphores, and if this process had already exited it would print a
    ``FileNotFoundError`` traceback on the user's terminal.
    """
    global _POOL
    with _POOL_LOCK:
        pool, _POOL = _POOL, None
    if pool is None:
        return
    stopper = threading.Thread(
        target=pool.shutdown, kwargs={"wait": True, "cancel_futures": True}, name="archiver-pool-stop", daemon=True
    )
    stopper.start()
    stopper.join(timeout)
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        if proc.is_alive():
            with contextlib.suppress(Exception):
                proc.terminate()
                proc.join(timeout=2)
