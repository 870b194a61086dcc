"""Read-side SQL for search, show, history and diff. Nothing here writes.

Contract:

- Every function takes a ``sqlite_utils.Database`` (``Store.db``; :func:`database_of`
  accepts a ``Store`` too) and only reads: the one thing it adds to a connection is the
  deterministic SQL function ``archiver_in_domain(url, domain)`` used by the domain filter.
- "Latest" always means the greatest ``captured_at``, ties broken by the greater id
  (:data:`LATEST_FIRST`, :func:`latest_good_id_sql`: the one definition every read path
  of the store uses, so a capture stored after a newer one never passes for the latest);
  time bounds compare ``captured_at`` (ISO 8601 UTC text) with ``YYYY-MM-DDTHH:MM:SS``
  prefixes, ``since`` inclusive and ``until`` exclusive.
- A broken FTS5 ``MATCH`` expression raises :class:`FtsSyntaxError` (the caller turns it
  into a :class:`~archiver.errors.QueryError`), never a bare ``sqlite3.OperationalError``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

import sqlite_utils

__all__ = [
    "LATEST_FIRST",
    "FtsSyntaxError",
    "database_of",
    "find_source",
    "good_snapshot_id",
    "has_good_snapshot",
    "link_id",
    "link_of_snapshot",
    "search_snapshots",
    "snapshots_for",
    "snippets",
    "texts",
]


#: ORDER BY terms putting the latest snapshot first: the one definition of "latest".
LATEST_FIRST = "captured_at DESC, id DESC"


def latest_good_id_sql(link_column: str, *, bounds: Sequence[str] = ()) -> str:
    """A scalar subquery: the id of the latest good snapshot of the link whose id is ``link_column``.

    ``bounds`` are extra conditions over the alias ``s2`` (e.g. ``s2.captured_at < :until``).
    It walks the ``snapshots(link_id, captured_at)`` index backwards, so it costs one short
    index scan per link.
    """
    extra = "".join(f" AND {b}" for b in bounds)
    order = ", ".join(f"s2.{term}" for term in LATEST_FIRST.split(", "))
    return (
        f"(SELECT s2.id FROM snapshots s2 WHERE s2.link_id = {link_column} AND s2.ok = 1{extra}"
        f" ORDER BY {order} LIMIT 1)"
    )


class FtsSyntaxError(Exception):
    """SQLite refused an FTS5 ``MATCH`` expression."""


def database_of(db: Any) -> sqlite_utils.Database:
    """The ``sqlite_utils.Database`` of a ``Store`` (its ``db`` attribute), or ``db`` itself."""
    inner = getattr(db, "db", None)
    if isinstance(inner, sqlite_utils.Database):
        return inner
    if isinstance(db, sqlite_utils.Database):
        return db
    raise TypeError(f"expected a Store or sqlite_utils.Database, got {type(db).__name__}")


def _in_domain(url: str | None, domain: str | None) -> int:
    """1 when the host of the canonical ``url`` is ``domain`` or one of its subdomains.

    String operations rather than ``urlsplit`` (five times faster; it runs once per link):
    a canonical URL is ``scheme://host[:port]/...`` with a lower-case host.
    """
    if not url or not domain:
        return 0
    netloc = url.partition("://")[2].split("/", 1)[0].rpartition("@")[2]
    host = netloc[: netloc.index("]") + 1] if netloc.startswith("[") else netloc.partition(":")[0]
    host = host.rstrip(".").lower()
    return int(host == domain or host.endswith("." + domain))


def _register_functions(db: sqlite_utils.Database) -> None:
    db.conn.create_function("archiver_in_domain", 2, _in_domain, deterministic=True)


def _is_fts_error(exc: sqlite3.OperationalError) -> bool:
    message = str(exc)
    return "fts5" in message or "unterminated string" in message or "syntax error" in message


#: Candidate pools for :func:`search_snapshots`, as multiples of ``limit``; ``None``: every match.
POOLS: tuple[int | None, ...] = (5, 50, None)
#: A --domain/--source keeping at most this share of the links (or this many) restricts the FTS scan itself.
RESTRICT_FRACTION = 0.05
RESTRICT_MIN = 1000


def search_snapshots(
    db: sqlite_utils.Database,
    match: str,
    *,
    latest_only: bool = True,
    domain: str | None = None,
    source_id: int | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 20,
    title_weight: float = 2.0,
) -> list[dict[str, Any]]:
    """Good snapshots matching the FTS5 expression ``match``, best first.

    Rows: ``id, url, title, final_url, captured_at, rank`` (bm25: lower is better).
    ``latest_only`` keeps, per link, only its latest good snapshot within the time bounds.
    ``domain`` is an ASCII host; subdomains match. ``source_id`` keeps links cited by that
    ``sources`` row.

    How: bm25 is computed inside FTS5 alone and only the best ``limit * 5`` matches are
    joined with ``snapshots``/``links`` and filtered; when the filters leave fewer than
    ``limit`` rows and more matches exist, the pool grows (``limit * 50``, then every
    match). Touching a snapshot row costs far more than ranking a match (rows hold the
    text), so this keeps a common word fast, and the result is the same as filtering
    every match first (up to ties in bm25 at the pool's edge).
    """
    _register_functions(db)
    params: dict[str, Any] = {"match": match, "tw": title_weight, "limit": limit}
    bounds: list[str] = []  # templates over the snapshot alias {s}
    if since is not None:
        bounds.append("{s}.captured_at >= :since")
        params["since"] = since
    if until is not None:
        bounds.append("{s}.captured_at < :until")
        params["until"] = until
    where = ["s.ok = 1", *(b.format(s="s") for b in bounds)]
    restrict = ""
    if domain is not None or source_id is not None:
        # The chosen links are computed once (not once per pool round) and passed as JSON.
        link_ids = _chosen_links(db, domain, source_id)
        params["links"] = json.dumps(link_ids)
        where.append("s.link_id IN (SELECT value FROM json_each(:links))")
        total = db.execute("SELECT count(*) FROM links").fetchone()[0]
        if len(link_ids) <= max(RESTRICT_MIN, RESTRICT_FRACTION * total):
            # A selective filter restricts the FTS scan itself to the snapshots of those links
            # (an index-only lookup on snapshots(link_id, ...)), so the matches it would throw
            # away are neither ranked nor joined. "+rowid" keeps SQLite from handing the list
            # to FTS5, which would re-run the MATCH once per listed rowid.
            restrict = (
                " AND +rowid IN (SELECT id FROM snapshots WHERE link_id IN (SELECT value FROM json_each(:links)))"
            )
    if latest_only:
        where.append("s.id = " + latest_good_id_sql("s.link_id", bounds=[b.format(s="s2") for b in bounds]))
    sql = (
        "WITH pool AS MATERIALIZED (SELECT rowid AS id, bm25(snapshots_fts, :tw, 1.0) AS rank FROM snapshots_fts"
        " WHERE snapshots_fts MATCH :match" + restrict + " ORDER BY rank LIMIT :pool)"
        " SELECT s.id, l.url, s.title, s.final_url, s.captured_at, pool.rank,"
        " (SELECT count(*) FROM pool) AS pool_size"
        " FROM pool JOIN snapshots s ON s.id = pool.id JOIN links l ON l.id = s.link_id"
        " WHERE " + " AND ".join(where) + " ORDER BY pool.rank, s.id DESC LIMIT :limit"
    )
    rows: list[dict[str, Any]] = []
    try:
        for factor in POOLS:
            params["pool"] = -1 if factor is None else limit * factor
            rows = list(db.query(sql, params))
            if len(rows) >= limit or factor is None or (rows and rows[0]["pool_size"] < params["pool"]):
                break
    except sqlite3.OperationalError as exc:
        if _is_fts_error(exc):
            raise FtsSyntaxError(str(exc)) from None
        raise
    for row in rows:
        del row["pool_size"]
    return rows


def _chosen_links(db: sqlite_utils.Database, domain: str | None, source_id: int | None) -> list[int]:
    """Ids of the links on ``domain`` (subdomains included) and/or cited by source ``source_id``."""
    conditions, params = [], []
    if domain is not None:
        # LIKE (in C) narrows to a superset; the Python test is exact
        conditions.append("url LIKE ? AND archiver_in_domain(url, ?)")
        params += [f"%{domain}%", domain]
    if source_id is not None:
        conditions.append("id IN (SELECT link_id FROM citations WHERE source_id = ?)")
        params.append(source_id)
    return [int(r[0]) for r in db.execute(f"SELECT id FROM links WHERE {' AND '.join(conditions)}", params)]


def snippets(
    db: sqlite_utils.Database, match: str, ids: Sequence[int], *, markers: tuple[str, str, str, int]
) -> dict[int, str]:
    """FTS5 ``snippet()`` of each snapshot in ``ids`` for ``match``: ``{id: text}``.

    ``markers`` are (open, close, ellipsis, tokens). ``snippet()`` tokenizes the whole
    text, so it is computed only for the rows shown, in one query.
    """
    if not ids:
        return {}
    sql = (
        "SELECT rowid, snippet(snapshots_fts, -1, ?, ?, ?, ?) FROM snapshots_fts"
        f" WHERE snapshots_fts MATCH ? AND rowid IN ({', '.join('?' * len(ids))})"
    )
    return {int(row[0]): row[1] for row in db.execute(sql, [*markers, match, *ids])}


def has_good_snapshot(db: sqlite_utils.Database) -> bool:
    """Whether the archive holds at least one good snapshot (an empty archive finds nothing)."""
    return bool(db.execute("SELECT EXISTS (SELECT 1 FROM snapshots WHERE ok = 1)").fetchone()[0])


def texts(db: sqlite_utils.Database, ids: Sequence[int]) -> list[tuple[int, str | None, str | None]]:
    """``(id, title, text)`` of the snapshots in ``ids`` (in no particular order)."""
    if not ids:
        return []
    sql = f"SELECT id, title, text FROM snapshots WHERE id IN ({', '.join('?' * len(ids))})"
    return [(int(r[0]), r[1], r[2]) for r in db.execute(sql, list(ids))]


def link_id(db: sqlite_utils.Database, urls: Iterable[str]) -> tuple[int, str] | None:
    """``(id, url)`` of the first of ``urls`` that is a stored link, or ``None``."""
    for url in urls:
        row = db.execute("SELECT id, url FROM links WHERE url = ?", [url]).fetchone()
        if row:
            return int(row[0]), str(row[1])
    return None


def link_of_snapshot(db: sqlite_utils.Database, snapshot_id: int) -> tuple[int, str] | None:
    """``(link_id, url)`` of a snapshot, or ``None`` when no such snapshot."""
    row = db.execute(
        "SELECT l.id, l.url FROM snapshots s JOIN links l ON l.id = s.link_id WHERE s.id = ?", [snapshot_id]
    ).fetchone()
    return (int(row[0]), str(row[1])) if row else None


def good_snapshot_id(
    db: sqlite_utils.Database, link: int, *, at_or_before: str | None = None, first: bool = False
) -> int | None:
    """The id of the latest (or, with ``first``, the earliest) good snapshot of a link.

    ``at_or_before`` (a ``YYYY-MM-DDTHH:MM:SS`` bound, exclusive) limits it to captures before then.
    """
    sql = "SELECT id FROM snapshots WHERE link_id = ? AND ok = 1"
    params: list[Any] = [link]
    if at_or_before is not None:
        sql += " AND captured_at < ?"
        params.append(at_or_before)
    order = LATEST_FIRST.replace("DESC", "ASC") if first else LATEST_FIRST
    row = db.execute(sql + f" ORDER BY {order} LIMIT 1", params).fetchone()
    return int(row[0]) if row else None


_SNAPSHOT_COLUMNS = (
    "id, captured_at, ok, requested_url, final_url, http_status, content_type, size, truncated, sha256,"
    " title, error_kind, error_message, extract_error"
)


def snapshots_for(db: sqlite_utils.Database, link: int) -> list[dict[str, Any]]:
    """Summary rows of every snapshot of a link (good and failed), oldest first. No text, no headers."""
    return list(
        db.query(
            f"SELECT {_SNAPSHOT_COLUMNS} FROM snapshots WHERE link_id = ? ORDER BY captured_at, id",
            [link],
        )
    )


def find_source(db: sqlite_utils.Database, locators: Sequence[str]) -> int | None:
    """The id of the latest recorded version of the first of ``locators`` found in ``sources``."""
    for locator in locators:
        row = db.execute(
            "SELECT id FROM sources WHERE locator = ? ORDER BY last_seen DESC, id DESC LIMIT 1", [locator]
        ).fetchone()
        if row:
            return int(row[0])
    return None
