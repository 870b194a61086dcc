"""Offline full-text search over archived snapshots.

Contract:

* :func:`to_fts_query` turns what a person types into a safe SQLite FTS5 query.
  Real FTS5 syntax passes through: ``"exact phrase"``, ``prefix*``, ``"two words"*``,
  ``AND``/``OR``/``NOT`` (upper case, as FTS5 spells them; lower-case ``and`` is a word),
  ``NEAR(a b, 5)``, parentheses and the column filters ``title:`` / ``text:``
  (``title:NEAR(a b)`` too). ``-word`` (also ``-"a phrase"``, ``-(a OR b)``) excludes it,
  as in web search engines: ``war treaty -peace`` becomes ``(war treaty) NOT peace``; a
  ``-`` before a digit or standing alone is punctuation (``-5`` looks for ``5``).
  Every other word that is not purely letters, digits and ``_`` (``U.S.``, ``co-operation``,
  ``Russia's``, ``e-mail*``) is quoted into a phrase, which FTS5 splits with the same
  tokenizer as the index, so it matches the text as written. Acronyms match both
  spellings: ``U.S.`` (letters separated by dots) becomes ``("U.S." OR US)`` and ``US``
  (2 to 4 capitals) ``(US OR "U S")``, except inside ``NEAR()``. Curly double quotes
  (“ ” „ « ») count as ``"``. Broken syntax (unbalanced quote or parenthesis, an
  operator with nothing on one side, an empty ``NEAR``) raises
  :class:`~archiver.errors.QueryError` with a ``hint``; the query never reaches SQLite
  in a state that makes it raise.
* :func:`search` returns :class:`SearchHit` rows, best first. ``score`` is ``-bm25``
  (higher is better; the title weighs :data:`TITLE_WEIGHT` times the text). By default
  only the latest good snapshot of each link is searched (the latest *within*
  ``since``/``until`` when those are given); ``all_snapshots=True`` searches every good
  snapshot. The index folds case and diacritics (``unicode61 remove_diacritics 2``), so
  ``cafe`` finds ``café`` and ``привет`` finds ``Привет``.
* Snippets: :attr:`SearchHit.snippet` marks each matched word as ``[[word]]``
  (:data:`HIGHLIGHT_OPEN` / :data:`HIGHLIGHT_CLOSE`; double brackets are rare in prose,
  unlike « » or [ ]); :meth:`SearchHit.snippet_parts` gives ``(text, highlighted)`` pieces
  for renderers (the CLI prints them in bold on a terminal). Whitespace is collapsed.
  Snippets come from FTS5's ``snippet()``, except for queries with a prefix term: there
  ``snippet()`` walks every word the prefix expands to for each row (seconds for ``ka*``
  on 100,000 pages), so the shown rows are highlighted here (words folded like the index:
  case and diacritics; terms under NOT are not highlighted).
* Speed (see :func:`archiver.store.queries.search_snapshots` and ``bench/bench_search.py``):
  bm25 is ranked inside FTS5 over a growing candidate pool, snippets are made only for the
  rows shown, and a selective ``domain``/``source`` restricts the FTS scan itself.
* Nothing here touches the network; the store is only read.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from archiver.errors import InvalidURLError, NotFoundError, QueryError
from archiver.store import queries

DEFAULT_LIMIT = 20
TITLE_WEIGHT = 2.0
SNIPPET_TOKENS = 24
HIGHLIGHT_OPEN = "[["
HIGHLIGHT_CLOSE = "]]"

# Sentinels used inside SQL; replaced before anything leaves this module.
_SQL_OPEN = "\x02"
_SQL_CLOSE = "\x03"
_ELLIPSIS = "…"

_OPERATORS = {"AND", "OR", "NOT"}
_COLUMNS = {"title", "text"}
_DOUBLE_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‟": '"'})
_WORD_RE = re.compile(r"\w+")
_COLUMN_RE = re.compile(r"^(title|text):(.*)$", re.IGNORECASE)

_OPERATOR_HINT = (
    'AND, OR and NOT need a term on each side, e.g. `climate AND policy`, `climate NOT weather`; '
    'to search for the word itself, write it in lower case or in quotes: "or"'
)


# ---------------------------------------------------------------------------
# Query translation


@dataclass(frozen=True)
class _Tok:
    kind: str  # "term" | "op" | "open" | "close" | "near" | "column" | "comma" | "number"
    text: str


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _term(word: str) -> str | None:
    """One plain word as an FTS5 term: bare when it is only word characters, else a phrase.

    Returns ``None`` for a word with nothing searchable in it (only punctuation).
    """
    prefix = word.endswith("*")
    stem = word.rstrip("*")
    if not _WORD_RE.search(stem):
        return None
    if _WORD_RE.fullmatch(stem) and stem not in _OPERATORS and stem != "NEAR":
        body = stem
    else:
        body = _quote(stem)
    return body + ("*" if prefix else "")


# U.S., U.K., e.g., U.S.A (letters separated by dots) and US, UK, EU (2-4 capitals): the index
# holds "U.S." as the two words "u s" and "US" as the one word "us", so each spelling alone
# misses the other; such a word is searched as both (see _terms).
_DOTTED_RE = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]\.?")
_ACRONYM_RE = re.compile(r"[A-Z]{2,4}")


def _terms(word: str, *, alternatives: bool = True) -> list[_Tok]:
    """One plain word as tokens: usually one term (see :func:`_term`), none if unsearchable.

    A dotted acronym (``U.S.``) becomes the group ``("U.S." OR US)`` and a short
    all-capitals word (``US``) the group ``(US OR "U S")``, so that either spelling finds
    the other. Inside NEAR(), where FTS5 takes no OR, ``alternatives=False`` keeps the word as it is.
    """
    term = _term(word)
    if term is None:
        return []
    star = "*" if word.endswith("*") else ""
    stem = word.rstrip("*")
    other = None
    if alternatives and _DOTTED_RE.fullmatch(stem):
        other = stem.replace(".", "") + star
    elif alternatives and _ACRONYM_RE.fullmatch(stem) and stem not in _OPERATORS and stem != "NEAR":
        other = _quote(" ".join(stem)) + star
    if other is None:
        return [_Tok("term", term)]
    return [_Tok("open", "("), _Tok("term", term), _Tok("op", "OR"), _Tok("term", other), _Tok("close", ")")]


def _lex(query: str) -> list[_Tok]:
    # Control characters (NUL ends an FTS5 string early) are word separators, as in the index.
    text = "".join(" " if unicodedata.category(c) == "Cc" else c for c in query.translate(_DOUBLE_QUOTES))
    toks: list[_Tok] = []
    i, n = 0, len(text)
    depth = 0
    near_depth: int | None = None
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise QueryError(
                    "unbalanced quote in the search query",
                    hint='close the phrase with a second quote: "exact words"; or remove the quote',
                )
            phrase = text[i + 1 : end]
            i = end + 1
            star = ""
            if i < n and text[i] == "*":
                star, i = "*", i + 1
            if _WORD_RE.search(phrase):
                toks.append(_Tok("term", _quote(phrase) + star))
        elif ch == "(":
            depth += 1
            toks.append(_Tok("open", "("))
            i += 1
        elif ch == ")":
            if depth == 0:
                raise QueryError(
                    "unbalanced parenthesis in the search query",
                    hint="remove the `)` or add the `(` it closes, e.g. `(war OR conflict) AND peace`",
                )
            depth -= 1
            toks.append(_Tok("close", ")"))
            if near_depth is not None and depth == near_depth:
                near_depth = None
            i += 1
        elif ch == "," and near_depth is not None:
            toks.append(_Tok("comma", ","))
            i += 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in '"()' and not (
                text[j] == "," and near_depth is not None
            ):
                j += 1
            word = text[i:j]
            i = j
            negated = word.startswith("-") and (
                (len(word) > 1 and word[1].isalpha()) or (word == "-" and i < n and text[i] in '"(')
            )
            if negated:  # -word, -"a phrase", -(group): exclude it, as web search engines do
                toks.append(_Tok("neg", "-"))
                word = word[1:]
                if not word:
                    continue
            if word == "NEAR" and i < n and text[i] == "(":
                toks.append(_Tok("near", "NEAR("))
                near_depth = depth
                depth += 1
                i += 1
            elif word in _OPERATORS and not negated:
                toks.append(_Tok("op", word))
            elif near_depth is not None and word.isdigit() and toks and toks[-1].kind == "comma":
                toks.append(_Tok("number", word))
            else:
                col = _COLUMN_RE.match(word)
                if col and col.group(1).lower() in _COLUMNS:
                    toks.append(_Tok("column", col.group(1).lower() + " :"))
                    word = col.group(2)
                    if not word:
                        continue
                    if word == "NEAR" and i < n and text[i] == "(":  # title:NEAR(a b)
                        toks.append(_Tok("near", "NEAR("))
                        near_depth = depth
                        depth += 1
                        i += 1
                        continue
                terms = _terms(word, alternatives=near_depth is None)
                if terms:
                    toks += terms
                elif negated:
                    toks.pop()
    if depth:
        raise QueryError(
            "unbalanced parenthesis in the search query",
            hint="close every `(` with a `)`, e.g. `(war OR conflict) AND peace`",
        )
    return _negations(toks)


_NEG_HINT = "write `war -peace` (no AND/OR next to a -word), or spell it out: `war NOT peace`"


def _negations(toks: list[_Tok]) -> list[_Tok]:
    """Rewrite ``-operand`` marks into FTS5's binary NOT: ``a b -c -d`` -> ``(a b) NOT c NOT d``.

    Groups are rewritten inside; a ``-`` next to AND/OR/NOT, inside NEAR(), or with nothing
    left to look for raises :class:`QueryError`.
    """
    if not any(t.kind == "neg" for t in toks):
        return toks
    positive: list[_Tok] = []
    excluded: list[list[_Tok]] = []
    i = 0
    while i < len(toks):
        tok = toks[i]
        if tok.kind == "neg":
            end = _skip_operand(toks, i + 1)
            operand = toks[i + 1 : end]
            if not operand or operand[0].kind not in {"term", "open", "near", "column"}:
                raise QueryError("a `-` must stand right before the word it excludes", hint=_NEG_HINT)
            before = positive[-1] if positive else None
            after = toks[end] if end < len(toks) else None
            if (before is not None and before.kind == "op") or (after is not None and after.kind == "op"):
                raise QueryError("a -word cannot be combined with AND, OR or NOT", hint=_NEG_HINT)
            excluded.append(_negations(operand))
            i = end
        elif tok.kind == "near":
            end = _skip_operand(toks, i)
            if any(t.kind == "neg" for t in toks[i:end]):
                raise QueryError("NEAR() takes only terms and phrases, not -words", hint="write NEAR(a b, 10) NOT c")
            positive += toks[i:end]
            i = end
        elif tok.kind == "open":
            end = _skip_operand(toks, i)
            positive += [tok, *_negations(toks[i + 1 : end - 1]), toks[end - 1]]
            i = end
        else:
            positive.append(tok)
            i += 1
    if not excluded:
        return positive
    if not any(t.kind == "term" for t in positive):
        raise QueryError(
            "the search query only excludes words",
            hint="add a word to look for, e.g. `sanctions -steel`",
        )
    if _skip_operand(positive, 0) < len(positive):  # several operands: group them before NOT
        positive = [_Tok("open", "("), *positive, _Tok("close", ")")]
    out = positive
    for operand in excluded:
        out = [*out, _Tok("op", "NOT"), *operand]
    return out


def _check(query: str, toks: list[_Tok]) -> None:
    """Reject operator placements FTS5 cannot parse, with a hint."""
    operand_end = {"term", "close"}
    operand_start = {"term", "open", "near", "column"}
    in_near = 0
    for k, tok in enumerate(toks):
        prev = toks[k - 1] if k else None
        nxt = toks[k + 1] if k + 1 < len(toks) else None
        if tok.kind == "near" and not in_near:
            in_near += 1
            if nxt is None or nxt.kind != "term":
                raise QueryError(
                    "NEAR() needs at least one term",
                    hint="write NEAR(word1 word2, 10): the terms, then optionally a comma and a distance",
                )
        elif tok.kind == "close" and in_near:
            in_near -= 1
        elif tok.kind == "op":
            if in_near:
                raise QueryError(
                    f"{tok.text} cannot be used inside NEAR()",
                    hint="NEAR() takes only terms and phrases: NEAR(word1 word2, 10)",
                )
            if prev is None or prev.kind not in operand_end or nxt is None or nxt.kind not in operand_start:
                raise QueryError(f"{tok.text} has nothing to combine on one side", hint=_OPERATOR_HINT)
        elif tok.kind == "number" and (nxt is None or nxt.kind != "close"):
            raise QueryError("NEAR() distance must come last", hint="write NEAR(word1 word2, 10)")
        elif tok.kind in {"column", "open", "near"} and in_near:
            raise QueryError(
                "NEAR() takes only terms and phrases",
                hint="write NEAR(word1 \"a phrase\", 10); put column filters outside: title:NEAR(a b)",
            )
        elif tok.kind == "column":
            if nxt is None or nxt.kind not in {"term", "open", "near"}:
                raise QueryError(
                    f"the column filter {tok.text.split()[0]}: has no term after it",
                    hint="write title:word or title:\"a phrase\" (columns: title, text)",
                )
        elif tok.kind == "open":
            if nxt is not None and nxt.kind == "close":
                raise QueryError("empty parentheses in the search query", hint="put terms inside ( )")
        elif tok.kind == "comma" and (nxt is None or nxt.kind != "number"):
            raise QueryError(
                "NEAR() distance must be a number",
                hint="write NEAR(word1 word2, 10)",
            )
    if not any(t.kind == "term" for t in toks):
        raise QueryError(
            "the search query has no words to look for",
            hint='type one or more words, e.g. archiver search "climate policy"',
        )


def to_fts_query(query: str) -> str:
    """Translate a search query written by a person into FTS5 syntax.

    Raises :class:`QueryError` (with ``hint``) when the query cannot be made valid
    without guessing what was meant.
    """
    toks = _lex(query)
    _check(query, toks)
    return _join(toks)


def _join(toks: list[_Tok]) -> str:
    """Render tokens; FTS5 accepts implicit AND only between phrases, so spell it out next to ( )."""
    parts: list[str] = []
    for k, tok in enumerate(toks):
        prev = toks[k - 1] if k else None
        if (
            prev is not None
            and prev.kind in {"term", "close"}
            and tok.kind in {"term", "open", "near", "column"}
            and not (prev.kind == "term" and tok.kind in {"term", "near"})
        ):
            parts.append("AND")
        if parts and (tok.kind in {"close", "comma"} or parts[-1].endswith("(")):
            parts[-1] += tok.text
        else:
            parts.append(tok.text)
    return " ".join(parts)


# ---------------------------------------------------------------------------
# Dates


_DURATION_RE = re.compile(r"^\s*(\d+)\s*(h|d|w|y)\s*$", re.IGNORECASE)
_DURATION_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1), "y": timedelta(days=365)}


def parse_time_bound(text: str, *, end: bool = False, now: datetime | None = None) -> datetime:
    """Parse ``2025-01-31``, ``2025-01-31T12:00[:00][+02:00]`` or a duration ago (``12h``, ``30d``, ``2w``, ``1y``).

    Naive times are UTC. With ``end=True`` a bare date means the *end* of that day
    (midnight of the next one), so ``--until 2025-01-31`` includes the 31st.
    Raises :class:`QueryError` for anything else.
    """
    now = now or datetime.now(UTC)
    m = _DURATION_RE.match(text)
    if m:
        return now - int(m.group(1)) * _DURATION_UNITS[m.group(2).lower()]
    raw = text.strip()
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00") if raw.endswith("Z") else raw)
    except ValueError:
        raise QueryError(
            f"not a date or duration: {text!r}",
            hint="use a date like 2025-01-31, a time like 2025-01-31T12:00, or a duration like 30d, 12h, 2w, 1y",
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    when = when.astimezone(UTC)
    if end and re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        when += timedelta(days=1)
    return when


def iso_bound(when: datetime) -> str:
    """``when`` as the ``YYYY-MM-DDTHH:MM:SS`` UTC prefix that ``captured_at`` strings compare against."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def parse_stored_time(value: str) -> datetime:
    """A ``captured_at``/``checked_at`` column value as an aware UTC datetime."""
    when = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


