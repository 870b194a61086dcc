"""Settings shared by the library and the CLI.

The ``DEFAULT_*`` constants are the single source of defaults: CLI options use
them, so ``--help`` and library behaviour cannot disagree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from archiver import __version__

DEFAULT_DB = Path("archive") / "archive.db"
DB_ENV_VAR = "ARCHIVER_DB"

DEFAULT_USER_AGENT = f"archiver/{__version__} (+https://github.com/archiver/archiver; citation archiver)"
DEFAULT_WORKERS = 16
DEFAULT_PER_HOST = 2
DEFAULT_DELAY = 0.0
DEFAULT_RETRIES = 3
DEFAULT_TIMEOUT = 30.0
DEFAULT_DEADLINE = 120.0
DEFAULT_MAX_BYTES = 50_000_000
DEFAULT_MAX_RETRY_AFTER = 60.0
DEFAULT_MAX_REDIRECTS = 10
DEFAULT_SPILL_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class FetchConfig:
    """How the fetcher behaves. Frozen: build a new one with ``dataclasses.replace``."""

    user_agent: str = DEFAULT_USER_AGENT
    workers: int = DEFAULT_WORKERS
    per_host: int = DEFAULT_PER_HOST
    delay: float = DEFAULT_DELAY
    retries: int = DEFAULT_RETRIES
    timeout: float = DEFAULT_TIMEOUT
    deadline: float = DEFAULT_DEADLINE
    max_bytes: int = DEFAULT_MAX_BYTES
    max_retry_after: float = DEFAULT_MAX_RETRY_AFTER
    max_redirects: int = DEFAULT_MAX_REDIRECTS
    spill_bytes: int = DEFAULT_SPILL_BYTES
    allow_private: bool = False
    respect_robots: bool = False


def default_db_path() -> Path:
    """The database path: ``$ARCHIVER_DB`` if set, else ``archive/archive.db`` in the current folder."""
    env = os.environ.get(DB_ENV_VAR)
    return Path(env) if env else DEFAULT_DB
