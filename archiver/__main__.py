"""Entry point of the ``archiver`` command and of ``python -m archiver``.

:func:`run` imports the CLI itself, so a Ctrl-C that lands while the (heavy) modules
are still loading exits 130 with one line instead of a traceback.
"""

from __future__ import annotations

import os
import sys
import threading


def run() -> None:
    """Run the CLI; Ctrl-C at any moment exits 130 with ``archiver: interrupted``."""
    try:
        _early_forkserver(sys.argv[1:])
        from archiver.cli import main

        main()
        code: object = 0
    except KeyboardInterrupt:
        if sys.stderr is not None:
            sys.stderr.write("archiver: interrupted\n")
        code = 130
    except SystemExit as exc:
        code = exc.code
    _exit(code)


def _early_forkserver(args: list[str]) -> None:
    """For the commands that extract pages (``archive``; ``check`` unless ``--offline``), start
    the extraction forkserver before the CLI is imported.

    The forkserver's import of trafilatura (0.3 s of CPU) then runs on the other core
    while this process loads click, rich, requests and the store, instead of after most
    of them: the first pages are extracted sooner. ``--help`` starts nothing; if the
    command then stops on bad input, the idle forkserver ends with this process.
    """
    if not args or args[0] not in ("archive", "check") or "-h" in args or "--help" in args:
        return
    if args[0] == "check" and "--offline" in args:
        return
    from archiver.pool import start_forkserver

    start_forkserver(warm_justext=args[0] == "check")


def _exit(code: object) -> None:
    """End the process with ``code`` (as ``sys.exit`` reads it), skipping the interpreter's teardown.

    What has to happen at exit still happens: the ``atexit`` handlers run (logging's
    flush, multiprocessing's cleanup, ``weakref.finalize`` callbacks such as temporary
    directories) and the standard streams are flushed. What is skipped is freeing every
    module and object one by one, which the OS does at once: with the fetcher, the store
    and rich loaded that is 70 ms, a quarter of a short command. Only when this is the
    last thread, and no profiler, tracer or monitoring tool runs (``python -m cProfile -m
    archiver`` writes its report after this returns); otherwise a normal exit. A flush that
    fails (a full disk) makes the status 120, as the interpreter's exit does.
    """
    if threading.active_count() > 1 or _observed():
        sys.exit(code)
    import atexit

    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # sys.exit("message"): printed, status 1
        if sys.stderr is not None:
            sys.stderr.write(f"{code}\n")
        status = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # started with that descriptor closed (`>&-`): nothing to flush
            continue
        try:
            stream.flush()
        except BrokenPipeError:  # the reader went away (`| head`): not an error
            pass
        except (OSError, ValueError):  # a full disk, a closed stream: as the interpreter's own exit, 120
            status = status or 120
    os._exit(status)


def _observed() -> bool:
    """Whether a profiler, a tracer or a ``sys.monitoring`` tool (coverage on 3.12+) watches this
    process: they write their results after the program returns, which ``os._exit`` would skip."""
    if sys.getprofile() is not None or sys.gettrace() is not None:
        return True
    monitoring = getattr(sys, "monitoring", None)
    if monitoring is None:
        return False
    return any(monitoring.get_tool(tool) is not None for tool in range(6))


if __name__ == "__main__":
    run()
