"""The archive store: the only package that speaks SQL.

- ``core``: opening the database (WAL, busy timeout, foreign keys, migrations),
  sources, links, citations, blobs, snapshots, claims, runs, fsck, status.
- ``checks``: the ``checks`` table (``archiver check`` history).
- ``queries``: read-side queries for search, show, history and reports.
- ``migrations``: named, ordered schema migrations.

Contract: snapshots and checks are append-only; identical bodies are stored once,
keyed by sha256. Nothing is ever overwritten or deleted by archiving or checking.
"""

from archiver.store.core import FsckReport, Store, StoreStatus

__all__ = ["FsckReport", "Store", "StoreStatus"]
