"""HTML harvesting: main content only by default, every link with all_links, base resolution, skips."""

from __future__ import annotations

from pathlib import Path

import pytest

from archiver.harvest import group_links, harvest, harvest_html
from archiver.types import Skipped

STORY_LINKS = [
    "https://www.interfax.ru/russia/1030524",
    "https://www.themoscowtimes.com/2025/02/28/russian-and-us-officials-discussed-restoring-embassy-staff-"
    "direct-flights-at-istanbul-talks-a88198",
    "https://www.themoscowtimes.com/2025/04/11/russia-asked-us-to-lift-sanctions-from-aeroflot-lavrov-says-a88692",
    "https://news.example.com/2025/03/02/kremlin-statement",
    "https://www.state.gov/secretary-rubio-riyadh/",
]


@pytest.fixture
def news(fixtures_dir: Path) -> str:
    return str(fixtures_dir / "harvest" / "news.html")


def test_news_page_main_content_only(news: str) -> None:
    result = harvest(news)
    assert [link.url for link in group_links(result.citations)] == STORY_LINKS
    first = result.citations[0]
    assert (first.line, first.column, first.anchor) == (40, 18, "the Interfax news agency")
    assert first.raw.startswith("https://www.interfax.ru/russia/1030524?utm_source=")
    assert first.context.startswith("Russian and U.S. officials could meet")
    assert result.citations[4].context == "Feb. 18: Lavrov and Rubio meet in Riyadh (State Department readout)."
    # The relative link resolved against the page's canonical URL; '#timeline' is not a citation.
    assert all("#" not in c.url for c in result.citations)
    assert result.skipped == ()  # share-bar mailto:/javascript: are outside the main content


def test_news_page_all_links(news: str) -> None:
    result = harvest(news, all_links=True)
    urls = [link.url for link in group_links(result.citations)]
    assert set(STORY_LINKS) <= set(urls)
    for boilerplate in (
        "https://news.example.com/world",
        "https://news.example.com/privacy",
        "https://twitter.com/dailyexample",
        "https://news.example.com/2025/04/14/markets",
        "https://ads.example.net/click?id=42",
    ):
        assert boilerplate in urls
    assert len(urls) == 30 and len(result.citations) == 32  # "/" (logo, Home) and World twice
    assert sorted((s.reason, s.raw) for s in result.skipped) == [
        ("scheme", "javascript:window.print()"),
        ("scheme", "mailto:?subject=Embassy%20talks"),
        ("scheme", "tel:+15555550100"),
    ]
    # paragraphs: the three nav items are three blocks, the breadcrumb links share one
    crumbs = [c for c in result.citations if c.line == 26]
    assert len(crumbs) == 3 and len({c.paragraph for c in crumbs}) == 1


def test_base_href_and_skips(fixtures_dir: Path) -> None:
    result = harvest(str(fixtures_dir / "harvest" / "base.html"), all_links=True)
    assert [c.url for c in result.citations] == [
        "https://docs.example.com/guide/intro.html",
        "https://docs.example.com/api/",
        "https://other.example.org/x",
        "https://cdn.example.net/lib.js",
    ]
    assert sorted((s.reason, s.line) for s in result.skipped) == [
        ("invalid", 9),
        ("scheme", 8),
        ("scheme", 8),
        ("scheme", 9),
        ("scheme", 9),
        ("scheme", 10),
    ]
    # a short page: trafilatura drops the links, the main-text fallback keeps them
    assert [c.url for c in harvest(str(fixtures_dir / "harvest" / "base.html")).citations] == [
        c.url for c in result.citations
    ]


def test_document_url_resolves_relative_links() -> None:
    html = '<p>A <a href="../b/page?utm_source=x#f">link</a> and <a href="/root">root</a>.</p>'
    citations = harvest_html(html, "s", base_url="https://site.example/a/doc.html", all_links=True)
    assert [c.url for c in citations] == ["https://site.example/b/page", "https://site.example/root"]


def test_relative_link_without_base_is_reported() -> None:
    skipped: list[Skipped] = []
    html = '<p>first</p>\n<p>A <a href="page.html">relative</a> link.</p>'
    assert harvest_html(html, "s", all_links=True, skipped=skipped) == []
    assert [(s.reason, s.line) for s in skipped] == [("invalid", 2)]


def test_image_link_anchor_is_alt_text() -> None:
    html = '<p><a href="https://x.example/"><img src="a.png" alt="Chart of prices"></a></p>'
    (citation,) = harvest_html(html, "s", all_links=True)
    assert citation.anchor == "Chart of prices"


def test_link_repeated_in_boilerplate_counts_once(news: str) -> None:
    html = Path(news).read_text(encoding="utf-8").replace(
        '<div class="ad">',
        '<p><a href="https://www.themoscowtimes.com/2025/04/11/russia-asked-us-to-lift-sanctions-from-aeroflot-'
        'lavrov-says-a88692">Aeroflot sanctions</a></p>\n<div class="ad">',
    )
    citations = harvest_html(html, "s")
    aeroflot = [c for c in citations if "aeroflot" in c.url]
    assert [(c.line, c.anchor) for c in aeroflot] == [(48, "asked Washington to lift sanctions from Aeroflot")]
