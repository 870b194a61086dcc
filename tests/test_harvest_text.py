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
        # Chinese, Japanese and Korean write no space between a word and a URL
        ("\u8be6\u60c5\u89c1https://example.com/a\u3002", ["https://example.com/a"]),
        ("\u898b\u3066\u304f\u3060\u3055\u3044https://example.jp/b\u3001", ["https://example.jp/b"]),
        ("\uc790\uc138\ud55c \ub0b4\uc6a9\uc740https://example.kr/c", ["https://example.kr/c"]),
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
    # Each URL stands alone on its line, in a block of URLs: the context is the last sentence of
    # the paragraph before the block (it ends mid-sentence: the text resumes after the block).
    hint = result.citations[0].context
    assert hint.startswith("He said Moscow will seek \u201cclearer answers\u201d to its proposal")
    assert hint.endswith("seized between 2016 and 2018 in response to alleged election")
    assert {c.context for c in result.citations} == {hint}
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


# Cases copied from published test suites of other URL finders (only where they agree with our
# rules; the differences are listed in archiver/harvest/text.py):
# * markdown-it/linkify-it test/fixtures/links.txt and not_links.txt (MIT licence, (c) Vitaly Puzrin);
# * robinst/linkify tests/url.rs, the finder lychee uses (MIT or Apache-2.0, (c) Robin Stocker).
LINKIFY_IT_LINKS = [
    # (text, expected first link, bare_domains)
    ("My http://example.com site", "http://example.com", False),
    ("http://user:pass@example.com:8080", "http://user:pass@example.com:8080", False),
    ("http://example.com?foo=bar", "http://example.com?foo=bar", False),
    ("http://example.com#foo=bar", "http://example.com#foo=bar", False),
    ("HTTP://GOOGLE.COM", "HTTP://GOOGLE.COM", False),
    (">>http://example.com", "http://example.com", False),
    ("http://lyricstranslate.com/en/someone-you-\u0d28\u0d3f\u0d28\u0d4d\u0d28\u0d46.html",
     "http://lyricstranslate.com/en/someone-you-\u0d28\u0d3f\u0d28\u0d4d\u0d28\u0d46.html", False),
    ("http://localhost:8000?", "http://localhost:8000", False),
    ("192.168.1.1/abc", "192.168.1.1/abc", False),
    ("4.4.4.4", "4.4.4.4", True),
    ("test.example@http://vk.com", "http://vk.com", False),
    ("google.com: // no port", "google.com", True),
    ("GOOGLE.COM.", "GOOGLE.COM", True),
    ("s.l.o.w.io", "s.l.o.w.io", True),
    ("http://example.com/foo_bar_(wiki)", "http://example.com/foo_bar_(wiki)", False),
    ("http://foo.com/blah_blah_[other]", "http://foo.com/blah_blah_[other]", False),
    ("http://foo.com/blah_blah_{I'm_king}", "http://foo.com/blah_blah_{I'm_king}", False),
    ("http://www.kmart.com/bestway-10'-x-30inch-steel-pro-frame-pool/p-004W007538417001P",
     "http://www.kmart.com/bestway-10'-x-30inch-steel-pro-frame-pool/p-004W007538417001P", False),
    ("{Scoped like http://example.com/foo_bar}", "http://example.com/foo_bar", False),
    ("'Quoted like http://example.com/foo_bar'", "http://example.com/foo_bar", False),
    ("[example.com/foo_bar.jpg)]", "example.com/foo_bar.jpg", False),
    ("http://example.com/foo_bar/.", "http://example.com/foo_bar/", False),
    ("https://github.com/markdown-it/linkify-it/compare/360b13a733f521a8d4903d3a5e1e46c357e9d3ce...f580766",
     "https://github.com/markdown-it/linkify-it/compare/360b13a733f521a8d4903d3a5e1e46c357e9d3ce...f580766", False),
    ("http://index-of.es/Android/Professional.Android.2.Application.Development.(Wrox,.2010,.0470565527).pdf",
     "http://index-of.es/Android/Professional.Android.2.Application.Development.(Wrox,.2010,.0470565527).pdf", False),
    ("https://www.google.com/maps/place/New+York,+NY,+USA/@40.702271,-73.9968471,11z/data=!4m2!3m1?hl=en",
     "https://www.google.com/maps/place/New+York,+NY,+USA/@40.702271,-73.9968471,11z/data=!4m2!3m1?hl=en", False),
    ("http://business.timesonline.co.uk/article/0,,9065-2473189,00.html",
     "http://business.timesonline.co.uk/article/0,,9065-2473189,00.html", False),
    ("https://google.com/mail/u/0/#label/!!!Today/15c9b8193da01e65",
     "https://google.com/mail/u/0/#label/!!!Today/15c9b8193da01e65", False),
    ("http://example.com/123!!!", "http://example.com/123", False),
    ("See http://example.com/123; Example link.", "http://example.com/123", False),
    ("http://example.com/123;123", "http://example.com/123;123", False),
    ("http://www.bloomberg.com/news/articles/2015-06-26/from-deutsche-bank-to-siemens-what-s-troubling-germany-inc-",
     "http://www.bloomberg.com/news/articles/2015-06-26/from-deutsche-bank-to-siemens-what-s-troubling-germany-inc-",
     False),
    ("http://example.com/foo-with-trailing-dash-dot-.", "http://example.com/foo-with-trailing-dash-dot-", False),
    ("<domain.com/foo>.", "domain.com/foo", False),
    ("http://\u272adf.ws/123", "http://\u272adf.ws/123", False),
    ("example.com/\u4a39", "example.com/\u4a39", False),
    ("\u043f\u0440\u0435\u0437\u0438\u0434\u0435\u043d\u0442.\u0440\u0444",
     "\u043f\u0440\u0435\u0437\u0438\u0434\u0435\u043d\u0442.\u0440\u0444", True),
    ("http://www.b\u00fcrgerentscheid-krankenh\u00e4user.de",
     "http://www.b\u00fcrgerentscheid-krankenh\u00e4user.de", False),
    ("\uff5cwww.google.com/www.google.com/foo\uff5cbar", "www.google.com/www.google.com/foo", False),
    ("https://5b0ee223b312746c1659db3f--thelounge-chat.netlify.com/docs/",
     "https://5b0ee223b312746c1659db3f--thelounge-chat.netlify.com/docs/", False),
]