# ---------------------------------------------------------------------------
# Search


@dataclass(frozen=True)
class SearchHit:
    """One matching snapshot. ``score`` is ``-bm25``: higher is better."""

    url: str
    title: str | None
    snippet: str
    score: float
    snapshot_id: int
    captured_at: datetime
    final_url: str | None = None

    def snippet_parts(self) -> list[tuple[str, bool]]:
        """The snippet as ``(text, highlighted)`` pieces, markers removed."""
        return split_snippet(self.snippet)

    def as_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "title": self.title,
            "snippet": self.snippet,
            "score": self.score,  # the raw float: tiny bm25 scores must stay distinct
            "snapshot_id": self.snapshot_id,
            "captured_at": self.captured_at.isoformat(),
            "final_url": self.final_url,
        }


def split_snippet(snippet: str) -> list[tuple[str, bool]]:
    """Split a ``[[marked]]`` snippet into ``(text, highlighted)`` pieces."""
    parts: list[tuple[str, bool]] = []
    for k, piece in enumerate(re.split(r"\[\[|\]\]", snippet)):
        if piece:
            parts.append((piece, k % 2 == 1))
    return parts


@functools.lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """A word as the index sees it: case-folded, diacritics removed (like ``remove_diacritics 2``)."""
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c)).casefold()


