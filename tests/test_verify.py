"""Quotation matching and verification against an archive, with the network disabled."""

from __future__ import annotations

from pathlib import Path

import pytest
from verify_archive import ARTICLE, FAILED, NEVER, article_harvest, build_archive

from archiver.errors import ArchiverError, SourceError
from archiver.store import Store
from archiver.types import LinkStatus, SourceFormat
from archiver.verify import (
    Article,
    IndexedText,
    QuoteStatus,
    Scope,
    load_article,
    match_quote,
    normalize_words,
    verify,
    verify_article,
)

SOURCE = (
    "MOSCOW (Interfax) - The minister spoke.\n\"The third round of bilateral consultations on irritants\n"
    "is approaching. It's too early to talk about a specific date - but I hope the discussions will take"
    " place very soon,\" he said. Other news followed about the weather in the capital."
)


# -- matching ------------------------------------------------------------------------------


def test_normalize_words_folds_case_quotes_dashes_and_width() -> None:
    assert normalize_words("“It’s” — THE ﬁnal, Straße!") == ["it", "s", "the", "final", "strasse"]
    assert normalize_words("It's the final") == normalize_words("it’s  the\nFINAL")


def test_exact_match_after_reflow_and_style_changes() -> None:
    doc = IndexedText(SOURCE)
    m = match_quote("the third round of bilateral consultations on irritants is approaching. It’s too early", doc)
    assert m.exact and m.similarity == 1.0
    assert doc.passage(m.first, m.last) == (
        "The third round of bilateral consultations on irritants is approaching. It's too early"
    )


def test_ellipsis_parts_must_occur_in_order() -> None:
    doc = IndexedText(SOURCE)
    m = match_quote("The third round of bilateral consultations … I hope the discussions will take place", doc)
    assert m.exact
    assert doc.passage(m.first, m.last).startswith("The third round") and doc.passage(m.first, m.last).endswith(
        "will take place"
    )
    assert not match_quote("I hope the discussions will take place [...] The third round of bilateral", doc).exact


def test_approximate_match_scores_words() -> None:
    doc = IndexedText(SOURCE)
    # 2 of 20 words changed
    quote = (
        "The third round of bilateral talks on irritants is approaching. It is too early to talk about a specific date"
    )
    m = match_quote(quote, doc)
    assert not m.exact
    assert 0.8 <= m.similarity < 1.0
    assert doc.passage(m.first, m.last).startswith("The third round of bilateral consultations")


def test_partial_overlap_is_not_a_match() -> None:
    doc = IndexedText(SOURCE)
    m = match_quote("the weather in the capital was cold and wet all week long", doc)
    assert m.similarity < 0.5
    assert match_quote("nothing here resembles any of those words at all", doc).similarity < 0.2
    assert match_quote("zebra xylophone quokka narwhal axolotl", doc).similarity == 0.0


@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_unicode_forms_match_each_other(form: str) -> None:
    import unicodedata

    source = "Der Kölner Bürgermeister sagte: Die Brücke über den Fluß wird nächstes Jahr eröffnet."
    quote = "die Brücke über den Fluß wird nächstes Jahr eröffnet"
    other = "NFD" if form == "NFC" else "NFC"
    doc = IndexedText(unicodedata.normalize(form, source))
    m = match_quote(unicodedata.normalize(other, quote), doc)
    assert m.exact, m
    assert unicodedata.normalize("NFC", doc.passage(m.first, m.last)) == unicodedata.normalize("NFC", quote[0].upper()
                                                                                                 + quote[1:])
    assert normalize_words(unicodedata.normalize("NFD", "Kölner Straße")) == normalize_words("Kölner Straße")


def test_floor_skips_windows_that_cannot_win() -> None:
    doc = IndexedText(SOURCE)
    quote = "The third round of bilateral talks on irritants is approaching. It is too early"
    assert match_quote(quote, doc).similarity > 0.7
    assert match_quote(quote, doc, floor=0.99).similarity == 0.0


# -- verification against the archive -------------------------------------------------------


@pytest.fixture
def archive(db_path: Path) -> Path:
    build_archive(db_path)
    return db_path


def fixture_article(store: Store, path: Path = ARTICLE) -> Article:
    """The fixture article read without the harvester (citations found by a test helper)."""
    harvest = article_harvest(path)
    return Article(
        locator=harvest.source.locator,
        format=SourceFormat.MARKDOWN,
        text=harvest.text,
        citations=harvest.citations,
        recorded=True,
    )