LINKIFY_IT_NOT_LINKS = [
    "example.invalid", "example.invalid/", "example.coma", "-example.coma", "foo.123", "localhost", "localhost/",
    "_http://example.com", "_//example.com", "_example.com", "http://", "http://.", "http://..",
    "google.com:500000", "show image.jpg", "path:to:file.pm", "/path/to/file.pl",
    "1.2.3.4.5", "1.2.3", "1.2.3.400", "1000.2.3.4", "a1.2.3.4", "1.2.3.4a", "foo@bar",
    # e-mail addresses are never links for archiver (linkify-it finds them)
    "name@example.com", "(email@example.com)", "192.168.1.1@gmail.com",
]

LINKIFY_RS = [
    # (text, every link found)
    (".http://example.org/", ["http://example.org/"]),
    ("1.http://example.org/", ["http://example.org/"]),
    ("http://a.", ["http://a"]),
    ("http://127.0.0.1/ and http://127.0.0.1:8888/ are local", ["http://127.0.0.1/", "http://127.0.0.1:8888/"]),
    ("http://example.org/\x9fbar", ["http://example.org/"]),
    ("http://example.org/foo\u200bbar", ["http://example.org/foo"]),
    ("http://example.org/(.", ["http://example.org/"]),
    ("http://example.org/]()", ["http://example.org/"]),
    ("((http://example.org/a(b)))", ["http://example.org/a(b)"]),
    ("[(http://example.org/)]", ["http://example.org/"]),
    ("(http://example.org/.)", ["http://example.org/"]),
    ("'https://example.org''", ["https://example.org"]),
    ("''https://example.org''", ["https://example.org"]),
    ("http://example.org/'_(foo)'", ["http://example.org/'_(foo)'"]),
    ("http://example.org/'''", ["http://example.org/''"]),
    ("http://example.org/\"a\"", ["http://example.org/"]),
    ("http://example.org/`a`", ["http://example.org/"]),
    ("https://example.org/**", ["https://example.org/"]),
    ("https://example.org/*/a", ["https://example.org/*/a"]),
    ("http://example.org\"/>", ["http://example.org"]),
    ("http://example.org');", ["http://example.org"]),
    ('<img src="http://example.org/test.svg">', ["http://example.org/test.svg"]),
    ("http://example.org//", ["http://example.org//"]),
    ("(http://one.org/)(http://two.org/)", ["http://one.org/", "http://two.org/"]),
    ("(one.org/)(two.org/)", ["one.org/", "two.org/"]),
    ("one.org/ : http://two.org/", ["one.org/", "http://two.org/"]),
    ("http://\u00fc\u00f1\u00ee\u00e7\u00f8\u00f0\u00e9.com/\u00e4", ["http://\u00fc\u00f1\u00ee\u00e7\u00f8\u00f0\u00e9.com/\u00e4"]),
    ("http://example.org/\U0001f600", ["http://example.org/\U0001f600"]),
    ("example.c", []),
    ("foo.bar@example.org", []),
]


