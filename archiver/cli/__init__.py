"""Command-line interface. Each command lives in its own module and registers on ``main``."""

from archiver.cli._app import main

# Command modules: importing them registers their commands on ``main``.
from archiver.cli import links  # noqa: E402,F401

__all__ = ["main"]
