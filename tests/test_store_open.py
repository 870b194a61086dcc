"""Opening the store: reading commands never write, and a read-only archive can still be read.

``Store.open(path, create=False)`` is what every reading command uses. These tests pin:
an empty file or another application's SQLite file is refused untouched (bytes, mtime, no
journal files left); an archiver database is opened without any write (no WAL switch);
an older archiver's database is upgraded only when it is writable; and an archive that
cannot be written is opened read-only (``mode=ro``, else ``immutable=1``).

Tests run as root here, and root ignores permission bits, so most read-only tests stand in
for a read-only folder by replacing ``archiver.store.core._can_write`` (the one check that
decides). They prove the fallback path and the write guard, not SQLite's behaviour on a
real read-only medium. ``test_real_read_only_folder_as_another_user`` does the real thing
(a folder the ``nobody`` user cannot write, where SQLite cannot create ``-shm``) when the
tests run as root with ``setpriv`` available, and is skipped otherwise.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlite_utils

from archiver.errors import NotADatabaseError, StoreError
from archiver.store import Store
from archiver.store import core as store_core
from archiver.store.migrations import MIGRATIONS, migrate
from archiver.types import Body, FetchResult, Harvest, Source, SourceFormat, SourceKind

URL = "https://example.com/a"


def _state(path: Path) -> tuple[str, int, list[str]]:
    """Bytes (hashed), mtime and the files in the folder: what must not change."""
    return (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns,
            sorted(p.name for p in path.parent.iterdir()))


def _archive_with_one_page(path: Path) -> None:
    with Store.open(path) as st:
        source = Source("/article.txt", SourceKind.FILE, SourceFormat.TEXT, "0" * 64, "utf-8", 7)
        st.record_source(Harvest(source=source, text="article", citations=()))
        body = Body.from_bytes(b"<html><p>hello archive</p></html>" * 20)
        st.add_snapshot(FetchResult(url=URL, final_url=URL, status=200, body=body, content_type="text/html",
                                    encoding="utf-8", encoding_source="header", attempts=1), None)
        st.finish_run(st.start_run("archive"), {"archived": 1})


@pytest.fixture
def read_only_medium(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the store believe no file can be written (see the module docstring)."""
    monkeypatch.setattr(store_core, "_can_write", lambda path: False)


# -- refused, untouched -----------------------------------------------------------------


def test_empty_file_is_not_an_archive_for_readers_and_stays_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.touch()
    before = _state(path)
    with pytest.raises(NotADatabaseError, match="empty file, not an archiver database"):
        Store.open(path, create=False)
    assert _state(path) == before and path.stat().st_size == 0


def test_empty_file_is_initialized_by_a_writer(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    with Store.open(path) as st:
        assert st.migrations() == [name for name, _ in MIGRATIONS]


@pytest.mark.parametrize("journal", ["delete", "wal"])
@pytest.mark.parametrize("create", [False, True])
def test_other_apps_sqlite_is_refused_untouched(tmp_path: Path, journal: str, create: bool) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA journal_mode = {journal}")
    conn.execute("CREATE TABLE notes (x)")
    conn.commit()
    conn.close()
    before = _state(path)
    with pytest.raises(NotADatabaseError, match="not an archiver one"):
        Store.open(path, create=create)
    assert _state(path) == before


def test_sqlite_file_without_tables_is_not_an_archive_for_readers(tmp_path: Path) -> None:
    path = tmp_path / "blank.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 1")  # a valid SQLite file with no table at all
    conn.close()
    before = _state(path)
    with pytest.raises(NotADatabaseError, match="empty SQLite database, not an archiver one"):
        Store.open(path, create=False)
    assert _state(path) == before
    with Store.open(path) as st:  # a writer may initialize it: it holds nothing
        assert "snapshots" in st.db.table_names()


def test_binary_file_is_refused_by_both(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4)
    before = _state(path)
    for create in (False, True):
        with pytest.raises(NotADatabaseError, match="not a SQLite database"):
            Store.open(path, create=create)
    assert _state(path) == before


# -- an archiver database, opened for reading -------------------------------------------


def test_reading_open_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    _archive_with_one_page(path)
    before = _state(path)
    with Store.open(path, create=False) as st:
        assert not st.read_only
        assert st.status().snapshots == 1
        assert st.read_blob(st.snapshots_for(URL)[0].sha256 or "").startswith(b"<html>")
    assert _state(path) == before  # the -wal/-shm made while open are gone, the file unchanged


def test_reading_open_does_not_switch_to_wal(tmp_path: Path) -> None:
    path = tmp_path / "rollback.db"
    db = sqlite_utils.Database(path)
    migrate(db)  # a complete archiver schema, journal mode left at "delete"
    db.close()
    before = _state(path)
    with Store.open(path, create=False) as st:
        assert st.db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert _state(path) == before


def _old_database(path: Path) -> None:
    db = sqlite_utils.Database(path)
    migrate(db, upto=MIGRATIONS[0][0])
    db.close()


