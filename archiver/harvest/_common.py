"""Helpers shared by the format harvesters: positions, paragraphs, context, and turning raw text into a Citation.

Positions are computed on the decoded text with newlines normalised to ``\\n`` (see
:func:`normalize_newlines`): lines and columns are 1-based and columns count characters.

The context rule (``Citation.context``), the same for every format:

1. the sentence around the link, inside its paragraph (block), white space collapsed; a sentence
   ends at ``. ! ? …`` (plus closing quotes and reference markers such as ``[1]``) followed by
   white space and no lower-case letter or digit ("U.S. officials", "Feb. 27" do not end one).
   Markdown shows link text instead of link syntax; in HTML, a sentence under six words (a
   reference-list entry, "^ Historic England.") is widened to its whole block;
2. when the link's line (for HTML: its block) holds nothing but URLs, bullets, numbers and
   punctuation -- a list of sources, a URL pasted on its own line -- that line says nothing about
   the link, so the context is a "what this cites" hint instead: the sentence that ends the nearest
   run of text lines above the link holding a prose line (at least :data:`HINT_WORDS` words
   outside URLs), looked for first in the same paragraph, then in the previous paragraphs (at most
   :data:`HINT_LINES` lines back; link lines, blank lines and short labels such as ``Sources:`` are
   passed over). Every link of a list of links gets the same hint. A hint may not mention the
   link: it tells what the list is about (the seed article: the sentence before its block of URLs);
3. with no such line, the line (block) itself, around the link.

A context is at most about :data:`CONTEXT_LIMIT` characters: :func:`bound_context` cuts at word
boundaries around the link (or, for a hint, keeps the end of the sentence, nearest the link) and
marks each cut with ``…``.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable

from archiver.errors import InvalidURLError
from archiver.types import Citation, Link, Skipped
from archiver.urls import canonicalize, scheme_of

CONTEXT_LIMIT = 300
#: A line is prose, usable as a context hint, when it has at least this many words outside URLs.
HINT_WORDS = 3
#: How many lines a hint is looked for above a link standing alone on its line.
HINT_LINES = 40
# Words: two letters or more; tokens: what white space separates.
_WORD = re.compile(r"[^\W\d_]{2,}")
_TOKEN = re.compile(r"\S+")
# A sentence ends with . ! ? or an ellipsis, maybe closing quotes/brackets, then white space that is
# not followed by a lower-case letter or a digit ("U.S. officials", "Feb. 27" do not end one).
_LOWER = "a-z\u00df-\u00f6\u00f8-\u00ff\u0430-\u045f\\d"
_CLOSERS = "\"'\u201d\u2019\u00bb)\\]"
# Reference markers may follow the full stop: "opened in 1841.[1][a] It was".
# Chinese and Japanese end a sentence with 。！？ and no space after it.
_CJK_STOPS = "\u3002\uff01\uff1f"
_SENTENCE_END = re.compile(rf"[.!?\u2026][{_CLOSERS}]*(?:\[[^\[\]\s]{{1,6}}\])*\s++(?![{_LOWER}])|[{_CJK_STOPS}]")
# The same on reversed text (to find the nearest end before a position): the look-behind is the
# character that follows the white space in the original.
_SENTENCE_END_REVERSED = re.compile(
    rf"(?<![{_LOWER}\s])\s+(?:\][^\[\]\s]{{1,6}}\[)*[{_CLOSERS}]*[.!?\u2026]|[{_CJK_STOPS}]"
)
_BLANK_LINE = re.compile(r"\n[ \t\f\v]*\n\s*")


def normalize_newlines(text: str) -> str:
    """``\\r\\n`` and lone ``\\r`` become ``\\n`` so that line numbers agree with editors."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def collapse(text: str) -> str:
    """Collapse runs of white space to one space and strip the ends."""
    return " ".join(text.split())  # six times faster than re.sub(r"\s+", " ", text)


