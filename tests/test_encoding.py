"""Deciding the encoding of bytes: BOM, header, <meta>, strict UTF-8, then detection."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archiver.encoding import (
    DETECT_SAMPLE_BYTES,
    Decision,
    charset_from_content_type,
    charset_from_meta,
    charset_from_xml_declaration,
    decide,
    decode,
    normalize_label,
)

FETCH_FIXTURES = Path(__file__).parent / "fixtures" / "fetch"

RU = "Москва — столица России. Новости дня: правительство обсудило бюджет, а в регионах ожидается снег."
JA = "東京は日本の首都です。今日のニュース：政府は予算について議論し、各地で雪が予想されています。"


def test_bom_wins_over_everything() -> None:
    data = codecs.BOM_UTF8 + "<meta charset='windows-1251'>héllo".encode()
    assert decide(data, "text/html; charset=iso-8859-1", html=True) == Decision("utf-8-sig", "bom")
    assert decide(codecs.BOM_UTF16_LE + "hi".encode("utf-16-le")).source == "bom"


def test_header_charset_beats_meta() -> None:
    data = b"<meta charset='shift_jis'>" + RU.encode("cp1251")
    assert decide(data, "text/html; charset=windows-1251", html=True) == Decision("cp1251", "header")


def test_iso_8859_1_label_means_cp1252() -> None:
    assert normalize_label("ISO-8859-1") == "cp1252"
    assert charset_from_content_type('text/html; charset="latin1"') == "cp1252"
    assert normalize_label("no-such-charset") is None
    assert charset_from_content_type("text/html") is None


@pytest.mark.parametrize(
    ("name", "encoding", "needle"),
    [
        ("utf8_meta.html", "utf-8", "Ёлка"),
        ("cp1251_meta.html", "cp1251", "столица России"),
        ("shift_jis_meta.html", "cp932", "東京は日本の首都"),
    ],
)
def test_meta_charset_pages(name: str, encoding: str, needle: str) -> None:
    data = (FETCH_FIXTURES / name).read_bytes()
    text, decision = decode(data, "text/html", html=True)
    assert decision == Decision(encoding, "meta")
    assert needle in text


def test_meta_is_only_read_for_html() -> None:
    data = b"<meta charset='windows-1251'>" + "naïve".encode()
    assert decide(data, "text/plain").source == "utf-8"
    assert charset_from_meta(data) == "cp1251"


def test_meta_http_equiv() -> None:
    data = b'<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">'
    assert decide(data, html=True) == Decision("koi8-r", "meta")


def test_requests_latin1_default_is_never_used_for_utf8() -> None:
    data = "<p>Café — 東京</p>".encode()
    assert decide(data, "text/html", html=True) == Decision("utf-8", "utf-8")


def test_ascii_only_defaults_to_utf8() -> None:
    assert decide(b"<p>plain ascii</p>", "text/html", html=True) == Decision("utf-8", "default")


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Größere Übermaße: schöne Grüße aus München, Köln und Düsseldorf.", "latin-1"),
        ("El niño comió piñata en España, ¿sí? Qué día más bonito.", "latin-1"),
        ("Le café était très agréable, où l'on mangeait des crêpes à volonté.", "latin-1"),
        ("naïve résumé", "latin-1"),
    ],
)
def test_latin1_text_is_read_as_cp1252_not_a_sibling(text: str, encoding: str) -> None:
    decision = decide(text.encode(encoding))
    assert decision == Decision("cp1252", "detected")


@pytest.mark.parametrize(
    ("text", "encoding", "expected"),
    [
        (RU, "cp1251", "cp1251"),
        (JA, "shift_jis", "cp932"),
        ("Zażółć gęślą jaźń. W Polsce mówi się po polsku, a w Krakowie jest piękny rynek.", "cp1250", "cp1250"),
        ("Příliš žluťoučký kůň úpěl ďábelské ódy. Večer jsme šli do města, kde bylo mnoho lidí.", "cp1250",
         "cp1250"),
    ],
)
def test_detection_of_other_legacy_encodings(text: str, encoding: str, expected: str) -> None:
    data = text.encode(encoding)
    decision = decide(data)
    assert decision.source == "detected"
    assert data.decode(decision.encoding) == text
    assert decision.encoding == expected


def test_fixture_pages_without_meta_are_detected() -> None:
    latin = (FETCH_FIXTURES / "latin1_nometa.html").read_bytes()
    text, decision = decode(latin, "text/html", html=True)
    assert decision.encoding == "cp1252" and "Grüße aus München" in text
    cyr = (FETCH_FIXTURES / "cp1251_nometa.html").read_bytes()
    text, decision = decode(cyr, "text/html", html=True)
    assert decision.encoding == "cp1251" and "столица России" in text


def test_utf8_cut_mid_character_is_still_utf8_when_incomplete() -> None:
    data = ("é" * 10).encode()[:-1]  # cut inside the last character
    assert decide(data, complete=False).encoding == "utf-8"
    assert decide(data, complete=True).source == "detected" or decide(data, complete=True).encoding != "utf-8"


def test_long_utf8_body_sample_boundary() -> None:
    data = ("a" * (DETECT_SAMPLE_BYTES - 1)).encode() + "é".encode() + b"tail"
    assert decide(data).encoding == "utf-8"


@pytest.mark.parametrize(
    "label",
    ["base64", "hex", "zlib", "rot13", "bz2", "uu", "quopri", "undefined", "idna", "punycode", "unicode_escape"],
)
def test_codecs_that_are_not_text_encodings_are_unknown_labels(label: str) -> None:
    # A hostile Content-Type (charset=base64, charset=undefined...) must not pick a codec
    # that bytes.decode() refuses or that raises even with errors="replace".
    assert normalize_label(label) is None
    data = b"<p>caf\xc3\xa9 \xff</p>"
    decision = decide(data, f"text/html; charset={label}", html=True)
    assert decision.source != "header"
    data.decode(decision.encoding, errors="replace")
    decision = decide(f'<meta charset="{label}"><p>x</p>'.encode(), html=True)
    assert decision.source != "meta"


@given(st.from_regex(r"[A-Za-z0-9_:.\-]{1,20}", fullmatch=True), st.binary(max_size=64))
def test_any_declared_label_gives_a_usable_codec(label: str, data: bytes) -> None:
    decision = decide(data, f"text/html; charset={label}", html=True)
    data.decode(decision.encoding, errors="replace")


def test_xml_declaration_decides_for_xml_and_xhtml() -> None:
    # Short enough that statistical detection cannot be trusted; the declaration is explicit.
    data = '<?xml version="1.0" encoding="windows-1251"?><html><p>Привет</p></html>'.encode("cp1251")
    assert decide(data, "application/xhtml+xml", html=True) == Decision("cp1251", "xml")
    assert decide(data, "text/xml", xml=True) == Decision("cp1251", "xml")
    single = b"<?xml version='1.0' encoding='ISO-8859-1'?><feed><title>Gr\xfc\xdfe</title></feed>"
    assert decide(single, "application/atom+xml", xml=True) == Decision("cp1252", "xml")
    # The header still wins, and a declaration further down is no declaration.
    assert decide(data, "text/xml; charset=koi8-r", xml=True).source == "header"
    assert decide(b"<p>x</p>" + data, xml=True).source != "xml"
    assert charset_from_xml_declaration(b'<?xml version="1.0" encoding="UTF-16"?><a/>') == "utf-8"
    assert charset_from_xml_declaration(b'<?xml version="1.0" encoding="nope"?><a/>') is None


# -- as browsers read them (found by a helper with html5lib-tests, WHATWG's label table, WPT) ---


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("l1", "cp1252"), ("ISO_8859-1:1987", "cp1252"), ("ansi_x3.4-1968", "cp1252"), ("cp819", "cp1252"),
        ("latin5", "cp1254"), ("iso8859-9", "cp1254"), ("iso-8859-11", "cp874"), ("chinese", "gb18030"),
        ("gb2312", "gb18030"), ("big5", "big5hkscs"), ("ks_c_5601-1987", "cp949"), ("csshiftjis", "cp932"),
        ("x-cp1251", "cp1251"), ("windows-874", "cp874"), ("unicode-1-1-utf-8", "utf-8"), ("x-gbk", "gb18030"),
        ("iso-8859-8-i", "iso8859-8"), ("koi8", "koi8-r"), (" UTF8 ", "utf-8"),
    ],
)
def test_labels_mean_what_they_mean_to_browsers(label: str, codec: str) -> None:
    import codecs

    assert codecs.lookup(normalize_label(label) or "").name == codecs.lookup(codec).name


@pytest.mark.parametrize("label", ["utf-7", "utf-32", "utf-32le", "cp037", "cp500", "latin-1", "utf", "mbcs"])
def test_labels_browsers_ignore_are_ignored(label: str) -> None:
    assert normalize_label(label) is None
    page = b"<meta charset=" + label.encode() + b"><p>C++ a+b=c, caf\xc3\xa9</p>"
    assert decide(page, html=True).encoding == "utf-8"  # the UTF-8 it is, not a page of U+FFFD


def test_the_meta_prescan_reads_markup_as_browsers_do() -> None:
    utf8 = "café – “naïve”".encode()
    # a commented-out declaration is no declaration
    page = b'<!-- <meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"> --><meta charset="utf-8">'
    assert charset_from_meta(page + utf8) == "utf-8"
    # content= counts only with the http-equiv pragma: a refresh URL or og:url is no charset
    assert charset_from_meta(b'<meta http-equiv="refresh" content="0;url=/?charset=iso-8859-1">' + utf8) is None
    assert charset_from_meta(b'<meta property="og:url" content="/a?x=1&charset=Shift_JIS">' + utf8) is None
    assert charset_from_meta(b'<meta content="text/html; charset=koi8-r" http-equiv="Content-Type">') == "koi8-r"
    # a label browsers do not know is skipped for a later <meta>
    assert charset_from_meta(b'<meta charset="bogus"><meta charset="iso8859-2">') == "iso8859-2"
    # a ">" inside a quoted attribute of another tag does not end it
    assert charset_from_meta(b'<link title="a>b" href="x"><meta charset="windows-1251">') == "cp1251"
    # a <meta> after kilobytes of inline style is still found; one in the body is not
    style = b"<style>" + b"p { margin: 0 }\n" * 700 + b"</style>"
    assert len(style) > 8192 and charset_from_meta(style + b'<meta charset="windows-1251">') == "cp1251"
    assert charset_from_meta(b"<body><p>x</p><meta charset=windows-1251>") is None


def test_repeated_content_type_headers_are_read_as_fetch_does() -> None:
    assert charset_from_content_type("text/html; charset=ISO-8859-1, text/html; charset=UTF-8") == "utf-8"
    assert charset_from_content_type("text/html; charset=gbk, text/html") == "gb18030"  # same type keeps it
    assert charset_from_content_type("text/html; charset=gbk, text/plain") is None  # another type drops it
    assert charset_from_content_type("text/html, */*;charset=gbk") is None  # */* is skipped
    assert charset_from_content_type('text/html; charset="shift_jis"; x=y') == "cp932"


def test_detection_reads_the_text_not_kilobytes_of_css_before_it() -> None:
    text = "Съешь же ещё этих мягких французских булок, да выпей чаю. " * 5
    page = b"<html><head><style>" + b".a { color: red; }\n" * 600 + b"</style></head><body><p>" + \
        text.encode("cp1251") + b"</p></body></html>"
    decision = decide(page, html=True)
    assert (decision.encoding, decision.source) == ("cp1251", "detected")


def test_hostile_markup_costs_linear_time_and_decides() -> None:
    # 64 Ki unclosed comments or 256 KiB of "<" once took minutes (a backtracking regex over the sample)
    for junk in (b"<!--" * 65536, b"<" * 262144, b"<style>" * 30000, b"<a " * 80000):
        decision = decide(b"<p>caf\xe9</p>" + junk, "text/html", html=True)
        assert decision.encoding  # a usable answer, in time (pytest-timeout would stop a hang)
        assert charset_from_meta(b"<meta " + junk) is None


def test_content_type_parameters_as_fetch_parses_them() -> None:
    assert charset_from_content_type("text/html; foo; charset=utf-8") == "utf-8"  # a valueless parameter
    assert charset_from_content_type("text/html;;charset=utf-8") == "utf-8"
    assert charset_from_content_type("text/html; charset=; charset=utf-8") == "utf-8"  # an empty one
    # Fetch keeps the charset of the first of a run of the same type for a later one without
    assert charset_from_content_type("text/html;charset=gbk, text/html;charset=utf-8, text/html") == "gb18030"


def test_prescan_edge_cases_from_review() -> None:
    # a bogus charset= is not replaced by a later content= on the same element
    assert charset_from_meta(b'<meta charset=bogus content="text/html; charset=koi8-r" http-equiv=content-type>') \
        is None
    assert charset_from_meta(b"<bodyguard><meta charset=utf-8>") == "utf-8"  # <bodyguard> is not <body>
    assert charset_from_meta(b'<meta charset="iso-8859-15') is None  # cut off: its label may be cut short
