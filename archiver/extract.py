"""Extraction: bytes of a captured page -> main text and metadata (:class:`~archiver.types.Extracted`).

The only module that imports trafilatura (besides the harvester's main-content link
detection). Contract:

- HTML/XHTML is decoded *here*, with the encoding the fetcher decided (or, when it did
  not, :func:`archiver.encoding.decide`), and trafilatura receives a ``str``: its own
  guessing never overrides the recorded encoding, so windows-1251 and Shift_JIS pages
  come out as the reader saw them.
- ``text/plain`` is its own text (its first line is the title); binary types (PDF,
  images...) have no text and no error.
- Extraction never raises: a page trafilatura cannot handle gives ``Extracted`` with
  ``error`` set (and whatever metadata was found), so the raw snapshot is still kept.
- :func:`extract_job` takes and returns only picklable values, for a process pool.
- Metadata: only the fields archiver stores are computed (title, author, date, site
  name, description, language), with trafilatura's own functions, giving the values of
  ``bare_extraction(with_metadata=True)`` for about 16% less CPU (no categories, tags,
  licence or host name); ``metadata=False`` keeps title, description and language only.
  The text is trafilatura's default (not ``fast``) mode: its readability/jusText
  fallbacks cost about a quarter of the extraction CPU but recover pages its own
  extractor misses, and the archived text is what ``check`` and ``search`` rely on.
"""

from __future__ import annotations

import copy
import functools
import logging
import os
import re
from collections.abc import Callable
from typing import Any

from archiver.encoding import decide
from archiver.types import Body, Extracted, FetchResult

__all__ = [
    "MAX_EXTRACT_BYTES", "extract_html", "extract_job", "extract_result", "extract_text", "extraction_failed",
    "head_text", "job_for",
]

log = logging.getLogger(__name__)

#: Pages larger than this are stored but not extracted (trafilatura's tree would not fit memory).
MAX_EXTRACT_BYTES = 15_000_000
HTML_TYPES = ("text/html", "application/xhtml+xml")
TEXT_TYPES = ("text/plain",)
_LANG_RE = re.compile(rb"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?)", re.IGNORECASE)
_TITLE_RE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())  # metadata fields are one line
    return text or None


def _html_lang(data: bytes) -> str | None:
    match = _LANG_RE.search(data[:8192])
    return match.group(1).decode("ascii").replace("_", "-").lower() if match else None


def extract_html(
    data: bytes, *, encoding: str | None, url: str | None, content_type: str | None = None, metadata: bool = True
) -> Extracted:
    """Main text and metadata of an HTML page given as raw bytes.

    ``encoding`` is the codec the fetcher decided (``None``: decide here from
    ``content_type`` and the bytes). With ``metadata=False`` only the title, description
    and language are looked for (author, date and site name stay ``None``): the same text
    and title for a quarter less CPU, for callers that only judge a page (``check``). Never
    raises: failures set ``Extracted.error``.
    """
    if len(data) > MAX_EXTRACT_BYTES:
        return Extracted(error=f"not extracted: page larger than {MAX_EXTRACT_BYTES} bytes")
    if not data.strip():
        return Extracted(error="empty page")
    try:
        codec = encoding or decide(data, content_type, html=True).encoding
        html = data.decode(codec, errors="replace")
    except LookupError:
        html = data.decode(decide(data, content_type, html=True).encoding, errors="replace")
    lang = _html_lang(data)
    meta: Any = None
    try:
        import trafilatura

        load_html, find_metadata = _trafilatura_metadata()
        if find_metadata is not None:
            # Parse once; metadata first, then the text on the same tree, as trafilatura's
            # own with_metadata=True does (bare_extraction copies a tree it is given).
            tree = load_html(html)
            if tree is None:
                return Extracted(title=_fallback_title(html), language=lang, error="no main text found")
            meta = find_metadata(tree, url, full=metadata)
            doc = trafilatura.bare_extraction(tree, options=_extractor(url))
        else:  # pragma: no cover - a trafilatura without the metadata helpers
            doc = meta = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)
    except Exception as exc:  # trafilatura/lxml raise many kinds; none may stop a run
        log.debug("extraction failed for %s", url, exc_info=True)
        title = _clean(getattr(meta, "title", None)) or _fallback_title(html)
        return Extracted(title=title, language=lang, error=extraction_failed(exc).error)
    text = ((doc.text or "").strip() or None) if doc is not None else None
    if meta is None:
        return Extracted(title=_fallback_title(html), language=lang, error="no main text found")
    return Extracted(
        title=_clean(meta.title) or _fallback_title(html),
        author=_clean(meta.author),
        date=_clean(meta.date),
        sitename=_clean(meta.sitename),
        language=_clean(meta.language) or lang,
        description=_clean(meta.description),
        text=text,
        error=None if text else "no main text found",
    )


