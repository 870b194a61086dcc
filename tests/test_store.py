"""The store: safe opening, append-only snapshots, blobs stored once, claims, status, fsck."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from archiver.errors import NotADatabaseError, NotFoundError, StoreError
from archiver.store import Store
from archiver.store.core import make_owner, owner_is_dead
from archiver.types import (
    Body,
    Citation,
    ErrorKind,
    Extracted,
    FetchResult,
    Harvest,
    Hop,
    Source,
    SourceFormat,
    SourceKind,
)

URL = "https://example.com/a"


def ok_result(url: str = URL, body: bytes = b"<html><p>hello</p></html>" * 50, **kw: object) -> FetchResult:
    return FetchResult(
        url=url, final_url=kw.pop("final_url", url), status=200, body=Body.from_bytes(body),  # type: ignore[arg-type]
        content_type="text/html", encoding="utf-8", encoding_source="header", attempts=1, **kw,  # type: ignore[arg-type]
    )


def failed_result(url: str = URL) -> FetchResult:
    return FetchResult(url=url, final_url=url, error=ErrorKind.DNS, message="could not resolve host", attempts=1)


def make_harvest(locator: str, urls: list[str], content: bytes = b"article") -> Harvest:
    source = Source(locator, SourceKind.FILE, SourceFormat.TEXT, hashlib.sha256(content).hexdigest(), "utf-8", 7)
    cits = tuple(Citation(raw=u, url=u, source=locator, line=i + 1, column=1, paragraph=1, context=f"see {u}")
                 for i, u in enumerate(urls))
    return Harvest(source=source, text=content.decode(), citations=cits)


@pytest.fixture
def store(db_path: Path) -> Store:
    with Store.open(db_path) as st:
        yield st


def test_open_creates_folder_wal_and_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "a.db"
    with Store.open(path) as st:
        assert path.exists()
        assert st.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert st.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert st.db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
        assert st.migrations()[:2] == ["m001_initial", "m002_checks"]


def test_open_default_path_uses_env(db_path: Path) -> None:
    with Store.open() as st:
        assert st.path == db_path
    assert db_path.exists()


def test_not_a_database_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"just some text, not sqlite\n" * 10)
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    with pytest.raises(NotADatabaseError, match="not a SQLite database"):
        Store.open(path)
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert not Path(str(path) + "-wal").exists()


def test_foreign_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(NotADatabaseError, match="not an archiver"):
        Store.open(path)
    assert path.read_bytes() == before


def test_folder_and_missing_paths(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a directory"):
        Store.open(tmp_path)
    with pytest.raises(StoreError, match="no archive database"):
        Store.open(tmp_path / "nope.db", create=False)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot create the folder"):
        Store.open(blocker / "sub" / "a.db")


def test_error_messages_are_one_line(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    path.write_bytes(b"\x00\x01garbage")
    with pytest.raises(NotADatabaseError) as info:
        Store.open(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_snapshot_roundtrip(store: Store) -> None:
    result = ok_result(redirects=(Hop("http://example.com/a", 301),), headers={"Server": "x"})
    sid = store.add_snapshot(result, Extracted(title="Title", text="Body text", language="en", date="2024-01-02"))
    snap = store.snapshot(sid)
    assert snap.ok and snap.url == URL and snap.http_status == 200
    assert snap.redirects == (Hop("http://example.com/a", 301),)
    assert snap.headers == {"Server": "x"}
    assert (snap.title, snap.text, snap.language, snap.published) == ("Title", "Body text", "en", "2024-01-02")
    assert snap.sha256 == result.body.sha256  # type: ignore[union-attr]
    assert store.read_blob(snap.sha256) == result.body.read()  # type: ignore[arg-type, union-attr]
    assert snap.captured_at.tzinfo is not None


def test_identical_bodies_share_one_compressed_blob(store: Store) -> None:
    a = store.add_snapshot(ok_result(), None)
    b = store.add_snapshot(ok_result(), None)
    c = store.add_snapshot(ok_result("https://example.com/b"), None)
    assert len({a, b, c}) == 3
    rows = list(store.db.query("SELECT size, compression, LENGTH(data) AS n FROM blobs"))
    assert len(rows) == 1
    assert rows[0]["compression"] == "zlib" and rows[0]["n"] < rows[0]["size"]


def test_incompressible_body_stored_raw(store: Store) -> None:
    data = os.urandom(5000)
    sid = store.add_snapshot(ok_result(body=data), None)
    assert store.db.execute("SELECT compression FROM blobs").fetchone()[0] == "none"
    assert store.read_blob(store.snapshot(sid).sha256) == data  # type: ignore[arg-type]


def test_spilled_body_is_streamed_in(store: Store, tmp_path: Path) -> None:
    data = b"spilled page " * 100_000
    spill = tmp_path / "spill"
    spill.write_bytes(data)
    body = Body(size=len(data), sha256=hashlib.sha256(data).hexdigest(), path=str(spill))
    result = FetchResult(url=URL, final_url=URL, status=200, body=body, content_type="text/plain")
    sid = store.add_snapshot(result, None)
    assert store.read_blob(store.snapshot(sid).sha256) == data  # type: ignore[arg-type]
    assert store.fsck().ok


def test_failed_capture_is_stored_and_latest_good_skips_it(store: Store) -> None:
    good = store.add_snapshot(ok_result(), None)
    bad = store.add_snapshot(failed_result(), None)
    snap = store.snapshot(bad)
    assert not snap.ok and snap.error_kind is ErrorKind.DNS and snap.error_message == "could not resolve host"
    assert snap.sha256 is None
    assert store.latest_snapshot(URL).id == good  # type: ignore[union-attr]
    assert store.latest_snapshot(URL, good=False).id == bad  # type: ignore[union-attr]
    assert [s.id for s in store.snapshots_for(URL)] == [good, bad]
    assert store.latest_snapshot("https://example.com/never") is None
    with pytest.raises(NotFoundError):
        store.snapshot(9999)
    with pytest.raises(NotFoundError):
        store.read_blob("0" * 64)


def test_record_source_links_and_citations(store: Store) -> None:
    urls = ["https://a.example/1", "https://b.example/2", "https://a.example/1"]
    h1 = make_harvest("/tmp/article.txt", urls, b"v1")
    sid = store.record_source(h1)
    assert store.record_source(h1) == sid  # same version: same row, no duplicate citations
    assert store.db.execute("SELECT COUNT(*) FROM citations").fetchone()[0] == 3
    assert store.links_for_source("/tmp/article.txt") == ["https://a.example/1", "https://b.example/2"]
    h2 = make_harvest("/tmp/article.txt", ["https://c.example/3"], b"v2")
    assert store.record_source(h2) != sid
    assert store.links_for_source("/tmp/article.txt") == ["https://c.example/3"]
    assert store.link_urls() == ["https://a.example/1", "https://b.example/2", "https://c.example/3"]
    assert store.ensure_link("https://a.example/1") == store.link_id("https://a.example/1")
    with pytest.raises(NotFoundError):
        store.links_for_source("/nope")


def test_claims_respect_live_owners_and_void_dead_or_stale_ones(store: Store) -> None:
    me, other = make_owner(), make_owner() + "x"
    assert store.claim([URL], me).mine == (URL,)
    # our own pid is alive, so another owner string with our pid is a live claim
    assert store.claim([URL], other).held == (URL,)
    assert store.claim_holder(URL) == me
    # expired heartbeat: void
    assert store.claim([URL], other, expiry=timedelta(0)).mine == (URL,)
    store.release(other)
    assert store.claim_holder(URL) is None


def test_claim_of_a_dead_process_is_void_at_once(store: Store) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    import socket

    dead = f"{socket.gethostname()}:{proc.pid}:abcd"
    assert owner_is_dead(dead)
    assert not owner_is_dead("elsewhere.example:1:abcd")  # other host: only expiry frees it
    store.claim([URL], dead)
    assert store.claim_holder(URL) is None
    assert store.claim([URL], make_owner()).mine == (URL,)


def test_claim_reports_links_captured_since_the_watermark(store: Store) -> None:
    other = "https://example.com/other"
    store.add_snapshot(ok_result(), None)
    mark = store.max_snapshot_id()
    assert store.claim([URL], make_owner(), after=mark).mine == (URL,)  # old capture: claim it
    sid = store.add_snapshot(ok_result(other), None)
    claims = store.claim([other, URL], make_owner() + "2", after=mark)
    assert dict(claims.done) == {other: sid} and claims.held == (URL,) and claims.mine == ()


def test_snapshot_releases_claim_in_same_transaction(store: Store) -> None:
    me = make_owner()
    store.claim([URL], me)
    store.add_snapshot(ok_result(), None, release_owner=me)
    assert store.claim_holder(URL) is None


def test_status_counts(store: Store) -> None:
    store.record_source(make_harvest("/a.txt", [URL, "https://example.com/b", "https://example.com/c"]))
    store.add_snapshot(ok_result(), None)
    store.add_snapshot(failed_result("https://example.com/b"), None)
    run = store.start_run("archive")
    store.finish_run(run, {"archived": 1, "failed": 1})
    st = store.status()
    assert (st.sources, st.links, st.snapshots, st.good_snapshots) == (1, 3, 2, 1)
    assert st.failed_links == 1 and st.unarchived_links == 1 and st.blobs == 1
    assert st.size > 0
    assert st.last_run is not None and st.last_run["summary"] == {"archived": 1, "failed": 1}


def test_fsck_finds_a_tampered_blob(store: Store) -> None:
    sid = store.add_snapshot(ok_result(), None)
    assert store.fsck().ok and store.fsck().blobs_checked == 1
    sha = store.snapshot(sid).sha256
    import zlib

    store.db.execute("UPDATE blobs SET data = ? WHERE sha256 = ?", [zlib.compress(b"tampered"), sha])
    report = store.fsck()
    assert not report.ok and report.problems[0].kind == "sha256"
    store.db.execute("UPDATE blobs SET data = ? WHERE sha256 = ?", [b"not zlib", sha])
    assert store.fsck().problems[0].kind == "corrupt"


def test_fts_indexes_title_and_text_with_diacritics(store: Store) -> None:
    store.add_snapshot(ok_result(), Extracted(title="Café crème", text="Привет, мир"))
    hits = store.db.execute("SELECT rowid FROM snapshots_fts WHERE snapshots_fts MATCH 'cafe'").fetchall()
    assert len(hits) == 1
    hits = store.db.execute("SELECT rowid FROM snapshots_fts WHERE snapshots_fts MATCH 'мир'").fetchall()
    assert len(hits) == 1


def test_a_failed_commit_does_not_leave_a_transaction_for_later_writes_to_join(store: Store) -> None:
    """A COMMIT that fails (here a deferred foreign key; in the field a full disk or an I/O
    error, after which SQLite may keep the transaction open) must not leave it open: the next
    write() would join it as if nested, and what it writes would never be committed."""
    import sqlite3

    with pytest.raises(sqlite3.IntegrityError), store.write() as conn:
        conn.execute("PRAGMA defer_foreign_keys = ON")
        conn.execute("INSERT INTO claims (link_id, owner, claimed_at, heartbeat_at) VALUES (9999, 'x', 'now', 'now')")
    assert not store.db.conn.in_transaction
    store.ensure_link("https://example.org/after")
    assert not store.db.conn.in_transaction
    assert store.link_id("https://example.org/after") is not None


def test_pid_alive_tells_running_reaped_and_zombie_processes_apart() -> None:
    import time

    from archiver.pool import pid_alive

    assert pid_alive(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # exited but not reaped: a zombie, which counts as dead
        with open(f"/proc/{child.pid}/stat", "rb") as fh:
            if fh.read().rsplit(b")", 1)[1].split()[0] == b"Z":
                break
        time.sleep(0.01)
    assert not pid_alive(child.pid)
    child.wait()
    assert not pid_alive(child.pid)
