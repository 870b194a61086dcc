"""``archiver archive``, ``archiver status`` and ``archiver fsck``: the store's write side and its health.

Thin: parse options -> one library call (:func:`archiver.pipeline.archive`,
:meth:`Store.status`, :meth:`Store.fsck`) -> render. Bad input (a missing file, an
invalid URL, a database path that cannot be used) is a one-line error with exit 2,
raised before the database is opened, so an existing database is never touched.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.markup import escape

from archiver.cli._app import (
    PipeSafeConsole,
    db_option,
    emit_json,
    handle_errors,
    json_option,
    main,
    open_store,
    stdout_closed,
)
from archiver.cli._fetchopts import fetch_options
from archiver.config import FetchConfig
from archiver.pool import shutdown_pool, start_forkserver
from archiver.types import ArchiveStatus

if TYPE_CHECKING:
    from rich.progress import Progress

    from archiver.pipeline import ArchiveReport, LinkOutcome


class _Display:
    """Progress on standard error (a bar on a terminal), JSON lines or nothing on standard output."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.err = Console(stderr=True, highlight=False, soft_wrap=True)
        self.out = PipeSafeConsole(highlight=False, soft_wrap=True)
        self.progress: Progress | None = None
        self.task: Any = None
        self.done = 0
        self.failed = 0
        self.started = time.monotonic()
        self.lock = threading.Lock()
        self.stdout_closed = False  # the reader of standard output went away (`| head -1`)
        self.lines_written = 0

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        if self.err.is_terminal:
            # Loaded only for a terminal (20 ms of start-up that a script's run does not need).
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(
                TextColumn("archiving"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"), TextColumn("{task.fields[failures]}"), TimeElapsedColumn(),
                console=self.err, transient=True,
            )
            self.task = self.progress.add_task("archive", total=None, rate="", failures="")
            with self.progress:
                yield
        else:
            yield

    def close_stdout(self) -> None:
        """Standard output is gone: send what is still written there to os.devnull, and keep going.

        Archiving is not stopped by a closed pipe (``archiver archive --json | head -1``):
        every link is still captured, the summary goes to standard error and the exit
        code is the usual one. Pointing file descriptor 1 at os.devnull (rather than
        closing it) also keeps the interpreter's final flush from complaining.
        """
        self.stdout_closed = True
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)

    def summary_console(self) -> Console:
        """Where the summary goes: standard error with --json or once standard output is closed."""
        return self.err if self.as_json or self.stdout_closed else self.out

    def plan(self, total: int) -> None:
        if self.progress is not None:
            self.progress.update(self.task, total=total)

    def link(self, outcome: LinkOutcome) -> None:
        with self.lock:
            self.done += 1
            self.failed += outcome.status is ArchiveStatus.FAILED
            if self.as_json and not self.stdout_closed:
                emit_json(outcome.to_json())
                if stdout_closed():
                    self.close_stdout()
                else:
                    self.lines_written += 1
            if self.progress is not None:
                rate = self.done / max(time.monotonic() - self.started, 1e-6)
                self.progress.update(self.task, advance=1, rate=f"{rate:.1f}/s",
                                     failures=f"[red]{self.failed} failed[/]" if self.failed else "")


def _render_summary(console: Console, report: ArchiveReport, db_path: Path) -> None:
    counts = report.counts()
    kinds = report.failed_by_kind()
    failed = f"{counts['failed']} failed" + (
        " (" + ", ".join(f"{k} {n}" for k, n in kinds.items()) + ")" if kinds else ""
    )
    total = len(report.outcomes)
    head = "interrupted: " if report.interrupted else ""
    console.print(
        f"{head}{total} link{'s' if total != 1 else ''}: {counts['archived']} archived, "
        f"{counts['unchanged']} unchanged, {counts['skipped']} skipped, {failed}"
        + (f", {report.excluded} excluded" if report.excluded else "")
    )
    failures = [o for o in report.outcomes if o.status is ArchiveStatus.FAILED]
    for outcome in failures[:50]:
        console.print(f"  failed  {escape(outcome.url)}  [red]{escape(outcome.error or '')}[/]", soft_wrap=True)
    if len(failures) > 50:
        console.print(f"  ... and {len(failures) - 50} more (see --json)")
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}", soft_wrap=True)
    if report.interrupted:
        console.print(f"saved {total - counts['skipped']} capture(s) before the interruption; run again to finish")
    console.print(f"database: {escape(str(db_path))}")


