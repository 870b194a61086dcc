"""All SQL for the ``checks`` table: one row per re-check of a link, append-only.

Contract:

- :func:`record_check` appends a row and never updates or deletes one; snapshots are
  never touched. It returns the check with its ``streak`` and ``since`` filled in.
- History order is insertion order (``checks.id``): a check recorded later is newer.
- ``streak`` of a check is how many consecutive checks of the link, ending with it,
  have its status; ``since`` is the ``checked_at`` of the first of them.
- Writers take a :class:`~archiver.store.core.Store` (its write transaction is used);
  readers take a ``Store`` or its ``sqlite_utils.Database``. Only SQL here: the
  classifier lives in :mod:`archiver.check`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlite_utils

from archiver.store.core import snapshot_from_row
from archiver.store.queries import database_of, latest_good_id_sql
from archiver.types import CheckResult, ErrorKind, LinkStatus, Snapshot

if TYPE_CHECKING:
    from archiver.store.core import Store

__all__ = ["history", "last_checks", "latest_good_snapshots", "never_checked", "record_check", "record_checks"]

# The streak of each check: rows of the same link after the last row with another status.
_WITH_STREAK = """
SELECT c.*, l.url AS url,
  (SELECT COUNT(*) FROM checks d
    WHERE d.link_id = c.link_id AND d.id <= c.id
      AND d.id > COALESCE((SELECT MAX(e.id) FROM checks e
                           WHERE e.link_id = c.link_id AND e.id < c.id AND e.status != c.status), 0)) AS streak,
  (SELECT d.checked_at FROM checks d
    WHERE d.link_id = c.link_id
      AND d.id > COALESCE((SELECT MAX(e.id) FROM checks e
                           WHERE e.link_id = c.link_id AND e.id < c.id AND e.status != c.status), 0)
    ORDER BY d.id LIMIT 1) AS since
FROM checks c JOIN links l ON l.id = c.link_id
"""


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _to_result(row: Mapping[str, Any]) -> CheckResult:
    return CheckResult(
        url=row["url"],
        status=LinkStatus(row["status"]),
        checked_at=datetime.fromisoformat(row["checked_at"]),
        http_status=row["http_status"],
        final_url=row["final_url"],
        similarity=row["similarity"],
        detail=row["detail"],
        error_kind=ErrorKind(row["error_kind"]) if row["error_kind"] else None,
        snapshot_id=row["snapshot_id"],
        streak=int(row["streak"]),
        since=datetime.fromisoformat(row["since"]) if row["since"] else None,
    )


def record_check(store: Store, result: CheckResult, *, run_id: int | None = None) -> CheckResult:
    """Append ``result`` as a checks row of its link (created if missing); return it with streak and since."""
    return record_checks(store, [result], run_id=run_id)[0]


def record_checks(store: Store, results: Sequence[CheckResult], *, run_id: int | None = None) -> list[CheckResult]:
    """Append many checks in ONE transaction (one commit, so one fsync, for the batch).

    Returns them, in order, with their streak and since (later rows of the same link in
    the batch count the earlier ones).
    """
    ids: list[int] = []
    with store.write() as conn:
        for result in results:
            link_id = store.ensure_link(result.url)  # joins this transaction
            cur = conn.execute(
                "INSERT INTO checks (link_id, checked_at, status, http_status, final_url, similarity, detail,"
                " error_kind, snapshot_id, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    link_id,
                    _iso(result.checked_at),
                    result.status.value,
                    result.http_status,
                    result.final_url,
                    result.similarity,
                    result.detail,
                    result.error_kind.value if result.error_kind else None,
                    result.snapshot_id,
                    run_id,
                ],
            )
            ids.append(int(cur.lastrowid))  # type: ignore[arg-type]
        out = []
        for result, check_id in zip(results, ids, strict=True):
            row = conn.execute(_WITH_STREAK + " WHERE c.id = ?", [check_id]).fetchone()
            streak, since = row[-2], row[-1]  # the last two columns of _WITH_STREAK
            out.append(dataclasses.replace(result, streak=int(streak),
                                           since=datetime.fromisoformat(since) if since else None))
    return out


def history(store: Any, url: str) -> list[CheckResult]:
    """Every check of ``url``, oldest first, each with its streak and since."""
    db = database_of(store)
    return [_to_result(r) for r in db.query(_WITH_STREAK + " WHERE l.url = ? ORDER BY c.id", [url])]


def last_checks(store: Any, urls: Iterable[str] | None = None) -> dict[str, CheckResult]:
    """The latest check of each link that has one (of ``urls``, or of every link), with streak and since."""
    db = database_of(store)
    sql = _WITH_STREAK + " WHERE c.id IN (SELECT MAX(id) FROM checks GROUP BY link_id)"
    found = {r["url"]: _to_result(r) for r in db.query(sql)}
    if urls is None:
        return found
    return {u: found[u] for u in urls if u in found}


def never_checked(store: Any) -> list[str]:
    """URLs of the links that have no check yet, in the order first seen."""
    db: sqlite_utils.Database = database_of(store)
    rows = db.execute(
        "SELECT l.url FROM links l WHERE NOT EXISTS (SELECT 1 FROM checks c WHERE c.link_id = l.id) ORDER BY l.id"
    )
    return [r[0] for r in rows]


def latest_good_snapshots(store: Store, urls: Sequence[str]) -> dict[str, Snapshot | None]:
    """The latest good snapshot of each URL (``None`` when it has none), in one query for many
    URLs (a check run loads them all before fetching).

    "Latest" is the store's one definition (:data:`archiver.store.queries.LATEST_FIRST`:
    greatest ``captured_at``, then greatest id), found per link on the
    ``snapshots(link_id, captured_at)`` index.
    """
    found: dict[str, Snapshot | None] = dict.fromkeys(urls)
    wanted = list(found)
    for k in range(0, len(wanted), 500):  # SQLite caps the number of ? in one statement
        chunk = wanted[k : k + 500]
        sql = (
            store._SNAPSHOT_SQL + " WHERE s.id IN (SELECT " + latest_good_id_sql("l2.id")
            + f" FROM links l2 WHERE l2.url IN ({', '.join('?' * len(chunk))}))"
        )
        for row in store.db.query(sql, chunk):
            found[row["url"]] = snapshot_from_row(row)
    return found
