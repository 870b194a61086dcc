"""Command-line interface. Each command lives in its own module and registers on ``main``.

Command modules load lazily: :data:`archiver.cli._app.COMMAND_MODULES` maps each command
name to its module, in the order of ``archiver --help``.
"""

from archiver.cli._app import main

__all__ = ["main"]
