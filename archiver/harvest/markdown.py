"""Finding links in Markdown (CommonMark + tables) with markdown-it-py.

Citations are: inline links ``[text](url "title")``, reference links ``[text][ref]`` / ``[text][]`` /
``[ref]`` (position = the place of use; the definition only supplies the URL), autolinks
``<https://...>``, ``<a href>`` in inline or block HTML, and bare URLs in text (found with
:func:`archiver.harvest.text.find_urls`, same rules as plain text). Nothing inside code spans,
fenced or indented code blocks counts. Images are not citations. A definition that is never
used is not a citation either (a reader never sees it).

``anchor`` is the link text (``None`` for autolinks and bare URLs); ``paragraph`` counts the
blocks holding inline content (paragraphs, headings, table cells) from 1, plus HTML blocks.

markdown-it-py gives block tokens line maps but no positions for inline tokens, so the inline
rules that matter are wrapped to record where each construct starts and ends in the block's
source; line and column then come from that offset.
"""

from __future__ import annotations

import bisect
import dataclasses
import html
import re
from collections.abc import Callable
from functools import lru_cache
from html.entities import html5 as _HTML5_ENTITIES
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from archiver.harvest._common import (
    Contexts,
    TextIndex,
    bound_context,
    collapse,
    collect,
    is_link_only,
    make_citation,
    sentence_around,
)
from archiver.harvest.text import Found, find_urls
from archiver.types import Citation, Skipped

_SPANS = "_archiver_spans"
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_A_TAG = re.compile(r"""<a\s[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))[^>]*>""", re.I | re.S)
_A_OPEN = re.compile(r"<a\b", re.IGNORECASE)
_FOOTNOTE_REF = re.compile(r"\[\^[^\[\]\s]+\]\Z")  # a footnote reference ending a bare URL
_A_CLOSE = re.compile(r"</a\s*>", re.I)
_TAGS = re.compile(r"<[^>]*>")
# HTML tags and comments only: "<https://x.org>" (an autolink) is not a tag.
_HTML_TAGS = re.compile(r"<(?:/?[A-Za-z][A-Za-z0-9\-]*(?:\s[^<>]*)?/?|!--.*?--)>", re.S)
_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.\-]{1,31}:[^<>\s]*)>")
# In a context sentence, show "[text](url "title")", "[text](<url>)", "[text](a_(b))" and "[text][ref]"
# as "text"; emphasis delimiters and tags go too.
_MD_LINK = re.compile(
    r"!?\[([^\]\n]*)\]"
    r"(?:\(\s*(?:<[^>\n]*>|[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)"
    r"|\[[^\]\n]*\])"
)
# Emphasis and strike-through delimiter runs at the edge of a word: "_https://x.org_", "~~www.x.org~~".
# They are blanked (same length, so offsets hold) before bare URLs are looked for.
_DELIMITERS = re.compile(r"(?<![^\s(\[{\"'])[*_~]+(?=[^\s*_~])|(?<=[^\s*_~\\])[*_~]+(?![^\s)\]}\"'.,;:!?])")

# Character references. html.unescape() also decodes a legacy name without ";" at the start of a
# longer word ("&region=us" -> "®ion=us"), which would corrupt query strings: see _unescape.
_CHARREF = re.compile(r"&(?:#[0-9]{1,8};?|#[xX][0-9a-fA-F]{1,8};?|[A-Za-z][A-Za-z0-9]{0,31};?)")

Rule = Callable[[StateInline, bool], bool]


def _unescape(value: str, *, attribute: bool) -> str:
    """Decode character references the way the text's parser would.

    Markdown text (``attribute=False``): only references closed by ``;`` (CommonMark).
    An HTML attribute value: also a whole legacy name without ``;`` (``&amp``), except before
    ``=`` (the HTML5 attribute rule), never a prefix of a longer word (``&region``, ``&copy2``).
    """
    if "&" not in value:
        return value

    def decode(match: re.Match[str]) -> str:
        ref = match.group(0)
        if ref.endswith(";"):
            return html.unescape(ref)
        if not attribute:
            return ref
        if ref.startswith("&#"):
            return html.unescape(ref)
        follows = match.string[match.end() : match.end() + 1]
        return _HTML5_ENTITIES.get(ref[1:], ref) if follows != "=" else ref

    return _CHARREF.sub(decode, value)


def _recording(kind: str, rule: Rule) -> Rule:
    """Wrap an inline rule so that each construct it parses records (start, end, kind, first token)."""

    def wrapped(state: StateInline, silent: bool) -> bool:
        start, count = state.pos, len(state.tokens)
        ok = rule(state, silent)
        if ok and not silent:
            spans = state.env.get(_SPANS)
            if spans is not None:
                opener = next((t for t in state.tokens[count:] if t.type in ("link_open", "image")), None)
                spans.append((start, state.pos, kind, opener))
        return ok

    return wrapped


