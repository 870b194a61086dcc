"""archiver.store.checks: append-only check rows, streak/since, last class, links never checked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from archiver.store import checks as checks_sql
from archiver.store.core import Store
from archiver.types import CheckResult, ErrorKind, LinkStatus

T0 = datetime(2025, 1, 1, tzinfo=UTC)
A = "https://a.example.org/one"
B = "https://b.example.org/two"


def result(url: str, status: LinkStatus, day: int, **kw: object) -> CheckResult:
    return CheckResult(url=url, status=status, checked_at=T0 + timedelta(days=day), **kw)  # type: ignore[arg-type]


def test_streak_since_and_history(tmp_path: Path) -> None:
    with Store.open(tmp_path / "a.db") as store:
        store.ensure_link(A)
        seq = [LinkStatus.DEAD, LinkStatus.DEAD, LinkStatus.OK, LinkStatus.DEAD, LinkStatus.DEAD, LinkStatus.DEAD]
        recorded = [checks_sql.record_check(store, result(A, s, day)) for day, s in enumerate(seq)]
        assert [r.streak for r in recorded] == [1, 2, 1, 1, 2, 3]
        assert [r.since for r in recorded] == [T0, T0, T0 + timedelta(days=2)] + [T0 + timedelta(days=3)] * 3
        hist = checks_sql.history(store, A)
        assert [(h.status, h.streak, h.since) for h in hist] == [(r.status, r.streak, r.since) for r in recorded]


def test_rows_keep_every_field_and_are_append_only(tmp_path: Path) -> None:
    with Store.open(tmp_path / "a.db") as store:
        first = result(A, LinkStatus.DRIFTED, 0, http_status=200, final_url=A + "/x", similarity=0.42,
                       detail="similarity 0.42 < 0.75", snapshot_id=None)
        checks_sql.record_check(store, first, run_id=None)  # creates the link row
        checks_sql.record_check(store, result(A, LinkStatus.ERROR, 1, error_kind=ErrorKind.TIMEOUT, detail="t"))
        rows = checks_sql.history(store, A)
        assert len(rows) == 2
        assert (rows[0].http_status, rows[0].final_url, rows[0].similarity, rows[0].detail) == (
            200, A + "/x", 0.42, "similarity 0.42 < 0.75")
        assert rows[1].error_kind is ErrorKind.TIMEOUT
        assert store.db.execute("SELECT COUNT(*) FROM checks").fetchone()[0] == 2


def test_last_checks_and_never_checked(tmp_path: Path) -> None:
    with Store.open(tmp_path / "a.db") as store:
        for url in (A, B, "https://c.example.org/"):
            store.ensure_link(url)
        checks_sql.record_check(store, result(A, LinkStatus.DEAD, 0))
        checks_sql.record_check(store, result(A, LinkStatus.BLOCKED, 1))
        checks_sql.record_check(store, result(B, LinkStatus.OK, 1))
        last = checks_sql.last_checks(store)
        assert {u: r.status for u, r in last.items()} == {A: LinkStatus.BLOCKED, B: LinkStatus.OK}
        assert last[A].streak == 1 and last[A].since == T0 + timedelta(days=1)
        assert set(checks_sql.last_checks(store, [B, "https://nope.example/"])) == {B}
        assert checks_sql.never_checked(store) == ["https://c.example.org/"]
