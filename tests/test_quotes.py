"""Quotation finding: marks at word boundaries, apostrophes, nesting, paragraphs, HTML."""

from __future__ import annotations

from pathlib import Path

import pytest

from archiver.quotes import ArticleText, count_words, find_quotations

SEED = Path(__file__).parent.parent / "seeds" / "000_a601677b5c772689.txt"


def texts(text: str, **kw: object) -> list[str]:
    return [q.text for q in find_quotations(text, **kw)]  # type: ignore[arg-type]


def test_seed_article_quotations_of_six_words_or_more() -> None:
    found = find_quotations(SEED.read_text(encoding="utf-8"))
    assert [q.text.split()[:3] for q in found] == [
        ["The", "third", "round"],
        ["The", "Fight", "for"],  # the title of a related article, in single quotes: 6 words
        ["This", "includes", "major"],
        ["We", "receive", "instructions"],
    ]
    first = found[0]
    # the quotation runs over three lines; it keeps its inner apostrophe (It’s) and is reflowed
    assert first.text == (
        "The third round of bilateral consultations on irritants is approaching. It’s too early to talk"
        " about a specific date, but I hope the discussions will take place very soon,"
    )
    assert (first.line, first.column) == (9, 1)
    assert found[3].line == 48 and found[3].column == 15
    assert found[3].text == "We receive instructions after each phone conversation in the form of direct directives."
    # short quotations (“very soon”, “clearer answers”, “help resolve”) are not reported
    assert not any("very soon" == q.text for q in found)
    # paragraphs are counted in order and differ between the quotations
    assert [q.paragraph for q in found] == sorted({q.paragraph for q in found})


def test_seed_short_quotations_are_found_with_a_lower_minimum() -> None:
    short = texts(SEED.read_text(encoding="utf-8"), min_words=1)
    for expected in ("very soon", "clearer answers", "participate", "help resolve", "slow-walking"):
        assert expected in short


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He said “we will never accept this deal at all” today.", "we will never accept this deal at all"),
        ("Er sagte „wir werden das niemals so akzeptieren“, dann ging er.", "wir werden das niemals so akzeptieren"),
        ("Powiedział „nigdy nie zaakceptujemy tej umowy teraz” wczoraj.", "nigdy nie zaakceptujemy tej umowy teraz"),
        ("Il a dit « nous ne céderons jamais devant ces menaces » hier.", "nous ne céderons jamais devant ces menaces"),
        ("Er sagte »wir werden das niemals so akzeptieren«, dann ging er.", "wir werden das niemals so akzeptieren"),
        ('He said "we will never accept this deal at all" today.', "we will never accept this deal at all"),
        ("He said ‘we will never accept this deal at all’ today.", "we will never accept this deal at all"),
        ("(“we will never accept this deal at all”)", "we will never accept this deal at all"),
    ],
)
def test_quotation_styles(text: str, expected: str) -> None:
    assert texts(text) == [expected]


def test_apostrophes_never_open_or_close() -> None:
    text = "Russia’s minister and the US’s envoy didn’t say rock’n’roll was the nation’s music for ever and ever."
    assert texts(text, min_words=1) == []


def test_possessive_closes_only_an_open_single_quote() -> None:
    # players’ is followed by a space: it would close an open ‘, but nothing is open
    assert texts("The players’ union said ‘we will never accept this deal at all’ today.") == [
        "we will never accept this deal at all"
    ]


def test_nested_quotations_report_the_outer_one() -> None:
    text = "“He told me ‘we will never accept this deal at all’ and then he left the room,” she said."
    found = find_quotations(text)
    assert len(found) == 1
    assert found[0].text == "He told me ‘we will never accept this deal at all’ and then he left the room,"
    german = "„Er sagte ‚wir gehen nicht‘ und verließ dann sofort den Raum“, berichtete sie."
    assert texts(german) == ["Er sagte ‚wir gehen nicht‘ und verließ dann sofort den Raum"]


def test_outer_mark_closes_over_an_unclosed_inner_one() -> None:
    text = "“He spoke of the ‘90s and of everything that happened since then,” she said."
    assert texts(text) == ["He spoke of the ‘90s and of everything that happened since then,"]


def test_marks_inside_words_are_ignored() -> None:
    assert texts('The value was 5"3 and then 6"2 in old units of some kind here.', min_words=1) == []


def test_minimum_words() -> None:
    text = "A “one two three four five” and a “one two three four five six” here."
    assert texts(text) == ["one two three four five six"]
    assert count_words("It’s a well-known fact, isn’t it") == 7


def test_unclosed_quotation_is_dropped_at_paragraph_end() -> None:
    text = "He said “this is never closed in the paragraph at all\n\nNext paragraph with words.”"
    assert texts(text) == []


