"""``archiver show``, ``open``, ``history`` and ``diff``: read what was archived, offline."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from archiver.cli._app import check_output, db_option, echo, emit_json, handle_errors, json_option, main, open_store
from archiver.cli.search import with_hint
from archiver.errors import QueryError
from archiver.show import (
    HistoryEvent,
    decoded_body,
    diff_snapshots,
    history,
    parse_at,
    raw_body,
    select_snapshot,
    snapshot_json,
    terminal_safe,
    write_offline_copy,
)
from archiver.types import Snapshot, to_jsonable

at_option = click.option(
    "--at",
    "at",
    metavar="DATE",
    help="The latest good snapshot captured at or before DATE: 2025-01-31 (the end of that day), a time"
    " (UTC unless it has an offset: 2025-01-31T12:00+02:00), or a duration ago (30d).",
)
snapshot_option = click.option(
    "--snapshot", "snapshot_id", type=int, metavar="ID", help="This snapshot (ids: see `archiver history`)."
)


def _pick(store: object, url: str | None, at: str | None, snapshot_id: int | None) -> Snapshot:
    if url is None and snapshot_id is None:
        raise click.UsageError("give a URL, or --snapshot ID")
    if at is not None and snapshot_id is not None:
        raise click.UsageError("--at and --snapshot choose a snapshot each: give one of them")
    try:
        when = parse_at(at) if at is not None else None
    except QueryError as exc:
        raise with_hint(exc) from None
    return select_snapshot(store, url, at=when, snapshot_id=snapshot_id)


def _metadata_lines(snap: Snapshot) -> list[str]:
    rows: list[tuple[str, object]] = [
        ("URL", snap.url),
        ("Final URL", snap.final_url if snap.final_url and snap.final_url != snap.url else None),
        ("Captured", f"{snap.captured_at.isoformat()} (snapshot {snap.id})"),
        ("Capture", None if snap.ok else "FAILED (" + (snap.error_message or (
            snap.error_kind.value if snap.error_kind else "no usable answer")) + ")"),
        ("HTTP status", snap.http_status),
        ("Content type", snap.content_type),
        ("Encoding", f"{snap.encoding} ({snap.encoding_source})" if snap.encoding else None),
        ("Size", None if snap.size is None else f"{snap.size:,} bytes" + (" (truncated)" if snap.truncated else "")),
        ("SHA-256", snap.sha256),
        ("Title", snap.title),
        ("Author", snap.author),
        ("Published", snap.published),
        ("Site", snap.sitename),
        ("Language", snap.language),
        ("Extraction", snap.extract_error),
    ]
    lines = [f"{name + ':':<14}{value}" for name, value in rows if value not in (None, "")]
    for hop in snap.redirects:
        lines.append(f"{'Redirect:':<14}{hop.status} {hop.url}")
    return [terminal_safe(line) for line in lines]


def _show_mode(*, text: bool, html: bool, headers: bool, raw: bool, as_json: bool) -> str | None:
    """The one output mode chosen (``None``: metadata and text); two of them is a usage error."""
    chosen = [name for name, on in (("text", text), ("html", html), ("headers", headers), ("raw", raw)) if on]
    if as_json and "raw" in chosen:
        raise click.UsageError("--raw writes bytes; it cannot be combined with --json")
    if as_json and chosen:
        raise click.UsageError(
            f"--json prints the whole snapshot as one object; it cannot be combined with --{chosen[0]}"
        )
    if len(chosen) > 1:
        names = [f"--{name}" for name in chosen]
        flags = ", ".join(names[:-1]) + " and " + names[-1]
        raise click.UsageError(f"{flags} each choose what to show: give one of them")
    return chosen[0] if chosen else None


@main.command("show")
@click.argument("url", required=False)
# Separate flags (not one flag_value option) so that two of them given together are an error, not "last wins".
@click.option("--text", is_flag=True, help="Only the extracted text.")
@click.option("--html", is_flag=True, help="The stored body, decoded with its recorded encoding.")
@click.option("--headers", is_flag=True, help="The HTTP status and response headers.")
@click.option("--raw", is_flag=True, help="The exact bytes received (to standard output, or -o FILE).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="With --raw: write to FILE.")
@at_option
@snapshot_option
@db_option
@json_option
@handle_errors
def show_command(
    url: str | None,
    text: bool,
    html: bool,
    headers: bool,
    raw: bool,
    output: Path | None,
    at: str | None,
    snapshot_id: int | None,
    db_path: Path,
    as_json: bool,
) -> None:
    """Show an archived page: its metadata and extracted text (the latest good snapshot).

    The URL may be given in any form that canonicalizes to the archived link
    (tracking parameters, fragment and host case do not matter). Nothing archived
    for it: exit 1. --json prints one object: url, final_url, captured_at,
    http_status, title, text, sha256, snapshot_id, headers, redirects...

    Human-readable output shows control characters found in archived text as
    visible escapes (ESC as \\x1b); --raw writes the exact bytes, --html the
    decoded body as it is. --text, --html, --headers, --raw and --json each
    choose what to print: give at most one.

    \b
    Examples:
      archiver show https://example.com/report
      archiver show https://example.com/report --text
      archiver show https://example.com/report --at 2025-01-31 --json
      archiver show --snapshot 42 --raw -o page.html
    """
    mode = _show_mode(text=text, html=html, headers=headers, raw=raw, as_json=as_json)
    if output is not None and mode != "raw":
        raise click.UsageError("-o/--output goes with --raw")
    check_output(output)
    with open_store(db_path) as store:
        snap = _pick(store, url, at, snapshot_id)
        if as_json:
            emit_json(snapshot_json(snap))
        elif mode == "raw":
            data = raw_body(store, snap)
            if output is not None:
                output.write_bytes(data)
                click.echo(f"wrote {len(data):,} bytes to {output}", err=True)
            else:
                stream = sys.stdout.buffer  # click.get_binary_stream is deprecated in click 8.5
                stream.write(data)
                stream.flush()
        elif mode == "html":
            echo(decoded_body(store, snap))
        elif mode == "headers":
            echo(f"HTTP {snap.http_status}" if snap.http_status else "(no HTTP answer)")
            for name, value in snap.headers.items():
                echo(terminal_safe(f"{name}: {value}"))
        elif mode == "text":
            echo(terminal_safe(snap.text or ""))
        else:
            for line in _metadata_lines(snap):
                echo(line)
            echo()
            echo(terminal_safe(snap.text or "(no extracted text)"))


@main.command("open")
@click.argument("url", required=False)
@at_option
@snapshot_option
@click.option("--live-resources", is_flag=True, help="Let the copy load images, styles and frames from the web.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the copy to FILE.")
@click.option("--browser", is_flag=True, help="Also open the copy in the default web browser.")
@db_option
@json_option
@handle_errors
def open_command(
    url: str | None,
    at: str | None,
    snapshot_id: int | None,
    live_resources: bool,
    output: Path | None,
    browser: bool,
    db_path: Path,
    as_json: bool,
) -> None:
    """Write an archived page to a file to read offline, and print its path.

    Links point to their absolute URLs; scripts and event handlers are removed,
    and a Content-Security-Policy in the file blocks every outside request
    (images, styles, fonts, frames), so opening the copy contacts no server.
    --live-resources allows those requests (scripts stay removed). Non-HTML
    bodies (PDF, plain text) are written byte for byte. Without -o the copy goes
    to a temporary folder, which forgets copies older than a day.
    Exit codes: 0 written, 1 nothing archived for the URL, 2 bad input.

    \b
    Examples:
      archiver open https://example.com/report
      archiver open https://example.com/report --at 2025-01-31 --browser
      archiver open --snapshot 42 -o report.html --live-resources
    """
    check_output(output)
    with open_store(db_path) as store:
        snap = _pick(store, url, at, snapshot_id)
        copy = write_offline_copy(store, snap, path=output, live_resources=live_resources)
    if browser:
        import webbrowser

        webbrowser.open(copy.path.resolve().as_uri())
    if as_json:
        emit_json({**to_jsonable(copy), "path": str(copy.path)})
    else:
        echo(str(copy.path))


def _history_line(event: HistoryEvent, status_width: int = 12) -> str:
    when = event.at.strftime("%Y-%m-%d %H:%M:%S")
    if event.kind == "snapshot":
        what = f"snapshot {event.snapshot_id}"
        extra = event.title or event.detail or ""
    else:
        what = "check"
        bits = []
        detail = event.detail or ""
        # Say each thing once: the detail of a drift already gives the similarity, that of a
        # move the new URL; a final URL equal to the link itself is not news.
        if event.similarity is not None and "similarity" not in detail:
            bits.append(f"similarity {event.similarity:.2f}")
        if event.final_url and event.final_url != event.url and event.final_url not in detail:
            bits.append(f"-> {event.final_url}")
        if detail:
            bits.append(detail)
        extra = "  ".join(bits)
    status = str(event.http_status) if event.http_status is not None else "-"
    return terminal_safe(f"{when}  {what:<14}{event.status:<{status_width}}{status:<5}{extra}".rstrip())


def _history_lines(events: list[HistoryEvent]) -> list[str]:
    """One line per event, the status column as wide as the longest status ("blocked_private")."""
    width = max([12, *(len(str(e.status)) + 2 for e in events)])
    return [_history_line(event, width) for event in events]


@main.command("history")
@click.argument("url")
@db_option
@json_option
@handle_errors
def history_command(url: str, db_path: Path, as_json: bool) -> None:
    """List every capture and check of a link, oldest first.

    A capture shows its snapshot id (for show/open/diff --snapshot), ok or why it
    failed, the HTTP status and the title; a check shows its verdict (ok, moved,
    drifted, dead...) and the similarity to the archived text. Times are UTC.
    Exit codes: 0 listed, 1 nothing archived for the URL, 2 bad input.

    \b
    Examples:
      archiver history https://example.com/report
      archiver history https://example.com/report --json
    """
    with open_store(db_path) as store:
        events = history(store, url)
    if as_json:
        for event in events:
            emit_json(event)
        return
    echo(events[0].url if events else url)
    for line in _history_lines(events):
        echo(line)


@main.command("diff")
@click.argument("url")
@click.option("--from", "from_id", type=int, metavar="ID", help="Older snapshot (default: the first good one).")
@click.option("--to", "to_id", type=int, metavar="ID", help="Newer snapshot (default: the latest good one).")
@click.option("--context", type=click.IntRange(min=0), default=3, show_default=True, help="Lines of context.")
@db_option
@json_option
@handle_errors
def diff_command(
    url: str, from_id: int | None, to_id: int | None, context: int, db_path: Path, as_json: bool
) -> None:
    """Show how a page's extracted text changed between two snapshots, with their similarity.

    A unified diff of the extracted text (not the HTML), by default between the
    first and the latest good snapshot (a link with a single good snapshot has
    nothing to compare: exit 0). Similarity is 0..1 (1: the same words),
    measured like `archiver check` measures drift.
    Exit codes: 0 compared, 1 nothing archived for the URL, 2 bad input (an id
    of another link, a failed capture with no text).

    \b
    Examples:
      archiver diff https://example.com/report
      archiver diff https://example.com/report --from 3 --to 7 --json
    """
    with open_store(db_path) as store:
        result = diff_snapshots(store, url, from_id=from_id, to_id=to_id, context=context)
    if as_json:
        emit_json(result.as_json())
        return
    if from_id is None and to_id is None and result.old.id == result.new.id:
        echo(
            f"{result.url}\nonly one good snapshot: nothing to compare "
            f"(snapshot {result.old.id}, captured {result.old.captured_at:%Y-%m-%d %H:%M} UTC)"
        )
        return
    echo(
        f"{result.url}\nsnapshot {result.old.id} -> {result.new.id}: similarity {result.similarity:.2f}"
        + ("; extracted text identical" if result.identical else "")
    )
    color = {"+": "green", "-": "red", "@": "cyan"}
    for line in result.lines:
        fg = None if line.startswith(("+++", "---")) else color.get(line[:1])
        click.secho(terminal_safe(line), fg=fg, bold=line.startswith(("+++", "---")))