def test_older_database_is_upgraded_by_a_reader_when_writable(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _old_database(path)
    with Store.open(path, create=False) as st:
        assert st.migrations() == [name for name, _ in MIGRATIONS]
        assert "checks" in st.db.table_names()


@pytest.mark.usefixtures("read_only_medium")
def test_older_database_on_a_read_only_medium_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _old_database(path)
    before = _state(path)
    with pytest.raises(StoreError, match="older archiver .* read-only here") as info:
        Store.open(path, create=False)
    assert "\n" not in str(info.value)
    assert _state(path) == before


# -- read-only archives -----------------------------------------------------------------


@pytest.mark.usefixtures("read_only_medium")
def test_read_only_archive_opens_for_reading_and_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    _archive_with_one_page(path)
    before = _state(path)[:2]
    with Store.open(path, create=False) as st:
        assert st.read_only
        assert st.status().good_snapshots == 1 and st.fsck().ok
        with pytest.raises(StoreError, match="read-only here") as info:
            st.start_run("check")
        assert "\n" not in str(info.value)
        with pytest.raises(sqlite3.OperationalError):  # even bypassing write(): query_only
            st.db.execute("DELETE FROM runs")
    assert _state(path)[:2] == before


@pytest.mark.usefixtures("read_only_medium")
def test_writer_refuses_a_read_only_archive_untouched(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    _archive_with_one_page(path)
    before = _state(path)
    with pytest.raises(StoreError, match="read-only here"):
        Store.open(path)
    assert _state(path) == before


def test_immutable_fallback_when_mode_ro_cannot_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When ``mode=ro`` fails for lack of write access (no -shm can be made), ``immutable=1`` is used."""
    path = tmp_path / "a.db"
    _archive_with_one_page(path)
    monkeypatch.setattr(store_core, "_can_write", lambda p: False)
    real_connect = store_core._connect
    queries: list[str] = []

    def connect(target: Path, query: str = "") -> sqlite3.Connection:
        queries.append(query)
        if query == "mode=ro":  # what SQLite answers in a folder where -shm cannot be created
            err = sqlite3.OperationalError("attempt to write a readonly database")
            err.sqlite_errorname = "SQLITE_READONLY_DIRECTORY"  # type: ignore[attr-defined]
            return _Raising(err)  # type: ignore[return-value]
        return real_connect(target, query)

    monkeypatch.setattr(store_core, "_connect", connect)
    with Store.open(path, create=False) as st:
        assert st.read_only and st.status().snapshots == 1
    assert queries == ["mode=ro", "immutable=1"]


def test_immutable_fallback_refuses_a_pending_wal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.db"
    _archive_with_one_page(path)
    Path(f"{path}-wal").write_bytes(b"x" * 100)  # commits an immutable read would not see
    err = sqlite3.OperationalError("unable to open database file")
    err.sqlite_errorname = "SQLITE_CANTOPEN"  # type: ignore[attr-defined]
    monkeypatch.setattr(store_core, "_can_write", lambda p: False)
    monkeypatch.setattr(store_core, "_connect", lambda target, query="": _Raising(err))
    with pytest.raises(StoreError, match="a.db-wal holds commits"):
        Store.open(path, create=False)


class _Raising:
    """A stand-in connection whose every statement fails with ``err``."""

    def __init__(self, err: sqlite3.OperationalError) -> None:
        self.err = err

    def execute(self, *args: object) -> None:
        raise self.err

    def close(self) -> None:
        pass


# -- the real thing: a folder another user cannot write ---------------------------------


@pytest.fixture
def nobody_folder() -> Iterator[Path]:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run archiver as an unprivileged user")
    folder = Path(tempfile.mkdtemp(prefix="archiver-ro-"))
    try:
        folder.chmod(0o755)  # readable by everyone, writable by root only
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _as_nobody(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ARCHIVER_DB"}
    cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
           sys.executable, "-m", "archiver", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd="/", timeout=60, check=False)


def test_real_read_only_folder_as_another_user(nobody_folder: Path) -> None:
    path = nobody_folder / "a.db"
    _archive_with_one_page(path)
    path.chmod(0o644)
    article = nobody_folder / "article.txt"
    article.write_text(f"see {URL}\n")
    article.chmod(0o644)
    before = _state(path)

    probe = _as_nobody("--version")
    if probe.returncode != 0:
        pytest.skip(f"the nobody user cannot run archiver here: {probe.stderr.strip()[:200]}")

    status = _as_nobody("status", "--db", str(path), "--json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["good_snapshots"] == 1

    fsck = _as_nobody("fsck", "--db", str(path))
    assert fsck.returncode == 0, fsck.stderr
    assert "checked 1 body " in fsck.stdout

    archive = _as_nobody("archive", "--db", str(path), str(article))
    assert archive.returncode == 2
    lines = archive.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("archiver: error:") and "read-only" in lines[0]

    assert _state(path) == before  # no -wal/-shm created, bytes and mtime unchanged


def test_sqlite_utils_plugins_never_touch_archiver_connections(tmp_path: Path) -> None:
    # A sqlite-utils plugin installed for its command line (prepare_connection hook) must not
    # change the archive's connections; archiver opens them with execute_plugins=False.
    import sqlite_utils
    from sqlite_utils.plugins import pm

    calls: list[object] = []

    class Plugin:
        @sqlite_utils.hookimpl
        def prepare_connection(self, conn: object) -> None:
            calls.append(conn)

    plugin = Plugin()
    pm.register(plugin)
    try:
        with Store.open(tmp_path / "a.db"):
            pass
        sqlite_utils.Database(memory=True)  # the hook is live for sqlite-utils' own default
        assert len(calls) == 1
    finally:
        pm.unregister(plugin)
