"""Finding cited links in HTML.

Contract of :func:`harvest_html`:

* every ``<a href>`` is considered; the href is resolved against ``<base href>`` (itself resolved
  against the document URL). The document URL is ``base_url`` when given (a fetched article),
  else the page's own ``<link rel="canonical">`` or ``og:url`` when absolute (a page saved to a
  file); with neither, relative links cannot be resolved and are reported as skipped (``invalid``);
* same-page links (``#section``, empty href) are ignored; ``javascript:``, ``mailto:``, ``tel:``,
  ``data:`` and other non-http(s) links are reported as skipped (``scheme``);
* by default only links in the article's main content count. trafilatura decides what the main
  content is; the ``<a>`` elements of the *original* document whose href (and text) appear in
  trafilatura's output are kept, so line, column and anchor come from the source. On short pages
  trafilatura's fallback extractors drop links: then the links whose text is in its main text (and
  that are not in boilerplate, below) are kept. If trafilatura finds no main content, the links
  outside ``nav``/``header``/``footer``/``aside``/``form`` and outside elements whose class or id
  says menu, share, footer, sidebar... are kept instead.
  ``all_links=True`` keeps every link;
* ``line``/``column``: where the ``<a`` tag starts; ``paragraph``: number of the nearest block
  element (p, li, td, h1...) among the block elements holding text, counted from 1 in document
  order; ``context``: the sentence of that block around the link text; ``anchor``: the link's
  visible text (or an image's alt text), ``None`` when empty.

Measured on ``tests/fixtures/harvest/news.html`` (a news page with 45 links: navigation,
breadcrumbs, share bar, related articles, most-read sidebar, ads, footer): trafilatura keeps
exactly the 7 links of the story body (default, ``favor_recall`` and ``favor_precision`` agree).
trafilatura is called without the page URL: it then reports hrefs exactly as written (with the
URL it resolves ``#frag`` and ``page.html`` against the site root, not the page), which makes the
matching with the original DOM exact.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable

from bs4 import BeautifulSoup, NavigableString, Tag

from archiver.errors import InvalidURLError
from archiver.harvest._common import collapse, collect, make_citation, sentence_around
from archiver.types import Citation, Skipped
from archiver.urls import canonicalize, scheme_of

logger = logging.getLogger(__name__)

BLOCK_TAGS = frozenset(
    "address article aside blockquote body caption dd details dialog div dl dt fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 header hgroup li main nav ol p pre section summary table tbody td tfoot "
    "th thead tr ul".split()
)
_BOILERPLATE_TAGS = frozenset({"nav", "header", "footer", "aside", "form"})
_BOILERPLATE_HINT = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|menu|breadcrumbs?|share|sharing|social|footer|sidebar|related|"
    r"most-?read|popular|promo|ad|ads|advert\w*|banner|cookie|newsletter|subscribe|comments?)(?:$|[\s_-])",
    re.I,
)
_SKIP_TEXT = frozenset({"script", "style", "template", "noscript"})


def _main_content(text: str) -> tuple[list[tuple[str, str]], str] | None:
    """trafilatura's main content: (href as written, link text) of its links, and its text.

    ``None`` when trafilatura finds no main content. The only trafilatura call of the harvester;
    isolated so that it can move to ``archiver.extract``.
    """
    import trafilatura
    from lxml import etree

    try:
        xml = trafilatura.extract(
            text, output_format="xml", include_links=True, with_metadata=False, include_comments=False
        )
    except Exception as exc:  # a third-party parser on arbitrary input: fall back, never crash the harvest
        logger.debug("trafilatura failed on the page: %r", exc)
        return None
    if not xml:
        return None
    try:
        root = etree.fromstring(xml.encode("utf-8"))
    except etree.XMLSyntaxError:
        return None
    refs = [((ref.get("target") or "").strip(), collapse("".join(ref.itertext()))) for ref in root.iter("ref")]
    main_text = collapse(" ".join(root.itertext()))
    return (refs, main_text) if refs or main_text else None


def _is_boilerplate(tag: Tag) -> bool:
    for parent in tag.parents:
        if not isinstance(parent, Tag):
            continue
        if parent.name in _BOILERPLATE_TAGS:
            return True
        hints = " ".join(parent.get("class") or []) + " " + str(parent.get("id") or "") + " " + str(
            parent.get("role") or ""
        )
        if hints.strip() and _BOILERPLATE_HINT.search(hints):
            return True
    return False


def _anchor_text(tag: Tag) -> str:
    text = collapse(tag.get_text(" "))
    if not text:
        img = tag.find("img", alt=True)
        if isinstance(img, Tag):
            text = collapse(str(img.get("alt") or ""))
    return text


def _select_main(anchors: list[Tag], refs: list[tuple[str, str]]) -> list[Tag]:
    """The anchors that trafilatura's main-content refs stand for (document order).

    Matching is by (href, text) first, then by href alone; when an href occurs both in and out of
    boilerplate, the copies outside navigation/footer/share blocks are taken first.
    """
    pairs = Counter(refs)
    hrefs = Counter(href for href, _ in refs)
    ordered = sorted(range(len(anchors)), key=lambda i: _is_boilerplate(anchors[i]))
    chosen: set[int] = set()
    for i in ordered:
        key = (str(anchors[i]["href"]).strip(), _anchor_text(anchors[i]))
        if pairs[key] > 0:
            pairs[key] -= 1
            hrefs[key[0]] -= 1
            chosen.add(i)
    for i in ordered:
        href = str(anchors[i]["href"]).strip()
        if i not in chosen and hrefs[href] > 0:
            hrefs[href] -= 1
            chosen.add(i)
    return [anchors[i] for i in sorted(chosen)]


class _Blocks:
    """Paragraph numbers and block texts, computed once per document."""

    def __init__(self, soup: BeautifulSoup) -> None:
        self.numbers: dict[int, int] = {}
        n = 0
        for element in soup.find_all(BLOCK_TAGS):
            if self._has_direct_content(element):
                n += 1
                self.numbers[id(element)] = n
        self._texts: dict[int, tuple[str, dict[int, int]]] = {}

    @staticmethod
    def _has_direct_content(element: Tag) -> bool:
        for child in element.children:
            if type(child) is NavigableString and child.strip():
                return True
            if isinstance(child, Tag) and child.name not in BLOCK_TAGS and child.name not in _SKIP_TEXT:
                return True
        return False

    def block_of(self, tag: Tag) -> Tag | None:
        for parent in tag.parents:
            if isinstance(parent, Tag) and id(parent) in self.numbers:
                return parent
        return None

    def text_of(self, block: Tag) -> tuple[str, dict[int, int]]:
        """The block's text and the offset of each of its strings (by ``id``)."""
        cached = self._texts.get(id(block))
        if cached is None:
            parts: list[str] = []
            offsets: dict[int, int] = {}
            length = 0
            for node in block.descendants:
                # Script/style/comment strings are NavigableString subclasses: the exact type check skips them.
                if type(node) is NavigableString:
                    offsets[id(node)] = length
                    parts.append(str(node))
                    length += len(node)
            cached = ("".join(parts), offsets)
            self._texts[id(block)] = cached
        return cached


