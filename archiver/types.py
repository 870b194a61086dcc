"""Data that flows between pipeline stages.

Every record here is a frozen dataclass or an enum: stages pass values, never
mutate each other's state. Outcomes are enums (``ErrorKind``, ``LinkStatus``,
``ArchiveStatus``), never free-form strings, so a caller can match on them and a
typo is an ``AttributeError``, not a silent mismatch.

Trust levels are distinct types: a :class:`Citation` keeps the ``raw`` text the
author wrote next to the canonical ``url`` it was resolved to; a
:class:`Skipped` records raw text that could not be turned into a link.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import IO, Any


class SourceFormat(StrEnum):
    """The format an article was read as."""

    TEXT = "text"
    MARKDOWN = "markdown"
    HTML = "html"


class SourceKind(StrEnum):
    """Where an article came from."""

    FILE = "file"
    STDIN = "stdin"
    URL = "url"


@dataclass(frozen=True)
class Source:
    """One article that was harvested.

    ``locator`` identifies it: the absolute path of a file, ``-`` for standard
    input, or the canonical URL of a web article. ``sha256`` is the hash of the
    raw bytes as read, so two versions of the same file are told apart.
    """

    locator: str
    kind: SourceKind
    format: SourceFormat
    sha256: str
    encoding: str
    size: int


@dataclass(frozen=True)
class Citation:
    """One occurrence of a link in an article.

    ``raw`` is exactly what the author wrote (after trimming surrounding
    punctuation); ``url`` is its canonical form (see :func:`archiver.urls.canonicalize`).
    ``line`` and ``column`` are 1-based positions in the source text, ``paragraph``
    counts blocks (paragraphs, list items, headings, table cells...) from 1.
    ``context`` is the sentence around the link, or, for a link on a line holding
    only URLs, the nearest preceding prose sentence (the rule is in
    :mod:`archiver.harvest._common`); ``anchor`` the link text for Markdown and
    HTML links, ``None`` for bare URLs.
    """

    raw: str
    url: str
    source: str
    line: int
    column: int
    paragraph: int
    context: str
    anchor: str | None = None


@dataclass(frozen=True)
class Skipped:
    """Raw link text that was found but not harvested, and why.

    ``reason`` is ``"scheme"`` for a non-http(s) scheme (``mailto:``, ``ftp:``...)
    or ``"invalid"`` for an http(s) URL that cannot be canonicalized.
    """

    raw: str
    source: str
    line: int
    reason: str
    message: str


@dataclass(frozen=True)
class Link:
    """A distinct canonical URL with every citation of it, in order of appearance."""

    url: str
    occurrences: tuple[Citation, ...]


@dataclass(frozen=True)
class Harvest:
    """The result of harvesting one article."""

    source: Source
    text: str
    citations: tuple[Citation, ...]
    skipped: tuple[Skipped, ...] = ()


class ErrorKind(StrEnum):
    """Why a fetch failed: a closed set. A 4xx/5xx answer is ``HTTP_ERROR``.

    ``BLOCKED`` and ``SOFT404`` are never set by the fetcher: the archive marks a 2xx
    capture with them when the answer is not the cited page (a bot wall, a sign-in or a
    cookie-consent page; a redirect to a home or landing page, a "not found" page).
    """

    DNS = "dns"
    REFUSED = "refused"
    TIMEOUT = "timeout"
    RESET = "reset"
    TLS = "tls"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    REDIRECT_LOOP = "redirect_loop"
    BLOCKED_PRIVATE = "blocked_private"
    ROBOTS = "robots"
    TOO_LARGE = "too_large"
    TRUNCATED = "truncated"
    RATE_LIMITED = "rate_limited"
    HTTP_ERROR = "http_error"
    BLOCKED = "blocked"
    SOFT404 = "soft404"


@dataclass(frozen=True)
class Hop:
    """One redirect answer: the URL that answered and its 3xx status."""

    url: str
    status: int


@dataclass(frozen=True)
class Body:
    """A response body as received (after content-encoding is undone).

    Small bodies live in memory (``data``); large ones were spilled to a
    temporary file (``path``) while streaming. ``sha256`` and ``size`` were computed
    while reading, so nothing needs the whole body in memory to know them.
    The owner of a spilled body calls :meth:`discard` when done with it.
    """

    size: int
    sha256: str
    data: bytes | None = None
    path: str | None = None

    @classmethod
    def from_bytes(cls, data: bytes) -> Body:
        return cls(size=len(data), sha256=hashlib.sha256(data).hexdigest(), data=data)

    def read(self) -> bytes:
        """Return the whole body (reads the spill file when there is one)."""
        if self.data is not None:
            return self.data
        if self.path is None:
            return b""
        with open(self.path, "rb") as fh:
            return fh.read()

    def open(self) -> IO[bytes]:
        """A binary file object over the body."""
        import io

        if self.data is not None or self.path is None:
            return io.BytesIO(self.data or b"")
        return open(self.path, "rb")

    def iter_chunks(self, size: int = 1 << 20) -> Iterator[bytes]:
        with self.open() as fh:
            while chunk := fh.read(size):
                yield chunk

    def discard(self) -> None:
        """Remove the spill file, if any. Safe to call twice."""
        if self.path is not None:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass


@dataclass(frozen=True)
class FetchResult:
    """Everything known about one fetch: what the server said, or exactly why it failed.

    A 404 is data: ``status == 404``, ``error == ErrorKind.HTTP_ERROR``. ``ok`` is true
    only for a complete 2xx (or 304) answer. ``headers`` are those of the final
    response. ``content_type`` is the media type (no parameters), sniffed when the
    header was missing or wrong. ``encoding``/``encoding_source`` say how text
    would be decoded (``bom``, ``header``, ``meta``, ``xml``, ``utf-8``, ``detected``, ``default``);
    ``None`` for binary content.
    """

    url: str
    final_url: str
    status: int | None = None
    redirects: tuple[Hop, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str | None = None
    body: Body | None = None
    truncated: bool = False
    encoding: str | None = None
    encoding_source: str | None = None
    elapsed: float = 0.0
    attempts: int = 0
    error: ErrorKind | None = None
    message: str | None = None
    fetched_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and (
            200 <= self.status < 300 or self.status == 304
        )

    @property
    def is_html(self) -> bool:
        return self.content_type in ("text/html", "application/xhtml+xml")

    def text(self) -> str | None:
        """The body decoded with the decided encoding, or ``None`` for binary/no body."""
        if self.body is None or self.encoding is None:
            return None
        return self.body.read().decode(self.encoding, errors="replace")


@dataclass(frozen=True)
class Extracted:
    """Main text and metadata extracted from a page. ``error`` is set when extraction failed."""

    title: str | None = None
    author: str | None = None
    date: str | None = None
    sitename: str | None = None
    language: str | None = None
    description: str | None = None
    text: str | None = None
    error: str | None = None


class ArchiveStatus(StrEnum):
    """What ``archive`` did for one link."""

    ARCHIVED = "archived"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"
    FAILED = "failed"


class LinkStatus(StrEnum):
    """What a reader clicking a cited link finds today (``archiver check``)."""

    OK = "ok"
    MOVED = "moved"
    DRIFTED = "drifted"
    SOFT404 = "soft404"
    DEAD = "dead"
    BLOCKED = "blocked"
    ERROR = "error"
    UNCHECKED = "unchecked"


_JSON_SCALARS = (str, int, float, bool)


def to_jsonable(value: Any) -> Any:
    """Turn dataclasses, enums, datetimes and tuples into JSON-ready values."""
    if value is None or type(value) in _JSON_SCALARS:  # most values of a JSON line: nothing to turn
        return value
    import dataclasses

    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Body):
        return {"size": value.size, "sha256": value.sha256}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return value


@dataclass(frozen=True)
class Snapshot:
    """One stored capture of a link (a row of ``snapshots``), good or failed.

    ``url`` is the canonical link; ``ok`` is true for a complete 2xx capture.
    ``sha256`` names the stored raw body (``None`` when nothing was received).
    """

    id: int
    url: str
    captured_at: datetime
    ok: bool
    requested_url: str
    final_url: str | None = None
    redirects: tuple[Hop, ...] = ()
    http_status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str | None = None
    size: int | None = None
    truncated: bool = False
    encoding: str | None = None
    encoding_source: str | None = None
    sha256: str | None = None
    title: str | None = None
    author: str | None = None
    published: str | None = None
    sitename: str | None = None
    language: str | None = None
    description: str | None = None
    text: str | None = None
    extract_error: str | None = None
    error_kind: ErrorKind | None = None
    error_message: str | None = None
    attempts: int | None = None
    elapsed: float | None = None


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one re-check of a link (a row of ``checks``).

    ``similarity`` compares today's main text with the latest good snapshot's
    (0..1, ``None`` when not compared). ``streak`` is how many consecutive checks,
    this one included, gave the same ``status``, and ``since`` when that run began.
    ``checked_at`` is ``None`` only for ``unchecked`` (a link never checked, streak 0).
    ``captured_snapshot_id`` is the snapshot ``check --snapshot`` added, if any
    (``snapshot_id`` is the one compared against).
    """

    url: str
    status: LinkStatus
    checked_at: datetime | None
    http_status: int | None = None
    final_url: str | None = None
    similarity: float | None = None
    detail: str | None = None
    error_kind: ErrorKind | None = None
    snapshot_id: int | None = None
    streak: int = 1
    since: datetime | None = None
    captured_snapshot_id: int | None = None
