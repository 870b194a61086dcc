"""Deciding how bytes become text: one function, used by the harvester and the fetcher.

Order of evidence (the WHATWG order, minus guessing where certainty exists):
BOM, then the HTTP ``Content-Type`` charset (parsed as Fetch's "extract a MIME type" does,
so of repeated headers the last type counts), then ``<meta charset>`` /
``<meta http-equiv="Content-Type" content="...">`` found by the HTML standard's *prescan*
(comments skipped, attributes parsed, ``content=`` only with the http-equiv pragma, an
unknown label skipped for a later one) in the page's head (up to 64 KiB, until ``<body>``),
then the XML declaration (XML and HTML), then strict UTF-8 (a multi-byte UTF-8 text that
decodes cleanly is almost surely UTF-8; ASCII-only bytes are UTF-8 by default), then
statistical detection (charset-normalizer, on the text with tags, scripts and styles
removed), then a default of cp1252 (windows-1252, the WHATWG fallback) when detection
cannot tell. requests' ISO-8859-1 default for ``text/*`` without a charset is never used.

Labels are read as browsers read them: the WHATWG Encoding Standard's table
(:mod:`archiver._whatwg_encodings`), so ``iso-8859-1``/``ascii``/``latin1`` mean
windows-1252, ``gbk`` gb18030, ``big5`` Big5-HKSCS, ``euc-kr`` windows-949; a label browsers
ignore (``utf-7``, ``utf-32``, EBCDIC code pages) is ignored.

The raw bytes are never changed; callers record the encoding and how it was
decided (``bom``, ``header``, ``meta``, ``xml``, ``utf-8``, ``detected``, ``default``).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from archiver._whatwg_encodings import LABELS

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it shares its first two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# The XML declaration: only at the very start of the document (a BOM was handled before).
_XML_DECL_RE = re.compile(rb"""^<\?xml\s[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9_:.\-]+)["']""")
#: How much of the page's start the <meta> prescan reads (it also stops at <body>): inline
#: styles and scripts often push the <meta> past the 1,024 bytes the standard asks for.
META_SCAN_BYTES = 64 * 1024
DETECT_SAMPLE_BYTES = 256 * 1024

@dataclass(frozen=True)
class Decision:
    """An encoding (a Python codec name) and how it was decided."""

    encoding: str
    source: str


def normalize_label(label: str | None) -> str | None:
    """The Python codec for an encoding label as browsers read it (WHATWG), or ``None`` when
    browsers ignore the label."""
    if not label:
        return None
    return LABELS.get(label.strip("\t\n\f\r \"'").lower())


def _codec(name: str | None) -> str | None:
    """The canonical name of a Python codec name (charset-normalizer's answers), or ``None``."""
    if not name:
        return None
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    return info.name if info._is_text_encoding else None  # noqa: SLF001 - the only public marker


def _mime_params(value: str) -> tuple[str, dict[str, str]] | None:
    """``type/subtype`` (lower-case) and parameters of one MIME type (Fetch's "parse a MIME
    type": empty and valueless parameters skipped, the first of a name kept), or ``None``."""
    essence, _, rest = value.partition(";")
    essence = essence.strip(" \t\r\n").lower()
    kind, slash, sub = essence.partition("/")
    if not slash or not kind or not sub or any(c in essence for c in " \t\"(),:;<=>?@[\\]{}"):
        return None
    params: dict[str, str] = {}
    pos, end = 0, len(rest)
    while pos < end:
        while pos < end and rest[pos] in " \t\r\n":
            pos += 1
        start = pos
        while pos < end and rest[pos] not in ";=":
            pos += 1
        name = rest[start:pos].lower()
        if pos >= end or rest[pos] == ";":  # a parameter without a value: skipped
            pos += 1
            continue
        pos += 1  # "="
        if pos < end and rest[pos] == '"':
            chars, pos = [], pos + 1
            while pos < end and rest[pos] != '"':
                if rest[pos] == "\\" and pos + 1 < end:
                    pos += 1
                chars.append(rest[pos])
                pos += 1
            val = "".join(chars)
            semi = rest.find(";", pos)
            pos = end if semi < 0 else semi + 1
        else:
            semi = rest.find(";", pos)
            semi = end if semi < 0 else semi
            val, pos = rest[pos:semi].rstrip(" \t\r\n"), semi + 1
            if not val:
                continue
        if name and name not in params:
            params[name] = val
    return essence, params