@pytest.mark.usefixtures("no_network")
def test_verify_quotations_and_citations(archive: Path) -> None:
    with Store.open(archive, create=False) as store:
        result = verify_article(store, fixture_article(store))
    by_start = {q.quote.split()[0] + " " + q.quote.split()[1]: q for q in result.quotes}
    assert len(result.quotes) == 6

    exact = by_start["The third"]
    assert (exact.status, exact.scope, exact.url) == (QuoteStatus.FOUND, Scope.PARAGRAPH, "https://news.example/interfax")
    assert exact.similarity == 1.0 and exact.passage.startswith("The third round")

    reflowed = by_start["It’s too"]  # „…“ in the article, "…" and a dash in the source, other line breaks
    assert (reflowed.status, reflowed.scope, reflowed.url) == (QuoteStatus.FOUND, Scope.PARAGRAPH,
                                                                "https://news.example/tass")
    assert reflowed.line == 5 and reflowed.paragraph == 3

    paraphrase = by_start["the negotiations"]
    assert paraphrase.status is QuoteStatus.NOT_FOUND
    assert paraphrase.url is None and paraphrase.passage is None and paraphrase.scope is None
    assert paraphrase.similarity < 0.5
    assert "https://gov.example/readout" in paraphrase.cited_nearby

    approx = by_start["we will"]
    assert (approx.status, approx.scope, approx.url) == (QuoteStatus.APPROXIMATE, Scope.PARAGRAPH,
                                                          "https://wire.example/reuters")
    assert 0.75 <= approx.similarity < 1.0
    assert "before the end of the summer" in approx.passage

    misattributed = by_start["Our delegation"]
    assert (misattributed.status, misattributed.scope) == (QuoteStatus.FOUND, Scope.ARTICLE)
    assert misattributed.url == "https://gov.example/statements"
    assert misattributed.misattributed
    assert "https://news.example/ria" in misattributed.cited_nearby

    uncited = by_start["the archive"]
    assert uncited.status is QuoteStatus.NOT_FOUND

    assert not result.passed()
    # only quotations found next to their citation are not flagged
    assert [q.misattributed for q in result.quotes].count(True) == 1


@pytest.mark.usefixtures("no_network")
def test_verify_citations_state(archive: Path) -> None:
    with Store.open(archive, create=False) as store:
        result = verify_article(store, fixture_article(store))
    cits = {c.url: c for c in result.citations}
    assert len(result.citations) == 8
    reuters = cits["https://wire.example/reuters"]
    assert reuters.citation.raw == "https://wire.example/reuters?utm_source=feed"
    assert reuters.archived and reuters.snapshot is not None and reuters.snapshot.title == "Energy talks"
    assert reuters.status is LinkStatus.UNCHECKED
    assert cits["https://gov.example/readout"].status is LinkStatus.DEAD
    assert not cits[FAILED].archived and cits[FAILED].status is LinkStatus.DEAD
    assert not cits[NEVER].archived and cits[NEVER].check is None
    as_json = reuters.as_dict()
    assert as_json["kind"] == "citation" and as_json["archived"] is True
    assert as_json["snapshot_id"] == reuters.snapshot.id and as_json["captured_at"].startswith("2025-06-04")
    assert as_json["check"] == "unchecked"


@pytest.mark.usefixtures("no_network")
def test_anywhere_finds_a_quotation_in_an_uncited_page(archive: Path) -> None:
    with Store.open(archive, create=False) as store:
        result = verify_article(store, fixture_article(store), anywhere=True)
    uncited = next(q for q in result.quotes if q.quote.startswith("the archive keeps"))
    assert (uncited.status, uncited.scope, uncited.url) == (QuoteStatus.FOUND, Scope.ARCHIVE,
                                                             "https://other.example/newsroom")
    # the paraphrase is still found nowhere
    assert any(q.status is QuoteStatus.NOT_FOUND for q in result.quotes)


@pytest.mark.usefixtures("no_network")
def test_an_older_snapshot_still_vouches_for_a_quotation(archive: Path) -> None:
    from datetime import UTC, datetime

    from verify_archive import add_page

    with Store.open(archive) as store:
        # the page changed after it was cited: its latest snapshot lacks the quotation
        add_page(store, "https://news.example/interfax", "Interfax", "A completely different story now.",
                 at=datetime(2025, 7, 1, tzinfo=UTC))
        result = verify_article(store, fixture_article(store))
    exact = next(q for q in result.quotes if q.quote.startswith("The third round"))
    assert exact.status is QuoteStatus.FOUND and exact.scope is Scope.PARAGRAPH
    cit = next(c for c in result.citations if c.url == "https://news.example/interfax")
    assert cit.snapshot is not None and cit.snapshot.captured_at.month == 7  # the citation shows the latest
    assert exact.snapshot_id != cit.snapshot.id


