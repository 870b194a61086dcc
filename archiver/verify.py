"""Offline citation checking: does the article quote its sources faithfully, and is each citation archived?

Contract of :func:`verify` (reads the store, never the network):

* The article is read as it is *now*: a file (or ``-``) is harvested again, so an edited
  article is checked as edited. An article given by URL is not fetched: the latest
  version recorded in the store is used, with its recorded citations (a URL never
  archived is a :class:`~archiver.errors.SourceError`, exit 2).
* A file whose path is not a recorded source (moved, renamed, never archived) is still
  checked, since citations are looked up by canonical URL, and ``notes`` says so. When
  none of the links it cites has an archived copy (say it was archived with no network)
  the verification is still made, not refused: every citation is reported not archived,
  every quotation ``not_found``, and ``notes`` tells the writer to run ``archiver archive``.
* For each citation: whether a good snapshot of its link is archived (the latest one
  ``archiver archive`` made, so a later ``check --snapshot`` of a drifted page does not
  stand in for the copy that was cited; id, capture time, sha256, title) and the last
  class ``archiver check`` gave it; for a
  link not archived, its latest failed capture and why it failed (``last_error``).
* For each quotation (:mod:`archiver.quotes`: at least six words between quotation marks)
  the archived texts are searched in widening scopes, stopping at the first that matches:

  1. ``paragraph``: links cited in the quotation's paragraph or an adjacent one;
  2. ``article``: every other link of the article. A quotation found only here while a
     link *is* cited next to it is flagged :attr:`QuoteCheck.misattributed`;
  3. ``archive`` (only with ``anywhere``): candidates picked from the whole archive by
     the FTS index (BM25 over the quotation's words), then matched like the others.

  Every good snapshot of a link is searched (newest first), so a page that changed
  after it was cited still vouches for what it said then.
* Matching (:func:`match_quote`) compares word sequences after normalization: Unicode
  NFC before splitting into words (so decomposed and precomposed accents agree), NFKC,
  case folding, and every non-word character (quotation marks, apostrophes, dashes,
  punctuation, line breaks) treated as a word separator. ``found`` means the quotation's
  words occur in order and contiguously; a quotation with an ellipsis (``…``, ``...``,
  ``[…]``) is split there and each part must occur in order, at most
  :data:`MAX_ELLIPSIS_GAP` words apart. Otherwise the best *approximate* passage is
  looked for: windows are picked by diagonal voting (each quotation word that occurs in
  the text votes for the alignment it implies; words occurring very often do not vote),
  then scored with :class:`difflib.SequenceMatcher` over words, trimmed to the run of
  matching blocks that scores best. ``similarity`` is ``M / max(len(quote), len(passage))``
  in words (M words matched in order), 1.0 for ``found``: two words changed in a quotation
  of twenty give 0.9, while a passage sharing only a few of its words scores low however
  short it is. A passage at or above ``threshold``
  (default :data:`DEFAULT_THRESHOLD`) is ``approximate``; below, the quotation is
  ``not_found`` (its ``similarity`` is still the best seen, ``url``/``passage`` are ``None``).

Why difflib and voting rather than rapidfuzz: word-level alignment gives a similarity a
writer can read ("18 of 20 words match") and a passage cut at word boundaries; voting
keeps the work proportional to the occurrences of the quotation's rarer words, so an
article with 30 quotations against 50 sources of 5,000 words is checked in well under a
second (``bench/bench_verify.py`` prints the figures) without a compiled dependency.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from difflib import SequenceMatcher
from enum import StrEnum
from itertools import accumulate
from pathlib import Path
from typing import Any

from archiver.errors import ArchiverError, SourceError
from archiver.quotes import ArticleText
from archiver.store import reports as queries
from archiver.store.checks import last_checks
from archiver.store.core import Store
from archiver.types import CheckResult, Citation, Harvest, LinkStatus, Snapshot, SourceFormat

__all__ = [
    "DEFAULT_THRESHOLD",
    "MAX_ELLIPSIS_GAP",
    "Article",
    "CitationCheck",
    "IndexedText",
    "Match",
    "QuoteCheck",
    "QuoteStatus",
    "Scope",
    "Verification",
    "load_article",
    "match_quote",
    "normalize_words",
    "verify",
    "verify_article",
]

#: Minimum similarity (0..1, words) for an ``approximate`` match.
DEFAULT_THRESHOLD = 0.75
#: Most words allowed between two parts of a quotation cut by an ellipsis.
MAX_ELLIPSIS_GAP = 200
#: Quotations shorter than this many words are not checked.
DEFAULT_MIN_WORDS = 6
#: How many archive-wide candidates the FTS index proposes with ``anywhere``.
ARCHIVE_CANDIDATES = 20

_TOKEN_RE = re.compile(r"\w+")
_ELLIPSIS_RE = re.compile(r"\[\s*(?:…|(?:\.\s*){3})\s*\]|\(\s*(?:…|(?:\.\s*){3})\s*\)|…|\.\s*\.\s*\.")


class QuoteStatus(StrEnum):
    """How a quotation was found in the archived sources."""

    FOUND = "found"
    APPROXIMATE = "approximate"
    NOT_FOUND = "not_found"


class Scope(StrEnum):
    """Where a quotation was found (see the module docstring)."""

    PARAGRAPH = "paragraph"
    ARTICLE = "article"
    ARCHIVE = "archive"


def _composed(text: str) -> str:
    """``text`` in NFC, so that a decomposed accent (``o`` + U+0308) does not split its word."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def normalize_words(text: str) -> list[str]:
    """The normalized words of ``text``: NFKC, case-folded, split on every non-word character."""
    return [unicodedata.normalize("NFKC", m.group()).casefold() for m in _TOKEN_RE.finditer(_composed(text))]


