"""How archiver processes end: the CLI's fast exit and the forkserver's."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("code", "status", "err"), [(0, 0, ""), (None, 0, ""), (5, 5, ""), ("bad input", 1, "bad input\n")]
)
def test_fast_exit_keeps_status_atexit_handlers_and_buffered_output(code: object, status: int, err: str) -> None:
    proc = _python(f"""
        import atexit, sys
        from archiver.__main__ import _exit
        atexit.register(lambda: sys.stdout.write("atexit ran\\n"))
        sys.stdout.write("buffered, not flushed\\n")
        _exit({code!r})
        sys.stdout.write("never reached\\n")
    """)
    assert proc.returncode == status
    assert proc.stdout == "buffered, not flushed\natexit ran\n"
    assert proc.stderr == err


def test_fast_exit_waits_for_a_live_thread_like_a_normal_exit() -> None:
    proc = _python("""
        import sys, threading, time
        from archiver.__main__ import _exit
        threading.Thread(target=lambda: (time.sleep(0.2), print("thread finished", flush=True))).start()
        _exit(3)
    """)
    assert (proc.returncode, proc.stdout) == (3, "thread finished\n")


def test_forkserver_exit_module_ends_the_forkserver_at_once_with_status_0() -> None:
    proc = _python("""
        import atexit, sys
        import multiprocessing.forkserver as fs
        atexit.register(lambda: print("registered before: skipped", flush=True))
        def main():  # stands in for the forkserver's main, which imports its preloads
            import archiver._forkserver_exit
        fs.main = main
        main()
        sys.exit(7)
    """)
    assert (proc.returncode, proc.stdout) == (0, "")


def test_forkserver_exit_module_does_nothing_elsewhere() -> None:
    # pytest --doctest-modules, pdoc or Sphinx import every module: the status must survive.
    proc = _python("""
        import atexit, sys
        atexit.register(lambda: print("atexit ran", flush=True))
        import archiver._forkserver_exit
        sys.exit(7)
    """)
    assert (proc.returncode, proc.stdout) == (7, "atexit ran\n")


def test_the_forkserver_preloads_its_fast_exit_first() -> None:
    from archiver.pool import _preload

    for warm in (False, True):
        assert _preload(warm)[0] == "archiver._forkserver_exit"


@pytest.mark.parametrize("closed", [">&-", "2>&-"])
def test_fast_exit_with_a_standard_stream_closed(tmp_path, closed: str) -> None:
    article = tmp_path / "a.txt"
    article.write_text("see https://example.org/a\n")
    ok = subprocess.run(f"{sys.executable} -m archiver links {article} {closed}", shell=True, timeout=60)
    assert ok.returncode == 0
    bad = subprocess.run(f"{sys.executable} -m archiver links {tmp_path / 'missing.txt'} {closed}", shell=True,
                         timeout=60)
    assert bad.returncode == 2


def test_cli_exit_codes_survive_the_fast_exit(tmp_path) -> None:
    ok = subprocess.run([sys.executable, "-m", "archiver", "--version"], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and "archiver" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "archiver", "links", str(tmp_path / "missing.txt")],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr.startswith("archiver: error:") and bad.stderr.count("\n") == 1


@pytest.mark.parametrize(("args", "expected"), [
    (["archive", "a.txt"], [False]),
    (["check"], [True]),
    (["check", "--source", "a.md", "--json"], [True]),
    (["check", "--offline"], []),
    (["archive", "--help"], []),
    (["check", "-h"], []),
    (["links", "a.txt"], []),
    (["search", "archive"], []),
    ([], []),
])
def test_the_forkserver_starts_before_the_cli_only_for_commands_that_extract(
    monkeypatch: pytest.MonkeyPatch, args: list[str], expected: list[bool]
) -> None:
    import archiver.pool
    from archiver.__main__ import _early_forkserver

    calls: list[bool] = []
    monkeypatch.setattr(archiver.pool, "start_forkserver", lambda *, warm_justext=False: calls.append(warm_justext))
    _early_forkserver(args)
    assert calls == expected


def test_the_forkserver_is_started_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    # A second ensure_running() would find a resource tracker that could not start "died
    # unexpectedly" and print a warning (seen when archiver runs under setpriv as another user).
    from multiprocessing import forkserver

    import archiver.pool

    calls: list[int] = []
    monkeypatch.setattr(archiver.pool, "_FORKSERVER_TRIED", False)
    monkeypatch.setattr(forkserver, "ensure_running", lambda: calls.append(1))
    archiver.pool.start_forkserver()
    archiver.pool.start_forkserver(warm_justext=True)
    assert calls == [1]
