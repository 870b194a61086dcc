"""Migrations: named, ordered, recorded; an old database upgrades in place with its data intact."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from archiver.errors import StoreError
from archiver.store import Store
from archiver.store.migrations import MIGRATIONS, applied, migrate


def test_upgrade_from_first_migration_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(path)
    assert migrate(db, upto="m001_initial") == ["m001_initial"]
    db.execute("INSERT INTO links (url, host, first_seen) VALUES ('https://a.example/', 'https://a.example', 't')")
    db.execute(
        "INSERT INTO snapshots (link_id, captured_at, ok, requested_url, title, text)"
        " VALUES (1, '2024-01-01T00:00:00+00:00', 1, 'https://a.example/', 'Old title', 'old text')"
    )
    assert "checks" not in db.table_names()
    db.close()

    with Store.open(path) as st:
        assert st.migrations() == [name for name, _ in MIGRATIONS]
        assert "checks" in st.db.table_names()
        snap = st.latest_snapshot("https://a.example/")
        assert snap is not None and snap.title == "Old title" and snap.text == "old text"
        hits = st.db.execute("SELECT rowid FROM snapshots_fts WHERE snapshots_fts MATCH 'old'").fetchall()
        assert hits == [(1,)]


def test_migrations_run_once(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    Store.open(path).close()
    db = sqlite_utils.Database(path)
    assert migrate(db) == []
    assert applied(db) == [name for name, _ in MIGRATIONS]
    assert len(set(applied(db))) == len(applied(db))


def test_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO _migrations (name, applied_at) VALUES ('m999_future', 'x')")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer archiver"):
        Store.open(path)
