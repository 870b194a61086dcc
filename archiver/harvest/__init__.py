"""The harvester: an article (file, standard input or URL) -> the links it cites, in order.

Public API (all pure except :func:`read_source`/:func:`harvest`, which read the source):

* :func:`harvest` reads a source and returns a :class:`~archiver.types.Harvest`
  (source record, decoded text, citations in order, skipped raw links);
* :func:`harvest_read` does the same for a :class:`ReadSource` already read;
  :func:`harvest_fetched` / :func:`harvest_bytes` for an article whose bytes were fetched elsewhere;
* :func:`harvest_sources` harvests several sources (each distinct source once) and groups their
  links across all of them (what ``archiver links`` shows);
* :func:`harvest_text`, :func:`harvest_markdown`, :func:`harvest_html` harvest one format;
* :func:`group_links` turns citations into distinct :class:`~archiver.types.Link` objects, in order
  of first appearance; two citations are the same link when their canonical URLs are equal
  (:func:`archiver.urls.canonicalize`).

Only ``http``/``https`` links are harvested; other schemes and invalid URLs become
:class:`~archiver.types.Skipped` records (``reason`` ``"scheme"`` or ``"invalid"``) with their line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from archiver.errors import InvalidURLError
from archiver.harvest._common import group_links, normalize_newlines
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
from archiver.types import Citation, FetchResult, Harvest, Link, Skipped, SourceFormat, SourceKind
from archiver.urls import canonicalize

if TYPE_CHECKING:
    from archiver.harvest.html import harvest_html
    from archiver.harvest.markdown import harvest_markdown

__all__ = [
    "NEEDS_FETCHER",
    "Fetch",
    "ReadSource",
    "choose_format",
    "find_urls",
    "group_links",
    "HarvestSet",
    "harvest",
    "harvest_bytes",
    "harvest_fetched",
    "harvest_html",
    "harvest_markdown",
    "harvest_read",
    "harvest_sources",
    "harvest_text",
    "is_url",
    "normalize_newlines",
    "read_bytes",
    "read_source",
    "sniff_format",
]

# The HTML and Markdown harvesters load beautifulsoup4 and markdown-it-py (a fifth of the
# archive command's start-up); they are imported when first used, so a plain-text article
# or a list of URLs never pays for them.
_LAZY = {"harvest_html": "archiver.harvest.html", "harvest_markdown": "archiver.harvest.markdown"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def harvest_read(read: ReadSource, *, all_links: bool = False, bare_domains: bool = False) -> Harvest:
    """Harvest an article already read: dispatch on ``read.source.format``."""
    skipped: list[Skipped] = []
    locator = read.source.locator
    citations: list[Citation]
    if read.source.format is SourceFormat.HTML:
        from archiver.harvest.html import harvest_html

        citations = harvest_html(read.text, locator, read.base_url, all_links, skipped=skipped)
    elif read.source.format is SourceFormat.MARKDOWN:
        from archiver.harvest.markdown import harvest_markdown

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


def harvest_bytes(
    data: bytes,
    *,
    source: str,
    base: str | None = None,
    content_type: str | None = None,
    encoding: str | None = None,
    kind: SourceKind = SourceKind.URL,
    all_links: bool = False,
    bare_domains: bool = False,
) -> Harvest:
    """Harvest an article from bytes obtained elsewhere; ``source`` is its URL (or path for a file).

    ``base`` is the URL relative links resolve against (default: ``source`` for a URL);
    ``encoding`` (a codec name), when given, is used instead of detecting one.
    """
    read = read_bytes(data, locator=source, kind=kind, content_type=content_type, base_url=base, encoding=encoding)
    return harvest_read(read, all_links=all_links, bare_domains=bare_domains)


def harvest_fetched(
    result: FetchResult, data: bytes | None = None, *, all_links: bool = False, bare_domains: bool = False
) -> Harvest:
    """Harvest an article the fetcher got: identity is ``result.url``, links resolve against ``final_url``.

    ``data`` defaults to ``result.body.read()``. Raises :class:`SourceError` for an empty or binary body.
    """
    if data is None:
        data = result.body.read() if result.body is not None else b""
    return harvest_bytes(
        data,
        source=result.url,
        base=result.final_url or result.url,
        content_type=result.content_type,
        encoding=result.encoding,
        all_links=all_links,
        bare_domains=bare_domains,
    )


@dataclass(frozen=True)
class HarvestSet:
    """Several harvested sources and their links grouped across all of them."""

    harvests: tuple[Harvest, ...]
    links: tuple[Link, ...]

    @property
    def occurrences(self) -> int:
        """How many citations there are in all (a link cited twice counts twice)."""
        return sum(len(h.citations) for h in self.harvests)

    @property
    def skipped(self) -> tuple[Skipped, ...]:
        return tuple(s for h in self.harvests for s in h.skipped)

    def skipped_by_reason(self) -> dict[str, int]:
        """Counts of skipped raw links by reason (``scheme``, ``invalid``), in a stable order."""
        counts: dict[str, int] = {}
        for item in sorted(self.skipped, key=lambda s: s.reason):
            counts[item.reason] = counts.get(item.reason, 0) + 1
        return counts


def _source_key(spec: str) -> str:
    if spec == "-":
        return spec
    if is_url(spec):
        try:
            return canonicalize(spec)
        except InvalidURLError:
            return spec
    return str(Path(spec).expanduser().resolve())


def harvest_sources(
    specs: Sequence[str],
    *,
    all_links: bool = False,
    bare_domains: bool = False,
    fetch: Fetch | None = None,
    stdin: BinaryIO | None = None,
) -> HarvestSet:
    """Harvest every source (a source named twice is read once) and group the links across them.

    Links are in order of first appearance (sources in the order given). Raises
    :class:`~archiver.errors.SourceError` for the first source that cannot be read.
    """
    seen: set[str] = set()
    harvests: list[Harvest] = []
    for spec in specs:
        key = _source_key(spec)
        if key in seen:
            continue
        seen.add(key)
        harvests.append(harvest(spec, all_links=all_links, bare_domains=bare_domains, fetch=fetch, stdin=stdin))
    links = group_links(c for h in harvests for c in h.citations)
    return HarvestSet(harvests=tuple(harvests), links=tuple(links))