class IndexedText:
    """A text prepared for matching: its normalized words, their spans in the text, and an index."""

    def __init__(self, text: str) -> None:
        text = _composed(text)  # passages are cut from the composed (NFC) text
        self.text = text
        folded = text.casefold() if unicodedata.is_normalized("NFKC", text) else ""
        self._fast = len(folded) == len(text)  # already NFKC, and folding kept every character in place
        if self._fast:
            self.words: list[str] = _TOKEN_RE.findall(folded)
            self._spans: list[tuple[int, int]] | None = None
        else:
            matches = list(_TOKEN_RE.finditer(text))
            self.words = [unicodedata.normalize("NFKC", m.group()).casefold() for m in matches]
            self._spans = [m.span() for m in matches]
        # " w1 w2 ... " lets a quotation's words be found with one str.find at word boundaries
        self.joined = " " + " ".join(self.words) + " "
        self._starts = list(accumulate((len(w) + 1 for w in self.words[:-1]), initial=1)) if self.words else []
        self._positions: dict[str, list[int]] | None = None

    @property
    def positions(self) -> dict[str, list[int]]:
        """word -> indexes where it occurs (built on first use)."""
        if self._positions is None:
            index: dict[str, list[int]] = defaultdict(list)
            for i, w in enumerate(self.words):
                index[w].append(i)
            self._positions = dict(index)
        return self._positions

    @property
    def spans(self) -> list[tuple[int, int]]:
        """(start, end) of each word in the original text."""
        if self._spans is None:
            self._spans = [m.span() for m in _TOKEN_RE.finditer(self.text)]
        return self._spans

    def find(self, words: Sequence[str], start: int = 0) -> int | None:
        """Index of the first occurrence of ``words`` (contiguous) at or after word ``start``."""
        if not words:
            return None
        needle = " " + " ".join(words) + " "
        from_char = self._starts[start] - 1 if start < len(self._starts) else len(self.joined)
        at = self.joined.find(needle, from_char)
        if at < 0:
            return None
        return bisect_left(self._starts, at + 1)

    def passage(self, first: int, last: int) -> str:
        """The original text from word ``first`` to word ``last`` (inclusive), whitespace collapsed."""
        return " ".join(self.text[self.spans[first][0] : self.spans[last][1]].split())