@main.command("archive")
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@click.option("--refresh", is_flag=True, help="Capture again links that already have a good snapshot.")
@click.option("--max-age", metavar="DURATION",
              help="Capture again good snapshots older than DURATION (30d, 12h, 90m, 2w).")
@click.option("--exclude", multiple=True, metavar="REGEX", help="Leave out links matching REGEX (repeatable).")
@fetch_options
@db_option
@json_option
@handle_errors
def archive_command(
    sources: tuple[str, ...],
    refresh: bool,
    max_age: str | None,
    exclude: tuple[str, ...],
    db_path: Path,
    as_json: bool,
    fetch_config: FetchConfig,
) -> None:
    """Archive every link the SOURCEs cite: fetch, extract text, store a snapshot in SQLite.

    SOURCE is a file (text, Markdown or HTML), '-' for standard input, or the URL of an
    article (the article itself is archived too, and the links of its main content).
    Links with a good snapshot are skipped (unless --refresh or --max-age); failed ones
    are tried again, so re-running is safe and cheap. Ctrl-C stops cleanly and keeps
    what was saved.

    \b
    Output: a progress bar on a terminal, then a summary (archived, unchanged,
    skipped, failed by error kind, the database). --json prints one object per
    link on standard output: {"url", "status", "http_status", "final_url",
    "snapshot_id", "title", "error", ...}; progress and summary then go to
    standard error.
    A closed standard output (| head) does not stop the run: every link is
    still fetched and stored, and the summary goes to standard error.

    \b
    Exit codes: 0 every link has a good snapshot, 1 some failed, 2 bad input or
    usage (missing file, invalid URL, unusable database), 130 interrupted.

    \b
    Examples:
      archiver archive seeds/000_a601677b5c772689.txt
      archiver archive notes.md https://example.org/story --max-age 30d --json
    """
    # The extraction forkserver imports trafilatura (about half a second) on the other core
    # while this process loads the pipeline, reads the sources and opens the database.
    start_forkserver()
    from archiver.pipeline import archive, parse_duration, prepare_sources

    age = None
    if refresh and max_age is not None:
        raise click.UsageError("--refresh captures every link again; --max-age only the old ones: give one of them")
    if max_age is not None:
        try:
            age = parse_duration(max_age)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--max-age") from None
    prepared = prepare_sources(list(sources))  # bad input fails here, before the database is opened
    display = _Display(as_json)
    try:
        with display.running():
            report = archive(
                prepared, store=db_path, config=fetch_config, refresh=refresh, max_age=age,
                exclude=exclude, on_progress=display.link, on_plan=display.plan,
            )
    finally:
        shutdown_pool()
    console = display.summary_console()
    _render_summary(console, report, db_path)
    if console is not display.err and stdout_closed():  # `archiver archive SOURCE | head -1`
        display.close_stdout()
        _render_summary(display.err, report, db_path)  # the summary goes to standard error instead
    if display.stdout_closed:
        display.err.print(
            f"note: standard output was closed after {display.lines_written} JSON line(s); "
            "archiving went on to the end"
            if as_json else "note: standard output was closed; the summary went to standard error"
        )
    if report.interrupted:
        sys.exit(130)
    sys.exit(0 if report.ok else 1)


