"""Finding cited links in HTML.

Contract of :func:`harvest_html`:

* links are ``<a href>`` and ``<area href>`` (image maps), plus the ``cite`` attribute of
  ``<blockquote>`` and ``<q>`` (the source of a quotation; no anchor). The target is resolved
  against ``<base href>`` (itself resolved against the document URL). The document URL is
  ``base_url`` when given (a fetched article), else the page's own ``<link rel="canonical">`` or
  ``og:url`` when absolute (a page saved to a file); with neither, relative links cannot be
  resolved and are reported as skipped (``invalid``), and a protocol-relative ``//host/path`` is
  taken as ``https:``. Entities are decoded (``&amp;``), tabs and newlines inside an href dropped
  and surrounding white space stripped, as browsers do;
* same-page links (``#section``, empty href, ``<a>`` without href) are ignored; ``javascript:``,
  ``mailto:``, ``tel:``, ``data:`` and other non-http(s) links are reported as skipped (``scheme``);
* by default only links in the article's main content count. trafilatura decides what the main
  content is; the ``<a>`` elements of the *original* document whose href (and text) appear in
  trafilatura's output are kept, so line, column and anchor come from the source. On short pages
  trafilatura's fallback extractors drop links: then the links whose text is in its main text (and
  that are not in boilerplate, below) are kept. If trafilatura finds no main content, the links
  outside ``nav``/``header``/``footer``/``aside``/``form`` and outside elements whose class or id
  says menu, share, footer, sidebar... are kept instead. Chrome that trafilatura keeps inside the
  content (MediaWiki ``[edit]`` links, navboxes, category lists, share/newsletter widgets, ad
  slots) is dropped. A quotation's ``cite`` counts when its text is in the main text.
  ``all_links=True`` keeps every link;
* ``line``/``column``: where the ``<a`` tag starts; ``paragraph``: number of the nearest block
  element (p, li, td, h1...) among the block elements holding text, counted from 1 in document
  order; ``context``: the sentence of that block around the link text (rule in
  :mod:`archiver.harvest._common`): the whole block when that sentence is under six words (a
  reference-list entry), the last sentence of the nearest preceding prose block when the block
  holds only URLs; ``anchor``: the link's visible text (an image's or area's alt text), ``None``
  when empty.

Measured on the fixtures in ``tests/fixtures/harvest/`` (``tests/test_harvest_html.py``): on a
news page (navigation, breadcrumbs, share bar, related articles, most-read sidebar, ads, footer),
a second one with a cookie banner, in-article "Read more" box, ad slot, embedded tweet and
newsletter box, a WordPress post (menus, share buttons, tags, post navigation, comments, widgets)
and a MediaWiki article (infobox, reference list, navbox, categories), trafilatura (with
``include_images`` for figure captions) keeps exactly the links of the story body and the
reference list. It is called without the page URL: it then reports hrefs exactly as written
(with the URL it resolves ``#frag`` and ``page.html`` against the site root, not the page), which
makes the matching with the original DOM exact.

Cost: linear in the page size. On a 5 MB page with 6,300 links: 7 s in all, 5 s of it
trafilatura, 1.1 s BeautifulSoup's ``html.parser`` (lxml would take 0.4 s but gives no column
positions); ``all_links`` (no trafilatura) 1.4 s.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from html.entities import html5 as _HTML5_ENTITIES
from urllib.parse import urlsplit

from bs4 import BeautifulSoup, NavigableString, Tag

from archiver.errors import InvalidURLError
from archiver.harvest._common import (
    CONTEXT_LIMIT,
    HINT_WORDS,
    bound_context,
    collapse,
    collect,
    hint_sentence,
    is_link_only,
    make_citation,
    prose_words,
    sentence_around,
)
from archiver.types import Citation, Skipped
from archiver.urls import canonicalize, scheme_of

BLOCK_TAGS = frozenset(
    "address article aside blockquote body caption dd details dialog div dl dt fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 header hgroup li main nav ol p pre section summary table tbody td tfoot "
    "th thead tr ul".split()
)
_BOILERPLATE_TAGS = frozenset({"nav", "header", "footer", "aside", "form"})
_BOILERPLATE_HINT = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|menu|breadcrumbs?|share|sharing|social|footer|sidebar|related|"
    r"most-?read|popular|promo|ad|ads|advert\w*|banner|cookie\w*|newsletter|subscribe|comments?)(?:$|[\s_-])",
    re.I,
)
# Chrome that trafilatura leaves inside the main content: MediaWiki "[edit]" links, navigation
# boxes and category lists, share and newsletter widgets, ad slots.
_CONTENT_CHROME_HINT = re.compile(
    r"(?:^|[\s_-])(?:editsection|navbox|catlinks|share|sharing|sharedaddy|social|ad-slot|advert\w*|newsletter|"
    r"cookie|consent)(?:$|[\s_-])",
    re.I,
)
# Containers of an article's notes and references (endnotes, footnotes, "references", a
# bibliography): their links are citations even where the main-text extractor drops them.
_NOTES_HINT = re.compile(
    r"(?:^|[\s_-])(?:notes?|footnotes?|endnotes?|references?|reflist|refs|bibliograph\w*|citations?|sources)"
    r"(?:$|[\s_-])",
    re.I,
)
_SKIP_TEXT = frozenset({"script", "style", "template", "noscript"})
#: Elements whose ``href`` is a link (``<area>``: image-map regions) and elements whose ``cite``
#: attribute names the source of a quotation.
LINK_TAGS = ("a", "area")
CITE_TAGS = ("blockquote", "q")
# A sentence this short (in words) says little ("^ Historic England."): the block is the context.
_SHORT_SENTENCE = 6
# How many blocks a hint is looked for above a block holding only URLs.
HINT_BLOCKS = 8


def _main_content(text: str) -> tuple[list[tuple[str, str]], str] | None:
    """trafilatura's main content (:func:`archiver.extract.main_content`), whitespace-collapsed:
    (href as written, link text) of its links, and its text; ``None`` when there is none."""
    from archiver.extract import main_content

    found = main_content(text)
    if found is None:
        return None
    refs, main_text = found
    return [(target, collapse(label)) for target, label in refs], collapse(main_text)


def _hints(tag: Tag) -> str:
    classes = tag.get("class") or []
    return " ".join(classes if isinstance(classes, list) else [str(classes)]) + " " + str(
        tag.get("id") or ""
    ) + " " + str(tag.get("role") or "")


class _Ancestry:
    """"Is this element inside a block of kind X?", memoised along parent chains (linear on deep pages).

    An element is inside when it or one of its ancestors has a tag name in ``names`` or
    class/id/role hints matching ``hint``; ``html`` and ``body`` never count.
    """

    def __init__(self, hint: re.Pattern[str], names: frozenset[str] = frozenset()) -> None:
        self.hint = hint
        self.names = names
        self.memo: dict[int, bool] = {}

    def _own(self, element: Tag) -> bool:
        if element.name in ("html", "body", "[document]"):
            return False
        if element.name in self.names:
            return True
        hints = _hints(element)
        return bool(hints.strip()) and self.hint.search(hints) is not None

    def inside(self, element: Tag) -> bool:
        chain: list[Tag] = []
        result = False
        node: Tag | None = element
        while node is not None:
            known = self.memo.get(id(node))
            if known is not None:
                result = known
                break
            chain.append(node)
            if self._own(node):
                result = True
                break
            node = node.parent
        for visited in chain:
            self.memo[id(visited)] = result
        return result


def _is_boilerplate(tag: Tag, ancestry: _Ancestry | None = None) -> bool:
    """True when a parent of ``tag`` is navigation, header, footer, sidebar, share bar... (see the hints)."""
    ancestry = ancestry or _Ancestry(_BOILERPLATE_HINT, _BOILERPLATE_TAGS)
    return tag.parent is not None and ancestry.inside(tag.parent)


def _anchor_text(tag: Tag) -> str:
    if tag.name == "area":
        return collapse(str(tag.get("alt") or ""))
    if tag.name in CITE_TAGS:
        return ""
    text = collapse(tag.get_text(" "))
    if not text:
        img = tag.find("img", alt=True)
        if isinstance(img, Tag):
            text = collapse(str(img.get("alt") or ""))
    return text


def _select_main(anchors: list[Tag], refs: list[tuple[str, str]], boilerplate: _Ancestry) -> list[Tag]:
    """The anchors that trafilatura's main-content refs stand for (document order).

    Matching is by (href, text) first, then by href alone; when an href occurs both in and out of
    boilerplate, the copies outside navigation/footer/share blocks are taken first.
    """
    pairs = Counter(refs)
    hrefs = Counter(href for href, _ in refs)
    ordered = sorted(range(len(anchors)), key=lambda i: _is_boilerplate(anchors[i], boilerplate))
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
    """Paragraph numbers, block texts and contexts, computed once per document."""

    def __init__(self, soup: BeautifulSoup) -> None:
        self.numbers: dict[int, int] = {}
        self.order: list[Tag] = []
        for element in soup.find_all(BLOCK_TAGS):
            if self._has_direct_content(element):
                self.order.append(element)
                self.numbers[id(element)] = len(self.order)
        self._texts: dict[int, tuple[str, dict[int, int]]] = {}
        self._hints: dict[int, str | None] = {}

    @staticmethod
    def _has_direct_content(element: Tag) -> bool:
        for child in element.children:
            if type(child) is NavigableString and child.strip():
                return True
            if isinstance(child, Tag) and child.name not in BLOCK_TAGS and child.name not in _SKIP_TEXT:
                return True
        return False

    def block_of(self, node: Tag | NavigableString) -> Tag | None:
        for parent in node.parents:
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

    def context(self, block: Tag | None, tag: Tag) -> str:
        """The context of the link ``tag`` in ``block`` (rule in :mod:`archiver.harvest._common`).

        The sentence around the link text; the whole block when that sentence is very short (a
        reference-list entry: "^ Historic England."); the hint of the previous blocks when the
        block holds only URLs.
        """
        if block is None:
            return ""
        block_text, offsets = self.text_of(block)
        first = _first_string(tag)
        if first is not None and id(first) in offsets:
            start = offsets[id(first)]
            link_text = tag.get_text()
            sentence = sentence_around(block_text, start, start + len(link_text))
            if prose_words(sentence, enough=_SHORT_SENTENCE) >= _SHORT_SENTENCE or len(block_text) > 4 * CONTEXT_LIMIT:
                return sentence
            whole = collapse(block_text)
            if is_link_only(whole):
                return self.hint(block) or whole
            return bound_context(whole, collapse(link_text))
        whole = collapse(block_text[: 4 * CONTEXT_LIMIT])
        if is_link_only(whole):
            return self.hint(block) or whole
        return bound_context(whole, whole[:1])

    def hint(self, block: Tag) -> str | None:
        """The last sentence of the nearest preceding prose block (not an ancestor of ``block``)."""
        key = id(block)
        if key in self._hints:
            return self._hints[key]
        found: str | None = None
        ancestors = {id(parent) for parent in block.parents}
        index = self.numbers[key] - 1
        for j in range(index - 1, max(-1, index - 1 - HINT_BLOCKS), -1):
            previous = self.order[j]
            if id(previous) in self._hints:  # a link-only block above: same hint
                found = self._hints[id(previous)]
                break
            if id(previous) in ancestors:
                continue
            text = self.text_of(previous)[0]
            if prose_words(text, enough=HINT_WORDS) >= HINT_WORDS:
                found = hint_sentence(text, 0, len(text)) or None
                break
        self._hints[key] = found
        return found


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


def _target(tag: Tag) -> str:
    """The URL a link element points to, as written (``cite`` for quotations, else ``href``)."""
    return str(tag.get("cite" if tag.name in CITE_TAGS else "href") or "").strip()


def _quote_in_main(quote: Tag, main_text: str) -> bool:
    first = _first_string(quote)
    start = collapse(str(first))[:40] if first is not None else ""
    return bool(start) and start in main_text


# In a start tag, "&name" without ";" (html.parser decodes a legacy entity prefix of it, as
# html.unescape does: "&region=us" -> "®ion=us", "&timestamp" -> "×tamp").
_TAG = re.compile(r"<[A-Za-z][^<>]*>")
_BARE_REF = re.compile(r"&([A-Za-z][A-Za-z0-9]*)(?![A-Za-z0-9;])")
_AMP = "\ue000"  # stands in for "&" while parsing: one character, so positions do not move


def _parse(text: str) -> BeautifulSoup:
    """BeautifulSoup's ``html.parser`` tree, with attribute values decoded as HTML5 says.

    Python's parser decodes ``&reg`` inside ``&region=`` in an attribute; HTML5 decodes a
    reference without ``;`` there only when it is a whole legacy name not followed by ``=``.
    Other such ``&`` are hidden from the parser and restored in every attribute value.
    """

    def protect(tag: re.Match[str]) -> str:
        return _BARE_REF.sub(
            lambda m: m.group(0)
            if m.group(1) in _HTML5_ENTITIES and m.string[m.end() : m.end() + 1] != "="
            else _AMP + m.group(1),
            tag.group(0),
        )

    if "&" not in text or _AMP in text:
        return BeautifulSoup(text, "html.parser")
    protected = _TAG.sub(protect, text)
    soup = BeautifulSoup(protected, "html.parser")
    if protected != text:
        for tag in soup.find_all(True):
            for name, value in tag.attrs.items():
                if isinstance(value, str) and _AMP in value:
                    tag.attrs[name] = value.replace(_AMP, "&")
                elif isinstance(value, list):
                    tag.attrs[name] = [v.replace(_AMP, "&") for v in value]
    return soup


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
    soup = _parse(text)
    base = document_base(soup, base_url)
    links = [
        tag for tag in soup.find_all([*LINK_TAGS, *CITE_TAGS])
        if isinstance(tag, Tag) and (target := _target(tag)) and not target.startswith("#")
    ]
    if not all_links and links:
        links = [tag for tag in _main_links(text, links) if not _site_listing(_target(tag) or "", base)]
    blocks = _Blocks(soup)
    return collect(_citations(links, blocks, source, base), skipped)


_LISTING_SEGMENTS = frozenset({"tag", "tags", "category", "categories", "author", "authors", "search"})


def _site_listing(href: str, base: str | None) -> bool:
    """Whether ``href`` points to one of the page's own site listings (a tag, category, author
    or search page: links a CMS adds to words of the text, never a source), or to a MediaWiki
    page that does not exist (``redlink=1``, an edit form)."""
    try:
        parts = urlsplit(href)
        host = (parts.hostname or "").removeprefix("www.")
        page = (urlsplit(base).hostname or "").removeprefix("www.") if base else ""
    except ValueError:  # not a URL at all: reported as invalid later, not a listing
        return False
    if "redlink=1" in parts.query:
        return True
    if parts.scheme and parts.scheme not in ("http", "https"):
        return False
    if host and host != page:
        return False
    segments = [seg.lower() for seg in parts.path.split("/") if seg]
    return bool(segments) and (segments[0] in _LISTING_SEGMENTS or (len(segments) > 1 and segments[-2] in
                                                                     ("tag", "tags", "category", "author")))


def _main_links(text: str, links: list[Tag]) -> list[Tag]:
    """The links of the article's main content, in document order (rules in the module docstring)."""
    anchors = [tag for tag in links if tag.name in LINK_TAGS]
    boilerplate = _Ancestry(_BOILERPLATE_HINT, _BOILERPLATE_TAGS)
    main = _main_content(text)
    if main is None:
        chosen = [tag for tag in links if not _is_boilerplate(tag, boilerplate)]
    else:
        refs, main_text = main
        if refs:
            chosen = _select_main(anchors, refs, boilerplate)
        else:
            # On short pages trafilatura falls back to extractors that drop links: keep the links
            # outside boilerplate whose text is part of the main text.
            chosen = [
                a for a in anchors
                if not _is_boilerplate(a, boilerplate) and (t := _anchor_text(a)) and t in main_text
            ]
        chosen += [
            q for q in links
            if q.name in CITE_TAGS and not _is_boilerplate(q, boilerplate) and _quote_in_main(q, main_text)
        ]
        # Notes, footnotes and reference lists hold citations; extractors often leave them out.
        notes = _Ancestry(_NOTES_HINT)
        chosen += [a for a in anchors if notes.inside(a) and not _is_boilerplate(a, boilerplate)]
    chrome = _Ancestry(_CONTENT_CHROME_HINT)  # chrome inside the content (the link itself may say "share")
    kept = {id(tag) for tag in chosen if not chrome.inside(tag)}
    return [tag for tag in links if id(tag) in kept]


def _citations(links: Iterable[Tag], blocks: _Blocks, source: str, base: str | None) -> Iterable[Citation | Skipped]:
    for tag in links:
        if tag.name in CITE_TAGS:
            first = _first_string(tag)
            block = blocks.block_of(first if first is not None else tag)
            context = bound_context(collapse(tag.get_text(" ")[: 4 * CONTEXT_LIMIT]), "", keep="start")
        else:
            block = blocks.block_of(tag)
            context = blocks.context(block, tag)
        raw = _target(tag)
        yield make_citation(
            raw,
            # a protocol-relative link on a page of unknown URL: the web is https today
            url_text="https:" + raw if base is None and raw.startswith("//") else None,
            source=source,
            line=tag.sourceline or 1,
            column=(tag.sourcepos or 0) + 1,
            paragraph=blocks.numbers[id(block)] if block is not None else 0,
            context=context,
            anchor=_anchor_text(tag) or None,
            base=base,
        )