def _core_inline(state: Any) -> None:
    """The core "inline" rule, recording the spans of every inline block in ``token.meta``."""
    for token in state.tokens:
        if token.type == "inline":
            if token.children is None:
                token.children = []
            spans: list[tuple[int, int, str, Token | None]] = []
            state.env[_SPANS] = spans
            state.md.inline.parse(token.content, state.md, state.env, token.children)
            token.meta["spans"] = spans
    state.env.pop(_SPANS, None)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark").enable("table").enable("strikethrough")
    # Keep destinations exactly as written (no percent-encoding) and let every scheme through,
    # so that javascript:/mailto: links can be reported as skipped rather than vanish.
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    rules = {rule.name: rule.fn for rule in md.inline.ruler.__rules__}
    for name, kind in (("link", "link"), ("image", "image"), ("autolink", "autolink"),
                       ("backticks", "code"), ("html_inline", "html")):
        md.inline.ruler.at(name, _recording(kind, rules[name]))
    md.core.ruler.at("inline", _core_inline)
    return md


def _anchor(children: list[Token], opener: Token) -> str | None:
    """The visible text between ``opener`` (a link_open) and its link_close."""
    try:
        i = next(i for i, t in enumerate(children) if t is opener)
    except StopIteration:
        return None
    parts: list[str] = []
    depth = 0
    for token in children[i + 1 :]:
        if token.type == "link_open":
            depth += 1
        elif token.type == "link_close":
            if depth == 0:
                break
            depth -= 1
        elif token.type in ("text", "code_inline", "text_special"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif token.type == "image":
            parts.append(token.content)
    return collapse("".join(parts))


def _clean_context(context: str) -> str:
    """A context as a reader sees it: link syntax, tags, emphasis delimiters and entities removed."""
    while "[" in context:  # twice for a linked image: "[![alt](img)](url)" -> "![alt](url)" -> "alt"
        cleaned = _MD_LINK.sub(lambda m: m.group(1), context)
        if cleaned == context:
            break
        context = cleaned
    if "<" in context:
        context = _AUTOLINK.sub(r"\1", _HTML_TAGS.sub("", context))
    if "*" in context or "_" in context or "~" in context:
        context = _DELIMITERS.sub("", context)
    if "&" in context:
        context = html.unescape(context)
    return collapse(context)


class _Block:
    """One inline block: maps offsets in its content to source lines and columns."""

    def __init__(self, content: str, first_line: int, lines: list[str]) -> None:
        self.content = content
        self.first_line = first_line  # 0-based
        self.lines = lines
        self.starts = [0]
        self.starts.extend(m.end() for m in re.finditer("\n", content))
        self._prefixes: dict[int, int] = {}  # line (in the block) -> column of its content in the source

    def line_col(self, offset: int) -> tuple[int, int]:
        k = bisect.bisect_right(self.starts, offset) - 1
        prefix = self._prefixes.get(k)
        if prefix is None:  # once per line: a long line with many links stays linear
            line_index = self.first_line + k
            end = self.starts[k + 1] - 1 if k + 1 < len(self.starts) else len(self.content)
            content_line = self.content[self.starts[k] : end]
            source_line = self.lines[line_index] if line_index < len(self.lines) else ""
            prefix = source_line.find(content_line) if content_line else -1
            if prefix < 0:
                prefix = len(source_line) - len(source_line.lstrip())
            self._prefixes[k] = prefix
        return self.first_line + k + 1, prefix + offset - self.starts[k] + 1


def _html_links(fragment: str) -> list[tuple[int, int, str, str | None]]:
    """``<a href>`` tags in an HTML fragment: (start, end, href, anchor text)."""
    found = []
    for match in _A_TAG.finditer(fragment):
        href = _unescape(next(g for g in match.groups() if g is not None), attribute=True).strip()
        close = _A_CLOSE.search(fragment, match.end())
        anchor = collapse(html.unescape(_TAGS.sub("", fragment[match.end() : close.start()]))) if close else None
        found.append((match.start(), match.end(), href, anchor or None))
    return found


def _has_delimiters(content: str) -> bool:
    return "*" in content or "_" in content or "~" in content


def harvest_markdown(
    text: str,
    source: str,
    *,
    bare_domains: bool = False,
    skipped: list[Skipped] | None = None,
) -> list[Citation]:
    """Return the citations of a Markdown article, in order of appearance.

    ``text`` must have ``\\n`` newlines. Non-http(s) and invalid links are appended to
    ``skipped`` (when given) instead of being returned.
    """
    md = _parser()
    tokens = md.parse(text, {})
    lines = text.split("\n")
    contexts = Contexts(TextIndex(text), clean=_clean_context)
    found: list[Citation | Skipped] = []
    paragraph = 0
    for token in tokens:
        if token.type == "html_block" and token.map:
            paragraph += 1
            for start, _end, href, anchor in _html_links(token.content):
                line = token.map[0] + token.content.count("\n", 0, start) + 1
                line_start = token.content.rfind("\n", 0, start) + 1
                line_end = token.content.find("\n", start)
                line_end = len(token.content) if line_end < 0 else line_end
                context = collapse(_TAGS.sub(" ", token.content[line_start:line_end]))
                found.append(
                    make_citation(href, source=source, line=line, column=start - line_start + 1,
                                  paragraph=paragraph, context=bound_context(context, anchor or href), anchor=anchor)
                )
            continue
        if token.type != "inline" or token.map is None:
            continue
        paragraph += 1
        found.extend(_inline_citations(token, text_lines=lines, source=source, paragraph=paragraph,
                                       bare_domains=bare_domains, contexts=contexts))
    return collect(found, skipped)


def _inline_citations(
    token: Token, *, text_lines: list[str], source: str, paragraph: int, bare_domains: bool, contexts: Contexts
) -> list[Citation | Skipped]:
    content = token.content
    assert token.map is not None
    block = _Block(content, token.map[0], text_lines)
    spans: list[tuple[int, int, str, Token | None]] = token.meta.get("spans", [])
    children = token.children or []
    items: list[tuple[int, int, str, str, str | None]] = []  # start, end, raw, url_text, anchor
    anchors: list[tuple[int, int]] = []  # the text of inline <a> elements, up to their </a>
    for start, end, kind, opener in spans:
        if kind == "link" and opener is not None:
            href = str(opener.attrGet("href") or "")
            items.append((start, end, href, href, _anchor(children, opener)))
        elif kind == "autolink" and opener is not None:
            href = str(opener.attrGet("href") or "")
            items.append((start, end, content[start + 1 : end - 1], href, None))
        elif kind == "html":
            for a_start, _a_end, href, _ in _html_links(content[start:end]):
                close = _A_CLOSE.search(content, end)
                if close and _A_OPEN.search(content, end, close.start()):
                    close = None  # never closed: the next link's </a> is not this one's
                text = collapse(html.unescape(_TAGS.sub("", content[end : close.start()]))) if close else ""
                items.append((start + a_start, end, href, href, text or None))
                if close:  # the link's text is its anchor, not another citation: <a href=u>u</a>
                    anchors.append((end, close.end()))
    blocked: list[list[int]] = []  # union of the spans (they nest: code inside a link's text)
    for s, e in sorted([(s, e) for s, e, _, _ in spans] + anchors):
        if blocked and s < blocked[-1][1]:
            blocked[-1][1] = max(blocked[-1][1], e)
        else:
            blocked.append([s, e])
    block_starts = [s for s, _ in blocked]
    searched = _DELIMITERS.sub(lambda m: " " * len(m.group(0)), content) if _has_delimiters(content) else content
    def ended(hit: Found, end: int) -> Found | None:
        """``hit`` found again in ``searched[hit.start:end]``: the URL where it really ends, if any."""
        head = next(iter(find_urls(searched[hit.start : end], bare_domains=bare_domains)), None)
        return None if head is None or head.start != 0 else dataclasses.replace(
            head, start=hit.start, end=hit.start + head.end)

    for found in find_urls(searched, bare_domains=bare_domains):
        hit: Found | None = found
        i = bisect.bisect_left(block_starts, found.end) - 1  # the last span starting before the hit ends
        if i >= 0 and blocked[i][1] > found.start:
            j = bisect.bisect_right(block_starts, found.start) - 1  # the last span starting at or before it
            if j >= 0 and blocked[j][1] > found.start:
                continue  # inside a link, code span or tag
            hit = ended(found, blocked[j + 1][0])  # running into a link or code span: "https://x.org/foo[1](2)"
        if hit is not None and (footnote := _FOOTNOTE_REF.search(hit.raw)) is not None:  # "https://x.org/a[^1]"
            hit = ended(hit, hit.start + footnote.start())
        if hit is None:
            continue
        url_text = _ESCAPE.sub(r"\1", hit.url)
        url_text = _unescape(url_text, attribute=False)
        items.append((hit.start, hit.end, hit.raw, url_text, None))
    items.sort(key=lambda item: item[0])
    out: list[Citation | Skipped] = []
    for start, end, raw, url_text, anchor in items:
        line, column = block.line_col(start)
        context = ""
        if (anchor is None or is_link_only(anchor)) and contexts.link_only(line):
            context = contexts.hint(line) or ""
        if not context:
            context = _clean_context(sentence_around(content, start, end))
        out.append(
            make_citation(raw, url_text=url_text, source=source, line=line, column=column,
                          paragraph=paragraph, context=context, anchor=anchor)
        )
    return out
