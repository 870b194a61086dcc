""""Latest snapshot" means one thing on every read path: the greatest captured_at, then the greatest id.

A capture can be stored after a newer one (a backdated import, two processes, a clock set
back): ids then disagree with capture times, and every reader must still pick the same one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from verify_archive import add_page

from archiver.store import Store, queries, reports
from archiver.store import checks as checks_sql

URL = "https://latest.example/page"
NEW = datetime(2025, 3, 1, tzinfo=UTC)
OLD = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[Store, int]]:
    """A store where URL's newest capture has the SMALLER id; yields (store, id of the newest)."""
    st = Store.open(tmp_path / "a.db")
    newest = add_page(st, URL, "Newest", "zeppelin hangar newest capture text", at=NEW)
    add_page(st, URL, "Older", "zeppelin hangar older capture text", at=OLD)  # stored later, captured earlier
    for k in range(60):  # many other links, so the bulk paths are taken too
        add_page(st, f"https://other.example/{k}", f"Other {k}", f"filler page number {k}")
    yield st, newest
    st.close()


def test_every_reader_agrees_on_the_latest(store: tuple[Store, int]) -> None:
    st, newest = store
    link = st.link_id(URL)
    assert link is not None
    assert queries.good_snapshot_id(st.db, link) == newest
    assert reports.good_snapshots(st, [URL])[URL][0].id == newest
    assert [s.id for s in reports.fts_candidates(st, ["zeppelin"])] == [newest]
    assert [r["id"] for r in queries.search_snapshots(st.db, "zeppelin", latest_only=True)] == [newest]
    urls = [URL] + [f"https://other.example/{k}" for k in range(60)]
    for subset in (urls, [URL]):
        found = checks_sql.latest_good_snapshots(st, subset)[URL]
        assert found is not None and found.id == newest
    assert checks_sql.latest_good_snapshots(st, ["https://never.example/"]) == {"https://never.example/": None}


def test_store_methods_agree_on_latest_when_captures_arrive_out_of_order(tmp_path) -> None:
    """A capture stored after a newer one (a slow process) never passes for the latest."""
    import sqlite3

    from archiver.store import Store
    from archiver.types import Body, FetchResult

    url = "https://example.org/a"
    with Store.open(tmp_path / "a.db") as store:
        new = store.add_snapshot(FetchResult(url=url, final_url=url, status=200, body=Body.from_bytes(b"new")), None)
        old = store.add_snapshot(FetchResult(url=url, final_url=url, status=200, body=Body.from_bytes(b"old")), None)
        conn = store.db.conn
        conn.execute("UPDATE snapshots SET captured_at = '2020-01-01T00:00:00+00:00' WHERE id = ?", [old])
        conn.commit()
        assert store.latest_snapshot(url).id == new
        assert [s.id for s in store.snapshots_for(url)] == [old, new]
        assert store.latest_states([url])[url][0] == new
    assert sqlite3.connect(tmp_path / "a.db").execute("PRAGMA integrity_check").fetchone()[0] == "ok"
