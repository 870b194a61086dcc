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


def _urls(path: Path, **options: object) -> list[str]:
    return [link.url for link in group_links(harvest(str(path), **options).citations)]  # type: ignore[arg-type]


def test_wordpress_post_keeps_the_body_and_figure_caption(fixtures_dir: Path) -> None:
    assert _urls(fixtures_dir / "harvest" / "wordpress.html") == [
        "https://water.example.gov/reports/2024/flood-risk-update.pdf",
        "https://water.example.gov/data/flood-zones-2024.csv",
        "https://doi.org/10.5194/hess-27-1234-2023",
        "https://water.example.gov/consultations/2022/gauges/",
        "https://nrfa.example.ac.uk/data/station-info/28011",  # "Data: ..." in a <figcaption>
        "https://www.localpaper.example.co.uk/news/2021/05/culvert-replaced-hale-street",
        "https://planning.example.gov/applications/19-00421-FUL",
        "https://www.bbc.example/news/uk-england-12345678",
        "https://fieldnotes.example.org/2024/09/14/gauges-part-1/",
    ]
    everything = _urls(fixtures_dir / "harvest" / "wordpress.html", all_links=True)
    # menus, share buttons, tags, post navigation, comments (spam included), widgets, footer
    for chrome in ("https://fieldnotes.example.org/about/", "https://spam-seo.example.com/pumps?ref=blog",
                   "https://fieldnotes.example.org/tag/flooding/", "https://riverwatch.example.net/",
                   "https://wordpress.org/", "https://fieldnotes.example.org/2024/11/03/flood-maps-were-wrong/?share=twitter"):
        assert chrome in everything


def test_news_page_with_cookie_banner_tweet_and_inline_promos(fixtures_dir: Path) -> None:
    result = harvest(str(fixtures_dir / "harvest" / "newsroom.html"))
    urls = [link.url for link in group_links(result.citations)]
    assert urls == [
        "https://www.theledger.example/business/2025/05/22/port-strike-begins",
        "https://www.dockersunion.example/news/ballot-result-june-2025",
        "https://portauthority.example.gov/press-releases/2025-06-02-operations-resume",
        "https://www.maersk.example/news/advisories/2025/06/02/customer-advisory",
        "https://www.marinetraffic.example/en/ais/home/centerx:4.1/centery:51.9/zoom:10",
        "https://www.centralbank.example/publications/2025/working-paper-17.pdf",
        "https://twitter.com/dockersunion/status/1797312345678901234",  # embedded tweet; ref_src dropped
        "https://www.parliament.example/debates/2025-06-02/port-dispute",
    ]
    assert result.skipped == ()
    tweet = result.citations[6]
    assert tweet.anchor == "June 2, 2025" and "Back to work Wednesday." in tweet.context


def test_wikipedia_like_page_keeps_body_and_reference_list(fixtures_dir: Path) -> None:
    result = harvest(str(fixtures_dir / "harvest" / "wiki.html"))
    urls = [link.url for link in group_links(result.citations)]
    for cited in (
        "https://archive.example.org/details/millbrook-gazette-1894-11-20",
        "https://books.example.com/books?id=AbCdEf123&pg=PA77",
        "https://historicengland.example.org.uk/listing/the-list/list-entry/1012345",
        "https://www.networkrail.example.co.uk/wp-content/uploads/2019/09/Millbrook-viaduct-examination.pdf",
        "https://web.archive.org/web/20200101000000/https://www.networkrail.example.co.uk/wp-content/uploads/"
        "2019/09/Millbrook-viaduct-examination.pdf",
        "https://www.railwaybridges.example.net/millbrook",  # External links section
        "https://en.wikipedia.org/wiki/Isambard_Kingdom_Brunel",  # a link in the body
    ):
        assert cited in urls
    assert not [u for u in urls if "action=edit" in u or "Category:" in u or "Special:Random" in u
                or "Clifton_Suspension_Bridge" in u or "wikimedia.org" in u or "Main_Page" in u]
    by_url = {c.url: c for c in result.citations}
    # a reference-list entry: its short sentence is widened to the whole entry
    heritage = by_url["https://historicengland.example.org.uk/listing/the-list/list-entry/1012345"]
    assert heritage.context == (
        '^ Historic England. "Millbrook Viaduct (1012345)". National Heritage List for England. '
        "Retrieved 3 March 2024."
    )
    # sentences end before reference markers: "opened in 1841.[1] It was listed..."
    brunel = by_url["https://en.wikipedia.org/wiki/Isambard_Kingdom_Brunel"]
    assert brunel.context == "It was designed by Isambard Kingdom Brunel and opened in 1841."


