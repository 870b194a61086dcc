"""Plain-text harvesting: which spans are URLs, where they end, and where they stand."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.harvest import find_urls, group_links, harvest, harvest_text
from archiver.types import Skipped


def raws(text: str, *, bare_domains: bool = False) -> list[str]:
    return [f.raw for f in find_urls(text, bare_domains=bare_domains)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("See https://example.com/a.", ["https://example.com/a"]),
        ("See https://example.com/a, then", ["https://example.com/a"]),
        ("Was it https://example.com/a? Yes", ["https://example.com/a"]),
        ("Wow https://example.com/a! And", ["https://example.com/a"]),
        ("list: https://example.com/a; more", ["https://example.com/a"]),
        ("at https://example.com/a: here", ["https://example.com/a"]),
        ("ends https://example.com/a...", ["https://example.com/a"]),
        ("(see https://example.com/a)", ["https://example.com/a"]),
        ("(see https://example.com/a).", ["https://example.com/a"]),
        ("https://en.wikipedia.org/wiki/Mercury_(planet)", ["https://en.wikipedia.org/wiki/Mercury_(planet)"]),
        ("(https://en.wikipedia.org/wiki/Mercury_(planet))", ["https://en.wikipedia.org/wiki/Mercury_(planet)"]),
        ("x https://en.wikipedia.org/wiki/Mercury_(planet).", ["https://en.wikipedia.org/wiki/Mercury_(planet)"]),
        ("[https://example.com/a]", ["https://example.com/a"]),
        ("<https://example.com/a>", ["https://example.com/a"]),
        ("<https://example.com/a>.", ["https://example.com/a"]),
        ('"https://example.com/a"', ["https://example.com/a"]),
        ('"https://example.com/a",', ["https://example.com/a"]),
        ("'https://example.com/a'", ["https://example.com/a"]),
        ("https://example.com/it's_here", ["https://example.com/it's_here"]),
        ("\u201chttps://example.com/a\u201d", ["https://example.com/a"]),
        ("\u00abhttps://example.com/a\u00bb.", ["https://example.com/a"]),
        ("\u201ehttps://example.com/a\u201c", ["https://example.com/a"]),
        ("https://example.com/a\u2026", ["https://example.com/a"]),
        ("[a](https://example.com/a)[b](mailto:x@example.com)", ["https://example.com/a"]),
        ("https://example.com/a?b=1&c=2#frag", ["https://example.com/a?b=1&c=2#frag"]),
        ("https://example.com/\u041c\u043e\u0441\u043a\u0432\u0430.", ["https://example.com/\u041c\u043e\u0441\u043a\u0432\u0430"]),
        ("https://example.com/a\nhttps://example.com/b", ["https://example.com/a", "https://example.com/b"]),
        ("text:https://example.com/", ["https://example.com/"]),
        ("_https://example.com/", []),
        ("HTTPS://EXAMPLE.COM/", ["HTTPS://EXAMPLE.COM/"]),
        ("ftp://files.example.com/pub", ["ftp://files.example.com/pub"]),
        # www. and host-with-path on a real TLD
        ("visit www.example.com today", ["www.example.com"]),
        ("visit www.example.com/a.", ["www.example.com/a"]),
        ("get example.com/report.pdf now", ["example.com/report.pdf"]),
        ("get sub.example.co.uk/x?y=1, now", ["sub.example.co.uk/x?y=1"]),
        ("see example.invalid/path", []),
        ("file notes.txt/1", []),
        # bare domains need the option; e-mail addresses never count
        ("interfax.ru reported", []),
        ("Amazon.com's results", []),
        ("write to press@example.com or john.smith@example.news", []),
        ("mail me: user@example.com/path", []),
        ("version 1.2.3 and e.g. U.S. politics", []),
    ],
)
def test_find_urls(text: str, expected: list[str]) -> None:
    assert raws(text) == expected


def test_bare_domains_only_with_the_option() -> None:
    text = "interfax.ru and Amazon.com's site, not press@example.com nor example.coma. GOOGLE.COM."
    assert raws(text) == []
    assert raws(text, bare_domains=True) == ["interfax.ru", "Amazon.com", "GOOGLE.COM"]


def test_found_url_gets_a_scheme() -> None:
    (found,) = find_urls("go to www.example.com/a")
    assert found.url == "http://www.example.com/a" and found.kind == "www"


def test_seed_gives_three_links_from_six_occurrences(seed_file: Path) -> None:
    result = harvest(str(seed_file))
    links = group_links(result.citations)
    assert len(result.citations) == 6
    assert [link.url for link in links] == [
        "https://www.interfax.ru/russia/1030524",
        "https://www.themoscowtimes.com/2025/04/11/russia-asked-us-to-lift-sanctions-from-aeroflot-lavrov-says-a88692",
        "https://www.themoscowtimes.com/2025/02/28/russian-and-us-officials-discussed-restoring-embassy-staff-direct-"
        "flights-at-istanbul-talks-a88198",
    ]
    assert [c.line for c in result.citations] == [17, 18, 19, 20, 21, 22]
    assert {c.paragraph for c in result.citations} == {5}
    assert result.citations[0].context == "https://www.interfax.ru/russia/1030524"
    assert result.skipped == ()


def test_fixture_article_duplicates_merge(fixtures_dir: Path) -> None:
    result = harvest(str(fixtures_dir / "harvest" / "article.txt"))
    links = group_links(result.citations)
    first = links[0]
    # tracking parameters, fragment, host case, default port: one link, three citations
    assert first.url == "https://www.example.org/news/2025/talks?id=7"
    assert [c.line for c in first.occurrences] == [2, 3, 5]
    assert [c.paragraph for c in first.occurrences] == [1, 1, 2]
    urls = [link.url for link in links]
    assert "https://search.example.com/find" in urls  # trailing '?' dropped
    assert "https://en.wikipedia.org/wiki/Mercury_(planet)" in urls
    assert "https://en.wikipedia.org/wiki/Venus" in urls
    assert "https://archive.example.net/2024/report.pdf" in urls
    assert "http://www.example.net/contact" in urls
    assert "http://example.com/reports/annual-2024.pdf" in urls
    assert not any("amazon" in u or "interfax" in u or "press@" in u for u in urls)
    reasons = sorted((s.reason, s.line) for s in result.skipped)
    assert reasons == [("invalid", 12), ("invalid", 14), ("scheme", 12)]


def test_position_and_context() -> None:
    text = "Intro line.\n\nFirst sentence here. The U.S. report (https://example.com/r) was clear! Next one.\n"
    (citation,) = harvest_text(text, "src")
    assert (citation.line, citation.column, citation.paragraph) == (3, 39, 2)
    assert citation.context == "The U.S. report (https://example.com/r) was clear!"
    assert citation.anchor is None and citation.source == "src"


def test_long_context_is_bounded_around_the_link() -> None:
    text = "word " * 200 + "https://example.com/middle " + "word " * 200
    (citation,) = harvest_text(text, "src")
    assert len(citation.context) <= 310
    assert "https://example.com/middle" in citation.context


def test_skipped_are_collected_not_returned() -> None:
    skipped: list[Skipped] = []
    citations = harvest_text("a ftp://x.org/f b http://exa_mple..com/ c https://ok.org/", "s", skipped=skipped)
    assert [c.url for c in citations] == ["https://ok.org/"]
    assert [(s.reason, s.line) for s in skipped] == [("scheme", 1), ("invalid", 1)]


_paragraph = st.lists(
    st.sampled_from(
        [
            "Plain words.",
            "See https://example.com/a.",
            "(https://en.wikipedia.org/wiki/Mercury_(planet))",
            "www.example.org/x, then",
            "\u201chttps://example.net/q?utm_source=x\u201d",
            "mail press@example.com",
            "https://example.com/a#frag!",
        ]
    ),
    min_size=1,
    max_size=4,
).map(" ".join)


@settings(max_examples=60, deadline=None)
@given(st.lists(_paragraph, min_size=1, max_size=6), st.randoms(use_true_random=False))
def test_harvested_set_does_not_depend_on_paragraph_order(paragraphs: list[str], rnd: object) -> None:
    shuffled = list(paragraphs)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    before = {c.url for c in harvest_text("\n\n".join(paragraphs), "s")}
    after = {c.url for c in harvest_text("\n\n".join(shuffled), "s")}
    assert before == after
