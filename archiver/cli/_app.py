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

import contextlib
import functools
import json
import os
import sqlite3
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console

from archiver import __version__
from archiver.config import DB_ENV_VAR, DEFAULT_DB
from archiver.errors import ArchiverError, is_corruption
from archiver.types import to_jsonable

if TYPE_CHECKING:
    from archiver.store import Store

F = TypeVar("F", bound=Callable[..., Any])

EXIT_CODES_HELP = "Exit codes: 0 success, 1 problems found, 2 bad input or usage, 130 interrupted."


# Command name -> the module that defines it (with ``@main.command``), in ``--help`` order.
# Modules load on first use, so ``archiver --version`` or ``archiver links`` does not pay
# for importing trafilatura, the fetcher and the store.
COMMAND_MODULES = {
    "links": "archiver.cli.links",
    "fetch": "archiver.cli.fetch",
    "archive": "archiver.cli.archive",
    "status": "archiver.cli.archive",
    "fsck": "archiver.cli.archive",
    "check": "archiver.cli.check",
    "search": "archiver.cli.search",
    "show": "archiver.cli.show",
    "open": "archiver.cli.show",
    "history": "archiver.cli.show",
    "diff": "archiver.cli.show",
    "verify": "archiver.cli.verify",
    "report": "archiver.cli.report",
}


class ArchiverGroup(click.Group):
    """A group whose commands load lazily, listed in pipeline order, reporting usage errors in one line."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*COMMAND_MODULES, *(name for name in self.commands if name not in COMMAND_MODULES)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            import importlib

            importlib.import_module(COMMAND_MODULES[cmd_name])  # registers it on ``main``
        return self.commands.get(cmd_name)

    def main(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """Run click in non-standalone mode so every error, usage errors included, is one line.

        Click's own report of a usage error is three lines (usage, "Try --help", error);
        ours is ``archiver: error: MESSAGE (see 'archiver CMD --help')``, exit 2.
        """
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)
        except click.UsageError as exc:
            if type(exc).__name__ == "NoArgsIsHelpError" and exc.ctx is not None:  # bare `archiver`
                click.echo(exc.ctx.get_help())
                sys.exit(0)
            where = exc.ctx.command_path if exc.ctx is not None else "archiver"
            fail(f"{exc.format_message()} (see '{where} --help')", exc.exit_code)
        except click.Abort:
            click.echo("archiver: interrupted", err=True)
            sys.exit(130)
        except click.ClickException as exc:
            fail(exc.format_message(), exc.exit_code)
        sys.exit(result if isinstance(result, int) else 0)


@click.group(cls=ArchiverGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="archiver")
def main() -> None:
    """archiver: preserve the web pages an article cites, and check them later, offline.

    \b
    Examples:
      archiver links seeds/000_a601677b5c772689.txt
      archiver archive article.md
      archiver check --fail-on dead,soft404
      archiver verify article.md

    Exit codes: 0 success, 1 problems found (failed links, dead citations,
    quotations not found), 2 bad input or usage, 130 interrupted.
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
        global _STDOUT_CLOSED
        _STDOUT_CLOSED = False  # per command: an earlier command of this process may have lost its reader
        try:
            return func(*args, **kwargs)
        except ArchiverError as exc:
            message = str(exc)
            hint = getattr(exc, "hint", None)
            if hint and hint not in message:
                message = f"{message} (hint: {hint})"
            fail(message, exc.exit_code)
        except KeyboardInterrupt:
            click.echo("archiver: interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:  # a write to the closed pipe that no helper below caught: not an error
            _silence_stdout()
            sys.exit(0)
        except OSError as exc:
            where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
            fail(f"{where}{exc.strerror or exc}", 2)
        except sqlite3.DatabaseError as exc:  # met while reading or writing, after the open
            fail(database_failure(exc, kwargs.get("db_path")), 2)

    return wrapper  # type: ignore[return-value]


def database_failure(exc: sqlite3.DatabaseError, db_path: object = None) -> str:
    """One line for a database error that escaped the library: a damaged file, most likely."""
    where = f"{db_path}: " if db_path else ""
    if is_corruption(exc):
        hint = f"`archiver fsck{f' --db {db_path}' if db_path else ''}` says what is damaged"
        return f"{where}the database is damaged ({exc}); {hint}"
    return f"{where}database error ({exc})"


_STDOUT_CLOSED = False


def _silence_stdout() -> None:
    """Point standard output at /dev/null so nothing more (nor the exit flush) hits the closed pipe."""
    global _STDOUT_CLOSED
    _STDOUT_CLOSED = True
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def stdout_closed() -> bool:
    """Whether the reader of standard output went away (``archiver check | head -1``)."""
    return _STDOUT_CLOSED


def echo(message: str = "", *, nl: bool = True) -> None:
    """``click.echo`` to standard output that survives its reader leaving.

    ``archiver check | head -1``: once the pipe is closed, what is still written goes to
    os.devnull and the command goes on to the end, so its exit code is its own (1 for
    dead links, under ``set -o pipefail`` too), not that of the closed pipe.
    """
    try:
        click.echo(message, nl=nl)
    except BrokenPipeError:
        _silence_stdout()


class PipeSafeConsole(Console):
    """A rich console on standard output that survives its reader leaving (see :func:`echo`).

    rich's own ``on_broken_pipe`` raises ``SystemExit(1)``, which would end
    ``archiver status | head -1`` early with exit 1 ("problems found"); here the console
    goes quiet and the command goes on to its own exit code (see :func:`stdout_closed`).
    """

    def on_broken_pipe(self) -> None:
        self.quiet = True
        _silence_stdout()


def emit_json(obj: Any) -> None:
    """Write one JSON object as one line on standard output (see :func:`echo` for a closed pipe)."""
    echo(json.dumps(to_jsonable(obj), ensure_ascii=False, sort_keys=False))


def check_output(output: Path | None) -> None:
    """Fail (usage error, exit 2) before any work when ``-o FILE`` cannot be written in its folder."""
    if output is not None and not output.parent.is_dir():
        why = f"{output.parent} is not a folder" if output.parent.exists() else f"no such folder {output.parent}"
        raise click.BadParameter(f"cannot write {output}: {why}", param_hint="-o/--output")


json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object per line, for scripts.")


db_option = click.option(
    "--db",
    "db_path",
    # dir_okay: Store.open reports a directory in one line, nicer than click's usage error.
    type=click.Path(dir_okay=True, path_type=Path),
    envvar=DB_ENV_VAR,
    default=DEFAULT_DB,
    show_default=True,
    help=f"The archive database (or set {DB_ENV_VAR}).",
)


@contextlib.contextmanager
def open_store(db_path: Path) -> Iterator[Store]:
    """Open an existing archive for a read command.

    Never creates one: a missing file is a one-line error (exit 2) and no file is left behind.
    """
    from archiver.store import Store

    store = Store.open(db_path, create=False)
    try:
        yield store
    finally:
        store.close()
