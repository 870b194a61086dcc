"""Deciding how bytes become text: one function, used by the harvester and the fetcher.

Order of evidence (the WHATWG order, minus guessing where certainty exists):
BOM, then the HTTP ``Content-Type`` charset, then ``<meta charset>`` /
``<meta http-equiv="Content-Type">`` in the first 8 KiB (HTML only), then the XML
declaration (XML and HTML), then strict
UTF-8 (a multi-byte UTF-8 text that decodes cleanly is almost surely UTF-8; ASCII-only
bytes are UTF-8 by default), then statistical detection (charset-normalizer), then a
default of cp1252 (windows-1252, the WHATWG fallback) when detection cannot tell. requests'
ISO-8859-1 default for ``text/*`` without a charset is never used.

The raw bytes are never changed; callers record the encoding and how it was
decided (``bom``, ``header``, ``meta``, ``xml``, ``utf-8``, ``detected``, ``default``).
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
# The XML declaration: only at the very start of the document (a BOM was handled before).
_XML_DECL_RE = re.compile(rb"""^<\?xml\s[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9_:.\-]+)["']""")
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


# Text codecs that are not character sets of documents (a hostile ``charset=`` may name them).
_NOT_CHARSETS = frozenset({"undefined", "idna", "punycode", "unicode-escape", "raw-unicode-escape", "mbcs", "oem"})


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
        info = codecs.lookup(label)
    except LookupError:
        return None
    # Python knows codecs no web page is written in: bytes-to-bytes ones (base64, zlib...)
    # that bytes.decode() refuses, and ones that raise even with errors="replace".
    if not info._is_text_encoding or info.name in _NOT_CHARSETS:  # noqa: SLF001 - the only public marker
        return None
    return info.name


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


# Single-byte Latin-script encodings that charset-normalizer often cannot tell apart on
# short texts (they share ASCII and most letters). Among close candidates we prefer the
# reading with the fewest characters that are rare in any prose, then cp1252 (the
# WHATWG default and by far the most common legacy encoding on the web).
_LATIN_FAMILY = frozenset(
    {
        "cp1250", "cp1252", "cp1254", "cp1257", "cp1258", "latin_1", "iso8859_2", "iso8859_3", "iso8859_4",
        "iso8859_9", "iso8859_10", "iso8859_13", "iso8859_14", "iso8859_15", "iso8859_16", "mac_roman",
        "mac_iceland", "mac_turkish", "mac_latin2", "hp_roman8", "cp437", "cp850", "cp858",
    }
)
# Characters that hardly occur in natural text: seeing them means a sibling encoding was misread.
_SUSPICIOUS = frozenset("¹²³¼½¾ªº¦¨¸´¯ˆ˜ˇ˘˛˝¤ðþÐÞ¬±µ¶ƒ‡†‰" + "".join(chr(c) for c in range(0x80, 0xA0)))
_NEAR_CHAOS = 0.05
# Non-Latin encodings actually found on the web; any other guess (utf_16 without a BOM,
# cp1006, EBCDIC...) on a short sample is noise, and cp1252 is tried instead.
_WEB_NON_LATIN = frozenset(
    {
        "utf_8", "cp1251", "koi8_r", "koi8_u", "iso8859_5", "cp866", "mac_cyrillic", "cp932", "shift_jis",
        "euc_jp", "iso2022_jp", "gb2312", "gb18030", "gbk", "big5", "big5hkscs", "euc_kr", "cp949",
        "cp1253", "iso8859_7", "cp1255", "iso8859_8", "cp1256", "iso8859_6", "cp874", "tis_620", "iso8859_11",
    }
)


def _suspicious(data: bytes, codec: str) -> int:
    try:
        text = data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return len(data) + 1
    return sum(1 for ch in text if ch in _SUSPICIOUS)


def detect(data: bytes) -> str | None:
    """Statistical detection with charset-normalizer; ``None`` when it cannot tell.

    When the best guess is a single-byte Latin encoding, close runners-up (similar
    "chaos") are re-ranked: fewest improbable characters first, then cp1252, then
    charset-normalizer's language coherence. This fixes latin-1 text read as cp1250 or
    mac_iceland, while a real windows-1250 or windows-1254 text keeps its encoding.
    """
    from charset_normalizer import from_bytes

    sample = data[:DETECT_SAMPLE_BYTES]
    matches = from_bytes(sample)
    best = matches.best()
    if best is None:
        return None
    if best.encoding in _WEB_NON_LATIN:
        return normalize_label(best.encoding)
    if best.encoding not in _LATIN_FAMILY:
        return "cp1252" if _suspicious(sample, "cp1252") == 0 else normalize_label(best.encoding)
    ranked: list[tuple[int, int, float, str]] = []
    for match in matches:
        if match.chaos > best.chaos + _NEAR_CHAOS:
            continue
        names = [match.encoding, *match.could_be_from_charset]
        if not any(name in _LATIN_FAMILY for name in names):
            continue
        codec = "cp1252" if "cp1252" in names or "latin_1" in names else match.encoding
        ranked.append((_suspicious(sample, codec), 0 if codec == "cp1252" else 1, -match.coherence, codec))
    if not ranked:
        return normalize_label(best.encoding)
    return normalize_label(min(ranked)[3])


def charset_from_xml_declaration(data: bytes) -> str | None:
    """The ``encoding`` of an ``<?xml ...?>`` declaration opening ``data``, if any and valid."""
    match = _XML_DECL_RE.match(data)
    if not match:
        return None
    name = normalize_label(match.group(1).decode("ascii"))
    # Readable as ASCII, so not really UTF-16 (same rule as for <meta>).
    if name and name.startswith("utf-16"):
        return "utf-8"
    return name


def decide(
    data: bytes,
    content_type: str | None = None,
    *,
    html: bool = False,
    xml: bool = False,
    complete: bool | None = None,
) -> Decision:
    """Decide the encoding of ``data``.

    ``content_type`` is the HTTP header value, if any; ``html`` enables the
    ``<meta>`` scan; ``html`` or ``xml`` enables the XML declaration
    (``<?xml version="1.0" encoding="..."?>``, source ``xml``), read after ``<meta>``
    as WebKit and Blink do for HTML. ``complete=False`` says ``data`` is only the start of a longer
    body (so a UTF-8 sequence cut at its end is not evidence against UTF-8); by
    default ``data`` is complete unless it is longer than the detection sample.
    Always returns a usable codec name.
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
    if html or xml:
        declared = charset_from_xml_declaration(data)
        if declared:
            return Decision(declared, "xml")
    sample = data[:DETECT_SAMPLE_BYTES]
    if complete is None:
        complete = len(data) <= DETECT_SAMPLE_BYTES
    if _is_utf8(sample, complete=complete and len(data) <= DETECT_SAMPLE_BYTES):
        return Decision("utf-8", "utf-8" if any(b > 0x7F for b in sample) else "default")
    detected = detect(data)
    if detected:
        return Decision(detected, "detected")
    return Decision("cp1252", "default")


def decode(data: bytes, content_type: str | None = None, *, html: bool = False) -> tuple[str, Decision]:
    """Decode ``data`` as :func:`decide` says; undecodable bytes become U+FFFD."""
    decision = decide(data, content_type, html=html)
    return data.decode(decision.encoding, errors="replace"), decision
