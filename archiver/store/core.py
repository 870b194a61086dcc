"""The archive database: opening it safely, and every write the archive pipeline makes.

Contract:

- :meth:`Store.open` opens (or creates, with its folder) a SQLite database in WAL mode
  with a busy timeout and foreign keys on, and upgrades it with the named migrations of
  :mod:`archiver.store.migrations`. A path that is not a SQLite database, is a directory or
  cannot be read raises :class:`~archiver.errors.NotADatabaseError` /
  :class:`~archiver.errors.StoreError` with a one-line message, *before* anything is
  written, so such a file is never modified. ``create=False`` (reading commands) never
  creates or initializes anything: an empty file or another application's database is
  refused, and an archive on a read-only medium is opened read-only (``read_only``).
- Snapshots are append-only: capturing a link again adds a row; nothing is overwritten
  or deleted. Raw bodies live in ``blobs``, stored once, keyed by the sha256 of the
  uncompressed bytes, zlib-compressed when that makes them smaller. Failed captures are
  stored too (``ok`` = 0, ``error_kind`` and ``error_message`` set).
- Every write is one short ``BEGIN IMMEDIATE`` transaction (the write lock is taken up
  front, so two processes wait on the busy timeout instead of failing with
  "database is locked" on a read-to-write upgrade). A snapshot and the release of its
  claim commit together.
- Claims say which process is fetching a link right now. Their owner is
  ``hostname:pid:token``; a claim is void when its heartbeat is older than the expiry,
  or at once when its owner is a process on this host that no longer runs.

Transactions are written by hand (``BEGIN IMMEDIATE`` ... ``COMMIT``) rather than with
sqlite-utils' ``atomic()`` (which uses a deferred ``BEGIN``); sqlite-utils still provides
the connection wrapper (``Store.db``), ``query`` and table helpers for readers.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import socket
import sqlite3
import tempfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from archiver.config import default_db_path
from archiver.errors import NotADatabaseError, NotFoundError, StoreError, is_corruption
from archiver.pool import pid_alive
from archiver.store.migrations import MIGRATIONS, applied, migrate
from archiver.types import Body, ErrorKind, Extracted, FetchResult, Harvest, Hop, LinkStatus, Snapshot

__all__ = [
    "BUSY_TIMEOUT",
    "CLAIM_EXPIRY",
    "Claims",
    "FsckProblem",
    "FsckReport",
    "Store",
    "StoreStatus",
    "make_owner",
    "owner_is_dead",
    "pid_alive",
]

#: Seconds a connection waits for another writer before giving up.
BUSY_TIMEOUT = 30.0
#: A claim whose heartbeat is older than this is void (its owner is presumed gone).
CLAIM_EXPIRY = timedelta(seconds=60)
SQLITE_HEADER = b"SQLite format 3\x00"
_COPY_CHUNK = 1 << 20
#: zlib level of stored bodies. Level 3 is the strongest of zlib's fast strategy: on the
#: archive bench's news pages it takes half the CPU of the default level 6 (0.38 against
#: 0.78 ms per 75 KB page, in the one thread that writes) for 6% more bytes (14.7% of
#: the raw size against 13.8%); the writer's CPU is shared with the downloads.
BLOB_ZLIB_LEVEL = 3


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime | None = None) -> str:
    moment = moment or _now()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def make_owner() -> str:
    """A claim owner for this process: ``hostname:pid:random-token``."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def _database(conn: sqlite3.Connection) -> sqlite_utils.Database:
    """sqlite-utils over ``conn``, without sqlite-utils plugins: a plugin installed for the
    sqlite-utils command line must not change archiver's connections (``prepare_connection``),
    and finding plugins scans every installed package's entry points (0.06 s per command)."""
    return sqlite_utils.Database(conn, execute_plugins=False)


def owner_is_dead(owner: str) -> bool:
    """True when ``owner`` names a process on this host that is no longer running.

    An owner on another host (or one that cannot be parsed) is never known to be dead;
    only its heartbeat expiry frees its claims.
    """
    parts = owner.split(":")
    if len(parts) < 3:
        return False
    host = ":".join(parts[:-2])
    try:
        pid = int(parts[-2])
    except ValueError:
        return False
    if host != socket.gethostname():
        return False
    if pid == os.getpid():
        return False
    return not pid_alive(pid)


