"""Extraction: main text and metadata, the decided encoding wins, failures never raise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from archiver.extract import extract_html, extract_job, extract_result, extract_text, job_for
from archiver.types import Body, ErrorKind, Extracted, FetchResult

ARCHIVE = Path(__file__).parent / "fixtures" / "archive"


def test_news_page_main_text_without_boilerplate() -> None:
    ext = extract_html((ARCHIVE / "news_utf8.html").read_bytes(), encoding="utf-8", url="https://coast.example/a")
    assert ext.error is None
    assert ext.title == "Lighthouse keepers honoured"
    assert ext.author == "Jane Doe"
    assert ext.date == "2024-03-05"
    assert ext.sitename == "Coast News"
    assert ext.language == "en"
    assert "lighthouse keepers had maintained the lamp" in (ext.text or "")
    assert "Café owners" in (ext.text or "")
    assert "newsletter" not in (ext.text or "") and "Weather" not in (ext.text or "")


@pytest.mark.parametrize("encoding", ["cp1251", None])
def test_windows_1251_comes_out_right(encoding: str | None) -> None:
    ext = extract_html((ARCHIVE / "ru_cp1251.html").read_bytes(), encoding=encoding, url="https://ru.example/a")
    assert "Ёжик съел щётку" in (ext.text or "")
    assert ext.title == "Переговоры в Стамбуле"
    assert ext.author == "Иван Петров"
    assert ext.language == "ru"
    assert "\ufffd" not in (ext.text or "")


@pytest.mark.parametrize("encoding", ["cp932", None])
def test_shift_jis_comes_out_right(encoding: str | None) -> None:
    ext = extract_html((ARCHIVE / "ja_sjis.html").read_bytes(), encoding=encoding, url="https://ja.example/a")
    assert "専門家によると" in (ext.text or "")
    assert "ソフトウェア" in (ext.text or "")  # 'ソ' has 0x5C as second byte in Shift_JIS
    assert ext.title == "桜の季節"
    assert "\ufffd" not in (ext.text or "")


def test_recorded_encoding_beats_a_lying_meta_tag() -> None:
    data = (ARCHIVE / "ru_cp1251.html").read_bytes().replace(b"windows-1251", b"utf-8")
    ext = extract_html(data, encoding="cp1251", url=None)
    assert "Ёжик съел щётку" in (ext.text or "")


def test_plain_text_is_its_own_text() -> None:
    ext = extract_text((ARCHIVE / "plain.txt").read_bytes(), encoding="utf-8")
    assert ext.title == "Plain title line"
    assert "naïve café" in (ext.text or "")
    assert ext.error is None


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"", "empty page"),
        (b"   ", "empty page"),
        (b"<html><body></body></html>", "no main text found"),
        (b"\x00\xff\xfe garbage <<<>>>", None),  # anything: it must not raise
    ],
)
def test_failures_are_notes_not_exceptions(data: bytes, expected: str | None) -> None:
    ext = extract_html(data, encoding="utf-8", url=None)
    assert isinstance(ext, Extracted)
    if expected:
        assert ext.error == expected


def test_no_main_text_keeps_title() -> None:
    ext = extract_html(b"<html><head><title>Only a title</title></head><body></body></html>", encoding=None, url=None)
    assert ext.title == "Only a title" and ext.error == "no main text found"


def test_trafilatura_crash_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    import trafilatura

    def boom(*a: object, **k: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(trafilatura, "bare_extraction", boom)
    ext = extract_html(b"<html><title>T</title><p>x</p></html>", encoding="utf-8", url=None)
    assert ext.error is not None and "kaboom" in ext.error and ext.title == "T"


def _result(body: bytes | None, ctype: str | None, encoding: str | None = "utf-8", **kw: object) -> FetchResult:
    return FetchResult(
        url="https://x.example/", final_url="https://x.example/", status=200, content_type=ctype,
        body=Body.from_bytes(body) if body is not None else None, encoding=encoding, **kw,  # type: ignore[arg-type]
    )


def test_extract_result_by_content_type() -> None:
    html = (ARCHIVE / "news_utf8.html").read_bytes()
    assert extract_result(_result(html, "text/html")).title == "Lighthouse keepers honoured"
    assert extract_result(_result(html, "application/xhtml+xml")).text
    assert extract_result(_result(b"hello\nworld", "text/plain")).text == "hello\nworld"
    assert extract_result(_result(b"%PDF-1.4 ...", "application/pdf", None)) == Extracted()
    assert extract_result(_result(b"\x89PNG...", "image/png", None)) == Extracted()
    failed = FetchResult(url="https://x.example/", final_url="https://x.example/", error=ErrorKind.DNS)
    assert extract_result(failed) == Extracted()


def test_spilled_body_job_reads_the_file(tmp_path: Path) -> None:
    data = (ARCHIVE / "ru_cp1251.html").read_bytes()
    spill = tmp_path / "spill"
    spill.write_bytes(data)
    body = Body(size=len(data), sha256="x", path=str(spill))
    result = FetchResult(url="https://ru.example/", final_url="https://ru.example/", status=200,
                         content_type="text/html", body=body, encoding="cp1251")
    job = job_for(result)
    assert job is not None and job[1] == str(spill)
    assert "Ёжик" in (extract_job(job).text or "")
    spill.unlink()
    assert extract_job(job).error is not None  # vanished file: a note, not a crash


def test_huge_spilled_page_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import archiver.extract as ex

    monkeypatch.setattr(ex, "MAX_EXTRACT_BYTES", 1000)
    spill = tmp_path / "big"
    spill.write_bytes(b"<html><p>" + b"x" * 5000 + b"</p></html>")
    ext = extract_job(("text/html", str(spill), "utf-8", None, None))
    assert ext.error is not None and "larger than 1000" in ext.error and ext.text is None


FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize("page", sorted(FIXTURES.glob("**/*.html")), ids=lambda p: p.name)
def test_metadata_subset_equals_trafilaturas_own(page: Path) -> None:
    """extract_html computes only the metadata fields it stores (for speed): they must be the
    values trafilatura's ``bare_extraction(with_metadata=True)`` gives, and the text the same."""
    import trafilatura

    from archiver.encoding import decide

    data = page.read_bytes()
    html = data.decode(decide(data, None, html=True).encoding, errors="replace")
    url = f"https://fixture.example/{page.name}"
    ours = extract_html(data, encoding=None, url=url)
    theirs = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)
    if theirs is None:
        assert ours.text is None
        return
    assert ours.text == ((theirs.text or "").strip() or None)
    for field, value in (("title", theirs.title), ("author", theirs.author), ("date", theirs.date),
                         ("sitename", theirs.sitename), ("description", theirs.description)):
        if value:  # ours may fall back (e.g. <title>) where trafilatura found nothing
            assert getattr(ours, field) == " ".join(value.split()), field


