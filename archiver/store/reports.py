"""Read-side queries for ``archiver verify`` and ``archiver report``: all their SQL lives here.

Contract: every function only reads; none writes, migrates or touches the network.
URLs are canonical (as stored in ``links.url``). Results come back as shared types
(:class:`~archiver.types.Snapshot`, :class:`~archiver.types.Citation`) or the small
:class:`StoredSource` record. The last check of each link is read through
:func:`archiver.store.checks.last_checks`, which owns the ``checks`` table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from archiver.store.core import Store, snapshot_from_row
from archiver.store.queries import LATEST_FIRST, latest_good_id_sql
from archiver.types import Citation, Snapshot

__all__ = [
    "StoredSource",
    "find_source",
    "fts_candidates",
    "captured_by_check",
    "good_snapshots",
    "last_failures",
    "snapshots_by_id",
    "source_citations",
]

_LATEST_FIRST = ", ".join(f"s.{term}" for term in LATEST_FIRST.split(", "))

#: SQLite caps the number of ``?`` in one statement; look URLs up in chunks of this size.
_CHUNK = 500


@dataclass(frozen=True)
class StoredSource:
    """The latest recorded version of an article (a row of ``sources``)."""

    id: int
    locator: str
    kind: str
    format: str
    sha256: str
    text: str | None
    first_seen: datetime
    last_seen: datetime


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def find_source(store: Store, locator: str) -> StoredSource | None:
    """The most recently seen version of the article ``locator``, or ``None``."""
    rows = list(
        store.db.query(
            "SELECT id, locator, kind, format, sha256, text, first_seen, last_seen FROM sources"
            " WHERE locator = ? ORDER BY last_seen DESC, id DESC LIMIT 1",
            [locator],
        )
    )
    if not rows:
        return None
    r = rows[0]
    return StoredSource(
        id=r["id"],
        locator=r["locator"],
        kind=r["kind"],
        format=r["format"],
        sha256=r["sha256"],
        text=r["text"],
        first_seen=datetime.fromisoformat(r["first_seen"]),
        last_seen=datetime.fromisoformat(r["last_seen"]),
    )


def source_citations(store: Store, source_id: int) -> list[Citation]:
    """The citations recorded for one source version, in order of appearance."""
    rows = store.db.query(
        "SELECT c.raw, l.url, s.locator, c.line, c.col, c.paragraph, c.context, c.anchor"
        " FROM citations c JOIN links l ON l.id = c.link_id JOIN sources s ON s.id = c.source_id"
        " WHERE c.source_id = ? ORDER BY c.line, c.col, c.id",
        [source_id],
    )
    return [
        Citation(
            raw=r["raw"],
            url=r["url"],
            source=r["locator"],
            line=r["line"] or 0,
            column=r["col"] or 0,
            paragraph=r["paragraph"] or 0,
            context=r["context"] or "",
            anchor=r["anchor"],
        )
        for r in rows
    ]


_SNAP_COLUMNS = (
    "s.id, l.url, s.captured_at, s.ok, s.requested_url, s.final_url, s.http_status, s.content_type,"
    " s.size, s.sha256, s.title, s.author, s.published, s.sitename, s.language, s.description"
)


def _snapshot_rows(store: Store, urls: Sequence[str], *, ok: bool, extra: str) -> Iterable[Mapping[str, Any]]:
    """The snapshot rows (good or failed, as ``ok`` says) of ``urls``, each URL's newest first,
    with :data:`_SNAP_COLUMNS` plus the columns in ``extra``."""
    cols = _SNAP_COLUMNS + extra
    for chunk in _chunks(urls):
        marks = ", ".join("?" for _ in chunk)
        yield from store.db.query(
            f"SELECT {cols} FROM snapshots s JOIN links l ON l.id = s.link_id"
            f" WHERE s.ok = {int(ok)} AND l.url IN ({marks}) ORDER BY {_LATEST_FIRST}",
            list(chunk),
        )


def good_snapshots(store: Store, urls: Iterable[str], *, with_text: bool = True) -> dict[str, list[Snapshot]]:
    """Every good snapshot (``ok`` = 1) of each URL, newest first; URLs never captured well map to ``[]``.

    With ``with_text`` the extracted text is loaded too (``None`` when extraction gave none).
    """
    wanted = list(dict.fromkeys(urls))
    out: dict[str, list[Snapshot]] = {url: [] for url in wanted}
    for row in _snapshot_rows(store, wanted, ok=True, extra=", s.text" if with_text else ""):
        out[row["url"]].append(snapshot_from_row(row))
    return out


def captured_by_check(store: Store, ids: Iterable[int]) -> set[int]:
    """Which of the snapshots ``ids`` were captured by ``archiver check --snapshot`` (a run of
    command ``check``) rather than by ``archiver archive``."""
    wanted = list(dict.fromkeys(ids))
    out: set[int] = set()
    for chunk in _chunks(wanted):
        marks = ", ".join("?" for _ in chunk)
        out.update(row[0] for row in store.db.execute(
            f"SELECT s.id FROM snapshots s JOIN runs r ON r.id = s.run_id WHERE r.command = 'check'"
            f" AND s.id IN ({marks})", list(chunk)))
    return out


def last_failures(store: Store, urls: Iterable[str]) -> dict[str, Snapshot]:
    """The latest failed capture (``ok`` = 0) of each URL that has one, without text.

    "Latest" is the greatest ``captured_at``, ties broken by the greater id (as everywhere
    in the store). The snapshot carries ``error_kind``, ``error_message`` and ``http_status``.
    """
    out: dict[str, Snapshot] = {}
    for row in _snapshot_rows(store, list(dict.fromkeys(urls)), ok=False, extra=", s.error_kind, s.error_message"):
        if row["url"] not in out:
            out[row["url"]] = snapshot_from_row(row)
    return out


def snapshots_by_id(store: Store, ids: Iterable[int], *, with_text: bool = True) -> dict[int, Snapshot]:
    """The snapshots with these ids (missing ids are left out)."""
    wanted = [str(i) for i in dict.fromkeys(ids)]
    cols = _SNAP_COLUMNS + (", s.text" if with_text else "")
    out: dict[int, Snapshot] = {}
    for chunk in _chunks(wanted):
        marks = ", ".join("?" for _ in chunk)
        for row in store.db.query(
            f"SELECT {cols} FROM snapshots s JOIN links l ON l.id = s.link_id WHERE s.id IN ({marks})",
            [int(i) for i in chunk],
        ):
            out[row["id"]] = snapshot_from_row(row)
    return out


def fts_candidates(
    store: Store, words: Sequence[str], *, exclude: Iterable[int] = (), limit: int = 20
) -> list[Snapshot]:
    """Good snapshots whose text best matches ``words`` (any of them, BM25-ranked), with their text.

    Each word is quoted for FTS5, so no user text is ever parsed as query syntax. Only the
    latest good snapshot of each link takes part; snapshots in ``exclude`` are skipped.
    """
    terms = [w.replace('"', '""') for w in dict.fromkeys(words) if w.strip()]
    if not terms:
        return []
    query = " OR ".join(f'"{t}"' for t in terms)
    excluded = set(exclude)
    rows = store.db.query(
        f"SELECT {_SNAP_COLUMNS}, s.text FROM snapshots_fts f JOIN snapshots s ON s.id = f.rowid"
        " JOIN links l ON l.id = s.link_id"
        " WHERE snapshots_fts MATCH ? AND s.ok = 1"
        " AND s.id = " + latest_good_id_sql("s.link_id") + " ORDER BY bm25(snapshots_fts) LIMIT ?",
        [query, limit + len(excluded)],
    )
    out = [snapshot_from_row(r) for r in rows if r["id"] not in excluded]
    return out[:limit]
