"""``archiver verify``: check an article's quotations and citations against the archive, offline."""

from __future__ import annotations

from pathlib import Path

import click

from archiver.cli._app import db_option, echo, emit_json, handle_errors, json_option, main, open_store
from archiver.show import terminal_safe
from archiver.verify import DEFAULT_MIN_WORDS, DEFAULT_THRESHOLD, QuoteCheck, QuoteStatus, Verification, verify

_MARK = {QuoteStatus.FOUND: "found", QuoteStatus.APPROXIMATE: "approximate", QuoteStatus.NOT_FOUND: "NOT FOUND"}
_COLOR = {QuoteStatus.FOUND: "green", QuoteStatus.APPROXIMATE: "yellow", QuoteStatus.NOT_FOUND: "red"}


def _short(text: str, limit: int = 110) -> str:
    """Cut to ``limit`` characters, control characters made visible (archived text reaches a terminal)."""
    text = terminal_safe(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _render_quote(q: QuoteCheck, anywhere: bool) -> None:
    head = click.style(f"{_MARK[q.status]:<11}", fg=_COLOR[q.status], bold=True)
    echo(f"  {head} line {q.line:<4} similarity {q.similarity:.2f}  “{_short(q.quote)}”")
    if q.status is QuoteStatus.NOT_FOUND:
        where = "cited next to it: " + ", ".join(q.cited_nearby) if q.cited_nearby else "no link cited next to it"
        elsewhere = " nor anywhere else in the archive" if anywhere else ""
        echo(f"              not in the archived text of any cited source{elsewhere} ({where})")
        return
    echo(f"              {q.scope} scope: {q.url} (snapshot {q.snapshot_id})")
    if q.misattributed:
        echo(
            click.style("              possibly misattributed:", fg="red", bold=True)
            + " found only in a source cited elsewhere in the article, not in "
            + ", ".join(q.cited_nearby)
        )
    elif q.scope == "article":
        # no link is cited next to the quotation (e.g. sources listed at the end): nothing to contradict
        echo("              found in a source cited elsewhere in the article (no link is cited next to it)")
    if q.status is QuoteStatus.APPROXIMATE:
        echo(f"              passage: “{_short(q.passage or '', 200)}”")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _render(result: Verification, strict: bool) -> None:
    echo(f"{result.article.locator}: {_plural(len(result.citations), 'citation')},"
         f" {_plural(len(result.quotes), 'quotation')}")
    echo("Citations:")
    for c in result.citations:
        if c.snapshot:
            state = f"archived {c.snapshot.captured_at:%Y-%m-%d %H:%M} (snapshot {c.snapshot.id})"
        else:
            state = click.style("NOT ARCHIVED", fg="red", bold=True)
            if c.last_error:
                state += f" (last capture failed: {_short(c.last_error, 200)})"
            elif c.failure is None:
                state += " (never captured)"
        echo(f"  line {c.citation.line:<4} {state}  check: {c.status}  {c.url}")
    echo("Quotations:")
    for q in result.quotes:
        _render_quote(q, result.anywhere)
    counts = {s: sum(1 for q in result.quotes if q.status is s) for s in QuoteStatus}
    flagged = sum(1 for q in result.quotes if q.misattributed)
    verdict = "OK" if result.passed(strict=strict) else "PROBLEMS"
    echo(
        f"{verdict}: {counts[QuoteStatus.FOUND]} found, {counts[QuoteStatus.APPROXIMATE]} approximate,"
        f" {counts[QuoteStatus.NOT_FOUND]} not found; {flagged} possibly misattributed;"
        f" {_plural(sum(1 for c in result.citations if not c.archived), 'citation')}"
        f" ({_plural(len({c.url for c in result.citations if not c.archived}), 'link')}) not archived."
    )


@main.command("verify")
@click.argument("source")
@click.option("--anywhere", is_flag=True, help="Also look for quotations in the whole archive (FTS candidates).")
@click.option("--strict", is_flag=True, help="Only exact matches pass: an approximate quotation makes the exit code 1.")
@click.option(
    "--threshold",
    type=click.FloatRange(0.0, 1.0, min_open=True),
    default=DEFAULT_THRESHOLD,
    show_default=True,
    help="Lowest word similarity counted as an approximate match.",
)
@click.option(
    "--min-words",
    type=click.IntRange(min=1),
    default=DEFAULT_MIN_WORDS,
    show_default=True,
    help="Only check quotations of at least this many words.",
)
@db_option
@json_option
@handle_errors
def verify_command(
    source: str, anywhere: bool, strict: bool, threshold: float, min_words: int, db_path: Path, as_json: bool
) -> None:
    """Check an archived article's quotations and citations, offline.

    SOURCE is read as it is now (a file is harvested again, so edits count; an article
    archived from a URL is taken from the archive). Each quotation of six words or more
    is looked for in the archived text of the links cited in its paragraph or an adjacent
    one, then of every link of the article (flagged: possibly misattributed), then with
    --anywhere in the whole archive. Matching ignores case, quote styles, dashes,
    punctuation and line breaks; an approximate match has a word similarity score.

    An article whose links are not archived yet (archived with no network, say) is
    still checked: each citation says why its last capture failed, each quotation is
    not found, and a note says to run `archiver archive`.

    Exit 0 when every quotation is found or approximate (--strict: found only), 1
    otherwise, 2 on bad input (unreadable or missing file, a URL never archived, no
    database).

    \b
    Examples:
      archiver verify article.md
      archiver verify article.md --strict --json
      archiver verify https://example.com/post --anywhere
    """
    with open_store(db_path) as store:
        result = verify(store, source, anywhere=anywhere, threshold=threshold, min_words=min_words)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    if as_json:
        for q in result.quotes:
            emit_json(q.as_dict())
        for c in result.citations:
            emit_json(c.as_dict())
    else:
        _render(result, strict)
    raise SystemExit(0 if result.passed(strict=strict) else 1)
