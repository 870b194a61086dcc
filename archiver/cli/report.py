"""``archiver report``: the citation report of an article (md, html, json, csv), offline."""

from __future__ import annotations

from pathlib import Path

import click
from click.core import ParameterSource

from archiver.cli._app import check_output, db_option, echo, handle_errors, json_option, main, open_store
from archiver.report import FORMATS, build_report, render


@main.command("report")
@click.argument("source")
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="md", show_default=True, help="Output format."
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the report to this file instead of standard output.",
)
@click.option("--anywhere", is_flag=True, help="Also look for quotations in the whole archive.")
@db_option
@json_option
@handle_errors
def report_command(
    source: str, fmt: str, output: Path | None, anywhere: bool, db_path: Path, as_json: bool
) -> None:
    """Write the citation report of an article, offline.

    Every citation with its raw form and line, canonical URL, archived snapshot (time,
    sha256, title), last check class and date, and what to do: ok, replace with the new
    URL, use the archived copy, archive it, or find another source; then the quotations
    and which citations still lack a public archived copy. --format html writes one
    self-contained file (no script, nothing fetched when opened) with every archived copy
    readable offline and each citation as a Robust Link. --json is --format json (one
    object per line; giving it with another --format is a usage error). Exit 0 when the
    report was written, 2 on bad input (unknown article, unwritable -o FILE...).

    \b
    Examples:
      archiver report article.md
      archiver report article.md --format html -o report.html
      archiver report article.md --format csv > citations.csv
    """
    ctx = click.get_current_context()
    if as_json:
        if fmt != "json" and ctx.get_parameter_source("fmt") is not ParameterSource.DEFAULT:
            raise click.UsageError(f"--json is --format json; it cannot be combined with --format {fmt}")
        fmt = "json"
    check_output(output)  # fail before the report is built
    with open_store(db_path) as store:
        report = build_report(store, source, anywhere=anywhere)
    text = render(report, fmt)
    if output is not None:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output} ({len(report.entries)} citations, {fmt})", err=True)
    else:
        echo(text, nl=False)