# The settings of trafilatura.bare_extraction(tree, url=url, with_metadata=False,
# include_comments=False), which archiver used to call: the Extractor it builds from them.
_EXTRACTOR_ARGS: dict[str, Any] = {"output_format": "python", "comments": False, "with_metadata": False}


@functools.cache
def _extractor_template() -> Any:
    from trafilatura.settings import Extractor

    return Extractor(**_EXTRACTOR_ARGS)


def _extractor(url: str | None) -> Any:
    """The ``Extractor`` that ``bare_extraction`` would build for ``url`` with
    :data:`_EXTRACTOR_ARGS`: a copy of one built once, given this page's URL, because
    building one reads eight settings through configparser (3% of the extraction CPU).
    ``tests/test_extract.py`` checks every field against a freshly built one."""
    options = copy.copy(_extractor_template())
    options.url = url
    options.source = url and url.encode("utf-8", "replace").decode("utf-8")
    return options


@functools.cache
def _trafilatura_metadata() -> tuple[Any, Any]:
    """``(load_html, metadata)``: trafilatura's HTML loader and the subset of its
    ``extract_metadata`` that archiver stores, or ``(None, None)`` if its helpers moved.

    Why not ``bare_extraction(with_metadata=True)``: that also computes categories, tags,
    a licence (a text scan of every footer link), and the host name through the ``tld``
    list, none of which archiver keeps; measured on the archive bench pages they were a
    quarter of all extraction CPU. The fields kept (title, author, url, date, site name,
    description, language) are computed by trafilatura's own functions in its own order,
    so they are the same values (``tests/test_extract.py`` checks that against
    ``extract_metadata``).
    """
    try:
        from trafilatura.metadata import (
            META_URL,
            examine_meta,
            extract_author,
            extract_meta_json,
            extract_sitename,
            extract_title,
            extract_url,
            find_date,
        )
        from trafilatura.settings import DEFAULT_CONFIG, set_date_params
        from trafilatura.utils import load_html
    except ImportError:  # pragma: no cover - depends on the installed trafilatura
        return None, None
    date_params = set_date_params(DEFAULT_CONFIG.getboolean("DEFAULT", "EXTENSIVE_DATE_SEARCH"))

    def metadata(tree: Any, url: str | None, full: bool = True) -> Any:
        # The steps of trafilatura.metadata.extract_metadata (2.x) that archiver stores.
        meta = examine_meta(tree)
        if meta.author and " " not in meta.author:
            meta.author = None
        try:
            meta = extract_meta_json(tree, meta)
        except Exception:  # noqa: BLE001 - trafilatura guards this step the same way
            log.debug("JSON-LD metadata failed for %s", url, exc_info=True)
        if not meta.title:
            meta.title = extract_title(tree)
        if not full:  # title and language only: author, date and site name are the costly steps
            meta.author = meta.date = meta.sitename = None
            meta.clean_and_trim()
            return meta
        if not meta.author:
            meta.author = _author(tree, extract_author)
        if not meta.url:
            meta.url = extract_url(tree, url)
        meta.date = find_date(tree, **{**date_params, "url": meta.url})
        if not meta.sitename:
            meta.sitename = extract_sitename(tree)
        if meta.sitename:
            meta.sitename = meta.sitename.lstrip("@")
            if meta.sitename and "." not in meta.sitename and not meta.sitename[0].isupper():
                meta.sitename = meta.sitename.title()
        elif meta.url and (match := META_URL.match(meta.url)):
            meta.sitename = match[1]
        meta.clean_and_trim()
        return meta

    return load_html, metadata



