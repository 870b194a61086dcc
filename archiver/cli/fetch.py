"""``archiver fetch URL``: fetch one URL and print the record of what happened (a debugging aid)."""

from __future__ import annotations

import re

import click

from archiver.cli._app import echo, emit_json, handle_errors, json_option, main
from archiver.cli._fetchopts import fetch_options
from archiver.config import FetchConfig
from archiver.fetch import check_url, fetch_one
from archiver.net import redact
from archiver.types import FetchResult, to_jsonable
from archiver.urls import canonicalize

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _printable(text: object) -> str:
    """``text`` with control characters shown as ``\\xNN``: a server's bytes must not drive the terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def render(result: FetchResult) -> list[str]:
    """The human-readable lines for one fetch (passwords in URLs redacted, control characters escaped)."""
    status = "-" if result.status is None else str(result.status)
    rows: list[tuple[str, object]] = [
        ("URL", redact(result.url)),
        ("Final URL", result.final_url if result.final_url != redact(result.url) else None),
        ("Status", f"{status}  ({result.attempts} attempt{'s' if result.attempts != 1 else ''}, "
                   f"{result.elapsed:.2f} s)"),
        ("Result", "ok" if result.ok else f"FAILED ({result.error.value if result.error else 'no answer'})"),
        ("Error", result.message),
        ("Content type", result.content_type),
        ("Encoding", f"{result.encoding} ({result.encoding_source})" if result.encoding else None),
        ("Size", None if result.body is None else f"{result.body.size:,} bytes"
         + (" (truncated)" if result.truncated else "")),
        ("SHA-256", result.body.sha256 if result.body is not None else None),
    ]
    lines = [f"{name + ':':<14}{_printable(value)}" for name, value in rows if value not in (None, "")]
    for hop in result.redirects:
        lines.append(f"{'Redirect:':<14}{hop.status} {_printable(hop.url)}")
    if result.headers:
        lines.append("Headers:")
        lines.extend(f"  {_printable(name)}: {_printable(value)}" for name, value in result.headers.items())
    return lines


def result_json(result: FetchResult) -> dict[str, object]:
    data = to_jsonable(result)
    data["url"] = redact(result.url)
    data["ok"] = result.ok
    return data


@main.command("fetch")
@click.argument("url")
@fetch_options
@json_option
@handle_errors
def fetch_command(url: str, fetch_config: FetchConfig, as_json: bool) -> None:
    """Fetch one URL and print what happened: status, redirects, headers, encoding, size, error.

    Nothing is stored: this shows what `archiver archive` would get for the URL.
    Exit code 0 if the fetch succeeded, 1 if it failed (the error is printed),
    2 for a URL that is not a valid http(s) URL.

    \b
    Examples:
      archiver fetch https://www.example.org/
      archiver fetch --json --retries 0 --timeout 5 https://www.example.org/
    """
    check_url(url)  # not http(s): exit 2
    canonicalize(url)  # a URL no browser could open (a space in the host, a bad port) is bad input: exit 2
    result = fetch_one(url, config=fetch_config)
    try:
        if as_json:
            emit_json(result_json(result))
        else:
            echo("\n".join(render(result)))
    finally:
        if result.body is not None:
            result.body.discard()
    if not result.ok:
        raise SystemExit(1)