def _skip_operand(toks: list[_Tok], i: int) -> int:
    """The index just after the operand that starts at ``toks[i]`` (a term, or a group with its column)."""
    if i < len(toks) and toks[i].kind == "column":
        i += 1
    if i < len(toks) and toks[i].kind in {"open", "near"}:
        depth = 0
        while i < len(toks):
            depth += {"open": 1, "near": 1, "close": -1}.get(toks[i].kind, 0)
            i += 1
            if depth == 0:
                break
        return i
    return i + 1


def _highlight_terms(toks: list[_Tok]) -> tuple[frozenset[str], tuple[str, ...]]:
    """Folded words and prefixes of a lexed query, leaving out what NOT excludes."""
    words: set[str] = set()
    prefixes: list[str] = []
    i = 0
    while i < len(toks):
        tok = toks[i]
        if tok.kind == "op" and tok.text == "NOT":
            i = _skip_operand(toks, i + 1)
            continue
        i += 1
        if tok.kind != "term":
            continue
        body = tok.text.rstrip("*")
        if body.startswith('"'):
            body = body[1:-1].replace('""', '"')
        parts = [fold(w) for w in _WORD_RE.findall(body)]
        if tok.text.endswith("*") and parts:
            prefixes.append(parts.pop())
        words.update(parts)
    return frozenset(words), tuple(prefixes)


