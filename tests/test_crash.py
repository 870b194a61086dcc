"""Crash safety: `archiver archive` killed with SIGKILL mid-run leaves a sound database, and a
re-run started at once (the dead process's claims are void immediately) archives every link once."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

from fakeweb import FakeWeb, Reply
from test_cli_archive import subprocess_cmd

LINKS = 24


def page(i: int) -> str:
    return f"<html><head><title>Page {i}</title></head><body><article><h1>Page {i}</h1><p>" + (
        f"Paragraph of page number {i} with enough words to be main content. " * 12
    ) + "</p></article></body></html>"


def test_sigkill_mid_run_then_immediate_rerun(tmp_path: Path) -> None:
    with FakeWeb(hosts=2, latency=0.15) as web:
        urls = [web.add(f"/p{i}", body=page(i), host=i % 2) for i in range(LINKS)]
        article = tmp_path / "article.txt"
        article.write_text("\n".join(f"Source {i}: {u}" for i, u in enumerate(urls)) + "\n")
        db = tmp_path / "archive.db"
        cmd = subprocess_cmd("archive", str(article), "--db", str(db), "--allow-private", "--retries", "0", "--json")

        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        first: list[dict[str, object]] = []
        assert proc.stdout is not None
        for line in proc.stdout:
            first.append(json.loads(line))
            if len(first) >= 4:
                break
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        assert proc.returncode == -signal.SIGKILL
        assert 4 <= len(first) < LINKS

        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            saved = conn.execute("SELECT COUNT(*) FROM snapshots WHERE ok = 1").fetchone()[0]
            assert len(first) <= saved < LINKS

        # At once: the dead owner's claims must not hold anything up (they expire only after 60 s,
        # so a re-run that waited for them would hit this timeout).
        rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=45)
        assert rerun.returncode == 0, rerun.stderr
        second = [json.loads(line) for line in rerun.stdout.splitlines()]
        assert {r["url"] for r in second} == set(urls)
        assert not any("another" in str(r["detail"]) for r in second)
        assert sum(r["status"] == "skipped" for r in second) == saved

        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            per_link = dict(conn.execute(
                "SELECT l.url, COUNT(s.id) FROM links l LEFT JOIN snapshots s ON s.link_id = l.id AND s.ok = 1"
                " GROUP BY l.id"
            ).fetchall())
            assert per_link == {u: 1 for u in urls}  # every link archived exactly once
            assert conn.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0


def _with_default_sigint(cmd: list[str]) -> list[str]:
    """``python -m archiver ARGS`` run with Python's own Ctrl-C handler installed first.

    A shell without job control starts background jobs (``pytest &``, some CI runners) with
    SIGINT ignored; children inherit that, and Python then never raises KeyboardInterrupt.
    This test is about archiver's handling of Ctrl-C, not about that environment.
    """
    python, _, module, *args = cmd
    assert module == "archiver"
    code = (
        "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
        f"sys.argv = ['archiver', *{args!r}]; runpy.run_module('archiver', run_name='__main__')"
    )
    return [python, "-c", code]


def test_ctrl_c_stops_cleanly_with_a_summary(tmp_path: Path) -> None:
    # The first pages answer at once; the others are held until the test has sent Ctrl-C, so a
    # busy machine cannot let the run finish first (which would make this test prove nothing).
    release = threading.Event()

    def held(i: int) -> Callable[[object, int], Reply]:
        def handler(_request: object, _n: int) -> Reply:
            release.wait(30)
            return Reply(body=page(i))

        return handler

    with FakeWeb(hosts=1, latency=0.05) as web:
        urls = [web.add(f"/p{i}", body=page(i)) if i < 3 else web.route(f"/p{i}", held(i)) for i in range(LINKS)]
        article = tmp_path / "article.txt"
        article.write_text("\n".join(urls) + "\n")
        db = tmp_path / "archive.db"
        cmd = subprocess_cmd("archive", str(article), "--db", str(db), "--allow-private", "--json")
        proc = subprocess.Popen(_with_default_sigint(cmd), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        try:
            first = [json.loads(proc.stdout.readline()) for _ in range(3)]
            proc.send_signal(signal.SIGINT)
            rest, err = proc.communicate(timeout=30)
        finally:
            release.set()
            if proc.poll() is None:
                proc.kill()
        saved = first + [json.loads(line) for line in rest.splitlines()]
        assert proc.returncode == 130
        assert "interrupted" in err and "Traceback" not in err and f"database: {db}" in err
        assert len(saved) < LINKS
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0] == len(saved)
            assert conn.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0
            summary = json.loads(conn.execute("SELECT summary FROM runs").fetchone()[0])
            assert summary["interrupted"] is True and summary["archived"] == len(saved)
