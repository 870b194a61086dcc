"""Markdown harvesting: links, reference links, autolinks, bare URLs; nothing from code."""

from __future__ import annotations

from pathlib import Path

import pytest

from archiver.harvest import group_links, harvest, harvest_markdown
from archiver.types import Skipped, SourceFormat


def test_fixture_article(fixtures_dir: Path) -> None:
    result = harvest(str(fixtures_dir / "harvest" / "article.md"))
    assert result.source.format is SourceFormat.MARKDOWN
    by_url = {c.url: c for c in reversed(result.citations)}  # first citation of each URL
    links = group_links(result.citations)
    assert [link.url for link in links] == [
        "https://www.example.org/news/istanbul",
        "https://mfa.example.gov/statements/2025-04-15",
        "https://www.example.org/news/earlier",
        "https://quotes.example.com/ryabkov",
        "https://bare.example.com/path_(with)_parens",
        "http://www.example.net/item",
    ]
    istanbul = by_url["https://www.example.org/news/istanbul"]
    assert (istanbul.line, istanbul.column, istanbul.paragraph, istanbul.anchor) == (3, 18, 2, "Istanbul")
    assert len(links[0].occurrences) == 2  # the list item repeats it with a #fragment
    # a reference link is placed where it is used, not where it is defined
    mfa = by_url["https://mfa.example.gov/statements/2025-04-15"]
    assert (mfa.line, mfa.anchor, mfa.raw) == (4, "foreign ministry said", "https://mfa.example.gov/statements/2025-04-15?utm_source=md")
    earlier = by_url["https://www.example.org/news/earlier"]
    assert (earlier.line, earlier.anchor) == (4, "earlier report")
    autolink = by_url["https://quotes.example.com/ryabkov"]
    assert (autolink.line, autolink.anchor) == (6, None)
    bare = by_url["https://bare.example.com/path_(with)_parens"]
    assert bare.line == 7 and bare.column == 3 and bare.paragraph == 3
    urls = {c.url for c in result.citations}
    assert not any(host in u for u in urls for host in ("code-span", "fenced", "indented", "unused"))
    assert sorted((s.reason, s.raw, s.line) for s in result.skipped) == [
        ("scheme", "javascript:void(0)", 20),
        ("scheme", "mailto:press@example.com", 20),
    ]


def test_context_shows_link_text_not_syntax() -> None:
    (citation,) = harvest_markdown("Intro. As [the agency](https://a.example/r) said. Next.\n", "s")
    assert citation.context == "As the agency said."


def test_bare_url_escapes_and_entities() -> None:
    citations = harvest_markdown("see https://a.example/x\\_y?a=1&amp;b=2 and www.b.example/p\n", "s")
    assert [c.url for c in citations] == ["https://a.example/x_y?a=1&b=2", "http://www.b.example/p"]


def test_ampersand_parameters_are_not_read_as_legacy_entities() -> None:
    # "&region" and "&copy" start like the legacy entities &reg and &copy, but a URL's query is
    # not an entity: CommonMark needs the ";", and HTML does not decode before "=" or a letter.
    text = (
        "See https://a.example/x?id=1&region=us&copy=2 and\n"
        '<a href="https://b.example/y?id=1&region=us&amp;lang=en">b</a>.\n'
    )
    assert [c.url for c in harvest_markdown(text, "s")] == [
        "https://a.example/x?id=1&region=us&copy=2",
        "https://b.example/y?id=1&region=us&lang=en",
    ]


def test_html_inside_markdown() -> None:
    text = 'Text with <a href="https://inline.example/">inline html</a>.\n\n<div>\n<a href="https://block.example/x">b</a>\n</div>\n'
    citations = harvest_markdown(text, "s")
    assert [(c.url, c.line) for c in citations] == [("https://inline.example/", 1), ("https://block.example/x", 4)]
    assert citations[1].anchor == "b"


def test_invalid_link_is_reported_with_its_line() -> None:
    skipped: list[Skipped] = []
    citations = harvest_markdown("one\n\ntwo [bad](http://exa%20mple.com/) x\n", "s", skipped=skipped)
    assert citations == []
    assert [(s.reason, s.line) for s in skipped] == [("invalid", 3)]


def test_table_cells_and_headings_are_blocks() -> None:
    text = "# Head https://h.example/\n\n| a | b |\n|---|---|\n| [c](https://c.example/) | https://d.example/ |\n"
    citations = harvest_markdown(text, "s")
    assert [(c.url, c.line, c.paragraph) for c in citations] == [
        ("https://h.example/", 1, 1),
        ("https://c.example/", 5, 4),
        ("https://d.example/", 5, 5),
    ]