@dataclass(frozen=True)
class Claims:
    """The outcome of :meth:`Store.claim`.

    ``mine``: URLs now claimed by the caller. ``held``: URLs another live process has
    claimed (wait, then ask again). ``done``: URLs captured by someone since the
    caller's ``after`` watermark, mapped to that snapshot id (nothing left to fetch).
    """

    mine: tuple[str, ...] = ()
    held: tuple[str, ...] = ()
    done: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class StoreStatus:
    """Counts for ``archiver status``. ``failed_links``: links captured only unsuccessfully (no good
    snapshot); ``unarchived_links``: links never captured; ``size``: database + WAL bytes.

    ``last_run`` is the latest run of any command (a ``runs`` row: ``id``, ``command``,
    ``started_at``, ``finished_at`` (``None`` if it did not finish), ``summary`` (its JSON
    counts)). ``last_archive`` and ``last_check`` are the latest ``archive`` and ``check`` runs,
    shaped alike; ``last_check`` also has ``classes``: the verdicts that run recorded in
    ``checks``, by class (``{"ok": 3, "dead": 1}``), so even an interrupted run is counted.
    """

    path: str
    size: int
    sources: int
    links: int
    snapshots: int
    good_snapshots: int
    failed_links: int
    unarchived_links: int
    blobs: int
    blob_bytes: int
    last_run: Mapping[str, Any] | None
    migrations: tuple[str, ...]
    last_archive: Mapping[str, Any] | None = None
    last_check: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class FsckProblem:
    """One thing ``fsck`` found wrong: ``kind`` is ``sha256``, ``size``, ``corrupt``,
    ``missing_blob`` or ``integrity``."""

    kind: str
    target: str
    message: str


@dataclass(frozen=True)
class FsckReport:
    """What ``fsck`` checked and found. ``ok`` when nothing is wrong."""

    path: str
    blobs_checked: int
    bytes_checked: int
    integrity: str
    problems: tuple[FsckProblem, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.problems


def _can_write(path: Path) -> bool:
    """Whether this process may write ``path`` and create files next to it (SQLite's ``-wal``
    and ``-shm``). False on a read-only medium (``EROFS``) or without permission.

    A module function so tests can stand in for a read-only folder: they run as root,
    whom permission bits do not stop.
    """
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)


def _check_path(path: Path, *, create: bool) -> None:
    """Refuse a path that cannot be an archiver database, without writing anything."""
    if path.is_dir():
        raise StoreError("is a directory, not a database file", str(path))
    if path.exists():
        if not os.access(path, os.R_OK):
            raise StoreError("cannot read the database (permission denied)", str(path))
        try:
            with open(path, "rb") as fh:
                header = fh.read(len(SQLITE_HEADER))
        except OSError as exc:
            raise StoreError(f"cannot read the database ({exc.strerror or exc})", str(path)) from None
        if header and header != SQLITE_HEADER:
            raise NotADatabaseError("not a SQLite database (refusing to touch it)", str(path))
        if not header and not create:
            raise NotADatabaseError("an empty file, not an archiver database (run `archiver archive` first)", str(path))
        if create and not _can_write(path):
            raise StoreError(
                "the database is read-only here (no write access to it or its folder); read commands still work",
                str(path),
            )
        return
    if not create:
        raise StoreError("no archive database here (run `archiver archive` first)", str(path))
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the folder {parent} ({exc.strerror or exc})", str(path)) from None
    if not os.access(parent, os.W_OK | os.X_OK):
        raise StoreError(f"cannot write in the folder {parent} (permission denied)", str(path))


def _connect(target: Path, query: str = "") -> sqlite3.Connection:
    """A connection to ``target``; ``query`` is a SQLite URI query (``mode=rw``, ``mode=ro``,
    ``immutable=1``), or empty to open read-write and create the file when missing."""
    where = f"{target.resolve().as_uri()}?{query}" if query else str(target)
    return sqlite3.connect(where, uri=bool(query), timeout=BUSY_TIMEOUT, isolation_level=None,
                           check_same_thread=False)


