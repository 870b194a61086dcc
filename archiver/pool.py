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
import functools
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

    from archiver.types import FetchResult

__all__ = ["Handoff", "Tasks", "pid_alive", "process_pool", "shutdown_pool", "start_forkserver"]

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
_FORKSERVER_TRIED = False
_POOL_SIZE = 0
_POOL_LOCK = threading.Lock()


def _preload(warm_justext: bool) -> list[str]:
    """What the forkserver imports before it forks workers (see :mod:`archiver._extract_warm`)."""
    heavy = ["archiver.examine", "archiver._extract_warm"] if warm_justext else ["archiver.extract", "trafilatura"]
    return ["archiver._forkserver_exit", *heavy]


def start_forkserver(*, warm_justext: bool = False) -> None:
    """Start the extraction forkserver now, deaf to Ctrl-C; call it from the main thread.

    Ctrl-C signals the whole process group: a forkserver (or a worker) caught while still
    importing would print a ``KeyboardInterrupt`` traceback. An ignored signal stays
    ignored across fork and exec, so the forkserver is started with SIGINT ignored, and
    the workers it forks inherit that; the archiving process alone decides what an
    interrupt means. From another thread (where signal handlers cannot be changed) this
    does nothing, and the pool starts the forkserver itself when first used.
    """
    global _FORKSERVER_TRIED
    import multiprocessing
    import signal

    if _FORKSERVER_TRIED or "forkserver" not in multiprocessing.get_all_start_methods():
        return
    if threading.current_thread() is not threading.main_thread():
        return
    # Once per process: a second ensure_running() would find a resource tracker that could
    # not start (a Python that cannot be executed again, as seen with setpriv) "died
    # unexpectedly" and print a warning about it; the pool reports such a failure when used.
    _FORKSERVER_TRIED = True
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


_STOP = object()
_WARM = object()


class _Item:
    """A submitted task; ``taken`` by the hand-over thread, or ``abandoned`` by an interrupted submit."""

    __slots__ = ("abandoned", "args", "done", "fallback", "fn", "taken")

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...], done: Callable[[Any], None],
                 fallback: Callable[[BaseException], Any]) -> None:
        self.fn, self.args, self.done, self.fallback = fn, args, done, fallback
        self.taken = self.abandoned = False