def test_title_only_metadata_keeps_text_and_title() -> None:
    data = (ARCHIVE / "news_utf8.html").read_bytes()
    full = extract_html(data, encoding="utf-8", url="https://coast.example/a")
    lean = extract_html(data, encoding="utf-8", url="https://coast.example/a", metadata=False)
    assert (lean.text, lean.title, lean.language, lean.error) == (full.text, full.title, full.language, full.error)
    assert full.author and full.date and full.sitename
    assert lean.author is None and lean.date is None and lean.sitename is None
    job = job_for(_result(data, "text/html"))
    assert job is not None and extract_job(job, False) == lean and extract_job(job) == full


@pytest.mark.parametrize("url", ["https://coast.example/a", None, "https://ex.example/caf\udce9"])
def test_reused_extractor_settings_equal_the_ones_trafilatura_builds(url: str | None) -> None:
    """extract_html copies one trafilatura Extractor per page instead of building it: every
    field must be what bare_extraction builds from the same arguments (a new trafilatura
    field derived from the URL would show up here)."""
    from trafilatura.settings import Extractor

    from archiver.extract import _EXTRACTOR_ARGS, _extractor

    ours, fresh = _extractor(url), Extractor(**_EXTRACTOR_ARGS, url=url)
    fields = [name for cls in type(fresh).__mro__ for name in getattr(cls, "__slots__", ())]
    fields += list(getattr(fresh, "__dict__", {}))
    assert fields
    for name in fields:
        assert getattr(ours, name) == getattr(fresh, name), name
    assert _extractor("https://other.example/").url == "https://other.example/" and ours.url == url


# -- the one-pass author search against trafilatura's extract_author -----------------------------

_TAGS = ["a", "address", "div", "link", "p", "span", "strong", "h3", "h4", "section", "time", "figure",
         "author", "li", "ul", "article", "header", "b", "em"]