def _split_header(value: str) -> list[str]:
    """A header value split at the commas that join repeated headers (not inside quotes)."""
    parts, current, quoted = [], [], False
    for char in value:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def charset_from_content_type(content_type: str | None) -> str | None:
    """The charset of a Content-Type header as a codec name, if valid.

    As Fetch's "extract a MIME type": repeated headers (joined by commas) are read in order,
    ``*/*`` and unparsable types are skipped, the last type wins, and it keeps the charset of
    the first of a run of the same type when it has none of its own
    (``text/html; charset=ISO-8859-1, text/html; charset=UTF-8`` is UTF-8).
    """
    if not content_type:
        return None
    charset: str | None = None  # the charset of the first of a run of the same type
    essence: str | None = None
    final: str | None = None
    for part in _split_header(content_type):
        parsed = _mime_params(part)
        if parsed is None or parsed[0] == "*/*":
            continue
        own = parsed[1].get("charset")
        if parsed[0] != essence:
            essence, charset = parsed[0], own
            final = own
        else:
            final = own if own is not None else charset
    return normalize_label(final)


def sniff_bom(data: bytes) -> str | None:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def charset_from_meta(data: bytes) -> str | None:
    """The charset a ``<meta>`` declares at the start of an HTML page (the HTML standard's
    *prescan a byte stream to determine its encoding*), as a codec name, if valid.

    Comments are skipped; ``<meta charset>`` counts, and ``<meta content="...charset=...">``
    only with ``http-equiv="content-type"`` on the same element; a label browsers ignore is
    skipped for a later ``<meta>``; utf-16 declared in ASCII-readable bytes means utf-8. Reads
    at most :data:`META_SCAN_BYTES` and stops at ``<body``.
    """
    head = data[:META_SCAN_BYTES]
    lower = head.lower()
    last = lower.rfind(b"charset")  # every declaration holds the word: none after it, no need to read on
    if last < 0:
        return None
    pos, end = 0, len(head)
    while pos <= last:
        lt = head.find(b"<", pos)
        if lt < 0:
            return None
        pos = lt
        if head.startswith(b"<!--", pos):
            close = head.find(b"-->", pos + 2)  # "<!-->" closes at once, as in the standard
            if close < 0:
                return None
            pos = close + 3
        elif lower.startswith(b"<meta", pos) and pos + 5 < end and head[pos + 5] in b"\t\n\f\r /":
            found, pos = _meta_element(head, lower, pos + 6)
            if found:
                return found
        elif pos + 1 < end and (head[pos + 1 : pos + 2].isalpha() or (
                head[pos + 1] == 0x2F and head[pos + 2 : pos + 3].isalpha())):
            if lower.startswith(b"<body", pos) and head[pos + 5 : pos + 6] in (b"", b">", b"/", b" ", b"\t", b"\n",
                                                                              b"\r", b"\f"):
                return None
            # another tag: skip its name and attributes (a ">" in a quoted value does not end it)
            pos += 1
            while pos < end and head[pos] not in b"\t\n\f\r />":
                pos += 1
            while True:
                attr, pos = _attribute(head, lower, pos)
                if attr is None:
                    break
        elif head.startswith((b"<!", b"</", b"<?"), pos):
            gt = head.find(b">", pos + 1)
            if gt < 0:
                return None
            pos = gt + 1
        else:
            pos += 1
    return None


def _meta_element(head: bytes, lower: bytes, pos: int) -> tuple[str | None, int]:
    """The encoding a ``<meta`` element declares (its attributes start at ``pos``), and where it ends."""
    seen: set[bytes] = set()
    got_pragma = False
    need_pragma: bool | None = None
    charset: str | None = None
    declared = False  # charset= or content= gave a label (a bogus one too: it is not replaced)
    while True:
        attr, pos = _attribute(head, lower, pos)
        if attr is None:
            break
        name, value = attr
        if name in seen:
            continue
        seen.add(name)
        if name == b"http-equiv":
            got_pragma = value.lower() == b"content-type"
        elif name == b"content" and not declared:
            label = _charset_in_content(value)
            if label is not None:
                charset, need_pragma, declared = normalize_label(label), True, True
        elif name == b"charset":
            charset, need_pragma, declared = normalize_label(value.decode("ascii", "replace")), False, True
    if head[pos - 1 : pos] != b">":  # the element runs past what was read: its label may be cut short
        return None, pos
    if need_pragma is None or (need_pragma and not got_pragma) or charset is None:
        return None, pos
    if charset.startswith("utf-16"):  # declared in bytes readable as ASCII: not really UTF-16
        return "utf-8", pos
    return charset, pos


_SPACE_BYTES = b"\t\n\f\r "


