"""``archiver search``: full-text search over the archive, offline."""

from __future__ import annotations

import math
from pathlib import Path

import click
from rich.console import Console
from rich.text import Text

from archiver.cli._app import PipeSafeConsole, db_option, emit_json, handle_errors, json_option, main, open_store
from archiver.cli._fetchopts import Count
from archiver.errors import QueryError
from archiver.search import DEFAULT_LIMIT, SearchHit, parse_time_bound, search
from archiver.show import terminal_safe
from archiver.store.queries import has_good_snapshot


def with_hint(exc: QueryError) -> QueryError:
    """The same error with its hint folded into the one-line message the CLI prints."""
    if not exc.hint:
        return exc
    return QueryError(f"{exc.message} (hint: {exc.hint})", target=exc.target, hint=exc.hint)


def format_score(score: float) -> str:
    """A score with 3 significant digits and no exponent: ``12.3``, ``0.500``, ``0.00000123``.

    bm25 scores of a common word are tiny; two decimals would show them all as ``0.00``.
    ``--json`` keeps the float itself.
    """
    if score == 0 or not math.isfinite(score):
        return f"{score:.2f}"
    decimals = 2 - math.floor(math.log10(abs(score)))
    return f"{score:.{max(decimals, 0)}f}"


def _render_hit(console: Console, rank: int, hit: SearchHit) -> None:
    # rich drops some control characters but not ESC: archived text is made inert first
    head = Text(f"{rank}. ")
    head.append(terminal_safe(hit.title or "(no title)"), style="bold")
    head.append(f"  score {format_score(hit.score)}", style="dim")
    meta = Text(f"   {terminal_safe(hit.url)}", style="cyan")
    meta.append(f"  captured {hit.captured_at:%Y-%m-%d %H:%M} UTC, snapshot {hit.snapshot_id}", style="dim")
    snippet = Text("   ")
    for text, marked in hit.snippet_parts():
        snippet.append(terminal_safe(text), style="bold" if marked else None)
    for line in (head, meta, snippet):
        console.print(line)


@main.command("search")
@click.argument("query", nargs=-1, required=True)
@click.option("--domain", help="Only links on this host or its subdomains (example.com also finds www.example.com).")
@click.option("--source", help="Only links cited by this article (its path or URL, as archived).")
@click.option(
    "--since",
    help="Captured at or after: a date (2025-01-31), a time (UTC unless it has an offset), or a duration ago (30d).",
)
@click.option(
    "--until", help="Captured before: a date (the whole day is included), a time (UTC unless it has an offset), or 30d."
)
@click.option("--limit", type=Count(min=1), default=DEFAULT_LIMIT, show_default=True, help="At most N hits.")
@click.option("--all-snapshots", is_flag=True, help="Search every snapshot, not only the latest good one of each link.")
@db_option
@json_option
@handle_errors
def search_command(
    query: tuple[str, ...],
    domain: str | None,
    source: str | None,
    since: str | None,
    until: str | None,
    limit: int,
    all_snapshots: bool,
    db_path: Path,
    as_json: bool,
) -> None:
    """Search the archived pages' titles and text, offline; best matches first.

    Plain words just work, punctuation included (U.S. sanctions, co-operation,
    Russia's). -word leaves out pages with that word (quote the query, or put
    it after --, so -word is not read as an option). FTS5 syntax passes through:
    "exact phrase", prefix*, AND / OR / NOT (in capitals; lower-case and/or/not are
    words), NEAR(a b, 10), ( ), title:word. Case and accents are ignored (cafe finds
    café). The score is higher for better matches (it is -bm25).

    Acronyms match with or without dots: U.S. finds US, and US finds U.S.

    Snippets show the matched words in bold on a terminal; in --json they are
    marked [[like this]]. JSON fields: url, title, snippet, score, snapshot_id,
    captured_at, final_url.

    \b
    Exit codes: 0 the search ran (with hits or none: "No matches." goes to
    standard error), 1 an unknown --source article, 2 a broken query, a bad
    option or no usable database, 130 interrupted.

    \b
    Examples:
      archiver search "climate policy"
      archiver search U.S. sanctions --since 30d --domain reuters.com
      archiver search 'sanction* NOT russia' --json
      archiver search 'steel exports -china'
      archiver search -- steel exports -china
      archiver search coral --source article.md --all-snapshots
    """
    try:
        since_at = parse_time_bound(since) if since else None
        until_at = parse_time_bound(until, end=True) if until else None
    except QueryError as exc:
        raise with_hint(exc) from None
    if since_at is not None and until_at is not None and since_at > until_at:
        raise click.BadParameter(f"--since {since} is after --until {until}: no capture can match",
                                 param_hint="--since/--until")
    with open_store(db_path) as store:
        try:
            hits = search(
                store,
                " ".join(query),
                domain=domain,
                source=source,
                since=since_at,
                until=until_at,
                limit=limit,
                all_snapshots=all_snapshots,
            )
        except QueryError as exc:
            raise with_hint(exc) from None
        empty = not hits and not has_good_snapshot(store.db)
    if as_json:
        for hit in hits:
            emit_json(hit.as_json())
        return
    if not hits:
        click.echo(
            "No matches: the archive holds no page yet (run `archiver archive SOURCE` first)." if empty
            else "No matches.",
            err=True,
        )
        return
    console = PipeSafeConsole(highlight=False, soft_wrap=True)
    for rank, hit in enumerate(hits, 1):
        _render_hit(console, rank, hit)