def bound_context(context: str, raw: str, limit: int = CONTEXT_LIMIT, *, keep: str = "link") -> str:
    """Cut ``context`` to about ``limit`` characters, at word boundaries, marking cuts with ``…``.

    ``keep="link"`` keeps a window around ``raw`` (the link's text; the start when it is not
    found), ``keep="start"`` the beginning, ``keep="end"`` the end (a hint sentence: its end is
    nearest the link).
    """
    if len(context) <= limit:
        return context
    if keep == "end":
        cut = context[-limit:]
        space = cut.find(" ")
        return "\u2026" + (cut[space + 1 :] if 0 <= space < limit // 3 else cut).strip()
    at = context.find(raw) if raw and keep == "link" else -1
    if at < 0 or len(raw) >= limit:
        space = context.rfind(" ", limit * 2 // 3, limit)
        return context[: space if space > 0 else limit].rstrip() + "\u2026"
    spare = limit - len(raw)
    lo = max(0, at - spare // 2)
    hi = min(len(context), lo + limit)
    lo = max(0, hi - limit)
    if lo > 0:  # do not start or end in the middle of a word
        space = context.find(" ", lo, at)
        lo = space + 1 if space >= 0 else lo
    if hi < len(context):
        space = context.rfind(" ", at + len(raw), hi)
        hi = space if space >= 0 else hi
    return ("\u2026" if lo > 0 else "") + context[lo:hi].strip() + ("\u2026" if hi < len(context) else "")


def sentence_around(
    text: str, start: int, end: int, lo: int = 0, hi: int | None = None, *, keep: str = "link"
) -> str:
    """The sentence of ``text`` holding ``text[start:end]``, not crossing ``lo``/``hi``, whitespace-collapsed.

    A sentence ends at ``. ! ? …`` (plus closing quotes) and white space *not* followed by a
    lower-case letter or a digit, so "U.S. officials" and "Feb. 27" do not end one; or at
    ``。！？`` (Chinese, Japanese), with no space after it. A long
    sentence is bounded around the link (``keep="link"``) or to its end (``keep="end"``).
    """
    hi = len(text) if hi is None else hi
    window_lo = max(lo, start - 2 * CONTEXT_LIMIT)
    # Reversed window, starting with the link's first character (the look-behind needs it).
    match = _SENTENCE_END_REVERSED.search(text[window_lo : start + 1][::-1], 1)
    s = start - match.start() + 1 if match else window_lo
    match = _SENTENCE_END.search(text, end, min(hi, end + 2 * CONTEXT_LIMIT))
    e = match.start() + 1 if match else min(hi, end + 2 * CONTEXT_LIMIT)
    return bound_context(collapse(text[s:e]), collapse(text[start:end]), keep=keep)


def _is_url_token(token: str) -> bool:
    return "://" in token or "www." in token or ("/" in token and "." in token.partition("/")[0])


def prose_words(text: str, enough: int = 0) -> int:
    """How many words (two letters or more) ``text`` has outside URL-like tokens.

    URL-like: a white-space delimited token with ``://``, ``www.`` or a dot before its first
    ``/``. With ``enough``, counting stops as soon as that many words are seen.
    """
    count = 0
    for match in _TOKEN.finditer(text):  # lazily: a prose line stops at its first words
        token = match.group(0)
        if not _is_url_token(token):
            count += len(_WORD.findall(token))
            if enough and count >= enough:
                break
    return count


def is_link_only(text: str) -> bool:
    """True when ``text`` holds nothing but URLs, bullets, numbers and punctuation."""
    return prose_words(text, enough=1) == 0


def hint_sentence(text: str, lo: int, hi: int) -> str:
    """The last sentence of ``text[lo:hi]`` (a prose line ending at ``hi``), not crossing ``lo``."""
    last = len(text[lo:hi].rstrip()) + lo - 1
    if last < lo:
        return ""
    return sentence_around(text, last, last + 1, lo, hi, keep="end")


class TextIndex:
    """Line, column and paragraph lookup for one text (newlines already normalised).

    Paragraphs are runs of non-blank lines separated by blank lines, counted from 1.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.line_starts = [0]
        self.line_starts.extend(m.end() for m in re.finditer("\n", text))
        # Paragraph boundaries: (start offset, end offset) of each run of non-blank lines.
        self.para_starts: list[int] = []
        self.para_ends: list[int] = []
        pos = 0
        for match in _BLANK_LINE.finditer(text):
            if text[pos : match.start()].strip():
                self.para_starts.append(pos)
                self.para_ends.append(match.start())
            pos = match.end()
        if text[pos:].strip() or not self.para_starts:
            self.para_starts.append(pos)
            self.para_ends.append(len(text))

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column of a character offset."""
        line = bisect.bisect_right(self.line_starts, offset) - 1
        return line + 1, offset - self.line_starts[line] + 1

    def line_bounds(self, line: int) -> tuple[int, int]:
        """Start and end offsets of 1-based ``line`` (end excludes the newline)."""
        start = self.line_starts[line - 1]
        end = self.line_starts[line] - 1 if line < len(self.line_starts) else len(self.text)
        return start, end

    def paragraph(self, offset: int) -> tuple[int, int, int]:
        """1-based paragraph number holding ``offset`` and that paragraph's start/end offsets."""
        idx = max(0, bisect.bisect_right(self.para_starts, offset) - 1)
        return idx + 1, self.para_starts[idx], self.para_ends[idx]


class Contexts:
    """The context rule (module docstring) for a text whose lines and paragraphs are ``index``'s.

    Hints are memoised per line, so a list of thousands of URL lines costs linear time.
    ``clean`` is applied to every context (Markdown removes its link syntax with it).
    """

    def __init__(self, index: TextIndex, clean: Callable[[str], str] | None = None) -> None:
        self.index = index
        self.text = index.text
        self.clean = clean
        self._hints: dict[int, str | None] = {}
        self._link_only: dict[int, bool] = {}

    def around(self, start: int, end: int, lo: int | None = None, hi: int | None = None) -> str:
        """Context of the link at ``text[start:end]``; the sentence may not cross ``lo``/``hi``
        (default: the paragraph's bounds)."""
        line, _ = self.index.line_col(start)
        if self.link_only(line):
            context = self.hint(line)
            if not context:  # the line itself, around the link (a window: lines can be megabytes long)
                l_lo, l_hi = self.index.line_bounds(line)
                lo, hi = max(l_lo, start - 2 * CONTEXT_LIMIT), min(l_hi, end + 2 * CONTEXT_LIMIT)
                context = bound_context(collapse(self.text[lo:hi]), collapse(self.text[start:end]))
        else:
            if lo is None or hi is None:
                _, p_lo, p_hi = self.index.paragraph(start)
                lo = p_lo if lo is None else lo
                hi = p_hi if hi is None else hi
            context = sentence_around(self.text, start, end, lo, hi)
        return self.clean(context) if self.clean is not None else context

    def link_only(self, line: int) -> bool:
        """True when 1-based ``line`` holds only URLs and punctuation (after ``clean``); memoised,
        so a long line with many links is looked at once."""
        known = self._link_only.get(line)
        if known is None:
            lo, hi = self.index.line_bounds(line)
            text = self.text[lo:hi]
            known = is_link_only(self.clean(text) if self.clean is not None else text)
            self._link_only[line] = known
        return known

    def hint(self, line: int) -> str | None:
        """The "what this cites" hint for a link-only ``line`` (1-based), or ``None``."""
        if line in self._hints:
            return self._hints[line]
        found: str | None = None
        tail = -1  # end of the lowest text line of the run being walked ("the ministry." below a prose line)
        for k in range(line - 1, max(0, line - 1 - HINT_LINES), -1):
            if k in self._hints:  # a link line above: same hint (linear time on long lists)
                found = self._hints[k]
                break
            lo, hi = self.index.line_bounds(k)
            segment = self.text[lo:hi]
            if not segment.strip() or is_link_only(segment):
                tail = -1  # a blank or link line ends the run
                continue
            if tail < 0:
                tail = hi
            if prose_words(segment, enough=HINT_WORDS) >= HINT_WORDS:
                _, p_lo, _ = self.index.paragraph(lo)
                found = hint_sentence(self.text, p_lo, tail) or None
                break
        self._hints[line] = found
        return found


def make_citation(
    raw: str,
    *,
    source: str,
    line: int,
    column: int,
    paragraph: int,
    context: str,
    anchor: str | None = None,
    url_text: str | None = None,
    base: str | None = None,
) -> Citation | Skipped:
    """Canonicalize ``url_text`` (default ``raw``) and build a Citation, or a Skipped with the reason.

    ``reason`` is ``"scheme"`` when the text has a scheme other than http(s), else ``"invalid"``.
    """
    target = raw if url_text is None else url_text
    try:
        url = canonicalize(target, base)
    except InvalidURLError as exc:
        scheme = scheme_of(target)
        reason = "scheme" if scheme is not None and scheme not in ("http", "https") else "invalid"
        return Skipped(raw=raw, source=source, line=line, reason=reason, message=exc.message)
    return Citation(
        raw=raw,
        url=url,
        source=source,
        line=line,
        column=column,
        paragraph=paragraph,
        context=context,
        anchor=anchor,
    )


def collect(found: Iterable[Citation | Skipped], skipped: list[Skipped] | None) -> list[Citation]:
    """Split harvester output: return the citations, append the skipped ones to ``skipped`` if given."""
    citations: list[Citation] = []
    for item in found:
        if isinstance(item, Citation):
            citations.append(item)
        elif skipped is not None:
            skipped.append(item)
    return citations


def group_links(citations: Iterable[Citation]) -> list[Link]:
    """Distinct canonical URLs in order of first appearance, each with all its citations in order."""
    groups: dict[str, list[Citation]] = {}
    for citation in citations:
        groups.setdefault(citation.url, []).append(citation)
    return [Link(url=url, occurrences=tuple(items)) for url, items in groups.items()]