# -- the author, as trafilatura.metadata.extract_author finds it, in one pass ----------------------
#
# extract_author deep-copies the whole tree, prunes it with AUTHOR_DISCARD_XPATHS, then
# evaluates AUTHOR_XPATHS on the copy: libxml2's XPath engine takes about 2.5 µs per element
# and expression, a quarter of all the extraction CPU on pages without an author meta tag.
# These expressions only test an element's own tag and attributes (plus ``rel='me'``, a
# child element named ``rel``), so one Python pass over the tree finds the same elements:
# an element is in the pruned copy exactly when neither it nor an ancestor (the root
# aside, which delete_element never removes) matches a discard expression. The winner's
# text is then read from a pruned copy of that element alone. The expressions are
# trafilatura 2.x's, as below; if trafilatura's differ (or a ``rel`` element is present),
# its own extract_author runs. tests/test_extract.py compares both on random trees.
_AUTHOR_XPATHS_KNOWN = (
    "//*[self::a or self::address or self::div or self::link or self::p or self::span or self::strong][ "
    "@rel='author' or @id='author' or @class='author' or @itemprop='author name' or rel='me' or "
    "@data-testid='AuthorCard' or @data-testid='AuthorURL' or "
    "re:test(@class, 'author-?name|AuthorName|authorName')]|//author",
    "//*[self::a or self::div or self::h3 or self::h4 or self::p or self::span][ "
    "@class='byline' or @class='username' or @class='byl' or @class='BBL' or "
    "contains(@itemprop, 'author') or "
    "re:test(@id, 'author|zuozhe|bianji|xiaobian') or "
    "re:test(@class, 'author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name')]",
    "//*[ contains(@data-component, 'Byline') or contains(@itemprop, 'author') or "
    "re:test(@id, '[Aa]uthor') or "
    "re:test(@class, '[Aa]uthor|screenname|writer|[Bb]yline')]",
)
_AUTHOR_DISCARD_KNOWN = (
    ".//*[self::a or self::div or self::section or self::span][ "
    "@id='comments' or @class='comments' or @class='title' or @class='date' or "
    "re:test(@id, '^comments|comment-?list|ProductReviews') or "
    "re:test(@class, '^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram|"
    "article-(?:share|support)|print|category|meta-date|meta-reviewer') or "
    "contains(@data-component, 'Figure')]",
    "//time|//figure",
)
_TAGS_0 = frozenset({"a", "address", "div", "link", "p", "span", "strong"})
_TAGS_1 = frozenset({"a", "div", "h3", "h4", "p", "span"})
_TAGS_DISCARD = frozenset({"a", "div", "section", "span"})
# EXSLT re:test is re.search (lxml), on the attribute's value or "" when it is missing.
_RX_0_CLASS = re.compile("author-?name|AuthorName|authorName")
_RX_1_ID = re.compile("author|zuozhe|bianji|xiaobian")
_RX_1_CLASS = re.compile("author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name")
_RX_2_ID = re.compile("[Aa]uthor")
_RX_2_CLASS = re.compile("[Aa]uthor|screenname|writer|[Bb]yline")
_RX_DISCARD_ID = re.compile("^comments|comment-?list|ProductReviews")
_RX_DISCARD_CLASS = re.compile(
    "^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram|article-(?:share|support)"
    "|print|category|meta-date|meta-reviewer"
)


def _normal_xpath(source: str) -> str:
    return " ".join(source.split())


@functools.cache
def _author_fast_path_applies() -> bool:
    """Whether the installed trafilatura uses the expressions the one-pass author search implements."""
    try:
        from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS, AUTHOR_XPATHS
    except ImportError:  # pragma: no cover - depends on the installed trafilatura
        return False
    known = tuple(_normal_xpath(x) for x in (*_AUTHOR_XPATHS_KNOWN, *_AUTHOR_DISCARD_KNOWN))
    theirs = tuple(_normal_xpath(getattr(x, "path", "")) for x in (*AUTHOR_XPATHS, *AUTHOR_DISCARD_XPATHS))
    return theirs == known


