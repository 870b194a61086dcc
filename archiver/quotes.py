"""Find the quotations of an article, with their line and paragraph. Pure functions, no I/O.

Contract of :func:`find_quotations`:

* A quotation is text between a pair of quotation marks: ``“ ”``, ``„ “``, ``„ ”``,
  ``« »``, ``» «``, ``‚ ‘``, ``‘ ’``, or straight ``" "``. Straight single quotes (``'``)
  are not quotation marks here: they are apostrophes far more often than not.
* Marks must stand at word boundaries. An opening mark follows the start of the text,
  a space or opening punctuation (``( [ { — – - /`` or another opening mark) and is
  followed by a non-space; a closing mark follows a non-space and is not followed by
  a letter or digit. So the apostrophe of ``Russia’s`` or ``rock’n’roll`` neither
  opens nor closes a quotation, and a possessive ``players’`` only closes a ``‘``
  that is open (never one that is not).
* Quotations nest: an inner quotation is part of the outer one's text and is not
  reported on its own; only outermost quotations are returned. A closing mark that
  matches an outer open quotation closes it even if inner ones were left open.
* A quotation never spans paragraphs, except by the typographic convention for long
  quotations: a paragraph that ends inside an open quotation and a next paragraph that
  opens with the same mark; each paragraph's part is then reported as a quotation. An
  opening mark never closed in its paragraph is dropped otherwise.
* Only quotations of at least ``min_words`` words (default 6) are returned; ``text`` is
  the quoted words with whitespace collapsed (line breaks of a reflowed paragraph become
  single spaces), without the outer marks. In Markdown it is the text a reader sees: a
  link inside the quotation (``[words](url)``) is its words, tags and entities are decoded
  as in the harvester's contexts.
* Paragraphs are the harvester's blocks (:mod:`archiver.harvest`), so that a quotation and
  the links cited next to it are placed by the same rules, counted from 1:

  - plain text: runs of non-blank lines separated by blank lines (the harvester's
    :class:`~archiver.harvest._common.TextIndex`);
  - Markdown: the blocks markdown-it finds (paragraphs, headings, list items, table rows,
    HTML blocks), with the harvester's own parser; a block quote's ``>`` markers and a list
    item's continuation lines stay in their block, and code blocks hold no quotation. The
    numbers are the harvester's ``paragraph`` numbers, except that all the cells of a table
    row are one paragraph here;
  - HTML: the block-level elements (``p``, ``li``, ``h1``..., ``blockquote``, ``td``...)
    that hold text; ``<br>`` is a line break inside its paragraph, as for the harvester.

  Citations are placed in these paragraphs by their line and column
  (:meth:`ArticleText.paragraph_at`), never by a block count made elsewhere.
* ``line`` and ``column`` (1-based) are the position of the opening mark in the source
  text as given, HTML markup included. Line-start block quote markers (``>``) inside a
  quotation are not part of its ``text``.
"""

from __future__ import annotations

import bisect
import html as html_lib
import re
import unicodedata
from dataclasses import dataclass

__all__ = ["ArticleText", "Quotation", "find_quotations", "count_words"]

#: closing mark -> the opening marks it closes
CLOSES: dict[str, str] = {
    "”": "“„",
    "“": "„",
    "»": "«",
    "«": "»",
    "’": "‘",
    "‘": "‚",
    '"': '"',
}
OPENERS = frozenset("“„«»‘‚\"")
MARKS = OPENERS | frozenset(CLOSES)
GUILLEMETS = frozenset("«»")
#: characters that may stand right before an opening mark (besides whitespace)
OPEN_CONTEXT = frozenset("([{—–-/") | OPENERS

WORD_RE = re.compile(r"\w+(?:['’]\w+)*")

_BLOCK_TAGS = (
    "address|article|aside|blockquote|dd|div|dl|dt|figcaption|figure|footer|h[1-6]|header|hr|li|main|nav|ol|p|"
    "pre|section|table|td|th|tr|ul"
)
# The rest of a tag: a quoted attribute value may hold ">" (title="5 > 3"). Values are bounded
# and an unbalanced quote falls back to the first ">", so no input makes the scan quadratic.
_ATTRS = r"""(?:(?:[^>"']|"[^"]{0,4096}"|'[^']{0,4096}')*(?=>)|[^>]*)"""
_HTML_TOKEN_RE = re.compile(
    r"(?P<skip><(?P<skiptag>script|style|template|noscript)\b.*?</(?P=skiptag)\s*>)"
    r"|(?P<comment><!--.*?-->)"
    rf"|(?P<br><br\b{_ATTRS}>)"
    rf"|(?P<block></?(?:{_BLOCK_TAGS})\b{_ATTRS}>)"
    rf"|(?P<tag></?[A-Za-z!?]{_ATTRS}>)"
    r"|(?P<entity>&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);)",
    re.IGNORECASE | re.DOTALL,
)
_QUOTE_MARKERS_RE = re.compile(r"\n[ \t]*(?:>[ \t]?)+")  # "> " block quote markers at line starts
_PARA_BREAK = "\x00"  # stands in the readable text of HTML for a block boundary


