"""How fast is quotation matching? 30 quotations against 50 sources of 5,000 words.

Prints the time to index the sources and to match every quotation against every source
(the worst case of ``archiver verify``: each quotation searched in all sources, as for a
quotation found nowhere), with how many were found / approximate / not found.

    python bench/bench_verify.py [--sources 50] [--words 5000] [--quotes 30] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from archiver.verify import DEFAULT_THRESHOLD, IndexedText, match_quote


def vocabulary(rng: random.Random, size: int = 20_000) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = {"".join(rng.choice(letters) for _ in range(rng.randint(2, 10))) for _ in range(size)}
    return sorted(words)


def zipf_words(rng: random.Random, vocab: list[str], n: int) -> list[str]:
    # a Zipf-like draw: a few very common words, a long tail of rare ones
    weights = [1 / (rank + 1) for rank in range(len(vocab))]
    return rng.choices(vocab, weights=weights, k=n)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sources", type=int, default=50)
    ap.add_argument("--words", type=int, default=5000)
    ap.add_argument("--quotes", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    vocab = vocabulary(rng)
    texts = []
    for _ in range(args.sources):
        words = zipf_words(rng, vocab, args.words)
        for k in range(0, len(words), 17):  # sentences
            words[k] = words[k].capitalize()
            words[k - 1] += "."
        texts.append(" ".join(words))

    quotes: list[tuple[str, str]] = []
    for q in range(args.quotes):
        kind = ("exact", "edited", "absent")[q % 3]
        length = rng.randint(8, 40)
        if kind == "absent":
            quotes.append((kind, " ".join(zipf_words(rng, vocab, length))))
            continue
        words = rng.choice(texts).split()
        start = rng.randrange(len(words) - length)
        part = words[start : start + length]
        if kind == "edited":
            for _ in range(max(1, length // 10)):
                part[rng.randrange(length)] = rng.choice(vocab)
        quotes.append((kind, " ".join(part)))

    t0 = time.perf_counter()
    docs = [IndexedText(t) for t in texts]
    for d in docs:
        d.positions  # noqa: B018 - build the word index now, to time it apart
    t_index = time.perf_counter() - t0

    per_quote: list[float] = []
    outcome: dict[str, dict[str, int]] = {}
    t0 = time.perf_counter()
    for kind, quote in quotes:
        q0 = time.perf_counter()
        best = match_quote(quote, docs[0])
        for d in docs[1:]:
            if best.exact:
                break
            m = match_quote(quote, d, floor=best.similarity)
            if (m.exact, m.similarity) > (best.exact, best.similarity):
                best = m
        per_quote.append(time.perf_counter() - q0)
        status = "found" if best.exact else "approximate" if best.similarity >= DEFAULT_THRESHOLD else "not_found"
        outcome.setdefault(kind, {}).setdefault(status, 0)
        outcome[kind][status] += 1
    t_match = time.perf_counter() - t0

    print(f"sources: {args.sources} x {args.words} words, quotations: {args.quotes} (8-40 words)")
    print(f"index the sources:            {t_index * 1000:8.1f} ms")
    print(f"match all quotes x all sources: {t_match * 1000:6.1f} ms "
          f"(median {statistics.median(per_quote) * 1000:.1f} ms, max {max(per_quote) * 1000:.1f} ms per quotation)")
    for kind, counts in outcome.items():
        print(f"  {kind:7s} -> {dict(sorted(counts.items()))}")


if __name__ == "__main__":
    main()