@dataclass(frozen=True)
class Match:
    """The best place a quotation matches one text: word range ``[first, last]`` and similarity."""

    similarity: float
    exact: bool
    first: int = 0
    last: int = 0


def _split_fragments(quote: str) -> list[list[str]]:
    parts = [normalize_words(p) for p in _ELLIPSIS_RE.split(quote)]
    return [p for p in parts if p]


def _exact(fragments: list[list[str]], doc: IndexedText) -> Match | None:
    start = 0
    while True:
        first = doc.find(fragments[0], start)
        if first is None:
            return None
        end = first + len(fragments[0])
        for frag in fragments[1:]:
            at = doc.find(frag, end)
            if at is None or at - end > MAX_ELLIPSIS_GAP:
                break
            end = at + len(frag)
        else:
            return Match(1.0, True, first, end - 1)
        start = first + 1


def _best_run(blocks: list[tuple[int, int, int]], n: int) -> tuple[float, int, int]:
    """Among runs of consecutive matching blocks (a, b, size), the one with the best similarity."""
    best = (0.0, 0, 0)
    for i in range(len(blocks)):
        matched = 0
        for j in range(i, len(blocks)):
            matched += blocks[j][2]
            first, last = blocks[i][1], blocks[j][1] + blocks[j][2] - 1
            sim = matched / max(n, last - first + 1)
            if sim > best[0]:
                best = (sim, first, last)
    return best