# Autolink cases from GitHub's cmark-gfm test/extensions.txt ("Autolinks" and "Interop" sections;
# CC-BY-SA 4.0, (c) GitHub / Yuki Izumi): (Markdown, canonical URLs harvested).
GFM_AUTOLINKS = [
    (": http://google.com https://google.com", ["http://google.com/", "https://google.com/"]),
    ("<http://google.com/\u00e5> http://google.com/\u00e5", ["http://google.com/%C3%A5"] * 2),
    ("www.github.com www.github.com/\u00e1", ["http://www.github.com/", "http://www.github.com/%C3%A1"]),
    ("www.google.com/a_b", ["http://www.google.com/a_b"]),
    ("**Autolink and http://inlines**", ["http://inlines/"]),
    ("![http://inline.com/image](http://inline.com/image)", []),  # an image is not a citation
    ("scyther@pokemon.com", []),  # e-mail addresses are not links for archiver
    ("Full stop outside parens shouldn't be included http://google.com/ok.", ["http://google.com/ok"]),
    ("(Full stop inside parens shouldn't be included http://google.com/ok.)", ["http://google.com/ok"]),
    ('"http://google.com"', ["http://google.com/"]),
    ("'http://google.com'", ["http://google.com/"]),
    ("http://\U0001f344.ga/ http://x\U0001f344.ga/", ["http://xn--ei8h.ga/", "http://xn--x-jq2s.ga/"]),
    ("~~www.google.com~~", ["http://www.google.com/"]),
    ("~~http://google.com~~", ["http://google.com/"]),
    ("| a | b |\n| --- | --- |\n| https://github.com www.github.com | http://pokemon.com |",
     ["https://github.com/", "http://www.github.com/", "http://pokemon.com/"]),
]


@pytest.mark.parametrize(("text", "expected"), GFM_AUTOLINKS)
def test_gfm_published_autolinks(text: str, expected: list[str]) -> None:
    assert [c.url for c in harvest_markdown(text, "s")] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("_https://x.example/a_ and __https://x.example/b__", ["https://x.example/a", "https://x.example/b"]),
        ("*https://x.example/c*, ~https://x.example/d~.", ["https://x.example/c", "https://x.example/d"]),
        ("https://x.example/snake_case_path and https://x.example/~user/", [
            "https://x.example/snake_case_path", "https://x.example/~user/"]),
    ],
)
def test_emphasis_around_bare_urls_is_not_part_of_them(text: str, expected: list[str]) -> None:
    assert [c.url for c in harvest_markdown(text, "s")] == expected


def test_context_cleans_link_syntax_tags_and_emphasis() -> None:
    text = 'He [said](<https://a.example/x y> "t") it, *twice*, per [b](https://a.example/p(1)) <b>here</b>.\n'
    citations = harvest_markdown(text, "s")
    assert [c.context for c in citations] == ["He said it, twice, per b here."] * 2


def test_context_of_a_linked_image_shows_no_link_syntax() -> None:
    text = "The river [![flow chart](https://img.example/f.png)](https://data.example/flow) rose again.\n"
    (citation,) = harvest_markdown(text, "s")
    assert (citation.url, citation.anchor) == ("https://data.example/flow", "flow chart")
    assert citation.context == "The river flow chart rose again."


def test_inline_html_link_has_its_anchor() -> None:
    (citation,) = harvest_markdown('See <a href="https://a.example/">the <em>report</em></a>.\n', "s")
    assert (citation.anchor, citation.context) == ("the report", "See the report.")


def test_the_text_of_an_inline_html_link_is_its_anchor_not_another_citation() -> None:
    # markdown-it-py's linkify fixture "don't touch text in html <a> tags"
    cits = harvest_markdown('<a href="https://example.com">https://example.com</a>\n', "a.md")
    assert [(c.raw, c.anchor) for c in cits] == [("https://example.com", "https://example.com")]
    text = 'See <a href="https://y.org/">www.other.org</a> and https://z.org/x, or <a href="https://q.org">q</a>.\n'
    assert [(c.raw, c.anchor) for c in harvest_markdown(text, "a.md")] == [
        ("https://y.org/", "www.other.org"), ("https://z.org/x", None), ("https://q.org", "q")]
    # an <a> never closed does not hide the bare URLs up to the next link's </a>
    text = '<a href="https://a.org/"> unclosed, https://b.org/x, and <a href="https://c.org/">C</a>.\n'
    assert [c.raw for c in harvest_markdown(text, "a.md")] == ["https://a.org/", "https://b.org/x", "https://c.org/"]


def test_link_list_context_is_the_sentence_before_it() -> None:
    text = (
        "# Title\n\nThe ministry published three documents on Monday.\n\n"
        "- <https://a.example/1>\n- https://a.example/2\n- [https://a.example/3](https://a.example/3)\n"
        "- [The annual report](https://a.example/4)\n"
    )
    citations = harvest_markdown(text, "s")
    assert [c.context for c in citations[:3]] == ["The ministry published three documents on Monday."] * 3
    assert citations[3].context == "The annual report"  # a link with words carries its own context


def test_footnote_style_citations() -> None:
    text = "The figure rose.[^1] It fell later.[^2]\n\n[^1]: https://a.example/one\n[^2]: Data at https://a.example/two.\n"
    assert [c.url for c in harvest_markdown(text, "s")] == ["https://a.example/one", "https://a.example/two"]


def test_a_bare_url_running_into_a_link_or_a_footnote_keeps_its_own_part() -> None:
    # markdown-it-py's linkify fixture "links inside raw links": the URL before the link is still cited
    cits = harvest_markdown("https://example.com/foo[123](456)bar\n", "a.md")
    assert [(c.raw, c.column) for c in cits] == [("https://example.com/foo", 1)]
    cits = harvest_markdown("See https://a.org/x[^1] and more.\n\n[^1]: A note.\n", "a.md")
    assert [(c.raw, c.column) for c in cits] == [("https://a.org/x", 5)]


def test_a_footnote_marker_is_cut_only_at_the_end_of_a_url() -> None:
    cits = harvest_markdown("Regex: https://regex101.com/?regex=[^a-z]+&flags=g\n", "a.md")
    assert [c.raw for c in cits] == ["https://regex101.com/?regex=[^a-z]+&flags=g"]
