"""The harvester: an article (file, standard input or URL) -> the links it cites, in order.

Public API (all pure except :func:`read_source`/:func:`harvest`, which read the source):

* :func:`harvest` reads a source and returns a :class:`~archiver.types.Harvest`
  (source record, decoded text, citations in order, skipped raw links);
* :func:`harvest_read` does the same for a :class:`ReadSource` already read (e.g. bytes fetched
  elsewhere, via :func:`read_bytes`);
* :func:`harvest_text`, :func:`harvest_markdown`, :func:`harvest_html` harvest one format;
* :func:`group_links` turns citations into distinct :class:`~archiver.types.Link` objects, in order
  of first appearance; two citations are the same link when their canonical URLs are equal
  (:func:`archiver.urls.canonicalize`).

Only ``http``/``https`` links are harvested; other schemes and invalid URLs become
:class:`~archiver.types.Skipped` records (``reason`` ``"scheme"`` or ``"invalid"``) with their line.
"""

from __future__ import annotations

from typing import BinaryIO

from archiver.harvest._common import group_links, normalize_newlines
from archiver.harvest.html import harvest_html
from archiver.harvest.markdown import harvest_markdown
from archiver.harvest.source import (
    NEEDS_FETCHER,
    Fetch,
    ReadSource,
    choose_format,
    is_url,
    read_bytes,
    read_source,
    sniff_format,
)
from archiver.harvest.text import find_urls, harvest_text
from archiver.types import Citation, Harvest, Skipped, SourceFormat, SourceKind

__all__ = [
    "NEEDS_FETCHER",
    "Fetch",
    "ReadSource",
    "choose_format",
    "find_urls",
    "group_links",
    "harvest",
    "harvest_html",
    "harvest_markdown",
    "harvest_read",
    "harvest_text",
    "is_url",
    "normalize_newlines",
    "read_bytes",
    "read_source",
    "sniff_format",
]


def harvest_read(read: ReadSource, *, all_links: bool = False, bare_domains: bool = False) -> Harvest:
    """Harvest an article already read: dispatch on ``read.source.format``."""
    skipped: list[Skipped] = []
    locator = read.source.locator
    citations: list[Citation]
    if read.source.format is SourceFormat.HTML:
        citations = harvest_html(read.text, locator, read.base_url, all_links, skipped=skipped)
    elif read.source.format is SourceFormat.MARKDOWN:
        citations = harvest_markdown(read.text, locator, bare_domains=bare_domains, skipped=skipped)
    else:
        citations = harvest_text(read.text, locator, bare_domains=bare_domains, skipped=skipped)
    return Harvest(source=read.source, text=read.text, citations=tuple(citations), skipped=tuple(skipped))


def harvest(
    spec: str,
    *,
    all_links: bool = False,
    bare_domains: bool = False,
    fetch: Fetch | None = None,
    data: bytes | None = None,
    content_type: str | None = None,
    stdin: BinaryIO | None = None,
) -> Harvest:
    """Read the article ``spec`` (a file path, ``-`` or an http(s) URL) and harvest its links.

    ``all_links`` keeps every HTML link instead of the main content's; ``bare_domains`` makes
    ``example.com`` alone a link in text and Markdown. An http(s) ``spec`` is fetched with
    ``fetch`` (``fetch(url) -> FetchResult``) unless its bytes are given as ``data`` (with their
    ``content_type``, if known). Raises :class:`~archiver.errors.SourceError` when the source
    cannot be read or is not an article.
    """
    if data is not None:
        kind = SourceKind.URL if is_url(spec) else (SourceKind.STDIN if spec == "-" else SourceKind.FILE)
        read = read_bytes(data, locator=spec, kind=kind, content_type=content_type)
    else:
        read = read_source(spec, fetch=fetch, stdin=stdin)
    return harvest_read(read, all_links=all_links, bare_domains=bare_domains)