@pytest.mark.parametrize(("text", "expected", "bare"), LINKIFY_IT_LINKS)
def test_linkify_it_published_links(text: str, expected: str, bare: bool) -> None:
    assert raws(text, bare_domains=bare)[:1] == [expected]


@pytest.mark.parametrize("text", LINKIFY_IT_NOT_LINKS)
def test_linkify_it_published_not_links(text: str) -> None:
    assert harvest_text(text, "s", bare_domains=True) == []


@pytest.mark.parametrize(("text", "expected"), LINKIFY_RS)
def test_linkify_rs_published_cases(text: str, expected: list[str]) -> None:
    assert raws(text, bare_domains=True) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # deliberate differences from linkify-it, each a choice for articles:
        ("My ssl //example.com site", []),  # no scheme-relative links in prose
        ("http://foo.com/blah_blah_\"doublequoted\"", ["http://foo.com/blah_blah_"]),  # '"' ends a URL
        ("the report\u2014https://x.org/a\u2014said", ["https://x.org/a"]),  # an em dash ends a URL
        ("see 10.0.0.1:8080/admin, then", ["10.0.0.1:8080/admin"]),
        ("version 1.2.3.4 is out", []),  # a bare IPv4 address only with bare_domains
    ],
)
def test_deliberate_choices(text: str, expected: list[str]) -> None:
    assert raws(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the authority (host and port) ends at what no host holds (robinst/linkify, bleach)
        ("[http://example.com|Example]", ["http://example.com"]),  # wiki and Jira link markup
        ("[https://x.org/page|https://x.org/page|smart-link]", ["https://x.org/page", "https://x.org/page"]),
        ("|https://b.org/y| table cell", ["https://b.org/y"]),
        ("<a href='http://example.org'/>", ["http://example.org"]),
        ("https://a.com'https://b.com", ["https://a.com", "https://b.com"]),
        ("https://a.org,https://b.org", ["https://a.org", "https://b.org"]),
        ("http://user:pa,ss@host.org/x", ["http://user:pa,ss@host.org/x"]),  # userinfo is left alone
        ("http://[::1]:8080/x", ["http://[::1]:8080/x"]),
        ("https://example.org-- which", ["https://example.org"]),  # a host never ends in a hyphen
        ("https://example.com-/", ["https://example.com"]),
        ("http://bar.com:xkcd", ["http://bar.com"]),  # a port is ASCII digits
        ("http://foo.com:\u0663\u0669/", ["http://foo.com"]),
        # a path keeps what real URLs hold
        ("https://fonts.googleapis.com/css?family=Roboto|Open+Sans", [
            "https://fonts.googleapis.com/css?family=Roboto|Open+Sans"]),
        ("http://example.org/\u00a1", ["http://example.org/\u00a1"]),  # "¡" opens a phrase, never ends one
        # a closing bracket that closes nothing: GitHub's autolink rule, unless it closes the
        # bracket just before the URL or what follows is no more of it (GFM spec, urlextract)
        ("www.google.com/search?q=(business))+ok", ["www.google.com/search?q=(business))+ok"]),
        ("(enclosure.net/blah)o(blah", ["enclosure.net/blah"]),
        ("asd(enclosure.net/bracketext)asd", ["enclosure.net/bracketext"]),
        ("xx[http://httpbin.org/status/200](http://httpbin.org/status/210)trololo",
         ["http://httpbin.org/status/200", "http://httpbin.org/status/210"]),
        ("(https://a.org/)(https://b.org/)", ["https://a.org/", "https://b.org/"]),
        ("\\enclosure.net/slash\\", ["enclosure.net/slash"]),  # a trailing backslash is no path
        ("* test link -https://www.example.com", ["https://www.example.com"]),  # a dash before the scheme
        # a port followed by punctuation keeps its digits (found by review)
        ("Run it at http://localhost:8080.", ["http://localhost:8080"]),
        ("Served on http://localhost:8080: done", ["http://localhost:8080"]),
        ("Server: http://127.0.0.1:8000\u2026", ["http://127.0.0.1:8000"]),
        ("http://user:pw@localhost:8080.", ["http://user:pw@localhost:8080"]),
        # prose glued to a closing bracket ends the URL
        ("(\u8a73\u7d30: https://example.com/a)\u3092\u53c2\u7167", ["https://example.com/a"]),
        ("https://ja.wikipedia.org/wiki/\u6771\u4eac)\u304c", ["https://ja.wikipedia.org/wiki/\u6771\u4eac"]),
        # a pipe in the query is part of the URL, in brackets too
        ("[https://fonts.googleapis.com/css?family=Roboto|Open+Sans]",
         ["https://fonts.googleapis.com/css?family=Roboto|Open+Sans"]),
        ("|https://x.org/a?fields=id|name|", ["https://x.org/a?fields=id|name"]),
    ],
)
def test_ends_of_urls_from_other_finders_suites(text: str, expected: list[str]) -> None:
    assert raws(text) == expected