_ATTRS = {
    "class": ["author", "byline", "Byline x", "author-name", "authorname", "AuthorName", "my-author", "username",
              "byl", "BBL", "writer", "screenname", "channel-name", "posted-by", "sidebar", "comments",
              "Comments box", "x comments", "commentlist", "title", "date", "quote", "print", "category",
              "meta-date", "article-share", "article-support", "is-hidden", "post"],
    "id": ["author", "Author-1", "xauthor", "comments", "comments-2", "comment-list", "ProductReviews", "zuozhe",
           "main"],
    "itemprop": ["author", "author name", "name"],
    "data-component": ["Byline", "Figure", "Other"],
    "data-testid": ["AuthorCard", "AuthorURL", "x"],
    "rel": ["author", "nofollow"],
}
_WORDS = ["By", "Jane Doe", "J", "and", "Staff", "x" * 130, "Ana María", "", " ", "reporter", "<!-- a note -->",
          "<script>var by = 'author';</script>", "<?php echo 1 ?>"]


def _random_html(draw: Any, depth: int = 0) -> str:
    from hypothesis import strategies as st

    parts = []
    for _ in range(draw(st.integers(0, 3 if depth < 3 else 0))):
        tag = draw(st.sampled_from(_TAGS))
        attrs = "".join(
            f' {name}="{draw(st.sampled_from(values))}"'
            for name, values in _ATTRS.items() if draw(st.integers(0, 4)) == 0
        )
        inner = draw(st.sampled_from(_WORDS)) + _random_html(draw, depth + 1) + draw(st.sampled_from(_WORDS))
        closing = "" if tag == "link" else f"</{tag}>"
        parts.append(f"<{tag}{attrs}>{inner}{closing}{draw(st.sampled_from(_WORDS))}")
    return "".join(parts)


def _both_authors(html: str) -> tuple[str | None, str | None]:
    from trafilatura.metadata import extract_author
    from trafilatura.utils import load_html

    from archiver.extract import _author

    tree = load_html(html)
    assert tree is not None
    return _author(tree, extract_author), extract_author(tree)


def test_one_pass_author_search_equals_trafilaturas_on_random_pages() -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from archiver.extract import _author_fast_path_applies

    assert _author_fast_path_applies()  # the installed trafilatura has the expressions it implements

    @settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.data())
    def check(data: Any) -> None:
        body = _random_html(data.draw)
        body_attrs = "".join(  # the root's and the body's own attributes count too
            f' {name}="{data.draw(st.sampled_from(values))}"' for name, values in _ATTRS.items()
            if data.draw(st.integers(0, 6)) == 0
        )
        after = data.draw(st.sampled_from(["", "By Jane Doe", "<p class='byline'>Late Author</p>"]))
        page = f"<html{body_attrs}><head><title>t</title></head><body{body_attrs}>{body}</body></html>{after}"
        ours, theirs = _both_authors(page)
        assert ours == theirs, page

    check()


@pytest.mark.parametrize("page", sorted(FIXTURES.glob("**/*.html")), ids=lambda p: p.name)
def test_one_pass_author_search_equals_trafilaturas_on_the_fixtures(page: Path) -> None:
    from archiver.encoding import decide

    data = page.read_bytes()
    ours, theirs = _both_authors(data.decode(decide(data, None, html=True).encoding, errors="replace"))
    assert ours == theirs


def test_author_search_defers_to_trafilatura_when_its_expressions_change(monkeypatch: pytest.MonkeyPatch) -> None:
    import archiver.extract as ex

    html = '<html><body><p class="byline">Jane Doe</p></body></html>'
    monkeypatch.setattr(ex, "_author_fast_path_applies", lambda: False)
    calls: list[Any] = []
    from trafilatura.utils import load_html

    tree = load_html(html)
    assert ex._author(tree, lambda t: calls.append(t) or "From trafilatura") == "From trafilatura"
    assert calls == [tree]
    monkeypatch.undo()
    assert ex._author(tree, lambda t: calls.append(t) or "unused") == "Jane Doe" and len(calls) == 1
    # a <rel> element (XPath rel='me' tests a child's text): trafilatura decides
    odd = load_html('<html><body><p class="byline">Jane Doe<rel>me</rel></p></body></html>')
    assert ex._author(odd, lambda t: "From trafilatura") == "From trafilatura"