def _author_candidates(root: Any) -> tuple[list[list[Any]], list[Any]] | None:
    """The elements each author expression matches in ``root``'s document, in document order,
    and those the discard expressions match; ``None`` when a ``rel`` element makes
    ``rel='me'`` matter (left to trafilatura)."""
    found: list[list[Any]] = [[], [], []]
    discard: list[Any] = []
    for el in root.iter():
        tag = el.tag
        if not isinstance(tag, str):  # comments, processing instructions, entities
            continue
        if tag == "rel":
            return None
        attrib = el.attrib
        if not attrib:
            if tag == "author":
                found[0].append(el)
            elif tag == "time" or tag == "figure":
                discard.append(el)
            continue
        get = attrib.get
        cls = get("class") or ""
        ident = get("id") or ""
        itemprop = get("itemprop") or ""
        component = get("data-component") or ""
        if tag == "author" or (tag in _TAGS_0 and (
            get("rel") == "author" or ident == "author" or cls == "author" or itemprop == "author name"
            or get("data-testid") in ("AuthorCard", "AuthorURL") or _RX_0_CLASS.search(cls)
        )):
            found[0].append(el)
        if tag in _TAGS_1 and (
            cls in ("byline", "username", "byl", "BBL") or "author" in itemprop
            or _RX_1_ID.search(ident) or _RX_1_CLASS.search(cls)
        ):
            found[1].append(el)
        if "Byline" in component or "author" in itemprop or _RX_2_ID.search(ident) or _RX_2_CLASS.search(cls):
            found[2].append(el)
        if tag == "time" or tag == "figure" or (tag in _TAGS_DISCARD and el is not root and (
            ident == "comments" or cls in ("comments", "title", "date") or _RX_DISCARD_ID.search(ident)
            or _RX_DISCARD_CLASS.search(cls) or "Figure" in component
        )):
            discard.append(el)
    return found, discard


def _author(tree: Any, extract_author: Callable[[Any], str | None]) -> str | None:
    """What ``extract_author(tree)`` returns (see the comment above), found in one pass."""
    if not _author_fast_path_applies():
        return extract_author(tree)
    scan = _author_candidates(tree)
    if scan is None:
        return extract_author(tree)
    from trafilatura.htmlprocessing import prune_unwanted_nodes
    from trafilatura.metadata import normalize_authors
    from trafilatura.utils import trim
    from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS

    found, discard = scan
    removed = set(discard)  # the proxies stay alive in `discard`, so identity tests hold

    def kept(el: Any) -> bool:
        if el is tree:
            return True
        if el in removed:
            return False
        return not any(a in removed and a is not tree for a in el.iterancestors())

    for elements in found:  # extract_metainfo(pruned copy, AUTHOR_XPATHS, len_limit=120)
        for el in elements:
            if not kept(el):
                continue
            content = trim(" ".join(prune_unwanted_nodes(copy.deepcopy(el), AUTHOR_DISCARD_XPATHS).itertext()))
            if content and 2 < len(content) < 120:
                return normalize_authors(None, content)
    return None


def _fallback_title(html: str) -> str | None:
    match = _TITLE_RE.search(html[:65536])
    if not match:
        return None
    import html as html_lib

    return _clean(html_lib.unescape(re.sub(r"<[^>]+>", "", match.group(1))))


def extract_text(data: bytes, *, encoding: str | None, content_type: str | None = None) -> Extracted:
    """A plain-text body is its own text; its first non-empty line (up to 200 characters) is the title."""
    codec = encoding or decide(data, content_type).encoding
    try:
        text = data.decode(codec, errors="replace")
    except LookupError:
        text = data.decode(decide(data, content_type).encoding, errors="replace")
    text = text.lstrip("\ufeff").strip()
    if not text:
        return Extracted(error="empty page")
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return Extracted(title=first[:200] or None, text=text)


