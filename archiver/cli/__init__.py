"""Command-line interface. Each command lives in its own module and registers on ``main``.

Importing a command module registers its command; the order of the imports below
is the order of ``archiver --help`` (the pipeline's order). Keep one import per line.
"""
# ruff: noqa: I001, F401

from archiver.cli._app import main

from archiver.cli import links
from archiver.cli import fetch
from archiver.cli import archive
from archiver.cli import check
from archiver.cli import search
from archiver.cli import show
from archiver.cli import verify
from archiver.cli import report
