"""Two `archiver archive` processes on overlapping sources and one database, at the same time:
no "database is locked", every link archived, no link fetched by both."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

from fakeweb import FakeWeb
from test_cli_archive import subprocess_cmd
from test_crash import page

LINKS = 45


def test_two_processes_share_the_work(tmp_path: Path) -> None:
    with FakeWeb(hosts=3, latency=0.05) as web:
        urls = [web.add(f"/p{i}", body=page(i), host=i % 3) for i in range(LINKS)]
        a = tmp_path / "a.txt"
        b = tmp_path / "b.txt"
        a.write_text("\n".join(urls[:30]) + "\n")
        b.write_text("\n".join(reversed(urls[15:])) + "\n")  # overlap 15..29, met from the other end
        db = tmp_path / "shared" / "archive.db"
        procs = [
            subprocess.Popen(
                subprocess_cmd("archive", str(src), "--db", str(db), "--allow-private", "--retries", "0", "--json"),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )
            for src in (a, b)
        ]
        outputs = [p.communicate(timeout=90) for p in procs]
        for proc, (_out, err) in zip(procs, outputs, strict=True):
            assert proc.returncode == 0, err
            assert "locked" not in err and "Traceback" not in err
        records = [[json.loads(line) for line in out.splitlines()] for out, _ in outputs]
        assert {r["url"] for r in records[0]} == set(urls[:30])
        assert {r["url"] for r in records[1]} == set(urls[15:])
        for i in range(LINKS):
            assert web.count(f"/p{i}", host=i % 3) == 1, f"/p{i} fetched twice"
        with sqlite3.connect(db) as conn:
            good = dict(conn.execute(
                "SELECT l.url, COUNT(s.id) FROM links l JOIN snapshots s ON s.link_id = l.id AND s.ok = 1"
                " GROUP BY l.id"
            ).fetchall())
            assert good == {u: 1 for u in urls}
            assert conn.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0