def head_text(result: FetchResult, limit: int = 64 * 1024) -> str | None:
    """The first ``limit`` bytes of ``result``'s body decoded with its encoding (``None``
    without a body or when a spilled body cannot be read), for the markup detectors."""
    body = result.body
    if body is None or body.size == 0:
        return None
    try:
        if body.data is not None:
            data = body.data[:limit]
        else:
            with body.open() as fh:
                data = fh.read(limit)
    except OSError:
        return None
    try:
        return data.decode(result.encoding or "utf-8", errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


def job_for(result: FetchResult) -> tuple[str, bytes | str | None, str | None, str | None, str | None] | None:
    """A picklable extraction job for ``result``, or ``None`` when there is nothing to extract.

    Small bodies travel as bytes; spilled ones as their file path (read by the worker).
    """
    body = result.body
    if body is None or body.size == 0 or result.content_type not in HTML_TYPES + TEXT_TYPES:
        return None
    payload: bytes | str | None = body.data if body.data is not None else body.path
    header = next((v for k, v in (result.headers or {}).items() if k.lower() == "content-type"), None)
    return (result.content_type or "", payload, result.encoding, result.final_url or result.url, header)


def extract_job(job: tuple[str, bytes | str | None, str | None, str | None, str | None],
                metadata: bool = True) -> Extracted:
    """Run one job made by :func:`job_for` (in a worker process or in-line). Never raises.

    ``metadata=False``: title and language only (see :func:`extract_html`)."""
    kind, payload, encoding, url, header = job
    try:
        if isinstance(payload, str):
            if kind in HTML_TYPES and os.path.getsize(payload) > MAX_EXTRACT_BYTES:
                return Extracted(error=f"not extracted: page larger than {MAX_EXTRACT_BYTES} bytes")
            data = Body(size=0, sha256="", path=payload).read()
        else:
            data = payload or b""
        if kind in TEXT_TYPES:
            return extract_text(data, encoding=encoding, content_type=header)
        return extract_html(data, encoding=encoding, url=url, content_type=header, metadata=metadata)
    except Exception as exc:  # a bug or a vanished spill file must not stop a run
        return extraction_failed(exc)


def extraction_failed(exc: BaseException) -> Extracted:
    """What an extraction that could not run gives: no text, and ``exc`` as a one-line error
    (also the ``fallback`` of the extraction tasks of ``archive`` and ``check``)."""
    return Extracted(error=f"extraction failed: {type(exc).__name__}: {exc}"[:300])


def extract_result(result: FetchResult) -> Extracted:
    """Extract a fetch result in-line: HTML -> trafilatura, text/plain -> itself.

    A failed fetch, an empty body or a binary type (PDF, image...) gives an empty
    ``Extracted()`` (no text, no error).
    """
    job = job_for(result)
    return extract_job(job) if job is not None else Extracted()


def main_content(html: str) -> tuple[list[tuple[str, str]], str] | None:
    """The links and text of a page's main content, as trafilatura sees it (for the harvester).

    Returns ``(links, text)`` where ``links`` are ``(href as written, link text)`` pairs in
    document order, or ``None`` when trafilatura finds no main content or fails on the input
    (a third-party parser on arbitrary HTML never crashes a harvest). Figures are included,
    so links in captions count; comments are not.
    """
    import trafilatura
    from lxml import etree

    try:
        xml = trafilatura.extract(
            html, output_format="xml", include_links=True, include_images=True, with_metadata=False,
            include_comments=False,
        )
    except Exception as exc:  # noqa: BLE001 - see the docstring
        log.debug("trafilatura failed on the page: %r", exc)
        return None
    if not xml:
        return None
    try:
        root = etree.fromstring(xml.encode("utf-8"))
    except etree.XMLSyntaxError:
        return None
    links = [((ref.get("target") or "").strip(), "".join(ref.itertext())) for ref in root.iter("ref")]
    text = " ".join(root.itertext())
    return (links, text) if links or text.strip() else None
