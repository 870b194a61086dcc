"""`archiver CMD | head`: a reader that stops early is not an error.

Nothing on stderr; the command goes on and exits with its own code.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from archiver.store import Store


@pytest.mark.parametrize("args", [["status"], ["fsck"], ["check", "--offline"]])
def test_closed_stdout_exits_0_quietly(tmp_path: Path, args: list[str]) -> None:
    db = tmp_path / "archive.db"
    Store.open(db).close()
    proc = subprocess.Popen(
        [sys.executable, "-m", "archiver", *args, "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the first line is written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0, err
    assert "Traceback" not in err and "Exception ignored" not in err, err


def test_a_closed_stdout_keeps_the_commands_own_exit_code(tmp_path: Path) -> None:
    # `archiver check --offline | head -1` under `set -o pipefail`: dead links still exit 1
    from datetime import UTC, datetime

    from archiver.store import checks as checks_sql
    from archiver.types import CheckResult, LinkStatus

    db = tmp_path / "archive.db"
    with Store.open(db) as store:
        now = datetime.now(UTC)
        for i in range(200):  # more than a pipe buffer of output
            checks_sql.record_check(store, CheckResult(url=f"https://example.org/gone/{i}", status=LinkStatus.DEAD,
                                                       checked_at=now, since=now, http_status=404, detail="404"))
    for args in (["check", "--offline"], ["check", "--offline", "--json"]):
        proc = subprocess.Popen([sys.executable, "-m", "archiver", *args, "--db", str(db)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline()  # the reader takes one line and goes away
        proc.stdout.close()
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=60) == 1, (args, err)
        assert "Traceback" not in err and "Exception ignored" not in err, err