def count_words(text: str) -> int:
    """Number of words in ``text`` (a word: letters/digits, with inner apostrophes; accents
    written as combining marks do not split a word)."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return len(WORD_RE.findall(text))


@dataclass(frozen=True)
class Quotation:
    """One quotation of an article.

    ``text`` is the quoted words, whitespace collapsed, without the outer marks;
    ``line``/``column`` (1-based) locate the opening mark in the source text and
    ``paragraph`` is its paragraph number in :class:`ArticleText` numbering.
    ``start``/``end`` are offsets of the opening mark and just past the closing mark
    in the source text.
    """

    text: str
    line: int
    column: int
    paragraph: int
    open_mark: str
    close_mark: str
    start: int
    end: int

    @property
    def words(self) -> int:
        return count_words(self.text)


class ArticleText:
    """The readable text of an article, with positions mapped back to the source.

    For plain text and Markdown the readable text is the source itself. For HTML,
    tags, comments, scripts and styles are dropped, entities decoded and block-level
    elements become paragraph boundaries; every readable character remembers its
    offset in the source, so line and column are always those of the source.
    """

    def __init__(self, source_text: str, *, html: bool = False, markdown: bool = False) -> None:
        self.source = source_text
        self.html = html
        self.markdown = markdown and not html
        if html:
            self.readable, self._offsets = _readable_html(source_text)
        else:
            self.readable, self._offsets = source_text, None
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", source_text)]
        if html:
            self._blocks = _html_blocks(self.readable)
        elif self.markdown:
            self._blocks = _markdown_blocks(self.readable, self._line_starts)
        else:
            self._blocks = _text_blocks(self.readable)
        self._para_starts = [start for start, _ in self._blocks] or [0]

    def source_offset(self, index: int) -> int:
        """Offset in the source text of readable character ``index``."""
        if self._offsets is None:
            return index
        if not self._offsets:
            return 0
        return self._offsets[min(index, len(self._offsets) - 1)]

    def line_column(self, source_offset: int) -> tuple[int, int]:
        """1-based (line, column) of a source offset."""
        line = bisect.bisect_right(self._line_starts, source_offset)
        return line, source_offset - self._line_starts[line - 1] + 1

    def paragraph_of(self, index: int) -> int:
        """1-based paragraph number of readable character ``index``."""
        return max(1, bisect.bisect_right(self._para_starts, index))

    def paragraph_at(self, line: int, column: int = 1) -> int:
        """Paragraph number of a source position (e.g. a citation's line and column)."""
        line = max(1, min(line, len(self._line_starts)))
        offset = self._line_starts[line - 1] + max(0, column - 1)
        if self._offsets is None:
            return self.paragraph_of(min(offset, max(0, len(self.readable) - 1)))
        index = bisect.bisect_left(self._offsets, offset)
        return self.paragraph_of(min(index, max(0, len(self.readable) - 1)))

    def quotations(self, *, min_words: int = 6) -> list[Quotation]:
        """The outermost quotations of at least ``min_words`` words, in order."""
        found: list[Quotation] = []
        blocks = self._blocks
        for n, (start, end) in enumerate(blocks):
            next_start = (
                _first_visible(self.readable, blocks[n + 1][0], skip=">" if self.markdown else "")
                if n + 1 < len(blocks)
                else ""
            )
            for q_start, q_end, open_mark, close_mark in _scan(self.readable, start, end, next_start):
                inner_end = q_end - (1 if close_mark else 0)
                inner = self.readable[q_start + 1 : inner_end]
                if not self.html:
                    inner = _QUOTE_MARKERS_RE.sub("\n", inner)
                text = " ".join(inner.replace(_PARA_BREAK, " ").split())
                if self.markdown and ("[" in text or "<" in text or "&" in text):
                    text = _markdown_visible(text)
                if count_words(text) < min_words:
                    continue
                src_start = self.source_offset(q_start)
                src_end = self.source_offset(q_end - 1) + 1 if q_end > q_start else src_start
                line, column = self.line_column(src_start)
                found.append(
                    Quotation(
                        text=text,
                        line=line,
                        column=column,
                        paragraph=n + 1,
                        open_mark=open_mark,
                        close_mark=close_mark,
                        start=src_start,
                        end=src_end,
                    )
                )
        return found


def find_quotations(text: str, *, min_words: int = 6, html: bool = False, markdown: bool = False) -> list[Quotation]:
    """The outermost quotations of at least ``min_words`` words in ``text`` (see module doc).

    ``html``/``markdown`` say the article's format (plain text when neither): it decides
    what a paragraph is.
    """
    return ArticleText(text, html=html, markdown=markdown).quotations(min_words=min_words)


def _markdown_visible(text: str) -> str:
    """Markdown as a reader sees it, as the harvester shows contexts: ``[words](url)`` is ``words``."""
    from archiver.harvest.markdown import _clean_context

    return _clean_context(text)


def _first_visible(text: str, index: int, skip: str = "") -> str:
    """The first non-space character at or after ``index`` ('' at the end), also skipping ``skip``."""
    while index < len(text) and (text[index].isspace() or text[index] == _PARA_BREAK or text[index] in skip):
        index += 1
    return text[index] if index < len(text) else ""


def _scan(text: str, start: int, end: int, next_para_first: str) -> list[tuple[int, int, str, str]]:
    """Outermost quotations in ``text[start:end]`` as (start, end, open mark, close mark)."""
    found: list[tuple[int, int, str, str]] = []
    stack: list[tuple[str, int]] = []
    for i in range(start, end):
        c = text[i]
        if c not in MARKS:
            continue
        prev = text[i - 1] if i > start else " "
        nxt = text[i + 1] if i + 1 < end else " "
        can_open = (prev.isspace() or prev in OPEN_CONTEXT or prev == _PARA_BREAK) and not (
            nxt.isspace() or nxt == _PARA_BREAK
        )
        can_close = not (prev.isspace() or prev == _PARA_BREAK) and not nxt.isalnum()
        if c in GUILLEMETS:  # French typography puts a (no-break) space inside « »
            can_open = prev.isspace() or prev in OPEN_CONTEXT or prev == _PARA_BREAK
            can_close = not nxt.isalnum()
        closable = CLOSES.get(c, "")
        if can_close and closable:
            depth = next((k for k in range(len(stack) - 1, -1, -1) if stack[k][0] in closable), None)
            if depth is not None:
                open_mark, q_start = stack[depth]
                del stack[depth:]
                if not stack:
                    found.append((q_start, i + 1, open_mark, c))
                continue
        if can_open and c in OPENERS:
            stack.append((c, i))
    if stack and next_para_first == stack[0][0]:
        # a long quotation running on into the next paragraph: report this paragraph's part
        open_mark, q_start = stack[0]
        stop = end
        while stop > q_start + 1 and (text[stop - 1].isspace() or text[stop - 1] == _PARA_BREAK):
            stop -= 1
        found.append((q_start, stop, open_mark, ""))
    return found


def _text_blocks(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the paragraphs of plain text, as the text harvester counts them."""
    from archiver.harvest._common import TextIndex

    index = TextIndex(text)
    return list(zip(index.para_starts, index.para_ends, strict=True))


def _markdown_blocks(text: str, line_starts: list[int]) -> list[tuple[int, int]]:
    """(start, end) offsets of the Markdown blocks the Markdown harvester counts, in order.

    Uses the harvester's markdown-it parser: each inline-content block (paragraph, heading,
    table cell) and each HTML block is a paragraph; the cells of one table row share their
    line and become one block here. A block runs from the start of its first line (its
    ``#``, ``>`` or list marker included) to the end of its last line.
    """
    from archiver.harvest.markdown import _parser

    blocks: list[tuple[int, int]] = []
    for token in _parser().parse(text, {}):
        if token.map is None or token.type not in ("inline", "html_block"):
            continue
        first, last = token.map[0], max(token.map[0], token.map[1] - 1)
        if first >= len(line_starts):
            continue
        start = line_starts[first]
        end = line_starts[last + 1] - 1 if last + 1 < len(line_starts) else len(text)
        if blocks and blocks[-1][1] >= start:  # a table row's next cell: same block
            blocks[-1] = (blocks[-1][0], max(blocks[-1][1], end))
            continue
        blocks.append((start, end))
    return blocks


def _html_blocks(readable: str) -> list[tuple[int, int]]:
    """(start, end) offsets in the readable text of HTML of the blocks that hold text."""
    blocks: list[tuple[int, int]] = []
    last = 0
    for m in re.finditer(_PARA_BREAK + "+", readable + _PARA_BREAK):
        if readable[last : m.start()].strip():
            blocks.append((last, m.start()))
        last = m.end()
    return blocks


def _readable_html(source: str) -> tuple[str, list[int]]:
    """Readable text of an HTML document and, per readable character, its source offset."""
    out: list[str] = []
    offsets: list[int] = []

    def add_text(chunk: str, base: int) -> None:
        for k, ch in enumerate(chunk):
            out.append(" " if ch in "\r\n\t\f" else ch)
            offsets.append(base + k)

    pos = 0
    for m in _HTML_TOKEN_RE.finditer(source):
        add_text(source[pos : m.start()], pos)
        pos = m.end()
        if m.group("block"):
            out.append(_PARA_BREAK)
            offsets.append(m.start())
        elif m.group("br"):  # a line break inside the paragraph
            out.append(" ")
            offsets.append(m.start())
        elif m.group("entity"):
            decoded = html_lib.unescape(m.group("entity"))
            for ch in decoded:
                out.append(" " if ch == "\xa0" else ch)
                offsets.append(m.start())
    add_text(source[pos:], pos)
    return "".join(out), offsets