def _lacks_write_access(exc: sqlite3.Error) -> bool:
    """Whether ``exc`` says SQLite could not write (the file, or its -wal/-shm next to it)."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    return name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM"))


def _connect_read_only(target: Path) -> sqlite3.Connection:
    """Open ``target`` for reading only: ``mode=ro`` first, then ``immutable=1``.

    A WAL database needs its ``-shm`` file even to read; in a folder where it cannot be
    created (a read-only medium), ``mode=ro`` fails and ``immutable=1`` is the only way in.
    Immutable reads take no locks and ignore the ``-wal`` file, which is safe because
    nobody can write there; a non-empty ``-wal`` left next to the file would hold commits
    that immutable reads miss, so that case is refused rather than read stale.
    """
    conn = _connect(target, "mode=ro")
    try:
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError as exc:
        conn.close()
        if not _lacks_write_access(exc):
            raise
    wal = Path(f"{target}-wal")
    with contextlib.suppress(OSError):
        if wal.stat().st_size > 0:
            raise StoreError(
                f"read-only here, and {wal.name} holds commits not yet in the database file;"
                " open it once where it can be written (or copy the folder) to fold them in",
                str(target),
            )
    return _connect(target, "immutable=1")


def _database_error(exc: sqlite3.DatabaseError, target: Path) -> StoreError:
    message = str(exc)
    if "not a database" in message or "malformed" in message:
        return NotADatabaseError(f"not a usable SQLite database ({message})", str(target))
    return StoreError(f"cannot open the database ({message})", str(target))


class Store:
    """An open archive database. Use :meth:`open`; close it (or use it as a context manager).

    ``db`` is the :class:`sqlite_utils.Database` for readers (``store.db.query(...)``).
    ``read_only`` is true when the file could only be opened for reading (a read-only
    medium or file); :meth:`write` then raises :class:`StoreError`.
    One ``Store`` must be used by one thread at a time; the archive pipeline never writes
    from two threads at once (its writer thread stores the links' snapshots while the
    main thread only fetches; claims, sources and runs are written before or after).
    """

    def __init__(self, db: sqlite_utils.Database, path: Path | None, *, read_only: bool = False) -> None:
        self.db = db
        self.path = path
        self.read_only = read_only
        #: The error that showed the file is damaged, once one did: :meth:`write` then refuses.
        self.damaged: sqlite3.DatabaseError | None = None

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None, *, create: bool = True) -> Store:
        """Open the database at ``path`` (default :func:`archiver.config.default_db_path`).

        ``create=True`` (``archive``): creates the file and its folder when missing (an
        existing 0-byte file holds nothing and is initialized too), sets WAL, a 30 s busy
        timeout and foreign keys, and applies pending migrations. A read-only file or folder
        is refused.

        ``create=False`` (every reading command): the file must already be an archiver
        database, and opening it writes nothing: no WAL switch, no new tables. A 0-byte
        file, or a SQLite database without archiver's ``_migrations`` table, is
        :class:`NotADatabaseError`. When the file or its folder cannot be written, it is
        opened read-only (``mode=ro``, else ``immutable=1``; see :func:`_connect_read_only`)
        and ``read_only`` is set. A database made by an *older* archiver is upgraded in place
        when it is writable (each migration is one atomic transaction, so this is safe, and
        later commands find the schema they expect); when it is read-only it is refused with
        a one-line message, because readers assume the current schema.

        Raises :class:`StoreError` (unreadable path, folder, newer schema) or
        :class:`NotADatabaseError` (not SQLite, or SQLite but not an archiver database);
        such files are left untouched (bytes and mtime).
        """
        target = Path(path) if path is not None else default_db_path()
        target = target.expanduser()
        _check_path(target, create=create)
        if not create:
            return cls._open_existing(target)
        try:
            conn = _connect(target)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the database ({exc})", str(target)) from None
        try:
            cls._check_schema(conn, target)
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            # FULL: a committed snapshot survives power loss, as the issue promises. NORMAL
            # (WAL synced at checkpoints only) was measured on the archive bench: about 0.1 s of
            # CPU per 320 pages saved and the writer is off the critical path (group commits),
            # while a power cut could lose every commit since the last checkpoint. Kept FULL.
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            db = _database(conn)
            migrate(db)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise _database_error(exc, target) from None
        except BaseException:
            conn.close()
            raise
        return cls(db, target)

    @classmethod
    def _open_existing(cls, target: Path) -> Store:
        """``open(create=False)``: see :meth:`open`. Writes only to upgrade an older archiver's file."""
        read_only = not _can_write(target)
        conn: sqlite3.Connection | None = None
        try:
            if not read_only:
                # mode=rw: never create the file (it may vanish after _check_path). A read-write
                # connection also removes the -wal/-shm it made when it closes; a read-only one
                # cannot, so it is only the fallback.
                conn = _connect(target, "mode=rw")
                try:
                    conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
                except sqlite3.OperationalError as exc:
                    conn.close()
                    conn = None
                    if not _lacks_write_access(exc):
                        raise
                    read_only = True
            if conn is None:
                conn = _connect_read_only(target)
            pending = cls._check_schema(conn, target, required=True)
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            if read_only:
                conn.execute("PRAGMA query_only = ON")
            else:
                conn.execute("PRAGMA synchronous = FULL")
            db = _database(conn)
            if pending and read_only:
                raise StoreError(
                    f"made by an older archiver (needs migration {pending[0]}) and read-only here;"
                    " run any archiver command on a writable copy to upgrade it",
                    str(target),
                )
            if pending:
                migrate(db)
        except sqlite3.DatabaseError as exc:
            if conn is not None:
                conn.close()
            raise _database_error(exc, target) from None
        except BaseException:
            if conn is not None:
                conn.close()
            raise
        return cls(db, target, read_only=read_only)

    @staticmethod
    def _check_schema(conn: sqlite3.Connection, target: Path, *, required: bool = False) -> list[str]:
        """Refuse a SQLite file of another application, or one made by a newer archiver.

        Returns the names of the migrations not applied yet. A database without tables is
        accepted (to be initialized) unless ``required``.
        """
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables and not required:
            return [name for name, _ in MIGRATIONS]
        if "_migrations" not in tables:
            what = "an empty SQLite database," if not tables else "a SQLite database, but"
            raise NotADatabaseError(f"{what} not an archiver one (refusing to touch it)", str(target))
        known = {name for name, _ in MIGRATIONS}
        done = [row[0] for row in conn.execute("SELECT name FROM _migrations")]
        unknown = [name for name in done if name not in known]
        if unknown:
            raise StoreError(f"made by a newer archiver (migration {unknown[0]}); upgrade archiver", str(target))
        return [name for name, _ in MIGRATIONS if name not in done]

    def close(self) -> None:
        """Close the connection. Safe to call twice."""
        with contextlib.suppress(sqlite3.Error):
            self.db.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taking the write lock up front (``BEGIN IMMEDIATE``).

        Raises :class:`StoreError` at once when the store was opened ``read_only``.
        """
        if self.read_only:
            raise StoreError(
                "the database is read-only here (no write access to it or its folder), so this command"
                " cannot record anything; reading commands (status, search, show, check --offline) still work",
                str(self.path),
            )
        if self.damaged is not None:
            raise self._damage_error(self.damaged)
        conn = self.db.conn
        if conn.in_transaction:  # nested: join the outer transaction
            yield conn
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException as exc:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.DatabaseError) and is_corruption(exc):
                self.damaged = exc
                raise self._damage_error(exc) from exc
            raise
        try:
            conn.execute("COMMIT")
        except BaseException:
            # A failed COMMIT (full disk, I/O error, deferred constraint) may leave the
            # transaction open; later writes would join it as if nested and never commit.
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            raise

    def note_damage(self, exc: BaseException) -> None:
        """Remember that ``exc`` (met by a reader) says the file is damaged: no write is tried after it."""
        if isinstance(exc, sqlite3.DatabaseError) and is_corruption(exc):
            self.damaged = exc

    def _damage_error(self, exc: sqlite3.DatabaseError) -> StoreError:
        return StoreError(
            f"the database is damaged ({exc}); nothing more is written to it; `archiver fsck --db {self.path}`"
            " says what is damaged",
            str(self.path),
        )

    def migrations(self) -> list[str]:
        """Names of the applied migrations, in order."""
        return applied(self.db)

    # -- sources, links, citations -------------------------------------------------------

    def _ensure_link(self, conn: sqlite3.Connection, url: str) -> int:
        row = conn.execute("SELECT id FROM links WHERE url = ?", [url]).fetchone()
        if row:
            return int(row[0])
        from archiver.urls import host_key

        cur = conn.execute(
            "INSERT INTO links (url, host, first_seen) VALUES (?, ?, ?)", [url, host_key(url), _iso()]
        )
        return int(cur.lastrowid)  # type: ignore[arg-type]

    def ensure_link(self, url: str) -> int:
        """The id of the link row for canonical ``url``, created if missing."""
        with self.write() as conn:
            return self._ensure_link(conn, url)

    def link_id(self, url: str) -> int | None:
        """The id of the link row for ``url``, or ``None``."""
        row = self.db.execute("SELECT id FROM links WHERE url = ?", [url]).fetchone()
        return int(row[0]) if row else None

    def record_source(self, harvest: Harvest) -> int:
        """Record an article version (sources row), its links and its citations; return the source id.

        A source is keyed by ``(locator, sha256)``: recording the same version again only
        updates ``last_seen``; citations already recorded are not duplicated.
        """
        src = harvest.source
        now = _iso()
        with self.write() as conn:
            row = conn.execute(
                "SELECT id FROM sources WHERE locator = ? AND sha256 = ?", [src.locator, src.sha256]
            ).fetchone()
            if row:
                source_id = int(row[0])
                conn.execute("UPDATE sources SET last_seen = ? WHERE id = ?", [now, source_id])
            else:
                cur = conn.execute(
                    "INSERT INTO sources (locator, kind, format, sha256, encoding, size, text, first_seen, last_seen)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [src.locator, str(src.kind), str(src.format), src.sha256, src.encoding, src.size,
                     harvest.text, now, now],
                )
                source_id = int(cur.lastrowid)  # type: ignore[arg-type]
            for cit in harvest.citations:
                link_id = self._ensure_link(conn, cit.url)
                conn.execute(
                    "INSERT OR IGNORE INTO citations (source_id, link_id, raw, line, col, paragraph, context, anchor)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [source_id, link_id, cit.raw, cit.line, cit.column, cit.paragraph, cit.context, cit.anchor],
                )
        return source_id

    def link_urls(self) -> list[str]:
        """Every canonical URL in the store, in the order first seen."""
        return [row[0] for row in self.db.execute("SELECT url FROM links ORDER BY id")]

    def links_for_source(self, locator: str) -> list[str]:
        """Distinct URLs cited by the latest recorded version of ``locator``, in order of first citation.

        Raises :class:`NotFoundError` when no source has that locator.
        """
        row = self.db.execute(
            "SELECT id FROM sources WHERE locator = ? ORDER BY last_seen DESC, id DESC LIMIT 1", [locator]
        ).fetchone()
        if not row:
            raise NotFoundError("no archived source with that locator", locator)
        rows = self.db.execute(
            "SELECT l.url FROM citations c JOIN links l ON l.id = c.link_id WHERE c.source_id = ?"
            " GROUP BY l.id ORDER BY MIN(c.line), MIN(c.col), MIN(c.id)",
            [row[0]],
        )
        return [r[0] for r in rows]

    # -- blobs ---------------------------------------------------------------------------

    def _put_blob(self, conn: sqlite3.Connection, body: Body) -> None:
        """Store ``body`` under its sha256 unless already there. Large spilled bodies are
        compressed to a temporary file and streamed in, so memory stays bounded."""
        if conn.execute("SELECT 1 FROM blobs WHERE sha256 = ?", [body.sha256]).fetchone():
            return
        if body.data is not None or body.path is None:
            raw = body.data or b""
            packed = zlib.compress(raw, BLOB_ZLIB_LEVEL)
            compression, data = ("zlib", packed) if len(packed) < len(raw) else ("none", raw)
            conn.execute(
                "INSERT INTO blobs (sha256, size, compression, data, created_at) VALUES (?, ?, ?, ?, ?)",
                [body.sha256, body.size, compression, data, _iso()],
            )
            return
        with tempfile.TemporaryFile() as tmp:
            packer = zlib.compressobj(BLOB_ZLIB_LEVEL)
            for chunk in body.iter_chunks(_COPY_CHUNK):
                tmp.write(packer.compress(chunk))
            tmp.write(packer.flush())
            packed_size = tmp.tell()
            if packed_size < body.size:
                compression, source, length = "zlib", tmp, packed_size
                tmp.seek(0)
            else:
                compression, source, length = "none", body.open(), body.size
            cur = conn.execute(
                "INSERT INTO blobs (sha256, size, compression, data, created_at) VALUES (?, ?, ?, zeroblob(?), ?)",
                [body.sha256, body.size, compression, length, _iso()],
            )
            with conn.blobopen("blobs", "data", cur.lastrowid) as blob:
                while chunk := source.read(_COPY_CHUNK):
                    blob.write(chunk)
            if source is not tmp:
                source.close()

    def read_blob(self, sha256: str) -> bytes:
        """The raw body stored under ``sha256``, uncompressed and checked against its sha256.

        Raises :class:`NotFoundError` when no body is stored under it, and
        :class:`StoreError` (one line naming the body and suggesting ``archiver fsck``)
        when the stored bytes cannot be decompressed or no longer hash to ``sha256``:
        a damaged body is never handed out as if it were what was captured.
        """
        row = self.db.execute("SELECT compression, data FROM blobs WHERE sha256 = ?", [sha256]).fetchone()
        if not row:
            raise NotFoundError("no stored body with that sha256", sha256)
        compression, data = row

        def corrupt(why: str) -> StoreError:
            return StoreError(f"snapshot body {sha256[:12]} is corrupt ({why}); run `archiver fsck`", sha256[:12])

        if not isinstance(data, bytes):  # e.g. text written over it: SQLite accepts any type
            raise corrupt(f"stored as {type(data).__name__}, not bytes")
        try:
            raw = zlib.decompress(data) if compression == "zlib" else bytes(data)
        except zlib.error as exc:
            raise corrupt(f"zlib: {exc}") from None
        if hashlib.sha256(raw).hexdigest() != sha256:
            raise corrupt("its content no longer matches its sha256")
        return raw

    # -- snapshots -----------------------------------------------------------------------

    def _insert_snapshot(
        self, conn: sqlite3.Connection, result: FetchResult, extracted: Extracted | None, run_id: int | None,
        url: str | None,
    ) -> int:
        link_id = self._ensure_link(conn, url or result.url)
        body = result.body
        if body is not None:
            self._put_blob(conn, body)
        ext = extracted or Extracted()
        cur = conn.execute(
            "INSERT INTO snapshots (link_id, captured_at, ok, requested_url, final_url, redirects, http_status,"
            " headers, content_type, size, truncated, encoding, encoding_source, sha256, title, author, published,"
            " sitename, language, description, text, extract_error, error_kind, error_message, attempts, elapsed,"
            " run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                link_id,
                _iso(result.fetched_at),
                int(result.ok),
                result.url,
                result.final_url,
                json.dumps([{"url": h.url, "status": h.status} for h in result.redirects]),
                result.status,
                json.dumps(dict(result.headers), ensure_ascii=False),
                result.content_type,
                body.size if body is not None else None,
                int(result.truncated),
                result.encoding,
                result.encoding_source,
                body.sha256 if body is not None else None,
                ext.title,
                ext.author,
                ext.date,
                ext.sitename,
                ext.language,
                ext.description,
                ext.text,
                ext.error,
                str(result.error) if result.error is not None else None,
                result.message,
                result.attempts,
                result.elapsed,
                run_id,
            ],
        )
        return int(cur.lastrowid)  # type: ignore[arg-type]

    def add_snapshot(
        self,
        result: FetchResult,
        extracted: Extracted | None,
        *,
        run_id: int | None = None,
        url: str | None = None,
        release_owner: str | None = None,
    ) -> int:
        """Append a snapshot of one capture (good or failed) and return its id.

        ``url`` is the canonical link it belongs to (default ``result.url``). The body,
        if any, is stored once in ``blobs``. With ``release_owner``, that owner's claim
        on the link is released in the same transaction.
        """
        with self.write() as conn:
            snapshot_id = self._insert_snapshot(conn, result, extracted, run_id, url)
            if release_owner is not None:
                conn.execute(
                    "DELETE FROM claims WHERE owner = ? AND link_id = (SELECT link_id FROM snapshots WHERE id = ?)",
                    [release_owner, snapshot_id],
                )
        return snapshot_id

    _SNAPSHOT_SQL = "SELECT s.*, l.url AS url FROM snapshots s JOIN links l ON l.id = s.link_id"

    @staticmethod
    def _to_snapshot(row: Mapping[str, Any]) -> Snapshot:
        return snapshot_from_row(row)

    def snapshot(self, snapshot_id: int) -> Snapshot:
        """The snapshot with that id. Raises :class:`NotFoundError`."""
        rows = list(self.db.query(self._SNAPSHOT_SQL + " WHERE s.id = ?", [snapshot_id]))
        if not rows:
            raise NotFoundError(f"no snapshot with id {snapshot_id}", str(snapshot_id))
        return self._to_snapshot(rows[0])

    def latest_snapshot(self, url: str, *, good: bool = True) -> Snapshot | None:
        """The most recent snapshot of ``url`` (only good ones when ``good``), or ``None``."""
        where = " WHERE l.url = ?" + (" AND s.ok = 1" if good else "")
        # The one definition of "latest" (archiver.store.queries.LATEST_FIRST): capture time, then id.
        order = " ORDER BY s.captured_at DESC, s.id DESC LIMIT 1"
        rows = list(self.db.query(self._SNAPSHOT_SQL + where + order, [url]))
        return self._to_snapshot(rows[0]) if rows else None

    def snapshots_for(self, url: str) -> list[Snapshot]:
        """Every snapshot of ``url``, oldest first."""
        sql = self._SNAPSHOT_SQL + " WHERE l.url = ? ORDER BY s.captured_at, s.id"
        return [self._to_snapshot(r) for r in self.db.query(sql, [url])]

    def latest_states(self, urls: Iterable[str]) -> dict[str, tuple[int, str, bool, str | None] | None]:
        """For each URL, ``(snapshot_id, captured_at, ok, sha256)`` of its latest *good* snapshot
        if it has one, else of its latest failed one; ``None`` when it was never captured."""
        out: dict[str, tuple[int, str, bool, str | None] | None] = {}
        for url in urls:
            row = self.db.execute(
                "SELECT s.id, s.captured_at, s.ok, s.sha256 FROM snapshots s JOIN links l ON l.id = s.link_id"
                " WHERE l.url = ? ORDER BY s.ok DESC, s.captured_at DESC, s.id DESC LIMIT 1",
                [url],
            ).fetchone()
            out[url] = (int(row[0]), row[1], bool(row[2]), row[3]) if row else None
        return out

    # -- claims --------------------------------------------------------------------------

    def max_snapshot_id(self) -> int:
        """The highest snapshot id so far (0 when empty): a watermark for :meth:`claim`'s ``after``."""
        return int(self.db.execute("SELECT COALESCE(MAX(id), 0) FROM snapshots").fetchone()[0])

    def claim(
        self, urls: Iterable[str], owner: str, *, after: int | None = None, expiry: timedelta = CLAIM_EXPIRY
    ) -> Claims:
        """Try to claim each URL for ``owner``, in one transaction.

        A URL with a snapshot newer than ``after`` (a :meth:`max_snapshot_id` watermark
        taken when the caller planned its work) was captured meanwhile: it is ``done``,
        not claimed. A URL held by another owner stays theirs (``held``) unless that claim
        is void: its heartbeat is older than ``expiry``, or its owner is a dead process on
        this host. Everything else becomes ``mine``.
        """
        now = _now()
        mine: list[str] = []
        held: list[str] = []
        done: dict[str, int] = {}
        with self.write() as conn:
            for url in urls:
                link_id = self._ensure_link(conn, url)
                if after is not None:
                    row = conn.execute(
                        "SELECT MAX(id) FROM snapshots WHERE link_id = ? AND id > ?", [link_id, after]
                    ).fetchone()
                    if row and row[0] is not None:
                        done[url] = int(row[0])
                        continue
                row = conn.execute("SELECT owner, heartbeat_at FROM claims WHERE link_id = ?", [link_id]).fetchone()
                if row and row[0] != owner:
                    beat = _parse_time(row[1])
                    if beat is not None and now - beat < expiry and not owner_is_dead(row[0]):
                        held.append(url)
                        continue
                conn.execute(
                    "INSERT OR REPLACE INTO claims (link_id, owner, claimed_at, heartbeat_at) VALUES (?, ?, ?, ?)",
                    [link_id, owner, _iso(now), _iso(now)],
                )
                mine.append(url)
        return Claims(tuple(mine), tuple(held), done)

    def heartbeat(self, owner: str) -> None:
        """Refresh the heartbeat of every claim ``owner`` holds."""
        with self.write() as conn:
            conn.execute("UPDATE claims SET heartbeat_at = ? WHERE owner = ?", [_iso(), owner])

    def release(self, owner: str, urls: Iterable[str] | None = None) -> None:
        """Release ``owner``'s claims on ``urls`` (all of them when ``urls`` is ``None``)."""
        with self.write() as conn:
            if urls is None:
                conn.execute("DELETE FROM claims WHERE owner = ?", [owner])
                return
            for url in urls:
                conn.execute(
                    "DELETE FROM claims WHERE owner = ? AND link_id = (SELECT id FROM links WHERE url = ?)",
                    [owner, url],
                )

    def claim_holder(self, url: str, *, expiry: timedelta = CLAIM_EXPIRY) -> str | None:
        """The owner of a live claim on ``url`` (not void by expiry or death), or ``None``."""
        row = self.db.execute(
            "SELECT c.owner, c.heartbeat_at FROM claims c JOIN links l ON l.id = c.link_id WHERE l.url = ?", [url]
        ).fetchone()
        if not row:
            return None
        beat = _parse_time(row[1])
        if beat is None or _now() - beat >= expiry or owner_is_dead(row[0]):
            return None
        return str(row[0])

    # -- runs ----------------------------------------------------------------------------

    def start_run(self, command: str) -> int:
        """Record the start of a run (``archive``, ``check``...) and return its id."""
        with self.write() as conn:
            cur = conn.execute("INSERT INTO runs (command, started_at) VALUES (?, ?)", [command, _iso()])
            return int(cur.lastrowid)  # type: ignore[arg-type]

    def finish_run(self, run_id: int, summary: Mapping[str, Any]) -> None:
        """Record the end of a run with its summary counts (a JSON object)."""
        with self.write() as conn:
            conn.execute(
                "UPDATE runs SET finished_at = ?, summary = ? WHERE id = ?",
                [_iso(), json.dumps(dict(summary), ensure_ascii=False), run_id],
            )

    # -- status and fsck -----------------------------------------------------------------

    def _size(self) -> int:
        if self.path is None:
            return 0
        total = 0
        for suffix in ("", "-wal"):
            with contextlib.suppress(OSError):
                total += os.path.getsize(str(self.path) + suffix)
        return total

    def status(self) -> StoreStatus:
        """Counts of sources, links, snapshots, failed links, database size, the last run, and
        the last archive and check runs (see :class:`StoreStatus`)."""

        def one(sql: str) -> int:
            return int(self.db.execute(sql).fetchone()[0] or 0)

        def last(command: str | None) -> dict[str, Any] | None:
            where, params = ("WHERE command = ? ", [command]) if command else ("", [])
            rows = list(self.db.query(f"SELECT * FROM runs {where}ORDER BY id DESC LIMIT 1", params))
            if not rows:
                return None
            run = dict(rows[0])
            try:
                run["summary"] = json.loads(run["summary"]) if run.get("summary") else None
            except ValueError:
                run["summary"] = None
            return run

        latest = (
            "SELECT s.link_id, MAX(s.ok) AS any_ok FROM snapshots s GROUP BY s.link_id"
        )
        last_check = last("check")
        if last_check is not None:
            found = dict(self.db.execute(
                "SELECT status, COUNT(*) FROM checks WHERE run_id = ? GROUP BY status", [last_check["id"]]
            ).fetchall())
            order = [s.value for s in LinkStatus]
            last_check["classes"] = {k: found[k] for k in sorted(found, key=lambda k: (
                order.index(k) if k in order else len(order), k))}
        return StoreStatus(
            path=str(self.path),
            size=self._size(),
            sources=one("SELECT COUNT(*) FROM sources"),
            links=one("SELECT COUNT(*) FROM links"),
            snapshots=one("SELECT COUNT(*) FROM snapshots"),
            good_snapshots=one("SELECT COUNT(*) FROM snapshots WHERE ok = 1"),
            failed_links=one(f"SELECT COUNT(*) FROM ({latest}) WHERE any_ok = 0"),
            unarchived_links=one("SELECT COUNT(*) FROM links WHERE id NOT IN (SELECT link_id FROM snapshots)"),
            blobs=one("SELECT COUNT(*) FROM blobs"),
            blob_bytes=one("SELECT SUM(LENGTH(data)) FROM blobs"),
            last_run=last(None),
            migrations=tuple(self.migrations()),
            last_archive=last("archive"),
            last_check=last_check,
        )

    def fsck(self) -> FsckReport:
        """Re-read every blob, recompute its sha256 and size, check that every snapshot's
        blob exists, and run ``PRAGMA integrity_check``. Reads only; never repairs.

        ``blobs_checked`` counts every stored body read, damaged or not; each damaged one is
        a problem naming its sha256 and the snapshots that use it.
        """

        def used_by(sha: str) -> str:
            ids = [str(r[0]) for r in conn.execute("SELECT id FROM snapshots WHERE sha256 = ? ORDER BY id", [sha])]
            return f"; used by snapshot {', '.join(ids)}" if ids else "; used by no snapshot"

        problems: list[FsckProblem] = []
        checked = 0
        nbytes = 0
        conn = self.db.conn
        try:
            rowids = [r[0] for r in conn.execute("SELECT rowid FROM blobs ORDER BY rowid")]
        except sqlite3.DatabaseError as exc:  # a damaged file: what can be read is still checked below
            problems.append(FsckProblem("corrupt", "blobs", f"cannot list the stored bodies ({exc})"))
            rowids = []
        for rowid in rowids:
            try:
                row = conn.execute("SELECT sha256, size, compression FROM blobs WHERE rowid = ?", [rowid]).fetchone()
            except sqlite3.DatabaseError as exc:
                checked += 1
                problems.append(FsckProblem("corrupt", f"body row {rowid}", f"cannot be read ({exc})"))
                continue
            sha, size, compression = row
            digest = hashlib.sha256()
            length = 0
            checked += 1  # every body read counts, the corrupt ones too
            try:
                unpacker = zlib.decompressobj() if compression == "zlib" else None
                with conn.blobopen("blobs", "data", rowid, readonly=True) as blob:
                    while chunk := blob.read(_COPY_CHUNK):
                        data = unpacker.decompress(chunk) if unpacker else chunk
                        digest.update(data)
                        length += len(data)
                if unpacker is not None:
                    tail = unpacker.flush()
                    digest.update(tail)
                    length += len(tail)
            except (zlib.error, sqlite3.DatabaseError) as exc:  # OperationalError: data is not a blob
                nbytes += length
                problems.append(FsckProblem("corrupt", sha, f"cannot be decompressed ({exc}){used_by(sha)}"))
                continue
            nbytes += length
            if digest.hexdigest() != sha:
                problems.append(FsckProblem("sha256", sha, f"content hashes to {digest.hexdigest()}{used_by(sha)}"))
            elif length != size:
                problems.append(FsckProblem("size", sha, f"recorded size {size}, actual {length}{used_by(sha)}"))
        try:
            for row in conn.execute(
                "SELECT s.id, s.sha256 FROM snapshots s LEFT JOIN blobs b ON b.sha256 = s.sha256"
                " WHERE s.sha256 IS NOT NULL AND b.sha256 IS NULL"
            ):
                problems.append(FsckProblem("missing_blob", f"snapshot {row[0]}", f"its body {row[1]} is not stored"))
        except sqlite3.DatabaseError as exc:
            problems.append(FsckProblem("corrupt", "snapshots", f"cannot match snapshots with bodies ({exc})"))
        try:
            results = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        except sqlite3.DatabaseError as exc:
            results = [str(exc)]
        integrity = "ok" if results == ["ok"] else "; ".join(results)
        if integrity != "ok":
            problems.append(FsckProblem("integrity", str(self.path), integrity))
        return FsckReport(str(self.path), checked, nbytes, integrity, tuple(problems))


