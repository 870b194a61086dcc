"""Texts and pages for the drift and check tests and benches (no pytest here: plain helpers).

- :func:`articles`: the article fixtures in ``tests/fixtures/check/`` (title line + paragraphs).
- :func:`with_boilerplate`: an article wrapped in a date line, a view counter, an
  advertisement and a "related articles" list; ``variant`` picks different boilerplate,
  so two variants differ only in boilerplate.
- :func:`rewrite_sentences` / :func:`rewrite_words`: replace a fraction of the sentences
  (or of scattered words) with text from another article, deterministically.
- :func:`article_html`: a realistic HTML page (nav, header, aside, footer) around a text,
  for the fake web.
- :func:`harvest_of`: a Harvest citing a list of URLs (archive without the harvester).
- :class:`FixedRandom`: makes probe URLs predictable (last segment ``PROBE_SEGMENT``).
"""

from __future__ import annotations

import hashlib
import html
import random
import re
from pathlib import Path

from archiver.types import Citation, Harvest, Source, SourceFormat, SourceKind

FIXTURES = Path(__file__).parent / "fixtures" / "check"

_BOILERPLATE = [
    {
        "date": "By Jane Doe · Published 12 March 2024 · 4 min read",
        "views": "12,345 views",
        "ad": "Advertisement: try our premium plan today and save 30% on your first year of unlimited reading",
        "related": [
            "Ten recipes for a quick weeknight dinner",
            "Why the housing market cooled this spring",
            "Interview: the violinist who plays in train stations",
            "How to choose running shoes for long distances",
            "The best hiking trails within two hours of the city",
        ],
    },
    {
        "date": "By Jane Doe · Updated 2 April 2025 · 5 min read",
        "views": "98,012 views",
        "ad": "Sponsored: the new electric hatchback from a leading maker, test drive it this weekend near you",
        "related": [
            "Local bakery wins national bread award",
            "What the new school timetable means for parents",
            "Storm warning issued for the coast on Friday",
            "Five podcasts to listen to on your commute",
            "Museum reopens its renovated modern art wing",
            "Opinion: our parks need more public toilets",
        ],
    },
]


def articles() -> dict[str, str]:
    """Name -> text of every ``article_*.txt`` fixture (first line is the title)."""
    paths = sorted(FIXTURES.glob("article_*.txt"))
    return {p.stem.removeprefix("article_"): p.read_text(encoding="utf-8") for p in paths}


def split_article(text: str) -> tuple[str, list[str]]:
    """(title, paragraphs) of an article fixture."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0], lines[1:]


def with_boilerplate(text: str, variant: int = 0) -> str:
    """The article as an extractor might return it with boilerplate lines kept, variant ``variant``."""
    title, paragraphs = split_article(text)
    bp = _BOILERPLATE[variant % len(_BOILERPLATE)]
    middle = len(paragraphs) // 2
    lines = [title, bp["date"], bp["views"], *paragraphs[:middle], bp["ad"], *paragraphs[middle:], "Related articles"]
    lines += bp["related"]
    return "\n".join(lines)


_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def _sentences(paragraph: str) -> list[str]:
    return [s for s in _SENTENCE.split(paragraph) if s]


def rewrite_sentences(text: str, donor: str, fraction: float, seed: int = 1) -> str:
    """Replace ``fraction`` of the sentences of ``text`` (title kept) with sentences of ``donor``."""
    rng = random.Random(seed)
    title, paragraphs = split_article(text)
    _, donor_paragraphs = split_article(donor)
    donor_sentences = [s for p in donor_paragraphs for s in _sentences(p)]
    slots = [(i, j) for i, p in enumerate(paragraphs) for j, _ in enumerate(_sentences(p))]
    chosen = set(rng.sample(slots, round(len(slots) * fraction)))
    out = []
    for i, p in enumerate(paragraphs):
        sentences = _sentences(p)
        out.append(" ".join(rng.choice(donor_sentences) if (i, j) in chosen else s for j, s in enumerate(sentences)))
    return "\n".join([title, *out])


def rewrite_words(text: str, donor: str, fraction: float, seed: int = 1) -> str:
    """Replace ``fraction`` of the words of ``text``, at scattered positions, with words of ``donor``."""
    rng = random.Random(seed)
    donor_words = donor.split()
    lines = [line.split() for line in text.strip().splitlines()]
    slots = [(i, j) for i, words in enumerate(lines) for j, _ in enumerate(words)]
    for i, j in rng.sample(slots, round(len(slots) * fraction)):
        lines[i][j] = rng.choice(donor_words)
    return "\n".join(" ".join(words) for words in lines)


def article_html(text: str, *, site: str = "Example News", extra_head: str = "", sidebar: str = "",
                 byline: tuple[str, ...] = ()) -> str:
    """A realistic HTML article page: nav, header, main article (title, ``byline`` lines, paragraphs), aside, footer."""
    title, paragraphs = split_article(text)
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in [*byline, *paragraphs])
    nav = "".join(f'<li><a href="/section/{s.lower()}">{s}</a></li>' for s in ("World", "Politics", "Science", "Sport"))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} | {site}</title>{extra_head}</head>
<body>
<header><div class="logo">{site}</div><nav><ul>{nav}</ul></nav></header>
<main><article>
<h1>{html.escape(title)}</h1>
{body}
</article></main>
<aside class="sidebar">{sidebar}</aside>
<footer><p>Copyright {site}. All rights reserved.</p><a href="/privacy">Privacy</a> <a href="/terms">Terms</a></footer>
</body></html>
"""


def harvest_of(urls: list[str], locator: str = "/tmp/article.md") -> Harvest:
    """A Harvest citing ``urls`` (one per line), as the harvester would make for a plain list of links."""
    from archiver.urls import canonicalize

    text = "\n".join(urls)
    data = text.encode("utf-8")
    source = Source(locator=locator, kind=SourceKind.FILE, format=SourceFormat.TEXT,
                    sha256=hashlib.sha256(data).hexdigest(), encoding="utf-8", size=len(data))
    citations = tuple(
        Citation(raw=u, url=canonicalize(u), source=locator, line=i + 1, column=1, paragraph=i + 1, context=u)
        for i, u in enumerate(urls)
    )
    return Harvest(source=source, text=text, citations=citations)


class FixedRandom(random.Random):
    """A Random whose ``choice`` always takes the first item: probe URLs end in ``aaaa...`` (16 a's)."""

    def choice(self, seq):  # type: ignore[no-untyped-def, override]
        return seq[0]


PROBE_SEGMENT = "a" * 16
