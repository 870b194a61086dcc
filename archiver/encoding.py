"""Deciding how bytes become text: one function, used by the harvester and the fetcher.

Order of evidence (the WHATWG order, minus guessing where certainty exists):
BOM, then the HTTP ``Content-Type`` charset, then ``<meta charset>`` /
``<meta http-equiv="Content-Type">`` in the first 8 KiB (HTML only), then strict
UTF-8 (a multi-byte UTF-8 text that decodes cleanly is almost surely UTF-8), then
statistical detection (charset-normalizer), then a default of UTF-8. requests'
ISO-8859-1 default for ``text/*`` without a charset is never used.

The raw bytes are never changed; callers record the encoding and how it was
decided (``bom``, ``header``, ``meta``, ``utf-8``, ``detected``, ``default``).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it shares its first two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_RE = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""",
    re.IGNORECASE,
)
_HEADER_CHARSET_RE = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.IGNORECASE)
META_SCAN_BYTES = 8192
DETECT_SAMPLE_BYTES = 256 * 1024

# Labels that browsers treat as a superset (WHATWG Encoding Standard).
_ALIASES = {
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso8859-1": "cp1252",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc-kr": "cp949",
    "iso-8859-9": "cp1254",
    "tis-620": "cp874",
}


@dataclass(frozen=True)
class Decision:
    """An encoding (a Python codec name) and how it was decided."""

    encoding: str
    source: str


def normalize_label(label: str | None) -> str | None:
    """Return a Python codec name for a charset label, or ``None`` if it is unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def charset_from_content_type(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header, as a codec name, if valid."""
    if not content_type:
        return None
    match = _HEADER_CHARSET_RE.search(content_type)
    return normalize_label(match.group(1)) if match else None


def sniff_bom(data: bytes) -> str | None:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def charset_from_meta(data: bytes) -> str | None:
    """The charset declared in ``<meta>`` within the first 8 KiB, if any and valid."""
    match = _META_RE.search(data[:META_SCAN_BYTES])
    if not match:
        return None
    name = normalize_label(match.group(1).decode("ascii", "ignore"))
    # A page served as bytes cannot really be UTF-16 if the meta tag was readable as ASCII.
    if name and name.startswith("utf-16"):
        return "utf-8"
    return name


def _is_utf8(sample: bytes, complete: bool) -> bool:
    try:
        sample.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        # A sample cut mid-character fails only in its last 3 bytes.
        return not complete and exc.start >= len(sample) - 3


def detect(data: bytes) -> str | None:
    """Statistical detection with charset-normalizer; ``None`` when it cannot tell."""
    from charset_normalizer import from_bytes

    best = from_bytes(data[:DETECT_SAMPLE_BYTES]).best()
    if best is None:
        return None
    return normalize_label(best.encoding)


def decide(data: bytes, content_type: str | None = None, *, html: bool = False) -> Decision:
    """Decide the encoding of ``data``.

    ``content_type`` is the HTTP header value, if any; ``html`` enables the
    ``<meta>`` scan. Always returns a usable codec name.
    """
    bom = sniff_bom(data)
    if bom:
        return Decision(bom, "bom")
    header = charset_from_content_type(content_type)
    if header:
        return Decision(header, "header")
    if html:
        meta = charset_from_meta(data)
        if meta:
            return Decision(meta, "meta")
    sample = data[:DETECT_SAMPLE_BYTES]
    if _is_utf8(sample, complete=len(data) <= DETECT_SAMPLE_BYTES):
        return Decision("utf-8", "utf-8" if any(b > 0x7F for b in sample) else "default")
    detected = detect(data)
    if detected:
        return Decision(detected, "detected")
    return Decision("cp1252", "default")


def decode(data: bytes, content_type: str | None = None, *, html: bool = False) -> tuple[str, Decision]:
    """Decode ``data`` as :func:`decide` says; undecodable bytes become U+FFFD."""
    decision = decide(data, content_type, html=html)
    return data.decode(decision.encoding, errors="replace"), decision
