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


def test_batch_of_checks_in_one_transaction(tmp_path: Path) -> None:
    with Store.open(tmp_path / "a.db") as store:
        batch = [result(A, LinkStatus.DEAD, 0), result(B, LinkStatus.OK, 0), result(A, LinkStatus.DEAD, 1)]
        recorded = checks_sql.record_checks(store, batch)
        assert [(r.url, r.streak) for r in recorded] == [(A, 1), (B, 1), (A, 2)]
        assert recorded[2].since == T0


def test_latest_good_snapshots_in_bulk_matches_one_by_one(tmp_path: Path) -> None:
    from archiver.types import Body, FetchResult

    urls = [f"https://h.example.org/p{i}" for i in range(60)]
    with Store.open(tmp_path / "a.db") as store:
        for i, url in enumerate(urls):
            for n in range(2 if i % 3 else 1):
                ok = i % 5 != 0
                body = Body.from_bytes(f"{url} {n}".encode())
                store.add_snapshot(FetchResult(url=url, final_url=url, status=200 if ok else 500, body=body,
                                               error=None if ok else ErrorKind.HTTP_ERROR), None)
        bulk = checks_sql.latest_good_snapshots(store, urls)
        assert bulk == {url: store.latest_snapshot(url, good=True) for url in urls}
        assert bulk[urls[0]] is None and bulk[urls[1]] is not None
        assert checks_sql.latest_good_snapshots(store, urls[:3]) == {u: bulk[u] for u in urls[:3]}
