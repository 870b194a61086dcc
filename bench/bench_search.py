"""Search latency on a synthetic archive: FTS5 (``archiver.search.search``) beside a plain scan.

Usage::

    python bench/bench_search.py                 # 100,000 snapshots (several minutes to build)
    python bench/bench_search.py --size 20000 --queries 200 --keep /tmp/bench.db

What it does:

1. Builds a fresh database with the real schema (``archiver.store`` migrations, so the FTS5
   index is filled by the real triggers) holding ``--size`` good snapshots of ``--size * 0.9``
   links (every tenth link has two snapshots, so "latest per link" has work to do), on 200
   hosts. Each text has 500-2,000 words drawn from a Zipf-distributed vocabulary of 60,000
   made-up words (with some accented and Cyrillic ones), in paragraphs of 40-120 words.
   Rows go in with ``executemany``, in one transaction per batch, with ``synchronous=OFF``
   (a throw-away file: durability is not what is measured). Build time is printed.
2. Runs ``--queries`` queries through :func:`archiver.search.search` (query translation,
   bm25 ranking, snippets, latest-snapshot-per-link filter, ``--limit 20``): a mix of
   single words of middling and high frequency, two-word AND queries, two-word phrases
   taken from a stored text, prefixes, OR queries and a domain-filtered query. Prints the
   median and 95th percentile latency overall and per kind.
3. Times a plain scan of the same texts (``text LIKE '%word%'`` over every row, the
   obvious alternative without an index) for a few of the words: on a sample of rows
   when the archive is large, extrapolated linearly (printed as such).
4. Prints the database size per snapshot (and the raw text size per snapshot beside it).

The SQL that fills the table lives here, not in ``archiver.store``: it is bench-only
synthetic data written straight into the schema, which no library path does.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archiver.search import search  # noqa: E402
from archiver.store import Store  # noqa: E402

SYLLABLES = [
    "ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zi", "pra", "stel", "gon", "dar", "bel", "quin", "tor",
    "sha", "mel", "nor", "vik", "ael", "dru", "fen", "gar", "hul", "jor", "kes", "lin", "mor", "pel",
]
ACCENTED = ["café", "naïve", "élan", "façade", "jalapeño", "über", "crème", "déjà", "señor", "smørrebrød"]
CYRILLIC = ["санкции", "сотрудничество", "правительство", "экспорт", "новости", "таможня", "министр", "решение"]


def make_vocabulary(size: int, rng: random.Random) -> list[str]:
    words: set[str] = set(ACCENTED) | set(CYRILLIC)
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    vocab = sorted(words)
    rng.shuffle(vocab)
    return vocab


def zipf_table(vocab: list[str], s: float = 1.05, slots: int = 1 << 21) -> list[str]:
    """A lookup table where each word fills slots in proportion to its Zipf weight (at least one).

    Sampling it uniformly (``rng.choices(table, k=n)``) is several times faster than
    weighted sampling, which matters for 100,000 texts of up to 2,000 words.
    """
    weights = [1.0 / (rank**s) for rank in range(1, len(vocab) + 1)]
    total = sum(weights)
    table: list[str] = []
    for word, weight in zip(vocab, weights, strict=True):
        table.extend([word] * max(1, round(weight / total * slots)))
    return table


def make_text(rng: random.Random, table: list[str]) -> str:
    words = rng.choices(table, k=rng.randint(500, 2000))
    out, i = [], 0
    while i < len(words):
        step = rng.randint(40, 120)
        out.append(" ".join(words[i : i + step]).capitalize() + ".")
        i += step
    return "\n".join(out)


_TABLE: list[str] = []


def _init_worker(table: list[str]) -> None:
    global _TABLE
    _TABLE = table


def make_batch(job: tuple[int, int, int]) -> list[tuple[str, str]]:
    """``(title, text)`` for snapshots ``first..last``, reproducible from the seed (runs in a worker)."""
    seed, first, last = job
    rng = random.Random(seed * 1_000_003 + first)
    return [
        (" ".join(rng.choices(_TABLE, k=rng.randint(3, 9))).capitalize(), make_text(rng, _TABLE))
        for _ in range(first, last + 1)
    ]


def _hosts(rng: random.Random) -> list[str]:
    return [f"{rng.choice(['www.', 'news.', 'blog.', ''])}site{h}.{rng.choice(['com', 'org', 'net', 'ru'])}"
            for h in range(200)]


def build(path: Path, size: int, seed: int, batch: int = 2000) -> tuple[float, list[str], list[str]]:
    """Fill a fresh database; return (seconds, vocabulary, hosts).

    Texts are generated in a worker process while this one inserts the previous batch.
    """
    rng = random.Random(seed)
    vocab = make_vocabulary(60_000, rng)
    table = zipf_table(vocab)
    hosts = _hosts(rng)
    start = time.perf_counter()
    n_links = max(1, size - size // 10)
    base = datetime(2024, 1, 1, tzinfo=UTC)
    jobs = [(seed, first, min(size, first + batch - 1)) for first in range(1, size + 1, batch)]
    with Store.open(path) as store, multiprocessing.Pool(1, _init_worker, (table,)) as pool:
        conn = store.db.conn
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO links (id, url, host, first_seen) VALUES (?, ?, ?, ?)",
            ((i, f"https://{hosts[i % len(hosts)]}/articles/{i}", f"https://{hosts[i % len(hosts)]}:443", "2025-01-01")
             for i in range(1, n_links + 1)),
        )
        conn.execute("COMMIT")
        for (_, first, last), docs in zip(jobs, pool.imap(make_batch, jobs), strict=True):
            rows = []
            for sid, (title, text) in zip(range(first, last + 1), docs, strict=True):
                link = sid if sid <= n_links else (sid - n_links) * 9  # a second capture of every ninth link
                url = f"https://{hosts[link % len(hosts)]}/articles/{link}"
                when = (base + timedelta(minutes=sid)).isoformat()
                rows.append((sid, link, when, url, url, 200, "text/html", len(text), title, text))
            conn.execute("BEGIN")
            conn.executemany(
                "INSERT INTO snapshots (id, link_id, captured_at, ok, requested_url, final_url, http_status,"
                " content_type, size, title, text) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            conn.execute("COMMIT")
            print(f"\r  built {last:,}/{size:,} snapshots", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return time.perf_counter() - start, vocab, hosts


def make_queries(n: int, vocab: list[str], rng: random.Random, store: Store, size: int, hosts: list[str]) -> list[
    tuple[str, str, str | None]
]:
    """(kind, query, domain) tuples."""
    queries: list[tuple[str, str, str | None]] = []
    kinds = ["word", "word", "common word", "two words", "phrase", "prefix", "or", "domain"]
    for k in range(n):
        kind = kinds[k % len(kinds)]
        mid = lambda: vocab[rng.randint(200, 20_000)]  # noqa: E731
        if kind == "word":
            queries.append((kind, mid(), None))
        elif kind == "common word":
            queries.append((kind, vocab[rng.randint(5, 200)], None))
        elif kind == "two words":
            queries.append((kind, f"{mid()} {mid()}", None))
        elif kind == "phrase":
            row = store.db.execute("SELECT text FROM snapshots WHERE id = ?", [rng.randint(1, size)]).fetchone()
            words = row[0].split()
            i = rng.randint(0, len(words) - 2)
            queries.append((kind, '"' + " ".join(w.strip(".").lower() for w in words[i : i + 2]) + '"', None))
        elif kind == "prefix":
            queries.append((kind, mid()[:4] + "*", None))
        elif kind == "or":
            queries.append((kind, f"{mid()} OR {mid()}", None))
        else:
            host = rng.choice(hosts)
            queries.append((kind, mid(), host.split(".", 1)[1] if host.count(".") > 1 else host))
    return queries


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000, help="number of snapshots (default 100,000)")
    parser.add_argument("--queries", type=int, default=200, help="number of queries (default 200)")
    parser.add_argument("--scan-sample", type=int, default=5_000, help="rows scanned per plain-scan query")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="build the database at this path and keep it; if it exists, reuse it")
    args = parser.parse_args()

    folder = None if args.keep else Path(tempfile.mkdtemp(prefix="archiver-bench-search-"))
    path = args.keep or folder / "bench.db"  # type: ignore[operator]
    if args.keep and path.exists():
        # re-run the queries on a database kept by an earlier run (same --size and --seed)
        rng = random.Random(args.seed)
        vocab = make_vocabulary(60_000, rng)
        hosts = _hosts(rng)
        print(f"reusing {path} (built earlier with --size {args.size:,})")
    else:
        print(f"building {args.size:,} synthetic snapshots (500-2,000 words each) in {path} ...")
        seconds, vocab, hosts = build(path, args.size, args.seed)
        print(f"build: {seconds:.1f} s ({args.size / seconds:,.0f} snapshots/s)")

    rng = random.Random(args.seed + 1)
    with Store.open(path, create=False) as store:
        queries = make_queries(args.queries, vocab, rng, store, args.size, hosts)
        search(store, "warmup")  # first query loads the schema and warms the page cache
        timings: dict[str, list[float]] = {}
        all_times: list[float] = []
        total_hits = 0
        for kind, query, domain in queries:
            t0 = time.perf_counter()
            hits = search(store, query, domain=domain, limit=20)
            elapsed = (time.perf_counter() - t0) * 1000
            total_hits += len(hits)
            timings.setdefault(kind, []).append(elapsed)
            all_times.append(elapsed)
        print(f"\nFTS5 search, {len(queries)} queries (limit 20, latest snapshot per link, snippets):")
        print(f"  all          median {statistics.median(all_times):7.1f} ms   p95 {pct(all_times, 95):7.1f} ms"
              f"   ({total_hits / len(queries):.1f} hits/query)")
        for kind, values in timings.items():
            print(f"  {kind:<12} median {statistics.median(values):7.1f} ms   p95 {pct(values, 95):7.1f} ms"
                  f"   (n={len(values)})")
        slowest = sorted(zip(all_times, queries, strict=True), key=lambda x: -x[0])[:5]
        print("  slowest: " + ", ".join(f"{q!r}{' --domain ' + d if d else ''} {ms:.0f} ms"
                                        for ms, (_, q, d) in slowest))

        sample = min(args.size, args.scan_sample)
        words = [q for kind, q, _ in queries if kind == "word"][:5]
        scan_times = []
        for word in words:
            t0 = time.perf_counter()
            store.db.execute(
                "SELECT count(*) FROM snapshots WHERE id <= ? AND (text LIKE ? OR title LIKE ?)",
                [sample, f"%{word}%", f"%{word}%"],
            ).fetchone()
            scan_times.append((time.perf_counter() - t0) * args.size / sample * 1000)
        how = "measured" if sample == args.size else f"extrapolated from {sample:,} rows"
        print(f"\nplain scan (text LIKE '%word%', every row), {len(words)} words: "
              f"median {statistics.median(scan_times):,.0f} ms per query ({how})")

        text_bytes = store.db.execute("SELECT sum(length(CAST(text AS BLOB))) FROM snapshots").fetchone()[0]
    size = path.stat().st_size + sum(p.stat().st_size for p in path.parent.glob(path.name + "-*"))
    print(f"\ndatabase: {size / 1e6:,.1f} MB, {size / args.size / 1024:,.1f} KiB per snapshot "
          f"(raw text {text_bytes / args.size / 1024:,.1f} KiB per snapshot)")
    if folder is not None:
        for p in path.parent.glob(path.name + "*"):
            os.unlink(p)
        folder.rmdir()


if __name__ == "__main__":
    main()