def _human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def _when(run: Mapping[str, Any]) -> str:
    """When a run finished (UTC, to the second), or when it started if it did not finish."""

    def fmt(text: str) -> str:
        try:
            return datetime.fromisoformat(text).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        except ValueError:
            return text

    if run.get("finished_at"):
        interrupted = (run.get("summary") or {}).get("interrupted")
        return fmt(run["finished_at"]) + (" (interrupted)" if interrupted else "")
    return f"{fmt(run['started_at'])} (did not finish)"


def _archive_line(run: Mapping[str, Any] | None) -> str:
    if not run:
        return "never run"
    summary = run.get("summary") or {}
    counts = ", ".join(f"{summary.get(k, 0)} {k}" for k in ("archived", "unchanged", "skipped", "failed"))
    return f"last run {_when(run)}" + (f": {counts}" if summary else "")


def _check_line(run: Mapping[str, Any] | None) -> str:
    if not run:
        return "never run"
    classes: Mapping[str, int] = run.get("classes") or {}
    total = sum(classes.values())
    counts = ", ".join(f"{n} {cls}" for cls, n in classes.items()) or "no verdicts recorded"
    return f"last run {_when(run)}: {total} link{'s' if total != 1 else ''}: {counts}"


@main.command("status")
@db_option
@json_option
@handle_errors
def status_command(db_path: Path, as_json: bool) -> None:
    """Show what the archive holds: sources, links, snapshots, failed links, size, last archive and check runs.

    \b
    The last archive run shows its counts (archived, unchanged, skipped, failed);
    the last check run shows its verdicts by class (ok, moved, drifted, dead...).
    --json prints one object: the counts, "last_archive" and "last_check" (each
    with its "summary"; "last_check" also has "classes"), and "last_run" (either).

    \b
    Exit codes: 0 success, 2 no database or an unusable one.

    \b
    Examples:
      archiver status
      archiver status --db archive/archive.db --json
    """
    with open_store(db_path) as store:
        st = store.status()
    if as_json:
        emit_json(st)
        return
    out = PipeSafeConsole(highlight=False, soft_wrap=True)
    out.print(f"database:   {escape(st.path)} ({_human_size(st.size)})")
    out.print(f"sources:    {st.sources}")
    out.print(f"links:      {st.links} ({st.failed_links} failed, {st.unarchived_links} never captured)")
    out.print(f"snapshots:  {st.snapshots} ({st.good_snapshots} good)")
    out.print(f"bodies:     {st.blobs} stored ({_human_size(st.blob_bytes)} compressed)")
    out.print(f"archive:    {_archive_line(st.last_archive)}")
    out.print(f"check:      {_check_line(st.last_check)}")


@main.command("fsck")
@db_option
@json_option
@handle_errors
def fsck_command(db_path: Path, as_json: bool) -> None:
    """Verify the archive: re-read every stored body, recompute its sha256, run SQLite's integrity check.

    Reads only; never repairs. Exit codes: 0 all good, 1 a mismatch or corruption was
    found, 2 no database or an unusable one.

    \b
    Examples:
      archiver fsck
      archiver fsck --db archive/archive.db --json
    """
    with open_store(db_path) as store:
        report = store.fsck()
    if as_json:
        emit_json({**dataclasses.asdict(report), "ok": report.ok})
    else:
        out = PipeSafeConsole(highlight=False, soft_wrap=True)
        damaged = sum(p.kind in ("corrupt", "sha256", "size") for p in report.problems)
        out.print(f"checked {report.blobs_checked} {'body' if report.blobs_checked == 1 else 'bodies'} "
                  f"({_human_size(report.bytes_checked)})" + (f", {damaged} damaged" if damaged else "")
                  + f", integrity check: {report.integrity}")
        for problem in report.problems:
            out.print(f"  [red]{problem.kind}[/]  {escape(problem.target)}: {escape(problem.message)}", soft_wrap=True)
        out.print("ok: what is stored is what was captured" if report.ok else f"{len(report.problems)} problem(s)")
    sys.exit(0 if report.ok else 1)