def snapshot_from_row(row: Mapping[str, Any]) -> Snapshot:
    """A :class:`Snapshot` from a ``snapshots`` row joined with its link's ``url``.

    Only ``id``, ``url``, ``captured_at``, ``ok`` and ``requested_url`` are required: a query
    that selects fewer columns (no text, headers or redirects, for speed) leaves the other
    fields at their defaults.
    """
    redirects = tuple(Hop(h["url"], h["status"]) for h in json.loads(row.get("redirects") or "[]"))
    kind = row.get("error_kind")
    return Snapshot(
        id=row["id"],
        url=row["url"],
        captured_at=datetime.fromisoformat(row["captured_at"]),
        ok=bool(row["ok"]),
        requested_url=row["requested_url"],
        final_url=row.get("final_url"),
        redirects=redirects,
        http_status=row.get("http_status"),
        headers=json.loads(row.get("headers") or "{}"),
        content_type=row.get("content_type"),
        size=row.get("size"),
        truncated=bool(row.get("truncated")),
        encoding=row.get("encoding"),
        encoding_source=row.get("encoding_source"),
        sha256=row.get("sha256"),
        title=row.get("title"),
        author=row.get("author"),
        published=row.get("published"),
        sitename=row.get("sitename"),
        language=row.get("language"),
        description=row.get("description"),
        text=row.get("text"),
        extract_error=row.get("extract_error"),
        error_kind=ErrorKind(kind) if kind else None,
        error_message=row.get("error_message"),
        attempts=row.get("attempts"),
        elapsed=row.get("elapsed"),
    )
