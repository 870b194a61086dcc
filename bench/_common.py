"""Shared by the benches: bytecode compiled before anything is timed, and the median run."""

from __future__ import annotations

import compileall
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def compile_package() -> None:
    """Compile ``archiver/`` to bytecode (``__pycache__``), as an installed package has it.

    pip compiles a package's modules when it installs them; a source checkout with
    ``PYTHONDONTWRITEBYTECODE`` set (as on the machines these benches run on) never writes
    them, and every command would then compile the modules it imports (about 0.1 s of
    start-up per command, more after an edit). ``compileall`` writes them regardless.
    """
    compileall.compile_dir(str(Path(__file__).resolve().parent.parent / "archiver"), quiet=1)


def median_run(runs: Sequence[T], wall: Callable[[T], float]) -> tuple[T, list[float]]:
    """The run with the median wall time (the upper one of an even count), and every run's
    wall time in increasing order: a shared machine's speed drifts by a quarter from one
    minute to the next, so one run says little."""
    ordered = sorted(runs, key=wall)
    return ordered[len(ordered) // 2], [wall(r) for r in ordered]