def _local_snippet(text: str | None, words: frozenset[str], prefixes: tuple[str, ...]) -> str | None:
    """A snippet of about :data:`SNIPPET_TOKENS` words around the densest run of matches, or ``None``."""
    if not text:
        return None
    if not unicodedata.is_normalized("NFC", text):  # a decomposed accent must not split its word
        text = unicodedata.normalize("NFC", text)
    spans = [m.span() for m in _WORD_RE.finditer(text)]
    hits = []
    for i, (a, b) in enumerate(spans):
        folded = fold(text[a:b])
        if folded in words or folded.startswith(prefixes):
            hits.append(i)
    if not hits:
        return None
    size = SNIPPET_TOKENS
    best_start, best_count = 0, -1
    for h in hits:  # windows starting a few words before each match; keep the one with most matches
        start = max(0, min(h - 3, len(spans) - size))
        count = bisect_left(hits, start + size) - bisect_left(hits, start)  # hits are sorted
        if count > best_count:
            best_start, best_count = start, count
    end = min(len(spans), best_start + size)
    hit_set = set(hits)
    out = [_ELLIPSIS] if best_start > 0 else []
    cursor = spans[best_start][0]
    for i in range(best_start, end):
        a, b = spans[i]
        out.append(text[cursor:a])
        out.append(_SQL_OPEN + text[a:b] + _SQL_CLOSE if i in hit_set else text[a:b])
        cursor = b
    if end < len(spans):
        out.append(_ELLIPSIS)
    else:
        out.append(text[cursor:])
    return "".join(out)


