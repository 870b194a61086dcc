"""Search: query translation (people's queries -> safe FTS5), ranking, snippets, filters; all offline."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from search_archive import FEB, JAN, MAR, Archive, build_archive

from archiver.errors import InvalidURLError, NotFoundError, QueryError
from archiver.search import normalize_domain, parse_time_bound, search, split_snippet, to_fts_query
from archiver.store import Store

# ---------------------------------------------------------------------------
# Query translation


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("climate policy", "climate policy"),
        ("U.S. sanctions", '("U.S." OR US) AND sanctions'),
        ("US sanctions", '(US OR "U S") AND sanctions'),
        ("e.g. U.K", '("e.g." OR eg) AND ("U.K" OR UK)'),
        ("U.S.*", '("U.S."* OR US*)'),
        ("war -U.S.", 'war NOT ("U.S." OR US)'),
        ("title:U.S.", 'title : ("U.S." OR US)'),
        ("us and A.", 'us and "A."'),  # lower case or a single letter: not an acronym
        ("co-operation", '"co-operation"'),
        ("Russia's policy", "\"Russia's\" policy"),
        ("Russia’s", '"Russia’s"'),
        ('"climate policy"', '"climate policy"'),
        ("“U.S. sanctions”", '"U.S. sanctions"'),
        ("«новые санкции»", '"новые санкции"'),
        ("sanc*", "sanc*"),
        ("co-op*", '"co-op"*'),
        ('"steel export"*', '"steel export"*'),
        ("war OR peace", "war OR peace"),
        ("war AND (peace OR truce)", "war AND (peace OR truce)"),
        ("steel NOT cafe", "steel NOT cafe"),
        ("and or not", "and or not"),
        ("NEAR(U.S. sanctions, 5)", 'NEAR("U.S." sanctions, 5)'),
        ("title:climate", "title : climate"),
        ('title:"two words"', 'title : "two words"'),
        ("привет мир", "привет мир"),
        ("café", "café"),
        ("C++ 50% @user", '"C++" "50%" "@user"'),
        ("http://example.com/a?b=1", '"http://example.com/a?b=1"'),
        ('say "x" "" ...', 'say "x"'),
        ("NEAR", '"NEAR"'),
        ("nul\x00byte\ttab", "nul byte tab"),
        # FTS5 allows implicit AND only between phrases: it is spelled out next to groups
        ("(war OR peace) treaty", "(war OR peace) AND treaty"),
        ("steel title:(iron OR ore)", "steel AND title : (iron OR ore)"),
        ("title:NEAR(steel export)", "title : NEAR(steel export)"),
        # -word excludes it, as in web search engines (FTS5 spells it NOT, a binary operator)
        ("war -peace", "war NOT peace"),
        ("-peace war", "war NOT peace"),
        ("war treaty -peace -truce", "(war treaty) NOT peace NOT truce"),
        ('war -"peace talks"', 'war NOT "peace talks"'),
        ("war -(peace OR truce)", "war NOT (peace OR truce)"),
        ("war OR conflict -peace", "(war OR conflict) NOT peace"),
        ("(war -peace) treaty", "(war NOT peace) AND treaty"),
        ("-title:war peace", "peace NOT title : war"),
        ("co-operation -x", '"co-operation" NOT x'),
        ("temperature -5", 'temperature "-5"'),
        ("war - peace", "war peace"),
        ("-OR war", 'war NOT "OR"'),
    ],
)
def test_translation(query: str, expected: str) -> None:
    assert to_fts_query(query) == expected


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ('"unclosed phrase', "unbalanced quote"),
        ("(war OR peace", "unbalanced parenthesis"),
        ("war)", "unbalanced parenthesis"),
        ("steel AND", "AND has nothing"),
        ("OR steel", "OR has nothing"),
        ("NOT steel", "NOT has nothing"),
        ("steel OR OR iron", "OR has nothing"),
        ("steel AND )", "unbalanced parenthesis"),
        ("()", "empty parentheses"),
        ("NEAR()", "NEAR() needs"),
        ("NEAR(a AND b)", "inside NEAR"),
        ("NEAR(a b, far)", "must be a number"),
        ("NEAR(a, 5 b)", "must come last"),
        ("NEAR(a NEAR(b c))", "only terms"),
        ("NEAR(a title:b)", "only terms"),
        ("title:", "column filter"),
        ("...", "no words"),
        ("", "no words"),
        ("-peace", "only excludes"),
        ("-peace -war", "only excludes"),
        ("war OR -peace", "cannot be combined"),
        ("-peace AND war", "cannot be combined"),
        ("NEAR(war -peace)", "NEAR"),
    ],
)
def test_broken_queries_raise_with_a_hint(query: str, fragment: str) -> None:
    with pytest.raises(QueryError) as info:
        to_fts_query(query)
    assert fragment in str(info.value)
    assert info.value.hint


@pytest.fixture(scope="module")
def fts() -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(":memory:")
    conn.execute(
        "CREATE VIRTUAL TABLE t USING fts5(title, text, tokenize='unicode61 remove_diacritics 2')"
    )
    conn.execute("INSERT INTO t VALUES ('U.S. sanctions', 'co-operation and Russia’s café, NEAR words')")
    yield conn
    conn.close()


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(['"', "(", ")", "*", "AND", "OR", "NOT", "NEAR(", "NEAR", ",", "5", ", 3)", "title:",
                             "text:", ":", "-", "-a", '-"', "-(", "^", "+", "{", "“", "»", "'", "U.S.", "café", "мир",
                             "a", "b*", '"x y"*', "a,b"]),
            st.text(max_size=4),
        ),
        max_size=8,
    ).map(" ".join)
)
def test_translated_queries_never_break_sqlite(fts: sqlite3.Connection, query: str) -> None:
    """Law: any text either raises QueryError or becomes a query FTS5 accepts."""
    try:
        translated = to_fts_query(query)
    except QueryError:
        return
    fts.execute("SELECT rowid FROM t WHERE t MATCH ?", [translated]).fetchall()


# ---------------------------------------------------------------------------
# Dates


def test_parse_time_bound() -> None:
    now = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    assert parse_time_bound("30d", now=now) == now - timedelta(days=30)
    assert parse_time_bound("12h", now=now) == now - timedelta(hours=12)
    assert parse_time_bound("2w", now=now) == now - timedelta(weeks=2)
    assert parse_time_bound("2025-01-31") == datetime(2025, 1, 31, tzinfo=UTC)
    assert parse_time_bound("2025-01-31", end=True) == datetime(2025, 2, 1, tzinfo=UTC)
    assert parse_time_bound("2025-01-31T12:00:00+02:00") == datetime(2025, 1, 31, 10, 0, tzinfo=UTC)
    assert parse_time_bound("2025-01-31T12:00Z") == datetime(2025, 1, 31, 12, 0, tzinfo=UTC)
    with pytest.raises(QueryError) as info:
        parse_time_bound("last tuesday")
    assert "30d" in (info.value.hint or "")


def test_normalize_domain() -> None:
    assert normalize_domain("Example.ORG.") == "example.org"
    assert normalize_domain("https://News.Example.org/x") == "news.example.org"
    assert normalize_domain("пример.рф") == "xn--e1afmkfd.xn--p1ai"
    with pytest.raises(InvalidURLError):
        normalize_domain("not a domain")


def test_split_snippet() -> None:
    assert split_snippet("a [[b]] c [[d e]]") == [("a ", False), ("b", True), (" c ", False), ("d e", True)]


# ---------------------------------------------------------------------------
# Searching a real (fake-web) archive, offline


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    return build_archive(tmp_path_factory.mktemp("search"))


@pytest.fixture
def store(archive: Archive, no_network: None) -> Iterator[Store]:
    with Store.open(archive.db, create=False) as st_:
        yield st_


def urls(hits: list) -> list[str]:  # type: ignore[type-arg]
    return [h.url for h in hits]


def test_phrase(store: Store, archive: Archive) -> None:
    hits = search(store, '"U.S. sanctions"')
    assert urls(hits) == [archive.urls["sanctions"]]
    assert "[[U.S. sanctions]]" in hits[0].snippet
    assert hits[0].snapshot_id == archive.snapshots["sanctions@v2"]
    assert hits[0].captured_at == MAR
    assert hits[0].title == "New U.S. sanctions on steel exports"
    assert "\n" not in hits[0].snippet


@pytest.mark.parametrize("query", ["U.S. sanctions", "co-operation", "Russia's", "Russia’s delegation", "co-op*"])
def test_punctuation_queries(store: Store, archive: Archive, query: str) -> None:
    assert urls(search(store, query)) == [archive.urls["sanctions"]]


@pytest.mark.parametrize("query", ["U.S. sanctions", "US sanctions", "u.s. sanctions"])
def test_acronyms_match_with_or_without_dots(query: str) -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(title, text, tokenize='unicode61 remove_diacritics 2')")
    conn.executemany("INSERT INTO t VALUES (?, ?)", [
        ("undotted", "Russia asked US to lift Aeroflot sanctions"),
        ("dotted", "New U.S. sanctions on steel exports"),
        ("other", "The U.K. sanctions list grew"),
    ])
    found = {row[0] for row in conn.execute("SELECT title FROM t WHERE t MATCH ?", [to_fts_query(query)])}
    conn.close()
    assert found == {"undotted", "dotted"}


def test_acronym_search_end_to_end(store: Store, archive: Archive) -> None:
    assert urls(search(store, "US sanctions")) == urls(search(store, "U.S. sanctions")) == [archive.urls["sanctions"]]


def test_phrase_is_not_just_the_words(store: Store) -> None:
    assert search(store, '"sanctions U.S."') == []


def test_prefix(store: Store, archive: Archive) -> None:
    assert urls(search(store, "lighthous*")) == [archive.urls["notes"]]
    assert urls(search(store, "санкц*")) == [archive.urls["ru"]]
    # prefix queries are highlighted by archiver (FTS5's snippet() is slow on wide prefixes)
    assert "[[lighthouse]]" in search(store, "lighthous*")[0].snippet
    assert "[[санкции]]" in search(store, "САНКЦ*")[0].snippet
    assert "[[café]]" in search(store, "caf*")[0].snippet
    assert search(store, "caf* NOT steel*") == []  # the café page mentions steel
    both = search(store, "gare cre*")[0].snippet
    assert "[[crème]]" in both and "[[gare]]" in both and "…" in both


def test_highlight_terms_leave_out_what_not_excludes() -> None:
    from archiver.search import _highlight_terms, _lex

    assert _highlight_terms(_lex("a* NOT (b OR c) d")) == (frozenset({"d"}), ("a",))
    assert _highlight_terms(_lex('Café* "U.S." NOT x')) == (frozenset({"u", "s"}), ("cafe",))


def test_local_snippet_picks_the_densest_window_and_scales() -> None:
    from archiver.search import _local_snippet

    text = "zero " * 30 + "alpha one alpha two alpha " + "zero " * 30 + "alpha " + "zero " * 30
    snippet = _local_snippet(text, frozenset({"alpha"}), ())
    assert snippet is not None and snippet.count("\x02alpha\x03") == 3  # the window with three matches
    # a huge page where every word matches a prefix: linear, not quadratic (this took minutes)
    huge = "alpha beta " * 40_000
    snippet = _local_snippet(huge, frozenset(), ("al",))
    assert snippet is not None and snippet.startswith("\x02alpha\x03 beta")


def test_local_snippet_of_decomposed_text_highlights_whole_words() -> None:
    import unicodedata

    from archiver.search import _local_snippet

    text = unicodedata.normalize("NFD", "Ein Kölner Café für Zoë")
    snippet = _local_snippet(text, frozenset({"cafe"}), ("ko",))
    assert snippet is not None
    assert "\x02Kölner\x03" in snippet and "\x02Café\x03" in snippet  # the accents inside the highlight


def test_cyrillic_word_any_case(store: Store, archive: Archive) -> None:
    for query in ("сотрудничество", "САНКЦИИ"):
        hits = search(store, query)
        assert urls(hits) == [archive.urls["ru"]]
    assert "[[санкции]]" in search(store, "санкции")[0].snippet


def test_a_decomposed_query_finds_composed_text(store: Store, archive: Archive) -> None:
    import unicodedata

    for query in ("café", "naïve crème", '"café de la gare"', "caf*"):
        hits = search(store, unicodedata.normalize("NFD", query))
        assert urls(hits) == [archive.urls["cafe"]], query
    assert "[[café]]" in search(store, unicodedata.normalize("NFD", "caf*"))[0].snippet


def test_diacritics_are_folded(store: Store, archive: Archive) -> None:
    for query in ("cafe", "café", "naive", "creme"):
        hits = search(store, query)
        assert urls(hits) == [archive.urls["cafe"]], query
    assert "[[naïve]]" in search(store, "naive")[0].snippet


def test_minus_excludes_a_word(store: Store, archive: Archive) -> None:
    assert set(urls(search(store, "steel"))) > {archive.urls["cafe"]}
    without = urls(search(store, "steel -café"))
    assert without and archive.urls["cafe"] not in without
    assert set(without) == set(urls(search(store, "steel NOT café")))


def test_operators(store: Store, archive: Archive) -> None:
    assert set(urls(search(store, "steel"))) == {archive.urls["sanctions"], archive.urls["cafe"]}
    assert urls(search(store, "steel NOT cafe")) == [archive.urls["sanctions"]]
    assert urls(search(store, "steel AND gare")) == [archive.urls["cafe"]]
    assert set(urls(search(store, "lighthouse OR naive"))) == {archive.urls["notes"], archive.urls["cafe"]}
    assert urls(search(store, "NEAR(steel exporters, 3)")) == [archive.urls["sanctions"]]
    assert urls(search(store, "title:gare")) == [archive.urls["cafe"]]


def test_ranking_best_first_and_score_higher_is_better(store: Store, archive: Archive) -> None:
    hits = search(store, "steel")
    # the sanctions page has steel in its title and twice in its text; the café page once
    assert urls(hits) == [archive.urls["sanctions"], archive.urls["cafe"]]
    assert hits[0].score > hits[1].score > 0


def test_latest_snapshot_only_by_default(store: Store, archive: Archive) -> None:
    assert search(store, "zeppelin") == []  # only in the January snapshot
    hits = search(store, "zeppelin", all_snapshots=True)
    assert [h.snapshot_id for h in hits] == [archive.snapshots["sanctions@v1"]]
    both = search(store, "steel exporters", all_snapshots=True)
    assert {h.snapshot_id for h in both} == {archive.snapshots["sanctions@v1"], archive.snapshots["sanctions@v2"]}


def test_broken_query_is_a_query_error(store: Store) -> None:
    with pytest.raises(QueryError) as info:
        search(store, '"steel')
    assert "quote" in str(info.value)


def test_no_match(store: Store) -> None:
    assert search(store, "xylophone") == []


def test_limit(store: Store) -> None:
    assert len(search(store, "steel", limit=1)) == 1
    with pytest.raises(QueryError):
        search(store, "steel", limit=0)


def test_domain_filter_includes_subdomains(store: Store, archive: Archive) -> None:
    both = {archive.urls["sanctions"], archive.urls["cafe"]}
    assert set(urls(search(store, "steel", domain="example.org"))) == both
    assert urls(search(store, "steel", domain="WWW.example.org")) == [archive.urls["cafe"]]
    assert urls(search(store, "steel", domain="https://news.example.org/x")) == [archive.urls["sanctions"]]
    assert search(store, "steel", domain="other.test") == []
    assert search(store, "steel", domain="ample.org") == []  # a suffix of a label is not a subdomain


def test_filter_values_are_data_not_sql(store: Store, archive: Archive) -> None:
    for domain in ("%", "_", "%.org", "x'y.org", 'a"b.org'):
        assert search(store, "steel", domain=domain) == [], domain  # LIKE wildcards only narrow, never widen
    for source in ("x' OR '1'='1", "'; DROP TABLE links; --"):
        with pytest.raises(NotFoundError):
            search(store, "steel", source=source)
    with pytest.raises(InvalidURLError):
        search(store, "steel", domain="x' OR 1=1 --")
    assert len(urls(search(store, "steel"))) == 2  # nothing was dropped


def test_source_filter(store: Store, archive: Archive) -> None:
    assert urls(search(store, "steel", source=str(archive.article))) == [archive.urls["sanctions"]]
    assert urls(search(store, "санкции", source=str(archive.article))) == [archive.urls["ru"]]
    assert search(store, "cafe", source=str(archive.article)) == []
    with pytest.raises(NotFoundError):
        search(store, "steel", source=str(Path(archive.article).with_name("other.md")))


def test_time_filters(store: Store, archive: Archive) -> None:
    # until the end of January: the latest snapshot *then* was the January one
    hits = search(store, "steel", until=parse_time_bound("2025-01-31", end=True))
    assert [h.snapshot_id for h in hits] == [archive.snapshots["sanctions@v1"]]
    assert hits[0].captured_at == JAN
    # a bare date as --until includes that day
    feb = search(store, "steel", until=parse_time_bound("2025-02-15", end=True))
    assert set(urls(feb)) == {archive.urls["sanctions"], archive.urls["cafe"]}
    assert search(store, "steel", until=parse_time_bound("2025-02-15")) != feb
    since = search(store, "steel", since=FEB + timedelta(days=1))
    assert [h.snapshot_id for h in since] == [archive.snapshots["sanctions@v2"]]
    assert search(store, "zeppelin", since=FEB) == []


def test_candidate_pool_grows_when_filters_reject_the_best(
    store: Store, archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    from archiver.store import queries

    # Both sanctions snapshots outrank the café for "steel"; only the café was captured on Feb 15.
    feb15 = {"since": FEB, "until": FEB + timedelta(days=1), "limit": 1}
    monkeypatch.setattr(queries, "POOLS", (1, None))
    assert urls(search(store, "steel", **feb15)) == [archive.urls["cafe"]]
    monkeypatch.setattr(queries, "POOLS", (1,))
    assert search(store, "steel", **feb15) == []  # the first pool alone is not enough: growing matters
    # link filters (domain, source) restrict the FTS scan itself, before ranking
    assert urls(search(store, "steel", limit=1, domain="www.example.org")) == [archive.urls["cafe"]]


def test_link_filters_without_restricting_the_scan(
    store: Store, archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A --domain keeping many links filters after ranking instead; same answers."""
    from archiver.store import queries

    monkeypatch.setattr(queries, "RESTRICT_MIN", 0)
    monkeypatch.setattr(queries, "RESTRICT_FRACTION", 0.0)
    monkeypatch.setattr(queries, "POOLS", (1, None))
    assert urls(search(store, "steel", limit=1, domain="www.example.org")) == [archive.urls["cafe"]]
    assert urls(search(store, "steel", source=str(archive.article))) == [archive.urls["sanctions"]]
    monkeypatch.setattr(queries, "POOLS", (1,))
    assert search(store, "steel", limit=1, domain="www.example.org") == []
