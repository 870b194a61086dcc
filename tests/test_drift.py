"""The drift measure, tested directly on the article fixtures (see archiver/drift.py for the table)."""

from __future__ import annotations

import pytest
from check_cases import articles, rewrite_sentences, rewrite_words, split_article, with_boilerplate
from hypothesis import given
from hypothesis import strategies as st

from archiver.drift import DEFAULT_DRIFT_THRESHOLD, normalize_words, similarity

ARTICLES = articles()
NAMES = sorted(ARTICLES)


def donor_for(name: str) -> str:
    return ARTICLES[NAMES[(NAMES.index(name) + 1) % len(NAMES)]]


@pytest.mark.parametrize("name", NAMES)
def test_identical_texts_score_one(name: str) -> None:
    assert similarity(ARTICLES[name], ARTICLES[name]) == 1.0


@pytest.mark.parametrize("name", NAMES)
def test_unrelated_texts_score_near_zero(name: str) -> None:
    assert similarity(ARTICLES[name], donor_for(name)) < 0.05


@pytest.mark.parametrize("name", NAMES)
def test_boilerplate_only_changes_stay_above_threshold(name: str) -> None:
    old = with_boilerplate(ARTICLES[name], 0)
    new = with_boilerplate(ARTICLES[name], 1)
    assert old != new
    assert similarity(old, new) > DEFAULT_DRIFT_THRESHOLD + 0.1


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sixty_percent_rewrite_falls_below_threshold(name: str, seed: int) -> None:
    text, donor = ARTICLES[name], donor_for(name)
    assert similarity(text, rewrite_sentences(text, donor, 0.6, seed=seed)) < DEFAULT_DRIFT_THRESHOLD
    assert similarity(text, rewrite_words(text, donor, 0.6, seed=seed)) < DEFAULT_DRIFT_THRESHOLD
    rewritten_with_new_boilerplate = with_boilerplate(rewrite_sentences(text, donor, 0.6, seed=seed), 1)
    assert similarity(with_boilerplate(text, 0), rewritten_with_new_boilerplate) < DEFAULT_DRIFT_THRESHOLD


@pytest.mark.parametrize("name", NAMES)
def test_small_edits_and_reordering_stay_ok(name: str) -> None:
    text, donor = ARTICLES[name], donor_for(name)
    title, paragraphs = split_article(text)
    assert similarity(text, rewrite_words(text, donor, 0.01)) > 0.95
    assert similarity(text, rewrite_sentences(text, donor, 0.2)) > DEFAULT_DRIFT_THRESHOLD
    assert similarity(text, "\n".join([title, *reversed(paragraphs)])) == 1.0


def test_scores_fall_as_more_is_rewritten() -> None:
    text, donor = ARTICLES["bikes"], donor_for("bikes")
    scores = [similarity(text, rewrite_sentences(text, donor, f)) for f in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] == 1.0 and scores[-1] < 0.2


def test_numbers_and_case_do_not_count() -> None:
    assert similarity("Seen 1,234 times on 3 May 2024", "seen 98,765 TIMES on 17 may 2025") == 1.0


def test_short_lines_weigh_less_than_paragraphs() -> None:
    words, weights = normalize_words("Short line\n" + " ".join(["word"] * 30))
    assert words[:2] == ["short", "line"]
    assert weights[0] < 0.01 and weights[-1] == 1.0


def test_empty_and_none() -> None:
    assert similarity("", "") == 1.0
    assert similarity(None, None) == 1.0
    assert similarity("some text here", "") == 0.0
    assert similarity(None, "some text here") == 0.0


def test_very_short_texts_use_shorter_shingles() -> None:
    assert similarity("hello", "hello") == 1.0
    assert similarity("hello world", "hello there") < 1.0
    assert similarity("hello world", "hello world again and again") > 0.0


def test_unicode_scripts_and_normal_forms() -> None:
    ru = ARTICLES["ru"]
    assert similarity(ru, ru.upper()) == 1.0
    assert similarity("café au lait today", "cafe\u0301 au lait today") == 1.0  # NFKC: composed == decomposed


@given(st.text(max_size=200), st.text(max_size=200))
def test_symmetric_and_bounded(a: str, b: str) -> None:
    s = similarity(a, b)
    assert 0.0 <= s <= 1.0
    assert s == similarity(b, a)


@given(st.text(max_size=200))
def test_self_similarity_is_one(a: str) -> None:
    assert similarity(a, a) == 1.0


def test_containment_is_one_sided() -> None:
    from archiver.drift import containment

    text = ARTICLES["bikes"]
    assert containment(text, text + "\n" + ARTICLES["coral"]) == 1.0  # additions cost nothing
    assert containment(text + "\n" + ARTICLES["coral"], text) < 0.6
    assert containment(text, rewrite_sentences(text, donor_for("bikes"), 0.6)) < 0.5
    assert containment("", "anything") == 1.0 and containment("some words here", "") == 0.0
