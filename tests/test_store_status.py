"""``status`` shows the last archive run and the last check run separately.

Runs are recorded as :mod:`archiver.pipeline` and :mod:`archiver.check` record them:
``start_run(command)``, then ``finish_run`` with the summary each writes (a check run's
verdicts also go to ``checks`` with its ``run_id``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.cli import main
from archiver.store import Store
from archiver.store.checks import record_checks
from archiver.types import CheckResult, LinkStatus

URLS = [f"https://example.com/{i}" for i in range(4)]
NOW = datetime(2025, 4, 11, 9, 30, 5, 123456, tzinfo=UTC)


def _archive_run(st: Store) -> None:
    run = st.start_run("archive")
    st.finish_run(run, {"archived": 3, "unchanged": 0, "skipped": 0, "failed": 1, "interrupted": False})


def _check_run(st: Store, verdicts: list[LinkStatus], *, finish: bool = True) -> None:
    run = st.start_run("check")
    results = [CheckResult(url=URLS[i], status=v, checked_at=NOW) for i, v in enumerate(verdicts)]
    record_checks(st, results, run_id=run)
    if finish:
        counts: dict[str, int] = {}
        for v in verdicts:
            counts[v.value] = counts.get(v.value, 0) + 1
        st.finish_run(run, {**counts, "planned": len(verdicts), "interrupted": False})


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "a.db"
    with Store.open(path) as st:
        _archive_run(st)
        _check_run(st, [LinkStatus.OK, LinkStatus.DEAD, LinkStatus.DRIFTED, LinkStatus.MOVED])
    return path


def test_status_keeps_the_last_archive_and_the_last_check_apart(db: Path) -> None:
    with Store.open(db, create=False) as st:
        status = st.status()
    assert status.last_run is not None and status.last_run["command"] == "check"
    assert status.last_archive is not None and status.last_archive["summary"]["archived"] == 3
    assert status.last_check is not None
    assert status.last_check["classes"] == {"ok": 1, "moved": 1, "drifted": 1, "dead": 1}  # LinkStatus order
    assert status.last_check["summary"]["planned"] == 4


def test_an_unfinished_check_still_counts_what_it_recorded(db: Path) -> None:
    with Store.open(db) as st:
        _check_run(st, [LinkStatus.DEAD, LinkStatus.DEAD], finish=False)
        status = st.status()
    assert status.last_check is not None and status.last_check["finished_at"] is None
    assert status.last_check["summary"] is None and status.last_check["classes"] == {"dead": 2}


def test_status_without_runs(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    Store.open(path).close()
    with Store.open(path, create=False) as st:
        status = st.status()
    assert status.last_run is None and status.last_archive is None and status.last_check is None
    result = CliRunner().invoke(main, ["status", "--db", str(path)])
    assert result.exit_code == 0
    assert "archive:    never run" in result.stdout and "check:      never run" in result.stdout


def test_status_command_shows_both_runs(db: Path) -> None:
    result = CliRunner().invoke(main, ["status", "--db", str(db)])
    assert result.exit_code == 0, result.output
    lines = {line.split(":", 1)[0]: line for line in result.stdout.splitlines()}
    archive, check = lines["archive"], lines["check"]
    assert "3 archived, 0 unchanged, 0 skipped, 1 failed" in archive
    assert "4 links: 1 ok, 1 moved, 1 drifted, 1 dead" in check
    assert "archived" not in check
    assert "last run 2" in archive and "last run 2" in check
    assert "UTC" in archive and "." not in archive.split("UTC")[0].split(": ", 1)[1]  # to the second


def test_status_json_carries_both_runs(db: Path) -> None:
    result = CliRunner().invoke(main, ["status", "--db", str(db), "--json"])
    assert result.exit_code == 0
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert data["last_archive"]["command"] == "archive" and data["last_archive"]["summary"]["failed"] == 1
    assert data["last_check"]["command"] == "check" and data["last_check"]["classes"]["dead"] == 1
    assert data["last_run"]["command"] == "check"