def test_href_forms() -> None:
    html = (
        "<p>Intro paragraph with enough words here.</p>\n"
        '<p><a name="top">no href</a> <a href="">empty</a> <a href="#s">same page</a>\n'
        '<a href="\n  https://a.example/x?b=1&amp;c=2\n">spaced</a> <a href="HTTP://A.EXAMPLE/Up">upper</a>\n'
        '<a href="//cdn.example/lib.js">protocol-relative</a> <a href="rel/page">relative</a></p>\n'
        '<map name="m"><area shape="rect" coords="0,0,1,1" href="https://map.example/region" alt="North"></map>\n'
        '<blockquote cite="https://quoted.example/speech"><p>We will return.</p></blockquote>\n'
        '<p>He said <q cite="https://quoted.example/q">soon</q> twice.</p>\n'
    )
    citations = harvest_html(html, "s", base_url="http://site.example/dir/page", all_links=True)
    assert [(c.url, c.anchor) for c in citations] == [
        ("https://a.example/x?b=1&c=2", "spaced"),
        ("http://a.example/Up", "upper"),
        ("http://cdn.example/lib.js", "protocol-relative"),  # the page's scheme
        ("http://site.example/dir/rel/page", "relative"),
        ("https://map.example/region", "North"),
        ("https://quoted.example/speech", None),
        ("https://quoted.example/q", None),
    ]
    assert [c.line for c in citations] == [3, 5, 6, 6, 7, 8, 9]  # where each tag starts
    assert citations[5].context == "We will return."
    # without a document URL, a protocol-relative link is taken as https; a relative one is invalid
    skipped: list[Skipped] = []
    urls = [c.url for c in harvest_html(html, "s", all_links=True, skipped=skipped)]
    assert "https://cdn.example/lib.js" in urls
    assert [(s.raw, s.reason) for s in skipped] == [("rel/page", "invalid")]


def test_unescaped_ampersand_parameters_keep_their_names() -> None:
    # "&region=" and "&timestamp=" start like the legacy entities &reg and &times; in an attribute
    # HTML5 decodes neither (a letter or "=" follows), so the URL keeps them; "&amp;" and "&lt;" decode.
    story = "<p>" + "The ministry published a long statement about the talks and the visas. " * 8 + "</p>"
    html = (
        f"<html><body><nav><a href='/home'>Home</a></nav><article><h1>The talks</h1>{story}\n"
        '<p>It said so in <a href="https://x.example/a?id=1&region=us&timestamp=5&amp;v=&lt;2">its statement'
        " on the matter</a> yesterday, adding more words.</p>"
        f"{story}</article><footer><a href='https://f.example/'>f</a></footer></body></html>"
    )
    expected = "https://x.example/a?id=1&region=us&timestamp=5&v=%3C2"
    assert expected in [c.url for c in harvest_html(html, "s", all_links=True)]
    main = harvest_html(html, "s")  # trafilatura reads the href right: the link must still match it
    assert [(c.url, c.line, c.column) for c in main] == [(expected, 2, 18)]


