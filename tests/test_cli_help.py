"""Every command has --help text with an example, and the group answers --version."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from archiver import __version__
from archiver.cli import main

COMMANDS = main.list_commands(click.Context(main))


def command(name: str) -> click.Command:
    found = main.get_command(click.Context(main), name)
    assert found is not None, name
    return found


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_group_help_lists_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.output


@pytest.mark.parametrize("name", COMMANDS)
def test_command_help_has_example(name: str) -> None:
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, f"`archiver {name} --help` shows no example"
    assert f"archiver {name}" in result.output


@pytest.mark.parametrize("name", COMMANDS)
def test_command_has_json_option(name: str) -> None:
    params = {opt for p in command(name).params for opt in getattr(p, "opts", [])}
    assert "--json" in params, f"`archiver {name}` has no --json"


def test_python_dash_m() -> None:
    out = subprocess.run([sys.executable, "-m", "archiver", "--version"], capture_output=True, text=True, check=True)
    assert __version__ in out.stdout


def test_unknown_command_exits_2() -> None:
    result = CliRunner().invoke(main, ["no-such-command"])
    assert result.exit_code == 2


@pytest.mark.parametrize(
    "args",
    [["links", "--jsn", "x"], ["no-such-command"], ["links"], ["search", "--limit", "x", "foo"]],
)
def test_usage_errors_are_one_line_exit_2(args: list[str]) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("archiver: error: "), result.output
    assert "--help" in lines[0]


def test_bare_command_prints_help_and_succeeds() -> None:
    result = CliRunner().invoke(main, [])
    assert result.exit_code == 0
    assert "Commands:" in result.output


def test_every_listed_command_loads_and_nothing_is_unlisted() -> None:
    for name in COMMANDS:
        assert command(name).name == name
    assert set(main.commands) <= set(COMMANDS)  # a command module registered nothing unlisted


def test_version_does_not_import_the_stages() -> None:
    code = (
        "import sys; from archiver.cli import main\n"
        "try: main(['--version'])\n"
        "except SystemExit: pass\n"
        "heavy = [m for m in ('trafilatura', 'requests', 'bs4', 'sqlite_utils') if m in sys.modules]\n"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


@pytest.mark.parametrize("name", ["history", "diff", "open"])
def test_help_of_reading_commands_gives_their_exit_codes(name: str) -> None:
    from click.testing import CliRunner

    from archiver.cli import main

    out = " ".join(CliRunner().invoke(main, [name, "--help"]).output.split())
    assert "Exit codes: 0" in out and "1 nothing archived for the URL" in out
