"""Content-type sniffing: what a body really is when the header is missing or wrong.

Contract: :func:`content_type` returns a lower-case media type without parameters.
The declared type is trusted unless it is missing, generic
(``application/octet-stream``, ``binary/octet-stream``, ``application/unknown``...),
or contradicted by unmistakable magic bytes (a PDF or image served as ``text/html``,
an HTML error page served as ``image/png``). Recognised: HTML, XHTML, XML, PDF,
PNG, JPEG, GIF, WebP, BMP, ICO, SVG, plain text. :func:`is_text` says whether a type
is decoded to text (and so gets an encoding).

Deliberately small (a subset of the WHATWG MIME Sniffing algorithm) rather than a
libmagic binding: it needs no system library and covers what citations link to.
"""

from __future__ import annotations

import re

SNIFF_BYTES = 1024

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
    (b"\x00\x00\x01\x00", "image/x-icon"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b\x08", "application/gzip"),
)
_GENERIC = {
    "application/octet-stream",
    "binary/octet-stream",
    "application/unknown",
    "unknown/unknown",
    "application/x-unknown-content-type",
    "application/force-download",
    "*/*",
    "",
}
# WHATWG "tags that start an HTML document" (followed by space or '>').
_HTML_START = re.compile(
    rb"^\s*(<!doctype\s+html|<html|<head|<body|<script|<iframe|<h1|<div|<font|<table|<a|<style|<title|<b|<br|<p|<!--)"
    rb"[\s>]",
    re.IGNORECASE,
)
_TEXT_TYPES = {
    "application/xhtml+xml",
    "application/xml",
    "application/json",
    "application/javascript",
    "application/x-javascript",
    "application/ecmascript",
    "application/rss+xml",
    "application/atom+xml",
    "image/svg+xml",
}
# Bytes that never appear in text (WHATWG "binary data bytes").
_BINARY_BYTES = frozenset(list(range(0x00, 0x09)) + [0x0B] + list(range(0x0E, 0x1B)) + list(range(0x1C, 0x20)))


def media_type(header: str | None) -> str:
    """The media type of a Content-Type header value, lower-case, without parameters ('' if none)."""
    if not header:
        return ""
    return header.split(";", 1)[0].strip().lower()


def _magic(head: bytes) -> str | None:
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    for prefix, kind in _MAGIC:
        if head.startswith(prefix):
            return kind
    return None


def _markup(head: bytes) -> str | None:
    text = head.lstrip(b"\xef\xbb\xbf")
    if _HTML_START.match(text):
        return "text/html"
    stripped = text.lstrip()
    if stripped.startswith(b"<?xml"):
        lowered = text[:SNIFF_BYTES].lower()
        if b"<svg" in lowered:
            return "image/svg+xml"
        if b"http://www.w3.org/1999/xhtml" in lowered or b"<html" in lowered:
            return "application/xhtml+xml"
        if b"<rss" in lowered:
            return "application/rss+xml"
        if b"<feed" in lowered:
            return "application/atom+xml"
        return "application/xml"
    if stripped[:4].lower() == b"<svg":
        return "image/svg+xml"
    return None


def looks_binary(head: bytes) -> bool:
    """True if the first bytes contain bytes that never occur in text (UTF-16/32 BOMs excepted)."""
    if head.startswith((b"\xfe\xff", b"\xff\xfe")):
        return False
    return any(b in _BINARY_BYTES for b in head[:SNIFF_BYTES])


def sniff(head: bytes) -> str:
    """The type of a body judged only from its first bytes."""
    if not head:
        return "application/octet-stream"
    return _magic(head) or _markup(head) or ("application/octet-stream" if looks_binary(head) else "text/plain")


def content_type(declared: str | None, head: bytes) -> str:
    """The effective media type of a body: the declared one unless missing, generic or contradicted."""
    kind = media_type(declared)
    if kind in _GENERIC or "/" not in kind:
        return sniff(head) if head else (kind or "application/octet-stream")
    magic = _magic(head)
    if kind in ("text/html", "text/plain", "application/xhtml+xml") and magic:
        return magic  # a PDF or image served with a text type
    if (kind.startswith("image/") or kind == "application/pdf") and not magic and _markup(head) == "text/html":
        return "text/html"  # an HTML error page served with a binary type
    if kind == "text/plain" and _markup(head) == "text/html" and head.lstrip()[:15].lower().startswith(
        (b"<!doctype html", b"<html")
    ):
        return "text/html"  # a full HTML document mislabelled as plain text
    return kind


def is_text(kind: str | None) -> bool:
    """True if bodies of this media type are text to decode (HTML, XML, JSON, plain text...)."""
    if not kind:
        return False
    return kind.startswith("text/") or kind in _TEXT_TYPES or kind.endswith(("+xml", "+json"))


def is_html(kind: str | None) -> bool:
    return kind in ("text/html", "application/xhtml+xml")
