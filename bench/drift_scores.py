"""Print the drift-measure table that chose archiver.drift's default threshold.

For each article fixture in tests/fixtures/check/ and each kind of change, prints the
score of archiver.drift.similarity next to the alternatives it was chosen over
(unweighted shingle coverage, Jaccard over 3-word shingles, difflib on word sequences),
then the time each takes on a 50,000-word page.

    python bench/drift_scores.py
"""

from __future__ import annotations

import difflib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from check_cases import articles, rewrite_sentences, rewrite_words, split_article, with_boilerplate  # noqa: E402

from archiver import drift  # noqa: E402


def unweighted(a: str, b: str) -> float:
    aw, _ = drift.normalize_words(a)
    bw, _ = drift.normalize_words(b)
    if not aw or not bw:
        return float(aw == bw)
    k = min(3, len(aw), len(bw))
    sa, sb = drift._shingles(aw, k), drift._shingles(bw, k)
    cov = drift.coverage(aw, [1.0] * len(aw), sb, k) + drift.coverage(bw, [1.0] * len(bw), sa, k)
    return cov / (len(aw) + len(bw))


def jaccard(a: str, b: str) -> float:
    aw, _ = drift.normalize_words(a)
    bw, _ = drift.normalize_words(b)
    sa, sb = drift._shingles(aw, 3), drift._shingles(bw, 3)
    return len(sa & sb) / len(sa | sb) if sa | sb else 1.0


def seqmatch(a: str, b: str) -> float:
    aw, _ = drift.normalize_words(a)
    bw, _ = drift.normalize_words(b)
    return difflib.SequenceMatcher(None, aw, bw, autojunk=False).ratio()


MEASURES = {"weighted (ours)": drift.similarity, "unweighted cov": unweighted, "jaccard k=3": jaccard,
            "difflib words": seqmatch}


def cases() -> list[tuple[str, str, str, str]]:
    """(article, change, old, new) for every article and kind of change."""
    arts = articles()
    names = sorted(arts)
    out = []
    for n, name in enumerate(names):
        text = arts[name]
        donor = arts[names[(n + 1) % len(names)]]
        title, paragraphs = split_article(text)
        old = with_boilerplate(text, 0)
        out += [
            (name, "identical", old, old),
            (name, "boilerplate only", old, with_boilerplate(text, 1)),
            (name, "3 words edited", text, rewrite_words(text, donor, 0.01)),
            (name, "paragraph added", text, text + "\nUpdate: " + split_article(donor)[1][0]),
            (name, "paragraphs reordered", text, "\n".join([title, *reversed(paragraphs)])),
            (name, "20% sentences", text, rewrite_sentences(text, donor, 0.2)),
            (name, "40% sentences", text, rewrite_sentences(text, donor, 0.4)),
            (name, "60% sentences", text, rewrite_sentences(text, donor, 0.6)),
            (name, "60% sents + bp", old, with_boilerplate(rewrite_sentences(text, donor, 0.6), 1)),
            (name, "60% words", text, rewrite_words(text, donor, 0.6)),
            (name, "first half only", text, "\n".join([title, *paragraphs[: len(paragraphs) // 2]])),
            (name, "unrelated", text, donor),
        ]
    return out


def main() -> None:
    rows = cases()
    print(f"{'article':<11} {'change':<21}" + "".join(f"{m:>17}" for m in MEASURES))
    by_change: dict[str, dict[str, list[float]]] = {}
    for name, change, old, new in rows:
        scores = {m: f(old, new) for m, f in MEASURES.items()}
        for m, s in scores.items():
            by_change.setdefault(change, {}).setdefault(m, []).append(s)
        print(f"{name:<11} {change:<21}" + "".join(f"{s:>17.3f}" for s in scores.values()))
    print("\nrange per change (min..max over articles)")
    print(f"{'change':<21}" + "".join(f"{m:>17}" for m in MEASURES))
    for change, per in by_change.items():
        print(f"{change:<21}" + "".join(f"{min(v):>8.2f}..{max(v):<7.2f}" for v in per.values()))
    print(f"\ndefault threshold: {drift.DEFAULT_DRIFT_THRESHOLD}")

    long_old = "\n".join(with_boilerplate(t) for t in articles().values()) * 40
    long_new = rewrite_sentences(long_old.replace("\n", " ").replace(". ", ".\n"), long_old, 0.3)
    words = len(long_old.split())
    print(f"\ntime on a {words:,}-word page against a 30% rewrite:")
    for m, f in MEASURES.items():
        start = time.perf_counter()
        f(long_old, long_new)
        print(f"  {m:<16} {time.perf_counter() - start:8.3f} s")


if __name__ == "__main__":
    main()