@pytest.mark.usefixtures("no_network")
def test_strict_and_threshold(archive: Path, tmp_path: Path) -> None:
    text = ARTICLE.read_text(encoding="utf-8")
    # keep only the exact and the approximate quotations' paragraphs
    keep = "\n\n".join(p for p in text.split("\n\n") if "third round" in p or "treaty" in p)
    path = tmp_path / "short.md"
    path.write_text(keep, encoding="utf-8")
    with Store.open(archive, create=False) as store:
        result = verify_article(store, fixture_article(store, path))
        assert result.passed() and not result.passed(strict=True)
        strict = verify_article(store, fixture_article(store, path), threshold=0.99)
        assert [q.status for q in strict.quotes] == [QuoteStatus.FOUND, QuoteStatus.NOT_FOUND]
        with pytest.raises(ArchiverError):
            verify_article(store, fixture_article(store, path), threshold=0.0)


@pytest.mark.usefixtures("no_network")
def test_url_source_is_read_from_the_archive(db_path: Path) -> None:
    build_archive(db_path, locator="https://blog.example/article")
    with Store.open(db_path, create=False) as store:
        article = load_article(store, "https://BLOG.example/article#top")
        assert article.locator == "https://blog.example/article" and article.recorded
        assert len(article.citations) == 8 and article.text.startswith("# Talks in Istanbul")
        result = verify(store, "https://blog.example/article")
        assert len(result.quotes) == 6
        with pytest.raises(SourceError, match="never archived"):
            load_article(store, "https://blog.example/unknown")


@pytest.mark.usefixtures("no_network")
def test_html_article_paragraphs(archive: Path) -> None:
    from archiver.types import Citation

    html = (
        "<html><body><p>He said &ldquo;The third round of bilateral consultations on irritants is"
        ' approaching&rdquo; (<a href="https://news.example/interfax">Interfax</a>).</p>\n'
        "<p>Unrelated paragraph.</p>\n<p>Another.</p>\n"
        '<p><a href="https://gov.example/statements">statements</a></p></body></html>'
    )
    cites = (
        Citation("https://news.example/interfax", "https://news.example/interfax", "x.html", 1, 115, 1, ""),
        Citation("https://gov.example/statements", "https://gov.example/statements", "x.html", 4, 13, 4, ""),
    )
    with Store.open(archive, create=False) as store:
        result = verify_article(store, Article("x.html", SourceFormat.HTML, html, cites, False))
    (q,) = result.quotes
    assert (q.status, q.scope, q.url) == (QuoteStatus.FOUND, Scope.PARAGRAPH, "https://news.example/interfax")
    assert q.cited_nearby == ("https://news.example/interfax",)
    assert result.notes  # this article version was never recorded