def _attribute(head: bytes, lower: bytes, pos: int) -> tuple[tuple[bytes, bytes] | None, int]:
    """The HTML standard's "get an attribute": ``((name, value), position after it)``, or
    ``(None, position)`` at the end of the tag (after its ``>``) or of the data."""
    end = len(head)
    while pos < end and head[pos] in _SPACE_BYTES + b"/":
        pos += 1
    if pos >= end:
        return None, pos
    if head[pos] == 0x3E:  # ">"
        return None, pos + 1
    start = pos
    while pos < end and (pos == start or head[pos] not in _SPACE_BYTES + b"/=>"):
        if head[pos] == 0x3D and pos > start:  # "="
            break
        pos += 1
    name = lower[start:pos]
    while pos < end and head[pos] in _SPACE_BYTES:
        pos += 1
    if pos >= end or head[pos] != 0x3D:
        return (name, b""), pos
    pos += 1
    while pos < end and head[pos] in _SPACE_BYTES:
        pos += 1
    if pos >= end:
        return (name, b""), pos
    if head[pos] in b"\"'":
        quote = head[pos]
        close = head.find(bytes([quote]), pos + 1)
        if close < 0:
            return (name, lower[pos + 1 :]), end
        return (name, lower[pos + 1 : close]), close + 1
    start = pos
    while pos < end and head[pos] not in _SPACE_BYTES + b">":
        pos += 1
    return (name, lower[start:pos]), pos


def _charset_in_content(value: bytes) -> str | None:
    """The HTML standard's "extract a character encoding from a meta element" (``content=``)."""
    pos = 0
    while True:
        at = value.find(b"charset", pos)
        if at < 0:
            return None
        pos = at + 7
        while pos < len(value) and value[pos] in _SPACE_BYTES:
            pos += 1
        if pos < len(value) and value[pos] == 0x3D:
            break
    pos += 1
    while pos < len(value) and value[pos] in _SPACE_BYTES:
        pos += 1
    if pos >= len(value):
        return None
    if value[pos] in b"\"'":
        close = value.find(value[pos : pos + 1], pos + 1)
        return None if close < 0 else value[pos + 1 : close].decode("ascii", "replace")
    start = pos
    while pos < len(value) and value[pos] not in _SPACE_BYTES + b";":
        pos += 1
    return value[start:pos].decode("ascii", "replace")


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


def _text_of(sample: bytes) -> bytes:
    """``sample`` without its tags, comments, scripts and styles (each replaced by a space), in
    one forward pass: whatever is left unclosed at the end is dropped, so hostile markup
    (64 KiB of ``<!--``) costs linear time."""
    lower = sample.lower()
    out: list[bytes] = []
    pos, end = 0, len(sample)
    while pos < end:
        lt = sample.find(b"<", pos)
        if lt < 0:
            out.append(sample[pos:])
            break
        out.append(sample[pos:lt])
        if sample.startswith(b"<!--", lt):
            close = sample.find(b"-->", lt + 4)
            stop = close + 3 if close >= 0 else -1
        elif lower.startswith((b"<script", b"<style"), lt):
            name = b"</script" if lower.startswith(b"<script", lt) else b"</style"
            close = lower.find(name, lt)
            gt = sample.find(b">", close) if close >= 0 else -1
            stop = gt + 1 if gt >= 0 else -1
        else:
            gt = sample.find(b">", lt + 1)
            stop = gt + 1 if gt >= 0 else -1
        if stop < 0:
            break
        out.append(b" ")
        pos = stop
    return b"".join(out)


def detect(data: bytes, *, html: bool = False) -> str | None:
    """Statistical detection with charset-normalizer; ``None`` when it cannot tell.

    When the best guess is a single-byte Latin encoding, close runners-up (similar
    "chaos") are re-ranked: fewest improbable characters first, then cp1252, then
    charset-normalizer's language coherence. This fixes latin-1 text read as cp1250 or
    mac_iceland, while a real windows-1250 or windows-1254 text keeps its encoding.
    """
    from charset_normalizer import from_bytes

    sample = data[:DETECT_SAMPLE_BYTES]
    if html:
        # The statistics are about text: kilobytes of ASCII markup (inline CSS) before it drown
        # them. Tag bytes never occur inside the multi-byte characters of legacy encodings.
        text = _text_of(sample)
        if not text.isascii():
            sample = text
    matches = from_bytes(sample)
    best = matches.best()
    if best is None:
        return None
    if best.encoding in _WEB_NON_LATIN:
        return _codec(best.encoding)
    if best.encoding not in _LATIN_FAMILY:
        return "cp1252" if _suspicious(sample, "cp1252") == 0 else _codec(best.encoding)
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
        return _codec(best.encoding)
    return _codec(min(ranked)[3])


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
        return Decision("utf-8", "default" if sample.isascii() else "utf-8")
    detected = detect(data, html=html)
    if detected:
        return Decision(detected, "detected")
    return Decision("cp1252", "default")


def decode(data: bytes, content_type: str | None = None, *, html: bool = False) -> tuple[str, Decision]:
    """Decode ``data`` as :func:`decide` says; undecodable bytes become U+FFFD."""
    decision = decide(data, content_type, html=html)
    return data.decode(decision.encoding, errors="replace"), decision
