"""`archiver CMD | head`: a reader that stops early is not an error (exit 0, nothing on stderr)."""

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