def test_context_of_a_url_line_is_the_preceding_prose_sentence() -> None:
    text = (
        "Intro paragraph. It ends here.\n\n"
        "The ministry confirmed the talks. Its statement is online:\n"
        "https://example.com/statement\n"
        "and more words follow the link here.\n"
    )
    (citation,) = harvest_text(text, "s")
    assert citation.context == "Its statement is online:"


def test_context_of_a_url_block_is_the_last_sentence_of_the_previous_paragraph() -> None:
    text = (
        "Officials met on Feb. 27. They discussed flights, said\nthe ministry.\n\n"
        "Sources:\n"
        "1. https://example.com/a\n"
        "- https://example.com/b, https://example.com/c\n"
        "\n<https://example.com/d>\n"
    )
    citations = harvest_text(text, "s")
    assert len(citations) == 4
    # "Sources:" is a label, not prose: it is passed over
    assert {c.context for c in citations} == {"They discussed flights, said the ministry."}


def test_context_without_any_prose_before_is_the_line_itself() -> None:
    citations = harvest_text("https://example.com/a  https://example.com/b\n\nLater text comes here.\n", "s")
    assert [c.context for c in citations] == ["https://example.com/a https://example.com/b"] * 2


def test_hint_context_is_bounded_and_keeps_the_end_of_the_sentence() -> None:
    text = "Start " + "word " * 150 + "the final words.\nhttps://example.com/a\n"
    (citation,) = harvest_text(text, "s")
    assert len(citation.context) <= 301
    assert citation.context.startswith("\u2026") and citation.context.endswith("the final words.")


def test_url_inside_prose_keeps_its_own_sentence() -> None:
    text = "Earlier sentence here.\nRead https://example.com/a for details. Next one.\n"
    (citation,) = harvest_text(text, "s")
    assert citation.context == "Read https://example.com/a for details."


def test_long_url_list_gets_the_heading_sentence_everywhere() -> None:
    urls = "\n".join(f"https://example.com/{n}" for n in range(3000))
    citations = harvest_text("These are the sources of the story.\n" + urls + "\n", "s")
    assert len(citations) == 3000
    assert {c.context for c in citations} == {"These are the sources of the story."}


def test_ipv6_literal_with_a_scheme() -> None:
    citations = harvest_text("Mirror at http://[2001:DB8::1]:8080/data. Local (http://[::1]/x).", "s")
    assert [(c.raw, c.url) for c in citations] == [
        ("http://[2001:DB8::1]:8080/data", "http://[2001:db8::1]:8080/data"),
        ("http://[::1]/x", "http://[::1]/x"),
    ]


def test_context_ends_at_chinese_and_japanese_full_stops() -> None:
    text = "東京で会議が開かれた。詳細は https://example.jp/a を参照してください。次の文です。"
    (citation,) = harvest_text(text, "s")
    assert citation.context == "詳細は https://example.jp/a を参照してください。"