def _first_string(tag: Tag) -> NavigableString | None:
    for node in tag.descendants:
        if type(node) is NavigableString:
            return node
    return None


def document_base(soup: BeautifulSoup, base_url: str | None) -> str | None:
    """The URL relative links resolve against: ``<base href>`` over the document URL (rules above)."""
    doc_url = base_url
    if doc_url is None:
        for tag, attr, value in (("link", "rel", "canonical"), ("meta", "property", "og:url")):
            for element in soup.find_all(tag):
                values = element.get(attr) or []
                values = values if isinstance(values, list) else str(values).split()
                if value in [v.lower() for v in values]:
                    candidate = str(element.get("href") or element.get("content") or "").strip()
                    if scheme_of(candidate) in ("http", "https"):
                        doc_url = candidate
                        break
            if doc_url:
                break
    base_tag = soup.find("base", href=True)
    if isinstance(base_tag, Tag):
        href = str(base_tag["href"]).strip()
        if scheme_of(href) in ("http", "https"):
            return href
        if doc_url:
            try:
                return canonicalize(href, doc_url)
            except InvalidURLError:
                return doc_url
    return doc_url


def harvest_html(
    text: str,
    source: str,
    base_url: str | None = None,
    all_links: bool = False,
    *,
    skipped: list[Skipped] | None = None,
) -> list[Citation]:
    """Return the citations of an HTML article, in document order (rules in the module docstring).

    ``base_url`` is the document's URL (after redirects) when it came from the web. Non-http(s)
    and invalid links are appended to ``skipped`` (when given) instead of being returned.
    """
    soup = BeautifulSoup(text, "html.parser")
    base = document_base(soup, base_url)
    anchors = [a for a in soup.find_all("a", href=True) if isinstance(a, Tag)]
    anchors = [a for a in anchors if str(a["href"]).strip() and not str(a["href"]).strip().startswith("#")]
    if not all_links and anchors:
        main = _main_content(text)
        if main is None:
            anchors = [a for a in anchors if not _is_boilerplate(a)]
        elif main[0]:
            anchors = _select_main(anchors, main[0])
        else:
            # On short pages trafilatura falls back to extractors that drop links: keep the links
            # outside boilerplate whose text is part of the main text.
            anchors = [a for a in anchors if not _is_boilerplate(a) and (t := _anchor_text(a)) and t in main[1]]
    blocks = _Blocks(soup)
    return collect(_citations(anchors, blocks, source, base), skipped)


def _citations(anchors: Iterable[Tag], blocks: _Blocks, source: str, base: str | None) -> Iterable[Citation | Skipped]:
    for a in anchors:
        raw = str(a["href"]).strip()
        anchor = _anchor_text(a) or None
        block = blocks.block_of(a)
        paragraph = blocks.numbers[id(block)] if block is not None else 0
        context = ""
        if block is not None:
            block_text, offsets = blocks.text_of(block)
            first = _first_string(a)
            if first is not None and id(first) in offsets:
                start = offsets[id(first)]
                context = sentence_around(block_text, start, start + len(a.get_text()))
            else:
                context = collapse(block_text)[:300]
        yield make_citation(
            raw,
            source=source,
            line=a.sourceline or 1,
            column=(a.sourcepos or 0) + 1,
            paragraph=paragraph,
            context=context,
            anchor=anchor,
            base=base,
        )