def test_end_to_end_through_the_pipeline_on_the_fake_web(
    fakeweb: object, db_path: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Archive the fixture article's links from the fake web, then verify with the network off."""
    from verify_archive import SNAPSHOTS, snapshot_text

    from archiver.config import FetchConfig
    from archiver.pipeline import archive, prepare_sources

    web = fakeweb
    text = ARTICLE.read_text(encoding="utf-8")
    for url in SNAPSHOTS:
        title, body = snapshot_text(url)
        paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
        filler = "<p>" + "This paragraph gives the extractor enough text to work with. " * 6 + "</p>"
        page = f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{paragraphs}{filler}"
        local = web.add("/" + url.split("://", 1)[1], body=page + "</article></body></html>")  # type: ignore[attr-defined]
        text = text.replace(url, local)
    path = tmp_path / "article.md"
    path.write_text(text, encoding="utf-8")

    prepared = prepare_sources([str(path)])  # the real harvester
    config = FetchConfig(allow_private=True, retries=0, timeout=5)
    report = archive(prepared, store=db_path, config=config, extract_workers=0)  # extract in-line: no pool start
    assert report.counts()["archived"] == len(SNAPSHOTS) - 1  # other.example is not cited

    request.getfixturevalue("no_network")  # from here on, any connection attempt fails
    with Store.open(db_path, create=False) as store:
        result = verify(store, path)
    assert result.article.recorded and not result.notes
    assert sum(c.archived for c in result.citations) == 6
    statuses = {" ".join(q.quote.split()[:2]): (q.status, q.scope) for q in result.quotes}
    assert statuses["The third"] == (QuoteStatus.FOUND, Scope.PARAGRAPH)
    assert statuses["It’s too"] == (QuoteStatus.FOUND, Scope.PARAGRAPH)
    assert statuses["Our delegation"] == (QuoteStatus.FOUND, Scope.ARTICLE)
    assert statuses["we will"][0] is QuoteStatus.APPROXIMATE
    assert statuses["the negotiations"][0] is QuoteStatus.NOT_FOUND


# -- paragraphs: quotations and the harvester's citations must agree on blocks --------------

QUOTE = "the delegation will return to the table next spring"
SRC = "https://src.example/page"
OTHER = "https://other-src.example/page"
QUOTE_GT = QUOTE.replace(" table ", " table\n> ")  # over two lines of a "> " block quote
QUOTE_LAZY = QUOTE.replace(" table ", " table\n")  # over two lines, no marker on the second


def _paragraph_case(db_path: Path, tmp_path: Path, name: str, text: str) -> list:
    """Harvest ``text`` (written to ``name``) with the real harvester and verify it against an archive
    where only SRC's page holds the quotation; return the quotation checks."""
    from verify_archive import add_page

    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with Store.open(db_path) as store:
        add_page(store, SRC, "Source", f"The minister said {QUOTE}, after the talks ended.")
        add_page(store, OTHER, "Other", "Nothing relevant is said on this page about any talks at all.")
        result = verify(store, path)
    assert {c.url for c in result.citations} <= {SRC, OTHER}
    return list(result.quotes)


PARAGRAPH_CASES = {
    "same paragraph, text, link on the next line": (
        "a.txt", f"The minister said “{QUOTE}” in an interview\nreported at {SRC} on Monday.\n", Scope.PARAGRAPH),
    "text, e-mail style quoted lines": (
        "b.txt", f"Intro line.\n\n> “{QUOTE_GT}” said\n> the minister, {SRC}\n",
        Scope.PARAGRAPH),
    "text, two paragraphs away": (
        "c.txt", f"The minister said “{QUOTE}”.\n\nSomething else.\n\nSee {SRC} and {OTHER} elsewhere.\n",
        Scope.ARTICLE),
    "markdown, same paragraph": (
        "d.md", f"The minister said “{QUOTE}” ([source]({SRC})).\n\nOther [page]({OTHER}).\n", Scope.PARAGRAPH),
    "markdown, block quote over several lines": (
        "e.md",
        f"Intro [other]({OTHER}).\n\nA\n\nB\n\n> “{QUOTE_GT}”\n> — [source]({SRC})\n",
        Scope.PARAGRAPH),
    "markdown, lazy continuation and list item": (
        "f.md", f"Intro [other]({OTHER}).\n\nA\n\nB\n\n- “{QUOTE_LAZY}”\n  [source]({SRC})\n",
        Scope.PARAGRAPH),
    "markdown, two blocks away": (
        "g.md", f"# Title\n\nThe minister said “{QUOTE}”.\n\nSomething else.\n\n- [source]({SRC})\n",
        Scope.ARTICLE),
    "markdown, the quoted words are the link": (
        "m.md", f"The minister said “[{QUOTE}]({SRC})”.\n\nOther [page]({OTHER}).\n", Scope.PARAGRAPH),
    "markdown, reference link used next to the quotation": (
        "h.md", f"The minister said “{QUOTE}” ([source][s]).\n\nA\n\nB\n\nC\n\n[s]: {SRC}\n", Scope.PARAGRAPH),
    "html, same paragraph": (
        "i.html",
        f'<html><body><article><p>The minister said “{QUOTE}” (<a href="{SRC}">source</a>).</p>'
        f'<p>A</p><p>B</p><p><a href="{OTHER}">other</a></p></article></body></html>',
        Scope.PARAGRAPH),
    "html, line breaks inside one paragraph": (
        "j.html",
        f'<html><body><article><p><a href="{SRC}">Source</a> reported:<br>line two<br>“{QUOTE}”</p>'
        f'<p>A</p><p>B</p><p><a href="{OTHER}">other</a></p></article></body></html>',
        Scope.PARAGRAPH),
    "html, block quote with its source after it": (
        "k.html",
        f'<html><body><article><p>Intro <a href="{OTHER}">other</a>.</p><p>A</p><p>B</p>'
        f'<blockquote><p>“{QUOTE}”</p><p>— <cite><a href="{SRC}">source</a></cite></p></blockquote>'
        "</article></body></html>",
        Scope.PARAGRAPH),
    "html, two paragraphs away": (
        "l.html",
        f'<html><body><article><p>The minister said “{QUOTE}”.</p><p>Something else.</p>'
        f'<p>See <a href="{SRC}">the source</a>.</p></article></body></html>',
        Scope.ARTICLE),
}


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize("case", list(PARAGRAPH_CASES))
def test_quotation_and_citation_paragraphs_agree(db_path: Path, tmp_path: Path, case: str) -> None:
    name, text, scope = PARAGRAPH_CASES[case]
    (q,) = _paragraph_case(db_path, tmp_path, name, text)
    assert (q.status, q.scope, q.url) == (QuoteStatus.FOUND, scope, SRC), q
    assert " ".join(q.quote.split()) == QUOTE
