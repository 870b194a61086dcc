"""Named, ordered schema migrations, recorded in the database.

Each migration is a function decorated with ``@migration``; they run in the order
they are defined, each exactly once, each inside its own transaction, and its name
is recorded in ``_migrations`` with the time it ran. A database made by an older
version of archiver is upgraded in place by :func:`migrate`. Never edit a
migration that has shipped: add a new one.

Schema (after all migrations):

- ``sources``: one row per version of an article (locator + sha256 of its bytes).
- ``links``: one row per canonical URL.
- ``citations``: one row per occurrence of a link in a source version.
- ``blobs``: raw bodies, stored once, keyed by sha256 of the uncompressed bytes.
- ``snapshots``: one row per capture attempt of a link, append-only; failed captures
  too (``error_kind`` set, ``ok`` = 0). ``snapshots_fts`` indexes title and text
  (FTS5, ``unicode61 remove_diacritics 2``), kept in sync by triggers.
- ``claims``: which process is fetching which link right now (owner, heartbeat).
- ``runs``: one row per archive/check run, for ``archiver status``.
- ``checks`` (migration 2): one row per re-check of a link, append-only.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime

import sqlite_utils

Migration = Callable[[sqlite_utils.Database], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def run_sql(db: sqlite_utils.Database, script: str) -> None:
    """Run a multi-statement script statement by statement, in the current transaction.

    Unlike ``executescript`` it never commits, so a migration stays atomic.
    """
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        db.execute(statement)


def migration(func: Migration) -> Migration:
    """Register ``func`` as the next migration, under its function name."""
    MIGRATIONS.append((func.__name__, func))
    return func


@migration
def m001_initial(db: sqlite_utils.Database) -> None:
    run_sql(
        db,
        """
        CREATE TABLE sources (
            id INTEGER PRIMARY KEY,
            locator TEXT NOT NULL,          -- absolute path, '-' or canonical URL
            kind TEXT NOT NULL,             -- file | stdin | url
            format TEXT NOT NULL,           -- text | markdown | html
            sha256 TEXT NOT NULL,           -- of the raw bytes as read
            encoding TEXT,
            size INTEGER,
            text TEXT,                      -- decoded article text, for offline verify
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            UNIQUE (locator, sha256)
        );
        CREATE TABLE links (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,       -- canonical URL (archiver.urls.canonicalize)
            host TEXT NOT NULL,             -- scheme://host:port politeness key
            first_seen TEXT NOT NULL
        );
        CREATE TABLE citations (
            id INTEGER PRIMARY KEY,
            source_id INTEGER NOT NULL REFERENCES sources(id),
            link_id INTEGER NOT NULL REFERENCES links(id),
            raw TEXT NOT NULL,
            line INTEGER,
            col INTEGER,
            paragraph INTEGER,
            context TEXT,
            anchor TEXT,
            UNIQUE (source_id, link_id, line, col)
        );
        CREATE INDEX citations_link ON citations(link_id);
        CREATE TABLE blobs (
            sha256 TEXT PRIMARY KEY,        -- of the uncompressed bytes
            size INTEGER NOT NULL,          -- uncompressed size
            compression TEXT NOT NULL,      -- 'zlib' or 'none'
            data BLOB NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE snapshots (
            id INTEGER PRIMARY KEY,
            link_id INTEGER NOT NULL REFERENCES links(id),
            captured_at TEXT NOT NULL,      -- ISO 8601 UTC
            ok INTEGER NOT NULL,            -- 1: a good capture (complete 2xx), 0: failed
            requested_url TEXT NOT NULL,
            final_url TEXT,
            redirects TEXT,                 -- JSON list of {"url", "status"}
            http_status INTEGER,
            headers TEXT,                   -- JSON object of the final response's headers
            content_type TEXT,
            size INTEGER,
            truncated INTEGER NOT NULL DEFAULT 0,
            encoding TEXT,
            encoding_source TEXT,
            sha256 TEXT REFERENCES blobs(sha256),
            title TEXT,
            author TEXT,
            published TEXT,
            sitename TEXT,
            language TEXT,
            description TEXT,
            text TEXT,
            extract_error TEXT,
            error_kind TEXT,
            error_message TEXT,
            attempts INTEGER,
            elapsed REAL,
            run_id INTEGER
        );
        CREATE INDEX snapshots_link ON snapshots(link_id, captured_at);
        CREATE INDEX snapshots_sha ON snapshots(sha256);
        CREATE TABLE claims (
            link_id INTEGER PRIMARY KEY REFERENCES links(id),
            owner TEXT NOT NULL,            -- 'hostname:pid:token'
            claimed_at TEXT NOT NULL,
            heartbeat_at TEXT NOT NULL      -- claims older than the expiry are void
        );
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            command TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            summary TEXT                    -- JSON counts
        );
        """,
    )
    # The same shape sqlite-utils' enable_fts(create_triggers=True) makes, written out so
    # it runs inside the migration's transaction (enable_fts uses executescript, which commits).
    run_sql(
        db,
        """
        CREATE VIRTUAL TABLE snapshots_fts USING FTS5 (
            title, text, tokenize='unicode61 remove_diacritics 2', content="snapshots"
        );
        CREATE TRIGGER snapshots_ai AFTER INSERT ON snapshots BEGIN
          INSERT INTO snapshots_fts (rowid, title, text) VALUES (new.rowid, new.title, new.text);
        END;
        CREATE TRIGGER snapshots_ad AFTER DELETE ON snapshots BEGIN
          INSERT INTO snapshots_fts (snapshots_fts, rowid, title, text)
          VALUES ('delete', old.rowid, old.title, old.text);
        END;
        CREATE TRIGGER snapshots_au AFTER UPDATE ON snapshots BEGIN
          INSERT INTO snapshots_fts (snapshots_fts, rowid, title, text)
          VALUES ('delete', old.rowid, old.title, old.text);
          INSERT INTO snapshots_fts (rowid, title, text) VALUES (new.rowid, new.title, new.text);
        END;
        """,
    )


@migration
def m002_checks(db: sqlite_utils.Database) -> None:
    run_sql(
        db,
        """
        CREATE TABLE checks (
            id INTEGER PRIMARY KEY,
            link_id INTEGER NOT NULL REFERENCES links(id),
            checked_at TEXT NOT NULL,
            status TEXT NOT NULL,           -- archiver.types.LinkStatus value
            http_status INTEGER,
            final_url TEXT,
            similarity REAL,
            detail TEXT,
            error_kind TEXT,
            snapshot_id INTEGER REFERENCES snapshots(id),  -- the snapshot compared against
            run_id INTEGER
        );
        CREATE INDEX checks_link ON checks(link_id, checked_at);
        """,
    )


def applied(db: sqlite_utils.Database) -> list[str]:
    """Names of the migrations already applied to ``db``, in order."""
    if "_migrations" not in db.table_names():
        return []
    return [row["name"] for row in db.query("SELECT name FROM _migrations ORDER BY id")]


def migrate(db: sqlite_utils.Database, *, upto: str | None = None) -> list[str]:
    """Apply every pending migration (or those up to and including ``upto``).

    Returns the names applied now. Each migration and its record commit together,
    so a crash mid-upgrade leaves the database at the previous migration.
    """
    db.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, applied_at TEXT)"
    )
    ran: list[str] = []
    for name, func in MIGRATIONS:
        if name not in applied(db):
            db.conn.execute("BEGIN IMMEDIATE")
            try:
                if name not in applied(db):  # another process may have just applied it
                    func(db)
                    db.execute(
                        "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                        [name, datetime.now(UTC).isoformat(timespec="seconds")],
                    )
                    ran.append(name)
                db.conn.commit()
            except BaseException:
                db.conn.rollback()
                raise
        if name == upto:
            break
    return ran
