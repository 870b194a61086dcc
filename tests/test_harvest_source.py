"""Reading sources: identity, hashing, encodings, format detection, URL sources through an injected fetch."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from archiver.errors import SourceError
from archiver.harvest import (
    NEEDS_FETCHER,
    choose_format,
    harvest,
    harvest_fetched,
    harvest_sources,
    read_source,
    sniff_format,
)
from archiver.types import Body, ErrorKind, FetchResult, SourceFormat, SourceKind


def test_file_identity_and_hash(fixtures_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = fixtures_dir / "harvest" / "article.txt"
    monkeypatch.chdir(fixtures_dir)
    read = read_source("harvest/article.txt")
    assert read.source.locator == str(path.resolve())
    assert read.source.kind is SourceKind.FILE
    assert read.source.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert read.source.size == path.stat().st_size


def test_windows_1251_file(fixtures_dir: Path) -> None:
    result = harvest(str(fixtures_dir / "harvest" / "cp1251.txt"))
    assert result.source.encoding == "cp1251"
    assert "\u041c\u0438\u043d\u0438\u0441\u0442\u0440" in result.text  # "Министр"
    assert [c.url for c in result.citations][:2] == [
        "https://www.interfax.ru/russia/1030524",
        "https://www.kommersant.ru/doc/7654321",
    ]
    assert result.citations[0].context.startswith("\u041e\u0431 \u044d\u0442\u043e\u043c")  # "Об этом"
    assert len({c.url for c in result.citations}) == 4 and len(result.citations) == 5


def test_latin1_file(fixtures_dir: Path) -> None:
    result = harvest(str(fixtures_dir / "harvest" / "latin1.txt"))
    assert result.source.encoding in ("cp1252", "latin-1", "iso8859-1")
    assert "\u00dcber die Verhandlungen" in result.text and "minist\u00e8re" in result.text
    assert [c.url for c in result.citations] == [
        "https://www.sueddeutsche.de/politik/russland-usa-gespraeche-1.7123456",
        "https://www.diplomatie.gouv.fr/fr/actualites/communique-2025-04-15?xtor=RSS-1",
        "http://www.lemonde.fr/international/article/2025/04/15/negociations_6543210_3210.html",
    ]


def test_crlf_newlines_keep_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"one\r\n\r\ntwo https://x.example/\r\n")
    (citation,) = harvest(str(path)).citations
    assert (citation.line, citation.paragraph) == (3, 2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<!DOCTYPE html><html><body><p>x</p></body></html>", SourceFormat.HTML),
        ("  <html lang=en><p>x", SourceFormat.HTML),
        ("# Title\n\nSome [link](https://x.example/).", SourceFormat.MARKDOWN),
        ("Text with a [ref][r].\n\n[r]: https://x.example/", SourceFormat.MARKDOWN),
        ("Just prose, https://x.example/ and 3 < 4.", SourceFormat.TEXT),
    ],
)
def test_sniff_format(text: str, expected: SourceFormat) -> None:
    assert sniff_format(text) is expected


def test_extension_wins_unless_content_says_otherwise() -> None:
    assert choose_format("a.md", "plain words") is SourceFormat.MARKDOWN
    assert choose_format("a.txt", "# looks like md [x](y)") is SourceFormat.TEXT
    assert choose_format("a.txt", "<!doctype html><p>x") is SourceFormat.HTML
    assert choose_format("a.html", "no tags at all, https://x.example/") is SourceFormat.TEXT
    assert choose_format("article", "<html><body>x") is SourceFormat.HTML
    assert choose_format("page", "<p>x", content_type="text/html; charset=utf-8") is SourceFormat.HTML
    assert choose_format("page.html", "<p>x", content_type="text/plain") is SourceFormat.TEXT


def test_html_in_a_txt_file_is_harvested_as_html(tmp_path: Path) -> None:
    path = tmp_path / "saved.txt"
    path.write_text('<!DOCTYPE html><html><body><p>See <a href="https://x.example/">this</a>.</p></body></html>')
    result = harvest(str(path), all_links=True)
    assert result.source.format is SourceFormat.HTML
    assert [(c.url, c.anchor) for c in result.citations] == [("https://x.example/", "this")]


def test_stdin() -> None:
    result = harvest("-", stdin=io.BytesIO(b"see https://x.example/a\n"))
    assert result.source.locator == "-" and result.source.kind is SourceKind.STDIN
    assert [c.source for c in result.citations] == ["-"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b" \n\t\n", "is empty"),
        (b"abc\x00def" * 10, "binary"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "binary"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "binary"),
    ],
)
def test_not_an_article(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(content)
    with pytest.raises(SourceError, match=message):
        read_source(str(path))


def test_missing_and_directory(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        read_source(str(tmp_path / "nope.txt"))
    with pytest.raises(SourceError, match="directory"):
        read_source(str(tmp_path))


def _page(url: str, body: bytes, content_type: str = "text/html", final: str | None = None) -> FetchResult:
    return FetchResult(url=url, final_url=final or url, status=200, content_type=content_type,
                       body=Body.from_bytes(body), encoding="utf-8")


def test_url_source_needs_a_fetcher() -> None:
    with pytest.raises(SourceError) as info:
        read_source("https://news.example.com/a")
    assert NEEDS_FETCHER in str(info.value)


def test_url_source_with_injected_fetch(fixtures_dir: Path) -> None:
    body = (fixtures_dir / "harvest" / "news.html").read_bytes()
    asked: list[str] = []

    def fetch(url: str) -> FetchResult:
        asked.append(url)
        return _page(url, body, final="https://news.example.com/2025/04/15/embassy-talks")

    result = harvest("HTTPS://News.Example.com/story?utm_source=x", fetch=fetch)
    assert asked == ["https://news.example.com/story"]
    assert result.source.locator == "https://news.example.com/story" and result.source.kind is SourceKind.URL
    assert result.source.sha256 == hashlib.sha256(body).hexdigest()
    assert "https://news.example.com/2025/03/02/kremlin-statement" in [c.url for c in result.citations]


def test_url_source_fetch_failure_is_a_source_error() -> None:
    def fetch(url: str) -> FetchResult:
        return FetchResult(url=url, final_url=url, status=404, error=ErrorKind.HTTP_ERROR)

    with pytest.raises(SourceError, match="HTTP 404"):
        harvest("https://x.example/gone", fetch=fetch)


def test_harvest_fetched_resolves_against_the_final_url() -> None:
    result = harvest_fetched(
        _page("https://a.example/old", b'<p>See <a href="next">next</a> and more words here.</p>',
              final="https://b.example/dir/new"),
        all_links=True,
    )
    assert result.source.locator == "https://a.example/old"
    assert [c.url for c in result.citations] == ["https://b.example/dir/next"]


def test_harvest_sources_reads_each_source_once(fixtures_dir: Path, seed_file: Path) -> None:
    seed = str(seed_file)
    result = harvest_sources([seed, seed, str(fixtures_dir / "harvest" / "article.txt")])
    assert len(result.harvests) == 2
    assert result.occurrences == 6 + len(result.harvests[1].citations)
    assert result.skipped_by_reason() == {"invalid": 2, "scheme": 1}
