"""``archiver links``: the distinct links that one or more articles cite, in order of first appearance.

Parse -> :func:`archiver.harvest.harvest_sources` -> render. Human output: one line per distinct
link (citation count, canonical URL), then a summary on standard error. ``--json``: one object per
distinct link with all its occurrences. Skipped invalid URLs are reported on standard error with
their source and line.
"""

from __future__ import annotations

import functools
from typing import Any

import click

from archiver.cli._app import echo, emit_json, handle_errors, json_option, main
from archiver.cli._fetchopts import fetch_options
from archiver.config import FetchConfig
from archiver.harvest import Fetch, HarvestSet, harvest_sources
from archiver.types import Link


def _fetcher(config: FetchConfig) -> Fetch | None:
    """The fetcher for article URL sources, with the command's fetch options.

    ``None`` makes URL sources a clean one-line error (tests use that seam).
    """
    from archiver.fetch import fetch_one

    return functools.partial(fetch_one, config=config)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def summary(result: HarvestSet) -> str:
    """``3 distinct links from 6 occurrences in 1 source; skipped 2 (1 invalid, 1 scheme)``.

    Without links: ``0 links in 1 source`` (and the skipped ones, if any).
    """
    if result.links:
        text = (
            f"{_plural(len(result.links), 'distinct link')} from {_plural(result.occurrences, 'occurrence')} "
            f"in {_plural(len(result.harvests), 'source')}"
        )
    else:
        text = f"0 links in {_plural(len(result.harvests), 'source')}"
    by_reason = result.skipped_by_reason()
    if by_reason:
        detail = ", ".join(f"{n} {reason}" for reason, n in by_reason.items())
        text += f"; skipped {sum(by_reason.values())} ({detail})"
    return text


def link_json(link: Link, sha256: dict[str, str]) -> dict[str, Any]:
    """The ``--json`` object of one distinct link."""
    return {
        "url": link.url,
        "occurrences": [
            {
                "raw": c.raw,
                "source": c.source,
                "sha256": sha256.get(c.source),
                "line": c.line,
                "column": c.column,
                "paragraph": c.paragraph,
                "context": c.context,
                "anchor": c.anchor,
            }
            for c in link.occurrences
        ],
    }


@main.command("links")
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@click.option("--all-links", is_flag=True, help="HTML: take every link, not only those in the main content.")
@click.option("--bare-domains", is_flag=True, help="Text/Markdown: count a bare domain name (example.com) as a link.")
@fetch_options
@json_option
@handle_errors
def links(
    sources: tuple[str, ...], all_links: bool, bare_domains: bool, as_json: bool, fetch_config: FetchConfig
) -> None:
    """List the distinct links that SOURCE articles cite, with how many times each is cited.

    SOURCE is a file (plain text, Markdown or HTML, chosen by extension or content), '-' for
    standard input, or the http(s) URL of an article (fetched). Several SOURCEs are
    deduplicated together. Links are canonicalized (tracking parameters, fragment, default
    port... removed) and listed in order of first appearance; a summary goes to standard error.
    Only http(s) links count: other schemes are counted as skipped; invalid URLs are reported
    with their line. An article without links prints nothing on standard output (the
    summary says 0 links). The fetch options (--allow-private, --timeout, --user-agent...)
    apply to article URLs.

    \b
    Errors (one line, exit code 2): a missing file, a directory, an empty
    file or empty standard input, a binary file, an unreadable file, an
    article URL that cannot be fetched.

    \b
    Examples:
      archiver links seeds/000_a601677b5c772689.txt
      archiver links --json article.md page.html
      curl -s https://example.com/post | archiver links -
    """
    if sources.count("-") > 1:  # the second read would find standard input empty
        raise click.UsageError("'-' (standard input) is given twice: standard input can be read only once")
    fetch = _fetcher(fetch_config) if any("://" in s for s in sources) else None
    result = harvest_sources(sources, all_links=all_links, bare_domains=bare_domains, fetch=fetch)
    for item in result.skipped:
        if item.reason == "invalid":
            where = f"{item.source}:{item.line}"
            click.echo(f"archiver: skipped invalid URL at {where}: {item.raw} ({item.message})", err=True)
    if as_json:
        sha256 = {h.source.locator: h.source.sha256 for h in result.harvests}
        for link in result.links:
            emit_json(link_json(link, sha256))
        click.echo(summary(result), err=True)  # as with archive and check: stdout stays pure JSON lines
        return
    width = len(str(max((len(link.occurrences) for link in result.links), default=1)))
    for link in result.links:
        echo(f"{len(link.occurrences):>{width}}  {link.url}")
    click.echo(summary(result), err=True)
