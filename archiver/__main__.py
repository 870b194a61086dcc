"""Entry point of the ``archiver`` command and of ``python -m archiver``.

:func:`run` imports the CLI itself, so a Ctrl-C that lands while the (heavy) modules
are still loading exits 130 with one line instead of a traceback.
"""

from __future__ import annotations

import sys


def run() -> None:
    """Run the CLI; Ctrl-C at any moment exits 130 with ``archiver: interrupted``."""
    try:
        from archiver.cli import main

        main()
    except KeyboardInterrupt:
        sys.stderr.write("archiver: interrupted\n")
        sys.exit(130)


if __name__ == "__main__":
    run()
