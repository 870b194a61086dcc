"""Benchmark: harvesting a 5 MB plain-text article holding 20,000 links (goal: under 2 seconds).

Builds the article in a temporary file (prose paragraphs; every link distinct, in the forms the
harvester handles: scheme URLs with tracking parameters, www. hosts, host.tld/path, URLs in
parentheses, quotes and angle brackets, trailing punctuation), then times
``archiver.harvest.harvest`` on it (read + decode + find + canonicalize + positions + context)
and prints the time and links per second.

Optional measurements, used to choose the URL finder (see ``archiver/harvest/text.py``):

  --html MB [MB ...]       also time HTML article pages of these sizes (the newsroom fixture's body
                           grown with linked paragraphs), main content and --all-links
  --compare-linkify        also time linkify-it-py (line by line) on the same article
  --linkify-fixtures DIR   score our finder and linkify-it-py on linkify-it's published fixtures
                           (``links.txt`` and ``not_links.txt`` from markdown-it/linkify-it
                           ``test/fixtures``; not vendored here)

Example:
  python bench/bench_harvest.py
  python bench/bench_harvest.py --html 1 5
  python bench/bench_harvest.py --compare-linkify --linkify-fixtures /tmp/linkify-fixtures
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
from pathlib import Path

TARGET_BYTES = 5_000_000
TARGET_LINKS = 20_000
WORDS = (
    "the of and to in a is that for it as was with be by on not he this are or his from at which "
    "officials said talks would resume soon according report ministry embassy U.S. Feb. e.g. "
    "agency quoted sanctions flights Moscow Washington Istanbul"
).split()


def link(n: int, rnd: random.Random) -> str:
    host = f"site{n % 997}.example{'.com' if n % 3 else '.org'}"
    forms = [
        f"https://{host}/news/2025/{n}/story-{n}?id={n}&utm_source=feed&utm_medium=rss",
        f"http://www.{host}/a/{n}/index.html",
        f"(https://{host}/wiki/Item_{n}_(disambiguation))",
        f"www.{host}/path/{n}",
        f"{host}/report-{n}.pdf",
        f"\u201chttps://{host}/q/{n}\u201d",
        f"<https://{host}/angle/{n}>",
        f"https://{host}/x/{n}#section-{n % 7}",
    ]
    return rnd.choice(forms) + rnd.choice(["", ".", ",", ";"])


def build_article(rnd: random.Random) -> str:
    parts: list[str] = []
    size = 0
    links = 0
    per_paragraph = 4
    while size < TARGET_BYTES or links < TARGET_LINKS:
        sentences = []
        for _ in range(per_paragraph):
            words = [rnd.choice(WORDS) for _ in range(rnd.randint(35, 45))]
            if links < TARGET_LINKS:
                words.insert(rnd.randint(0, len(words)), link(links, rnd))
                links += 1
            sentences.append(" ".join(words).capitalize() + ".")
        paragraph = "\n".join(sentences) + "\n\n"
        parts.append(paragraph)
        size += len(paragraph.encode("utf-8"))
    return "".join(parts)


def build_html_page(megabytes: float, rnd: random.Random) -> tuple[str, int]:
    """A news page (tests/fixtures/harvest/newsroom.html) whose body is grown to ``megabytes``."""
    fixture = Path(__file__).parent.parent / "tests" / "fixtures" / "harvest" / "newsroom.html"
    page = fixture.read_text(encoding="utf-8")
    marker = '<div class="article__body" itemprop="articleBody">'
    paragraphs: list[str] = []
    size = n = 0
    while size < megabytes * 1e6:
        words = " ".join(rnd.choice(WORDS) for _ in range(60))
        paragraph = (
            f'<p>{words} <a href="https://site{n % 500}.example.com/story/{n}?utm_source=x&amp;id={n}">source {n}</a>'
            f" {words}.</p>\n"
        )
        paragraphs.append(paragraph)
        size += len(paragraph)
        n += 1
    return page.replace(marker, marker + "".join(paragraphs)), n


def bench_html(sizes: list[float]) -> None:
    from archiver.harvest import harvest_html

    for megabytes in sizes:
        page, links = build_html_page(megabytes, random.Random(1))
        for all_links in (False, True):
            start = time.perf_counter()
            found = harvest_html(page, "bench", all_links=all_links)
            elapsed = time.perf_counter() - start
            mode = "--all-links" if all_links else "main content"
            print(f"html {len(page) / 1e6:.1f} MB, {links} links in the body, {mode}: "
                  f"{len(found)} links, {elapsed:.2f} s")


def read_fixture(path: Path) -> list[tuple[str, str]]:
    """linkify-it's fixture format: a line, optionally followed by the expected link; '%' starts comments."""
    lines = [line.rstrip() for line in path.read_text(encoding="utf-8").splitlines()]
    cases: list[tuple[str, str]] = []
    skip = False
    for i, line in enumerate(lines):
        if skip:
            skip = False
            continue
        line = re.sub(r"^%.*", "", line)
        following = re.sub(r"^%.*", "", lines[i + 1]) if i + 1 < len(lines) else ""
        if not line.strip():
            continue
        if following.strip():
            cases.append((line, following))
            skip = True
        else:
            cases.append((line, line))
    return cases