def _approximate(words: list[str], doc: IndexedText, *, floor: float = 0.0, candidates: int = 3) -> Match:
    n = len(words)
    total = len(doc.words)
    if not n or not total:
        return Match(0.0, False)
    positions = doc.positions
    common = max(20, total // 100)
    usable = [(i, positions[w]) for i, w in enumerate(words) if w in positions]
    if not usable:
        return Match(0.0, False)
    rare = [(i, occ) for i, occ in usable if len(occ) <= common] or usable
    bucket = max(2, n // 8)
    votes: Counter[int] = Counter()
    for i, occ in rare:
        for j in occ:
            votes[(j - i) // bucket] += 1
    slack = n // 2 + 2
    best = Match(0.0, False)
    for b, _ in votes.most_common(candidates):
        lo = max(0, b * bucket - slack)
        hi = min(total, b * bucket + bucket + n + slack)
        # upper bound: at most one match per quotation word that occurs in the window at all
        present = sum(1 for _, occ in usable if bisect_left(occ, lo) < len(occ) and occ[bisect_left(occ, lo)] < hi)
        if present / n <= max(floor, best.similarity):
            continue
        window = doc.words[lo:hi]
        matcher = SequenceMatcher(None, words, window, autojunk=False)
        blocks = [(m.a, m.b + lo, m.size) for m in matcher.get_matching_blocks() if m.size]
        sim, first, last = _best_run(blocks, n)
        if sim > best.similarity:
            best = Match(sim, False, first, last)
    return best


def match_quote(quote: str, doc: IndexedText, *, floor: float = 0.0) -> Match:
    """Where ``quote`` best matches ``doc``: exactly (similarity 1.0) or approximately (see module doc).

    ``floor`` is a similarity already reached elsewhere: windows that cannot beat it are
    skipped (the answer then has ``similarity`` 0.0 when nothing here beats it).
    """
    fragments = _split_fragments(quote)
    if not fragments:
        return Match(0.0, False)
    exact = _exact(fragments, doc)
    if exact is not None:
        return exact
    return _approximate([w for frag in fragments for w in frag], doc, floor=floor)


# -- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QuoteCheck:
    """The verdict on one quotation of the article.

    ``cited_nearby`` lists the links cited in the quotation's paragraph or an adjacent
    one (the ``paragraph`` scope). ``url``/``snapshot_id``/``passage`` name the best
    matching archived passage; ``None`` when ``not_found``.
    """

    quote: str
    line: int
    column: int
    paragraph: int
    status: QuoteStatus
    scope: Scope | None
    url: str | None
    snapshot_id: int | None
    similarity: float
    passage: str | None
    cited_nearby: tuple[str, ...] = ()

    @property
    def misattributed(self) -> bool:
        """Found only in a source cited elsewhere in the article, while a link is cited next to it."""
        return self.scope is Scope.ARTICLE and bool(self.cited_nearby)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form: ``{"kind": "quote", "quote", "line", "paragraph", "status", "scope", ...}``."""
        return {
            "kind": "quote",
            "quote": self.quote,
            "line": self.line,
            "paragraph": self.paragraph,
            "status": str(self.status),
            "scope": str(self.scope) if self.scope else None,
            "url": self.url,
            "similarity": round(self.similarity, 3),
            "passage": self.passage,
            "snapshot_id": self.snapshot_id,
            "misattributed": self.misattributed,
            "cited_nearby": list(self.cited_nearby),
        }


@dataclass(frozen=True)
class CitationCheck:
    """One citation of the article with its archived copy and last check.

    ``snapshot`` is the latest good snapshot of the link (without its text), ``None``
    when the link was never archived well; ``check`` the latest ``archiver check`` verdict.
    ``failure`` is, for a link with no good snapshot, its latest failed capture (``None``
    when it was never even tried), so a report can say why it is not archived.
    ``public_url``/``public_date`` name a public archived copy (web archive); none is known
    yet, so they are always ``None`` for now.
    """

    citation: Citation
    snapshot: Snapshot | None
    check: CheckResult | None
    public_url: str | None = None
    public_date: datetime | None = None
    failure: Snapshot | None = None

    @property
    def url(self) -> str:
        return self.citation.url

    @property
    def archived(self) -> bool:
        return self.snapshot is not None

    @property
    def status(self) -> LinkStatus:
        """The last known class, ``unchecked`` when never checked."""
        return self.check.status if self.check else LinkStatus.UNCHECKED

    @property
    def last_error(self) -> str | None:
        """Why the last capture of a link that is not archived failed (``dns: could not resolve host ...``).

        ``None`` when the link is archived or was never captured.
        """
        snap = self.failure
        if self.archived or snap is None:
            return None
        kind = str(snap.error_kind) if snap.error_kind else None
        if snap.error_message:
            if kind and not snap.error_message.startswith(kind):  # the fetcher's messages name their kind
                return f"{kind}: {snap.error_message}"
            return snap.error_message
        if kind:
            return kind + (f" (HTTP {snap.http_status})" if snap.http_status else "")
        return f"HTTP {snap.http_status}" if snap.http_status else "failed"

    def as_dict(self) -> dict[str, Any]:
        """The JSON form: ``{"kind": "citation", "url", "raw", "line", "archived", "snapshot_id", ...}``."""
        snap = self.snapshot
        return {
            "kind": "citation",
            "url": self.url,
            "raw": self.citation.raw,
            "line": self.citation.line,
            "archived": self.archived,
            "snapshot_id": snap.id if snap else None,
            "captured_at": snap.captured_at.isoformat() if snap else None,
            "sha256": snap.sha256 if snap else None,
            "title": snap.title if snap else None,
            "last_error": self.last_error,
            "last_attempt_at": self.failure.captured_at.isoformat() if self.failure and not snap else None,
            "check": str(self.status),
            "checked_at": self.check.checked_at.isoformat() if self.check and self.check.checked_at else None,
            "check_since": self.check.since.isoformat() if self.check and self.check.since else None,
        }


@dataclass(frozen=True)
class Article:
    """An article as verify reads it: locator, format, text and citations.

    ``recorded`` is true when the locator is a source recorded in the store (any version).
    """

    locator: str
    format: SourceFormat
    text: str
    citations: tuple[Citation, ...]
    recorded: bool


@dataclass(frozen=True)
class Verification:
    """Everything :func:`verify` found about one article."""

    article: Article
    citations: tuple[CitationCheck, ...]
    quotes: tuple[QuoteCheck, ...]
    anywhere: bool = False
    threshold: float = DEFAULT_THRESHOLD
    notes: tuple[str, ...] = field(default_factory=tuple)

    def passed(self, *, strict: bool = False) -> bool:
        """True when every quotation is found (or, unless ``strict``, approximate)."""
        accepted = {QuoteStatus.FOUND} if strict else {QuoteStatus.FOUND, QuoteStatus.APPROXIMATE}
        return all(q.status in accepted for q in self.quotes)


# -- reading the article -----------------------------------------------------------------


def _is_url(spec: str) -> bool:
    return spec.lower().startswith(("http://", "https://"))


def load_article(store: Store, spec: str) -> Article:
    """Read the article ``spec`` as it is now (see the module docstring).

    A file or ``-`` is harvested again; a URL is taken from the store (never fetched) and
    raises :class:`SourceError` (exit 2, like a missing file) when it was never archived.
    """
    if _is_url(spec):
        from archiver.urls import canonicalize

        locator = canonicalize(spec)
        stored = queries.find_source(store, locator)
        if stored is None or stored.text is None:
            raise SourceError(
                "this article was never archived; verify and report work offline and do not fetch articles"
                " (run `archiver archive URL` first)",
                spec,
            )
        return Article(
            locator=locator,
            format=SourceFormat(stored.format),
            text=stored.text,
            citations=tuple(queries.source_citations(store, stored.id)),
            recorded=True,
        )
    from archiver.harvest import harvest

    result: Harvest = harvest(spec)
    locator = result.source.locator
    return Article(
        locator=locator,
        format=result.source.format,
        text=result.text,
        citations=tuple(result.citations),
        recorded=queries.find_source(store, locator) is not None,
    )


# -- verifying ---------------------------------------------------------------------------


class _Texts:
    """Indexed snapshot texts, shared by all quotations of one run; identical texts indexed once."""

    def __init__(self) -> None:
        self._by_hash: dict[str, IndexedText] = {}

    def get(self, text: str) -> IndexedText:
        key = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()
        doc = self._by_hash.get(key)
        if doc is None:
            doc = self._by_hash[key] = IndexedText(text)
        return doc


@dataclass
class _Best:
    match: Match = field(default_factory=lambda: Match(0.0, False))
    url: str | None = None
    snapshot: int | None = None
    doc: IndexedText | None = None

    def offer(self, match: Match, url: str, snapshot_id: int, doc: IndexedText) -> None:
        if (match.exact, match.similarity) > (self.match.exact, self.match.similarity):
            self.match, self.url, self.snapshot, self.doc = match, url, snapshot_id, doc


def _search(quote: str, sources: Iterable[tuple[str, Snapshot]], texts: _Texts) -> _Best:
    best = _Best()
    for url, snap in sources:
        if not snap.text:
            continue
        doc = texts.get(snap.text)
        best.offer(match_quote(quote, doc, floor=best.match.similarity), url, snap.id, doc)
        if best.match.exact:
            break
    return best


def verify_article(
    store: Store,
    article: Article,
    *,
    anywhere: bool = False,
    threshold: float = DEFAULT_THRESHOLD,
    min_words: int = DEFAULT_MIN_WORDS,
) -> Verification:
    """Check the citations and quotations of an already-read :class:`Article` (see module doc)."""
    if not 0.0 < threshold <= 1.0:
        raise ArchiverError(f"the similarity threshold must be in (0, 1], not {threshold}")
    layout = ArticleText(
        article.text, html=article.format is SourceFormat.HTML, markdown=article.format is SourceFormat.MARKDOWN
    )
    urls = list(dict.fromkeys(c.url for c in article.citations))
    snapshots = queries.good_snapshots(store, urls)
    checks = last_checks(store, urls)
    failures = queries.last_failures(store, [u for u in urls if not snapshots.get(u)])

    by_check = queries.captured_by_check(store, (s.id for pairs in snapshots.values() for s in pairs))

    def cited_copy(url: str) -> Snapshot | None:
        """The latest good copy `archive` made; one that `check --snapshot` made only when there is no other."""
        pairs = snapshots.get(url) or []
        return next((s for s in pairs if s.id not in by_check), pairs[0] if pairs else None)

    citations = tuple(
        CitationCheck(
            citation=c,
            snapshot=_without_text(copy) if (copy := cited_copy(c.url)) is not None else None,
            check=checks.get(c.url),
            failure=failures.get(c.url),
        )
        for c in article.citations
    )
    notes: list[str] = []
    if not article.recorded:
        notes.append("this version of the article was never archived; its citations were looked up by URL")
    if urls and not any(snapshots.get(u) for u in urls):
        notes.append(
            f"none of the {len(urls)} links this article cites is archived, so no quotation can be checked"
            f" against them: run `archiver archive {_shell_word(article.locator)}` first"
            + ("" if anywhere else " (or use --anywhere to search the whole archive)")
        )

    para_of_citation = [(layout.paragraph_at(c.line, c.column), c.url) for c in article.citations]
    texts = _Texts()
    checked: list[QuoteCheck] = []
    for quote in layout.quotations(min_words=min_words):
        near = sorted(
            ((abs(p - quote.paragraph), i, u) for i, (p, u) in enumerate(para_of_citation)
             if abs(p - quote.paragraph) <= 1),
        )
        nearby = list(dict.fromkeys(u for _, _, u in near))
        elsewhere = [u for u in urls if u not in nearby]
        scopes: list[tuple[Scope, list[tuple[str, Snapshot]]]] = [
            (Scope.PARAGRAPH, [(u, s) for u in nearby for s in snapshots.get(u, [])]),
            (Scope.ARTICLE, [(u, s) for u in elsewhere for s in snapshots.get(u, [])]),
        ]
        overall = _Best()
        found: tuple[Scope, _Best] | None = None
        for scope, sources in scopes:
            best = _search(quote.text, sources, texts)
            if best.match.similarity > overall.match.similarity:
                overall = best
            if best.match.similarity >= threshold:
                found = (scope, best)
                break
        if found is None and anywhere:
            seen = {s.id for pairs in snapshots.values() for s in pairs}
            words = sorted(set(normalize_words(quote.text)), key=len, reverse=True)[:12]
            candidates = queries.fts_candidates(store, words, exclude=seen, limit=ARCHIVE_CANDIDATES)
            best = _search(quote.text, [(s.url, s) for s in candidates], texts)
            if best.match.similarity > overall.match.similarity:
                overall = best
            if best.match.similarity >= threshold:
                found = (Scope.ARCHIVE, best)
        if found is not None:
            scope, best = found
            assert best.doc is not None
            status = QuoteStatus.FOUND if best.match.exact else QuoteStatus.APPROXIMATE
            url, snapshot_id, passage = best.url, best.snapshot, best.doc.passage(best.match.first, best.match.last)
        else:
            scope = url = snapshot_id = passage = None
            status, best = QuoteStatus.NOT_FOUND, overall
        checked.append(QuoteCheck(
            quote=quote.text, line=quote.line, column=quote.column, paragraph=quote.paragraph, status=status,
            scope=scope, url=url, snapshot_id=snapshot_id, similarity=best.match.similarity, passage=passage,
            cited_nearby=tuple(nearby),
        ))
    return Verification(
        article=article,
        citations=citations,
        quotes=tuple(checked),
        anywhere=anywhere,
        threshold=threshold,
        notes=tuple(notes),
    )


def _shell_word(text: str) -> str:
    import shlex

    return shlex.quote(text)


def _without_text(snapshot: Snapshot) -> Snapshot:
    from dataclasses import replace

    return replace(snapshot, text=None)


def verify(
    store: Store,
    spec: str | Path,
    *,
    anywhere: bool = False,
    threshold: float = DEFAULT_THRESHOLD,
    min_words: int = DEFAULT_MIN_WORDS,
) -> Verification:
    """Read the article ``spec`` as it is now and check it against the archive (see module doc).

    Raises :class:`SourceError` (exit 2) when the article cannot be read or is a URL never
    archived. An article none of whose links is archived is no error: its citations come
    back not archived (with their last failure) and its quotations ``not_found``, with a
    note saying to run ``archiver archive``.
    """
    article = load_article(store, str(spec))
    return verify_article(store, article, anywhere=anywhere, threshold=threshold, min_words=min_words)
