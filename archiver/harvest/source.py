"""Reading an article: a file, standard input (``-``) or an http(s) URL, and deciding its format.

Contract:

* :func:`read_source` returns the :class:`~archiver.types.Source` and the decoded text; it never
  uses the network for files and standard input. A URL is fetched only through the ``fetch``
  callable given (``fetch(url) -> FetchResult``); without one it raises :class:`SourceError`.
* A source that cannot be an article raises :class:`SourceError` with a one-line message: missing
  file, directory, unreadable file, empty file or standard input (also only white space), binary
  content (NUL bytes, control bytes, or the magic number of a PDF, image or archive), failed fetch.
* Identity: a file is its absolute path, standard input is ``-``, a URL its canonical URL;
  ``sha256`` hashes the raw bytes. Bytes become text with :func:`archiver.encoding.decode`.
* Format: by extension (``.txt``, ``.md``/``.markdown``, ``.html``/``.htm``), else by content;
  an extension is overruled when the content plainly says otherwise (an HTML document in a
  ``.txt``, a ``.html`` file without a single tag).
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from archiver.encoding import decode
from archiver.errors import InvalidURLError, SourceError
from archiver.harvest._common import normalize_newlines
from archiver.types import FetchResult, Source, SourceFormat, SourceKind
from archiver.urls import canonicalize, scheme_of

#: A function that fetches one URL; the real one is ``archiver.fetch.fetch_one``.
Fetch = Callable[[str], FetchResult]

NEEDS_FETCHER = "fetching article URLs needs the fetcher (archiver.fetch), which is not available in this build"

_EXTENSIONS = {
    ".txt": SourceFormat.TEXT,
    ".text": SourceFormat.TEXT,
    ".md": SourceFormat.MARKDOWN,
    ".markdown": SourceFormat.MARKDOWN,
    ".mdown": SourceFormat.MARKDOWN,
    ".html": SourceFormat.HTML,
    ".htm": SourceFormat.HTML,
    ".xhtml": SourceFormat.HTML,
}
_CONTENT_TYPES = {
    "text/html": SourceFormat.HTML,
    "application/xhtml+xml": SourceFormat.HTML,
    "text/markdown": SourceFormat.MARKDOWN,
    "text/x-markdown": SourceFormat.MARKDOWN,
    "text/plain": SourceFormat.TEXT,
}
_MAGIC = (b"%PDF-", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"PK\x03\x04", b"\x1f\x8b", b"7z\xbc\xaf", b"\x7fELF", b"BZh")
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_HTML_DOC = re.compile(
    r"\A\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.I | re.S
)
_HTML_TAG = re.compile(
    r"</?(?:p|a|div|br|span|h[1-6]|ul|ol|li|table|article|section|body|head|title|meta)\b[^>]*>", re.I
)
_MD_SIGNS = re.compile(
    r"^\s{0,3}\[[^\]\n]+\]:\s*\S"  # reference definition
    r"|\[[^\]\n]+\]\([^)\s]+[^)\n]*\)"  # inline link
    r"|\[[^\]\n]+\]\[[^\]\n]*\]"  # reference link
    r"|^\s{0,3}#{1,6}\s+\S"  # ATX heading
    r"|^\s{0,3}(?:```|~~~)"  # fence
    r"|^\s{0,3}>\s"  # block quote
    r"|<https?://[^>\s]+>",  # autolink
    re.M,
)
SNIFF_CHARS = 64 * 1024


@dataclass(frozen=True)
class ReadSource:
    """What :func:`read_source` returns: the source record, its decoded text and raw bytes.

    ``base_url`` is the URL relative links resolve against (the final URL after redirects for a
    fetched article, ``None`` otherwise).
    """

    source: Source
    text: str
    data: bytes
    base_url: str | None = None


def sniff_format(text: str) -> SourceFormat:
    """Guess the format from the content alone: an HTML document, Markdown syntax, or plain text."""
    head = text[:SNIFF_CHARS]
    if _HTML_DOC.match(head) or len(_HTML_TAG.findall(head)) >= 5:
        return SourceFormat.HTML
    if len(_MD_SIGNS.findall(head)) >= 1:
        return SourceFormat.MARKDOWN
    return SourceFormat.TEXT


def choose_format(name: str | None, text: str, content_type: str | None = None) -> SourceFormat:
    """The format of an article: extension or Content-Type first, overruled when the content disagrees."""
    declared = None
    if content_type:
        declared = _CONTENT_TYPES.get(content_type.split(";")[0].strip().lower())
    if declared is None and name:
        declared = _EXTENSIONS.get(os.path.splitext(name)[1].lower())
    if declared is None:
        return sniff_format(text)
    head = text[:SNIFF_CHARS]
    if declared is not SourceFormat.HTML and _HTML_DOC.match(head):
        return SourceFormat.HTML
    if declared is SourceFormat.HTML and not _HTML_TAG.search(head) and "<" not in head:
        return sniff_format(text)
    return declared


def looks_binary(data: bytes) -> bool:
    """True for content that is not text: a known magic number, NUL bytes or many control bytes."""
    head = data[:8192]
    if head.startswith(_BOMS):
        return False
    if head.startswith(_MAGIC) or b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return controls > max(8, len(head) // 20)


def _check_content(data: bytes, label: str) -> None:
    if not data.strip():
        raise SourceError("is empty" if data == b"" else "is empty (only white space)", label)
    for bom in _BOMS:  # a byte-order mark followed by nothing (or white space) holds no article
        if data.startswith(bom) and not data[len(bom) :].replace(b"\x00", b"").strip():
            raise SourceError("is empty (only a byte-order mark)", label)
    if looks_binary(data):
        raise SourceError("is a binary file, not an article (text, Markdown or HTML)", label)


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise SourceError("no such file", str(path)) from None
    except IsADirectoryError:
        raise SourceError("is a directory, not a file", str(path)) from None
    except PermissionError:
        raise SourceError("permission denied (cannot read the file)", str(path)) from None
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror or exc}", str(path)) from None


def _from_bytes(
    data: bytes,
    *,
    locator: str,
    kind: SourceKind,
    name: str | None,
    content_type: str | None = None,
    encoding: str | None = None,
    base_url: str | None = None,
    format: SourceFormat | None = None,
) -> ReadSource:
    if encoding:
        text, used = data.decode(encoding, errors="replace"), encoding
    else:
        # HTML <meta charset> is honoured only when the content is HTML, so look first.
        probe = data[:4096].decode("latin-1")
        html = bool(_HTML_DOC.match(probe) or _HTML_TAG.search(probe)) or (
            name is not None and os.path.splitext(name)[1].lower() in (".html", ".htm", ".xhtml")
        )
        text, decision = decode(data, content_type, html=html)
        used = decision.encoding
    if text.startswith("\ufeff"):
        text = text[1:]
    text = normalize_newlines(text)
    fmt = format or choose_format(name, text, content_type)
    source = Source(
        locator=locator,
        kind=kind,
        format=fmt,
        sha256=hashlib.sha256(data).hexdigest(),
        encoding=used,
        size=len(data),
    )
    return ReadSource(source=source, text=text, data=data, base_url=base_url)


def is_url(spec: str) -> bool:
    """True when ``spec`` names an http(s) URL rather than a file."""
    return scheme_of(spec) in ("http", "https") and "://" in spec


def read_bytes(
    data: bytes,
    *,
    locator: str,
    kind: SourceKind = SourceKind.URL,
    content_type: str | None = None,
    base_url: str | None = None,
    format: SourceFormat | None = None,
    encoding: str | None = None,
) -> ReadSource:
    """Build a :class:`ReadSource` from bytes already obtained (a fetched page, a stored snapshot).

    For a URL, ``locator`` is canonicalized and is also the default ``base_url``.
    Raises :class:`SourceError` for empty or binary content.
    """
    if kind is SourceKind.URL:
        try:
            locator = canonicalize(locator)
        except InvalidURLError as exc:
            raise SourceError(exc.message, locator) from None
        base_url = base_url or locator
    _check_content(data, locator)
    name = Path(locator.split("?")[0]).name if kind is not SourceKind.STDIN else None
    return _from_bytes(
        data,
        locator=locator,
        kind=kind,
        name=name,
        content_type=content_type,
        encoding=encoding,
        base_url=base_url,
        format=format,
    )


def read_source(
    spec: str,
    *,
    fetch: Fetch | None = None,
    stdin: BinaryIO | None = None,
    format: SourceFormat | None = None,
) -> ReadSource:
    """Read the article named by ``spec``: a file path, ``-`` for standard input, or an http(s) URL.

    ``stdin`` replaces ``sys.stdin.buffer`` (tests); ``fetch`` fetches URL sources;
    ``format`` forces a format instead of detecting it. Raises :class:`SourceError`.
    """
    if spec == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        data = stream.read()
        _check_content(data, "standard input")
        return _from_bytes(data, locator="-", kind=SourceKind.STDIN, name=None, format=format)
    if is_url(spec):
        return _read_url(spec, fetch, format)
    if re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*://", spec) and not Path(spec).exists():
        raise SourceError(f"unsupported scheme {scheme_of(spec)}: an article URL must be http or https", spec)
    path = Path(spec).expanduser()
    data = _read_file(path)
    locator = str(path.resolve())
    _check_content(data, spec)
    return _from_bytes(data, locator=locator, kind=SourceKind.FILE, name=path.name, format=format)


def _read_url(spec: str, fetch: Fetch | None, format: SourceFormat | None) -> ReadSource:
    try:
        locator = canonicalize(spec)
    except InvalidURLError as exc:
        raise SourceError(exc.message, spec) from None
    if fetch is None:
        raise SourceError(NEEDS_FETCHER, spec)
    result = fetch(locator)
    if not result.ok or result.body is None:
        if result.status is not None and not result.ok:
            why = f"HTTP {result.status}"
        else:
            why = result.message or (result.error.value if result.error else "no body")
        raise SourceError(f"cannot fetch the article: {why}", spec)
    data = result.body.read()
    _check_content(data, spec)
    name = Path(locator.split("?")[0]).name
    return _from_bytes(
        data,
        locator=locator,
        kind=SourceKind.URL,
        name=name,
        content_type=result.content_type or result.headers.get("content-type"),
        encoding=result.encoding,
        base_url=result.final_url or locator,
        format=format,
    )