def test_quotation_cite_in_main_content(news: str) -> None:
    html = Path(news).read_text(encoding="utf-8").replace(
        "<h2 id=\"timeline\">",
        '<blockquote cite="https://www.kremlin.example/events/president/transcripts/76543"><p>We are ready to '
        "continue the dialogue with our American partners on all the irritants.</p></blockquote>\n<h2 id=\"timeline\">",
    )
    urls = [c.url for c in harvest_html(html, "s")]
    assert "https://www.kremlin.example/events/president/transcripts/76543" in urls


def test_link_only_block_context_is_the_previous_prose_block() -> None:
    html = (
        "<article><p>The agency released its full dataset on Monday. It covers ten years.</p>"
        '<p><a href="https://data.example/set">https://data.example/set</a></p>'
        '<p><a href="https://data.example/mirror">https://data.example/mirror</a></p></article>'
    )
    citations = harvest_html(html, "s", all_links=True)
    assert [c.context for c in citations] == ["It covers ten years."] * 2


def test_site_listings_cookie_banners_and_red_links_are_not_citations() -> None:
    # found on real pages: a CMS links words of the text to its tag and search pages (phys.org, afpbb),
    # a cookie banner inside the text container (lsm.lv), MediaWiki links to pages that do not exist
    from archiver.harvest import harvest_html

    page = """<html><head><title>Birch tar</title></head><body><article><h1>Birch tar glue</h1>
    <p>Researchers dated the <a href="/tags/birch/">birch</a> tar with <a href="/tags/carbon+dating/">carbon
    dating</a> and published <a href="https://doi.org/10.1038/s41598-019-1">the study</a> in a journal.
    See also <a href="https://www.example-news.org/search?fulltext=Borno">Borno</a> and
    <a href="/w/index.php?title=Laurens_van_der_Maaten&amp;action=edit&amp;redlink=1">van der Maaten</a>.
    The team compared it with <a href="https://other.example/tag/tar">another lab's tar notes</a>.</p>
    <p>More sentences about the glue, the tools and the people who made them long ago in the valley.</p>
    <div class="cookiemsg">We use cookies. <a href="/lietosanas-noteikumi/">Learn more</a></div>
    </article></body></html>"""
    cits = harvest_html(page, "birch.html", base_url="https://www.example-news.org/news/2024-birch-tar.html")
    urls = [c.url for c in cits]
    assert "https://doi.org/10.1038/s41598-019-1" in urls
    assert "https://other.example/tag/tar" in urls  # another site's tag page is a source like any other
    assert not any("/tags/" in u or "/search" in u or "redlink" in u or "noteikumi" in u for u in urls), urls


def test_links_in_notes_and_references_are_citations_even_outside_the_main_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # laviedesidees.fr: the extractor's main text stops before the endnotes (as trafilatura did on
    # the real page); their links are still citations, while navigation and footer stay out
    import archiver.harvest.html as html_harvester
    from archiver.harvest import harvest_html

    body = "The evaluation of research has become a matter of public debate, as the journal rankings show."
    in_text = '<a href="https://www.cnrs.fr/rankings">journal rankings</a>'
    page = f"""<html><head><title>Evaluation</title></head><body>
    <nav><a href="/rubriques">Rubriques</a></nav>
    <div id="content_article"><h1>L'évaluation de la recherche</h1>
    <p>{body.replace("journal rankings", in_text)}</p></div>
    <div class="notes"><div id="nb2"><p>[2] See <a href="https://www.slru.ehess.org/post/2009/03/15/revues">the
    SLRU's analysis</a>.</p></div></div>
    <footer><a href="/mentions-legales">Mentions légales</a></footer></body></html>"""
    monkeypatch.setattr(html_harvester, "_main_content", lambda text: ([("https://www.cnrs.fr/rankings",
                                                                          "journal rankings")], body))
    urls = [c.url for c in harvest_html(page, "a.html", base_url="https://laviedesidees.fr/article.html")]
    assert urls == ["https://www.cnrs.fr/rankings", "https://www.slru.ehess.org/post/2009/03/15/revues"], urls