def score_fixtures(directory: Path) -> None:
    from linkify_it import LinkifyIt

    from archiver.harvest.text import find_urls

    linkify = LinkifyIt()
    links = read_fixture(directory / "links.txt")
    not_links = [(re.sub(r"\s+%.*", "", line), "") for line, _ in read_fixture(directory / "not_links.txt")]

    def ours(line: str) -> list[str]:
        return [f.raw for f in find_urls(line, bare_domains=True) if f.raw.lower().startswith(("http", "www")) or
                f.kind != "scheme"]

    def theirs(line: str) -> list[str]:
        return [m.raw for m in (linkify.match(line) or [])]

    for name, finder in (("archiver", ours), ("linkify-it-py", theirs)):
        agree = emails = 0
        for line, expected in links:
            found = finder(line)
            if found[:1] == [expected]:
                agree += 1
            elif "@" in expected and "://" not in expected and not found:
                emails += 1  # e-mail addresses are deliberately not links for archiver
        clean = sum(1 for line, _ in not_links if not finder(line))
        print(
            f"{name:>14}: links.txt {agree}/{len(links)} as expected"
            + (f" (+{emails} e-mail cases rejected on purpose)" if name == "archiver" else "")
            + f"; not_links.txt {clean}/{len(not_links)} rejected"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--html", type=float, nargs="+", metavar="MB")
    parser.add_argument("--compare-linkify", action="store_true")
    parser.add_argument("--linkify-fixtures", type=Path)
    args = parser.parse_args()

    from archiver.harvest import group_links, harvest

    text = build_article(random.Random(args.seed))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big-article.txt"
        path.write_text(text, encoding="utf-8")
        size = path.stat().st_size
        start, cpu = time.perf_counter(), time.process_time()
        result = harvest(str(path))
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    distinct = len(group_links(result.citations))
    print(f"article: {size / 1e6:.2f} MB, {len(result.citations)} links found ({distinct} distinct)")
    print(f"harvest: {elapsed:.2f} s, {len(result.citations) / elapsed:,.0f} links/s (goal: under 2 s)")
    print(f"         {cpu:.2f} s of CPU time (the wall time above includes waiting when the machine is busy)")

    if args.compare_linkify:
        from linkify_it import LinkifyIt

        linkify = LinkifyIt()
        start = time.perf_counter()
        found = 0
        for line in text.splitlines():
            if linkify.pretest(line):
                found += len(linkify.match(line) or [])
        print(f"linkify-it-py, line by line, finding only: {time.perf_counter() - start:.2f} s, {found} links")
    if args.linkify_fixtures:
        score_fixtures(args.linkify_fixtures)
    if args.html:
        bench_html(args.html)
    return 0


if __name__ == "__main__":
    sys.exit(main())