def test_long_quotation_running_over_paragraphs() -> None:
    text = (
        "He said: “This is the first paragraph of a long statement by him.\n\n"
        "“And this is its second paragraph, closed at last,” he said."
    )
    found = find_quotations(text)
    assert [q.text for q in found] == [
        "This is the first paragraph of a long statement by him.",
        "And this is its second paragraph, closed at last,",
    ]
    assert [q.paragraph for q in found] == [1, 2]
    assert found[0].close_mark == ""


def test_paragraphs_of_plain_text_are_blank_line_blocks() -> None:
    text = "# Title\nIntro line\ncontinued\n\nSecond para\n- item one\n- item two\n\n\nLast"
    layout = ArticleText(text)
    assert [layout.paragraph_at(n) for n in (1, 2, 3, 5, 6, 7, 10)] == [1, 1, 1, 2, 2, 2, 3]


def test_paragraphs_of_markdown_are_the_harvester_blocks() -> None:
    text = "# Title\nIntro line\ncontinued\n\nSecond para\n- item one\n- item two\n\n\nLast"
    layout = ArticleText(text, markdown=True)
    assert layout.paragraph_at(1) == 1
    assert layout.paragraph_at(2) == 2 and layout.paragraph_at(3) == 2
    assert layout.paragraph_at(5) == 3
    assert layout.paragraph_at(6) == 4 and layout.paragraph_at(7) == 5
    assert layout.paragraph_at(10) == 6


def test_html_tags_entities_and_blocks() -> None:
    html = (
        "<html><head><style>p{}</style><script>var s = “not a quotation at all, it is code here”;</script></head>"
        "<body>\n<p>He said &ldquo;we will <em>never</em> accept\nthis deal&rdquo; today.</p>\n"
        "<p>Next paragraph: “one two three four five six”</p></body></html>"
    )
    found = find_quotations(html, html=True)
    assert [q.text for q in found] == ["we will never accept this deal", "one two three four five six"]
    assert [q.paragraph for q in found] == [1, 2]
    first = found[0]
    # the position is that of the opening mark in the HTML source (the entity)
    assert html.splitlines()[first.line - 1][first.column - 1 :].startswith("&ldquo;we")
    layout = ArticleText(html, html=True)
    assert layout.paragraph_at(3, 1) == 1  # this deal&rdquo; today.</p>
    assert layout.paragraph_at(4, 4) == 2  # <p>Next paragraph


def test_markdown_block_quote_lines_and_code() -> None:
    text = (
        "> “The first paragraph of a long statement\n> runs over two lines of the block quote.\n>\n"
        "> “And its second paragraph is closed at last,” he said.\n\n"
        "```\nprint(“this is code and never a quotation at all”)\n```\n\n"
        "| “one two three four five six” | [x](https://a.example) |\n|---|---|\n"
    )
    found = find_quotations(text, markdown=True)
    assert [q.text for q in found] == [
        "The first paragraph of a long statement runs over two lines of the block quote.",
        "And its second paragraph is closed at last,",
        "one two three four five six",
    ]
    assert [q.paragraph for q in found] == [1, 2, 3]
    layout = ArticleText(text, markdown=True)
    assert text.splitlines()[9][34:37] == "[x]"
    assert layout.paragraph_at(10, 35) == 3  # the link in the same table row


def test_markdown_quotation_shows_link_text_not_link_syntax() -> None:
    # Linking the quoted words to their source is common; the URL is no part of what was said.
    text = (
        "He said “we will [not accept any such deal](https://news.example/2025/04/statement) under"
        " these conditions” and “[this is the end of it](<https://b.example/x>) for now”.\n"
    )
    assert texts(text, markdown=True) == [
        "we will not accept any such deal under these conditions",
        "this is the end of it for now",
    ]
    assert texts(text) == [  # plain text has no link syntax: kept as written
        "we will [not accept any such deal](https://news.example/2025/04/statement) under these conditions",
        "[this is the end of it](<https://b.example/x>) for now",
    ]


def test_html_line_breaks_stay_inside_the_paragraph() -> None:
    html = "<p>Intro<br>“one two three four five six”<br/>end</p><p>next</p>"
    (q,) = find_quotations(html, html=True)
    assert q.text == "one two three four five six" and q.paragraph == 1
    assert ArticleText(html, html=True).paragraph_at(1, 56) == 2


def test_html_attribute_values_are_markup_even_with_a_greater_than_sign() -> None:
    html = (
        '<p>Intro <a title="5 > 3" data-q="he said " href="https://x.example">link</a>'
        ' and “one two three four five six”.</p><p class=\'a>b\'>next</p>'
    )
    layout = ArticleText(html, html=True)
    assert "data-q" not in layout.readable and "href" not in layout.readable and "a>b" not in layout.readable
    assert [q.text for q in layout.quotations()] == ["one two three four five six"]
    assert layout.paragraph_at(1, html.index("next") + 1) == 2
