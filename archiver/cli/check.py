"""``archiver check``: dead, moved, soft-404, blocked and drifted citations, told apart.

Thin: parse options -> one library call (:func:`archiver.check.check` or
:func:`archiver.check.check_offline`) -> render a table grouped by class with a summary
(or JSON lines) -> exit 1 when a confirmed link falls in a ``--fail-on`` class.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from archiver.check import DEFAULT_FAIL_ON, check, check_offline, counts_as_failure, summarize
from archiver.cli._app import PipeSafeConsole, db_option, echo, emit_json, handle_errors, json_option, main, open_store
from archiver.cli._fetchopts import Count, Number, fetch_options
from archiver.config import FetchConfig
from archiver.drift import DEFAULT_DRIFT_THRESHOLD
from archiver.pipeline import parse_duration
from archiver.types import CheckResult, LinkStatus

# Worst first: the order of the table and of the summary.
ORDER = [LinkStatus.DEAD, LinkStatus.SOFT404, LinkStatus.BLOCKED, LinkStatus.ERROR, LinkStatus.DRIFTED,
         LinkStatus.MOVED, LinkStatus.OK, LinkStatus.UNCHECKED]
STYLE = {LinkStatus.DEAD: "bold red", LinkStatus.SOFT404: "red", LinkStatus.BLOCKED: "magenta",
         LinkStatus.ERROR: "yellow", LinkStatus.DRIFTED: "yellow", LinkStatus.MOVED: "cyan",
         LinkStatus.OK: "green", LinkStatus.UNCHECKED: "dim"}
CLASS_NAMES = ", ".join(s.value for s in LinkStatus)


def _classes(values: Iterable[str], option: str, *, allow_none: bool = False) -> set[LinkStatus]:
    """Parse repeated and/or comma-separated class names; a bad one is a usage error (exit 2)."""
    out: set[LinkStatus] = set()
    for value in values:
        names = [v.strip().lower() for v in value.split(",") if v.strip()]
        if not names:  # `--fail-on ''` silently meaning "none" would hide every dead link from CI
            none = " (or none)" if allow_none else ""
            raise click.BadParameter(f"no class given (choose from {CLASS_NAMES}{none})", param_hint=option)
        for name in names:
            if allow_none and name == "none":
                continue
            try:
                out.add(LinkStatus(name))
            except ValueError:
                raise click.BadParameter(f"unknown class {name!r} (choose from {CLASS_NAMES})",
                                         param_hint=option) from None
    return out


def to_json(result: CheckResult, confirmed: bool) -> dict[str, Any]:
    """The ``--json`` record of one link."""
    return {
        "url": result.url,
        "status": result.status.value,
        "http_status": result.http_status,
        "final_url": result.final_url,
        "similarity": result.similarity,
        "checked_at": result.checked_at.isoformat() if result.checked_at else None,
        "detail": result.detail,
        "streak": result.streak,
        "since": result.since.isoformat() if result.since else None,
        "error_kind": result.error_kind.value if result.error_kind else None,
        "snapshot_id": result.snapshot_id,
        "captured_snapshot_id": result.captured_snapshot_id,
        "confirmed": confirmed,
    }


def _detail(result: CheckResult) -> str:
    parts = [result.detail or ""]
    if result.captured_snapshot_id is not None:
        parts.append(f"snapshot {result.captured_snapshot_id} captured")
    return "; ".join(p for p in parts if p)


def _render(console: Console, results: list[CheckResult], failing: list[CheckResult],
            fail_on: set[LinkStatus], confirm: int, span: timedelta, offline: bool = False) -> None:
    if not results:
        console.print("no links to check")
        return
    if console.is_terminal:
        _render_table(console, results, offline)
    else:
        _render_lines(results, offline)
    _render_summary(console, results, failing, fail_on, confirm, span)


def _render_table(console: Console, results: list[CheckResult], offline: bool) -> None:
    table = Table(show_lines=False, pad_edge=False, expand=False)
    table.add_column("class")
    table.add_column("url", overflow="fold")
    table.add_column("http", justify="right")
    table.add_column("sim", justify="right")
    table.add_column("streak", justify="right")
    if offline:
        table.add_column("checked")
    table.add_column("detail", overflow="fold")
    for status in ORDER:
        group = [r for r in results if r.status is status]
        for r in group:
            sim = f"{r.similarity:.2f}" if r.similarity is not None else ""
            streak = f"{r.streak}" + (f" since {r.since:%Y-%m-%d}" if r.since and r.streak > 1 else "")
            cells = [f"[{STYLE[status]}]{status.value}[/]", escape(r.url), str(r.http_status or ""), sim,
                     streak if r.checked_at else ""]
            if offline:
                cells.append(f"{r.checked_at:%Y-%m-%d %H:%M}" if r.checked_at else "never")
            table.add_row(*cells, escape(_detail(r)))
        if group:
            table.add_section()
    console.print(table)


def _render_lines(results: list[CheckResult], offline: bool) -> None:
    """Plain aligned lines for pipes and files: one link per line, nothing wrapped or cut."""
    for status in ORDER:
        for r in (r for r in results if r.status is status):
            sim = f"{r.similarity:.2f}" if r.similarity is not None else ""
            streak = str(r.streak) if r.checked_at else ""
            when = (f"{r.checked_at:%Y-%m-%d %H:%M}" if r.checked_at else "never") if offline else ""
            cells = [f"{status.value:<9}", f"{r.http_status or '':>4}", f"{sim:>5}", f"{streak:>3}"]
            if offline:
                cells.append(f"{when:<16}")
            echo("  ".join([*cells, r.url, _detail(r)]).rstrip())


def _render_summary(console: Console, results: list[CheckResult], failing: list[CheckResult],
                    fail_on: set[LinkStatus], confirm: int, span: timedelta) -> None:
    counts = summarize(results)
    line = ", ".join(f"[{STYLE[s]}]{counts[s.value]} {s.value}[/]" for s in ORDER if s.value in counts)
    console.print(f"{len(results)} link{'s' if len(results) != 1 else ''}: {line}")
    watched = sorted(s.value for s in fail_on) or ["none"]
    waiting = [r for r in results if r.status in fail_on and r not in failing]
    rule = f" (--confirm {confirm}" + (f", --confirm-span {span}" if span else "") + ")" if confirm > 1 or span else ""
    console.print(f"failing ({','.join(watched)}){rule}: {len(failing)}"
                  + (f"; {len(waiting)} more not yet confirmed" if waiting else ""))


@contextlib.contextmanager
def _progress(console: Console, enabled: bool) -> Iterator[Any]:
    if not enabled or not console.is_terminal:
        yield None
        return
    with console.status("checking...") as status:
        yield status


@main.command("check")
@click.argument("urls", nargs=-1, metavar="[URL]...")
@click.option("--source", metavar="SOURCE", help="Only the links cited by this archived source (file path or URL).")
@click.option("--status", "statuses", multiple=True, metavar="CLASS",
              help=f"Only links whose last known class is CLASS (repeatable, or comma-separated): {CLASS_NAMES}.")
@click.option("--offline", is_flag=True, help="Make no request: report the last known class of each link.")
@click.option("--snapshot", "capture", is_flag=True,
              help="Also capture a new snapshot of ok, moved and drifted pages whose content changed.")
@click.option("--fail-on", "fail_on", default=",".join(sorted(s.value for s in DEFAULT_FAIL_ON)), show_default=True,
              metavar="CLASSES", help="Exit 1 when a confirmed link is in one of these classes ('none': never).")
@click.option("--confirm", type=Count(min=1), default=1, show_default=True, metavar="N",
              help="A --fail-on class counts only after N consecutive checks agree.")
@click.option("--confirm-span", default="0", show_default=True, metavar="DURATION",
              help="...and only when those checks span at least DURATION (3d, 12h, 2w).")
@click.option("--drift-threshold", type=Number(0.0, 1.0), default=DEFAULT_DRIFT_THRESHOLD,
              show_default=True, metavar="X",
              help="Similarity (0..1) of main text below which a page is drifted.")
@fetch_options
@db_option
@json_option
@handle_errors
def check_command(
    urls: tuple[str, ...],
    source: str | None,
    statuses: tuple[str, ...],
    offline: bool,
    capture: bool,
    fail_on: str,
    confirm: int,
    confirm_span: str,
    drift_threshold: float,
    db_path: Path,
    as_json: bool,
    fetch_config: FetchConfig,
) -> None:
    """Re-visit archived links and say what a reader finds today: ok, moved, drifted,
    soft404, dead, blocked or error (and, with --offline, unchecked).

    By default every link in the archive (failed captures included); or the URLs
    given; or those cited by --source. Pages are compared with their latest good
    snapshot (main text, robust to date lines, counters and sidebars); conditional
    requests skip unchanged pages. Each verdict is stored in the archive's history;
    snapshots are never replaced.

    \b
    Classes:
      ok       answers and its text matches the snapshot (304 too)
      moved    redirects to a new URL with the same text (new URL shown)
      drifted  its text changed beyond --drift-threshold (similarity shown)
      soft404  answers 2xx but is an error page, a redirect home, or what the
               site answers for any missing URL
      dead     404, 410, 451, host gone, connection refused
      blocked  401/403/429, bot walls and captchas: the site refuses archiver
      error    cannot tell now: timeouts, 5xx, TLS, resets, redirect loops

    \b
    Output: a table grouped by class and a summary; --json prints one object per
    link: {"url", "status", "http_status", "final_url", "similarity",
    "checked_at", "detail", "streak", "since", "confirmed", ...}.

    \b
    Exit codes: 0 no confirmed link in a --fail-on class, 1 some (or a URL or
    --source that is not in the archive), 2 bad input or usage, 130 interrupted.

    \b
    Examples:
      archiver check
      archiver check --source seeds/000_a601677b5c772689.txt --json
      archiver check --fail-on dead --confirm 3 --confirm-span 2d
      archiver check --offline --status dead,soft404
    """
    wanted = _classes(statuses, "--status")
    failing_classes = _classes([fail_on], "--fail-on", allow_none=True)
    try:
        span = parse_duration(confirm_span)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--confirm-span") from None
    if offline and capture:
        raise click.UsageError("--snapshot needs the network; it cannot be combined with --offline")
    out = PipeSafeConsole(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    results: list[CheckResult] = []
    failing: list[CheckResult] = []
    with open_store(db_path) as store:
        if offline:
            stream: Iterable[CheckResult] = check_offline(store, list(urls), source=source, statuses=wanted)
        else:
            stream = check(store, list(urls), source=source, statuses=wanted, config=fetch_config,
                           threshold=drift_threshold, capture=capture)
        with _progress(err, not as_json) as status:
            for result in stream:
                results.append(result)
                confirmed = counts_as_failure(result, failing_classes, confirm=confirm, span=span)
                if confirmed:
                    failing.append(result)
                if as_json:
                    emit_json(to_json(result, confirmed))
                elif status is not None:
                    status.update(f"checking... {len(results)} done")
    if as_json:
        _summary_only(err, results, failing)
    else:
        _render(out, results, failing, failing_classes, confirm, span, offline)
    sys.exit(1 if failing else 0)


def _summary_only(console: Console, results: list[CheckResult], failing: list[CheckResult]) -> None:
    counts = summarize(results)
    line = ", ".join(f"{counts[s.value]} {s.value}" for s in ORDER if s.value in counts) or "no links"
    console.print(f"{len(results)} link{'s' if len(results) != 1 else ''}: {line}; failing: {len(failing)}")
