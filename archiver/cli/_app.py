"""The click group and the helpers every command shares.

Commands are thin: parse options, make one library call, render the result as a
human-readable table/text (default) or JSON lines (``--json``). Library errors
(:class:`archiver.errors.ArchiverError`) become one-line messages on standard
error with the error's exit code; no traceback ever reaches the user.

Exit codes (all commands): 0 success; 1 the command ran but found problems
(failed links, dead citations, quotations not found...); 2 bad input or usage
(missing file, bad option, unreadable database); 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from archiver import __version__
from archiver.errors import ArchiverError
from archiver.types import to_jsonable

F = TypeVar("F", bound=Callable[..., Any])

EXIT_CODES_HELP = "Exit codes: 0 success, 1 problems found, 2 bad input or usage, 130 interrupted."


class ArchiverGroup(click.Group):
    """A group that lists commands in the order they were added."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


@click.group(cls=ArchiverGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="archiver")
def main() -> None:
    """archiver: preserve the web pages an article cites, and check them later, offline.

    \b
    Example:
      archiver links seeds/article.txt
    """


def fail(message: str, code: int = 2) -> None:
    """Print ``archiver: error: MESSAGE`` on one line to standard error and exit."""
    message = " ".join(str(message).split()) or "unknown error"
    click.echo(f"archiver: error: {message}", err=True)
    sys.exit(code)


def handle_errors(func: F) -> F:
    """Decorator: turn ArchiverError (and Ctrl-C, broken pipes, OS errors) into clean exits."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ArchiverError as exc:
            fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            click.echo("archiver: interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:
            sys.stderr.close()
            sys.exit(0)
        except OSError as exc:
            where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
            fail(f"{where}{exc.strerror or exc}", 2)

    return wrapper  # type: ignore[return-value]


def emit_json(obj: Any) -> None:
    """Write one JSON object as one line on standard output."""
    click.echo(json.dumps(to_jsonable(obj), ensure_ascii=False, sort_keys=False))


json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object per line, for scripts.")
