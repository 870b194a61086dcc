"""The one exception tree of archiver.

Library code raises only these for bad input or a broken store; network and
HTTP outcomes are *data* (:class:`archiver.types.FetchResult`), never exceptions.
Every error carries the path or URL it is about in ``target``; the CLI prints
``str(error)`` as a one-line message and exits with ``error.exit_code``.

    ArchiverError                 base; exit code 2 unless stated
    ├── SourceError               an article cannot be read (missing, directory,
    │                             empty, binary, unreadable, fetch failed)
    ├── InvalidURLError           text that is not a usable http(s) URL
    ├── StoreError                the database cannot be opened or used
    │   └── NotADatabaseError     the file is not a SQLite database
    ├── NotFoundError             nothing archived for that URL / id (exit 1)
    └── QueryError                a search query with broken syntax
"""

from __future__ import annotations


class ArchiverError(Exception):
    """Base of every archiver error. ``target`` names the file or URL concerned."""

    exit_code: int = 2

    def __init__(self, message: str, target: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.target = target

    def __str__(self) -> str:
        if self.target and self.target not in self.message:
            return f"{self.target}: {self.message}"
        return self.message


class SourceError(ArchiverError):
    """An article source cannot be read or is not an article."""


class InvalidURLError(ArchiverError):
    """Text that cannot be turned into a canonical http(s) URL."""


class StoreError(ArchiverError):
    """The archive database cannot be opened, upgraded or written."""


class NotADatabaseError(StoreError):
    """The path exists but is not a SQLite database."""


class NotFoundError(ArchiverError):
    """Nothing is archived for the URL, snapshot id or source asked for."""

    exit_code = 1


class QueryError(ArchiverError):
    """A search query that FTS5 cannot parse; ``hint`` says how to fix it."""

    def __init__(self, message: str, target: str | None = None, hint: str | None = None) -> None:
        super().__init__(message, target)
        self.hint = hint


def is_corruption(exc: BaseException) -> bool:
    """Whether a SQLite error says the database file is damaged (``SQLITE_CORRUPT``/``SQLITE_NOTADB``)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:  # the primary code of an extended one; "malformed JSON" is an ordinary error (1)
        return code & 0xFF in (11, 26)
    message = str(exc)
    return "malformed" in message or "not a database" in message or "corrupt" in message