class Tasks:
    """CPU-bound tasks (extractions) in the shared process pool, or in one thread when
    ``workers`` is 0 or no pool can be had. Contract:

    - ``submit(fn, *args, done=callback, fallback=make)`` never blocks: tasks are handed to
      the pool by a thread of their own, in order. (``ProcessPoolExecutor.submit`` blocks
      while it forks a worker, and a forkserver still importing trafilatura answers only
      once it is done: half a second during which the caller, which also consumes
      downloads, would stall them all.)
    - ``done(value)`` is called exactly once per task, from a pool thread (or, for a task
      cancelled by ``close``, the closing thread): with ``fn(*args)``; when a worker dies,
      the task runs again in that thread (and the pool is not used again); when that fails
      too, or the task was cancelled, with ``fallback(exception)``. ``fn`` should not raise
      (``extract_job`` and ``examine`` never do); ``fallback`` must not.
    - ``warm()`` starts the pool's workers now, without waiting for them.
    - ``wait()`` returns once every submitted task's ``done`` has *returned*; it wakes up
      regularly, so a Ctrl-C reaches the main thread.
    - ``close()`` stops the hand-over thread (after what was submitted is handed over) and
      the in-line thread. ``close(cancel=True)`` does not run what has not started: those
      tasks get ``done(fallback(CancelledError()))`` at once.
    """

    def __init__(self, workers: int, *, warm_justext: bool = False) -> None:
        self.workers = workers
        self.warm_justext = warm_justext
        self.pool: ProcessPoolExecutor | None = None
        self.inline = ThreadPoolExecutor(max_workers=1, thread_name_prefix="archiver-inline")
        self.pending = 0  # submitted, ``done`` not yet returned
        self.lock = threading.Condition()
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._futures: set[Future[Any]] = set()  # handed over, not finished
        self._cancelled = False

    def _start(self) -> None:
        with self.lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._hand_over, name="archiver-tasks", daemon=True)
                self._thread.start()

    def warm(self) -> None:
        self._start()
        self._queue.put(_WARM)

    def submit(self, fn: Callable[..., Any], *args: Any, done: Callable[[Any], None],
               fallback: Callable[[BaseException], Any]) -> None:
        item = _Item(fn, args, done, fallback)
        with self.lock:
            self.pending += 1
        try:
            self._start()
            self._queue.put(item)
        except BaseException:  # Ctrl-C: unless the hand-over thread already took it, it never runs
            with self.lock:
                if not item.taken:
                    item.abandoned = True
                    self.pending -= 1
                    self.lock.notify_all()
            raise

    def _hand_over(self) -> None:
        try:
            self.pool = process_pool(self.workers, warm_justext=self.warm_justext) if self.workers > 0 else None
        except Exception:  # noqa: BLE001 - whatever goes wrong, the tasks still run (in-line)
            log.warning("no extraction process pool; extracting in-line", exc_info=True)
            self.pool = None
        while (item := self._queue.get()) is not _STOP:
            if item is _WARM:
                if self.pool is not None and not self._cancelled:
                    with contextlib.suppress(Exception):  # a warm-up only: submit copes with a broken pool
                        for _ in range(self.workers):
                            self.pool.submit(_ready)
                continue
            with self.lock:
                if item.abandoned:
                    continue
                item.taken = True
            fn, args, done, fallback = item.fn, item.args, item.done, item.fallback
            if self._cancelled:
                self._call_back(done, fallback, CancelledError())
                continue
            future: Future[Any]
            try:
                future = (self.pool or self.inline).submit(fn, *args)
            except Exception:  # noqa: BLE001 - a broken or shut-down pool (RuntimeError): in-line from now on
                self.pool = None
                try:
                    future = self.inline.submit(fn, *args)
                except Exception as exc:  # noqa: BLE001 - the in-line thread is shut down too: closing
                    self._call_back(done, fallback, exc)
                    continue
            with self.lock:
                self._futures.add(future)
            future.add_done_callback(functools.partial(self._finished, fn, args, done, fallback))

    def _call_back(self, done: Callable[[Any], None], fallback: Callable[[BaseException], Any],
                   exc: BaseException) -> None:
        try:
            done(fallback(exc))
        finally:
            with self.lock:
                self.pending -= 1
                self.lock.notify_all()

    def _finished(self, fn: Callable[..., Any], args: tuple[Any, ...], done: Callable[[Any], None],
                  fallback: Callable[[BaseException], Any], future: Future[Any]) -> None:
        with self.lock:
            self._futures.discard(future)
        try:
            try:
                value = future.result()
            except CancelledError as exc:
                value = fallback(exc)
            except Exception as exc:  # a worker died: run the task here instead
                if self._cancelled:
                    value = fallback(exc)
                else:
                    log.warning("extraction worker failed (%s); running the task in-line", exc)
                    self.pool = None
                    try:
                        value = fn(*args)
                    except Exception as inner:  # noqa: BLE001 - done is called whatever happens
                        log.error("task failed in-line too", exc_info=True)
                        value = fallback(inner)
            done(value)
        finally:
            with self.lock:
                self.pending -= 1
                self.lock.notify_all()

    def wait(self) -> None:
        """Block until every submitted task has called back."""
        with self.lock:
            while self.pending > 0:
                self.lock.wait(0.2)

    def close(self, *, cancel: bool = False) -> None:
        if cancel:
            self._cancelled = True
            with self.lock:
                futures = list(self._futures)
            for future in futures:
                future.cancel()  # calls back at once when it had not started
        thread = self._thread
        if thread is not None:
            self._queue.put(_STOP)
            thread.join(timeout=10)
        self.inline.shutdown(wait=True, cancel_futures=cancel)


class Handoff:
    """Passes what the workers produce to its consumer (``put``) until :meth:`close`; an item
    that arrives after (a Ctrl-C, an early stop) is dropped and the body of its fetch result
    freed, never left in a queue nobody reads. Thread-safe."""

    def __init__(self, put: Callable[[Any], None]) -> None:
        self._put = put
        self._lock = threading.Lock()
        self._closed = False

    def deliver(self, item: Any, result: FetchResult) -> None:
        with self._lock:
            if not self._closed:
                self._put(item)
                return
        if result.body is not None:
            result.body.discard()

    def close(self) -> None:
        """Nothing reaches the consumer from now on."""
        with self._lock:
            self._closed = True


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