def _clean_snippet(raw: str) -> str:
    text = " ".join(raw.split())
    # Merge adjacent highlights ("[[U.S]]. [[sanctions]]" stays two; "\x03 \x02" between words joins).
    text = text.replace(_SQL_CLOSE + " " + _SQL_OPEN, " ")
    return text.replace(_SQL_OPEN, HIGHLIGHT_OPEN).replace(_SQL_CLOSE, HIGHLIGHT_CLOSE)


def normalize_domain(domain: str) -> str:
    """A ``--domain`` value (``Example.COM``, ``https://example.com/x``, ``пример.рф``) as an ASCII host."""
    from urllib.parse import urlsplit

    text = domain.strip()
    if "://" in text:
        text = urlsplit(text).hostname or ""
    text = text.strip().strip(".").lower()
    if text.startswith("*."):
        text = text[2:]
    if not text or any(c.isspace() or c in "/?#@" for c in text):
        raise InvalidURLError(f"not a domain name: {domain!r}", target=domain)
    try:
        return text.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidURLError(f"not a domain name: {domain!r}", target=domain) from None


def search(
    db: Any,
    query: str,
    *,
    domain: str | None = None,
    source: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = DEFAULT_LIMIT,
    all_snapshots: bool = False,
) -> list[SearchHit]:
    """Search the archive; best hits first.

    ``db`` is an open store (:class:`archiver.store.core.Store`) or a
    ``sqlite_utils.Database``. ``domain`` keeps links on that host and its subdomains;
    ``source`` keeps links cited by that article (path or URL; its latest version);
    ``since``/``until`` bound the capture time (``since <= captured_at < until``).
    Raises :class:`QueryError` for a broken query, :class:`NotFoundError` for an
    unknown ``source``.
    """
    if limit < 1:
        raise QueryError("--limit must be at least 1", hint="e.g. --limit 20")
    database = queries.database_of(db)
    match = to_fts_query(query)
    source_id = None
    if source is not None:
        source_id = queries.find_source(database, source_locators(source))
        if source_id is None:
            raise NotFoundError("no archived article with that path or URL", target=source)
    try:
        rows = queries.search_snapshots(
            database,
            match,
            latest_only=not all_snapshots,
            domain=normalize_domain(domain) if domain else None,
            source_id=source_id,
            since=iso_bound(since) if since else None,
            until=iso_bound(until) if until else None,
            limit=limit,
            title_weight=TITLE_WEIGHT,
        )
    except queries.FtsSyntaxError as exc:  # a backstop: _check should have caught it
        raise QueryError(
            f"the search engine cannot parse this query ({exc})",
            hint='quote unusual words: "like this"; operators are AND, OR, NOT in capitals',
        ) from None
    ids = [row["id"] for row in rows]
    toks = _lex(query)
    if any(t.kind == "term" and t.text.endswith("*") for t in toks):
        # FTS5's snippet() walks every term a prefix expands to, for each row (seconds for
        # `ka*` over 100,000 pages); highlight those rows here instead.
        words, prefixes = _highlight_terms(toks)
        marked = {
            sid: _local_snippet(text, words, prefixes) or _local_snippet(title, words, prefixes) or ""
            for sid, title, text in queries.texts(database, ids)
        }
    else:
        marked = queries.snippets(database, match, ids, markers=(_SQL_OPEN, _SQL_CLOSE, _ELLIPSIS, SNIPPET_TOKENS))
    return [
        SearchHit(
            url=row["url"],
            title=row["title"],
            snippet=_clean_snippet(marked.get(row["id"]) or ""),
            score=-float(row["rank"]),
            snapshot_id=row["id"],
            captured_at=parse_stored_time(row["captured_at"]),
            final_url=row["final_url"],
        )
        for row in rows
    ]


def source_locators(source: str) -> list[str]:
    """The ``sources.locator`` values an article given as ``source`` may be stored under."""
    candidates = [source]
    if source == "-":
        return candidates
    if "://" in source:
        try:
            from archiver.urls import canonicalize

            candidates.insert(0, canonicalize(source))
        except (ImportError, InvalidURLError):
            pass
    else:
        path = Path(source).expanduser()
        candidates.insert(0, str(path.resolve()))
        candidates.insert(1, str(path.absolute()))
    return list(dict.fromkeys(candidates))

