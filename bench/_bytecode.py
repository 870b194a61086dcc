"""Shared by the benches: archiver's modules compiled to bytecode before anything is timed."""

from __future__ import annotations

import compileall
from pathlib import Path


def compile_package() -> None:
    """Compile ``archiver/`` to bytecode (``__pycache__``), as an installed package has it.

    pip compiles a package's modules when it installs them; a source checkout with
    ``PYTHONDONTWRITEBYTECODE`` set (as on the machines these benches run on) never writes
    them, and every command would then compile the modules it imports (about 0.1 s of
    start-up per command, more after an edit). ``compileall`` writes them regardless.
    """
    compileall.compile_dir(str(Path(__file__).resolve().parent.parent / "archiver"), quiet=1)
