"""The fetch options shared by every command that downloads (``fetch``, ``archive``, ``check``).

Use ``@fetch_options`` on a click command: it adds ``--user-agent``, ``--workers``,
``--per-host``, ``--delay``, ``--retries``, ``--timeout``, ``--deadline``,
``--max-bytes``, ``--max-retry-after``, ``--allow-private`` and ``--respect-robots``
(defaults from :mod:`archiver.config`), and passes the command one keyword argument
``fetch_config``: a :class:`~archiver.config.FetchConfig` built from them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, TypeVar

import click

from archiver import config as cfg
from archiver.config import FetchConfig

F = TypeVar("F", bound=Callable[..., Any])

_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "m": 1000**2, "mb": 1000**2, "g": 1000**3, "gb": 1000**3,
          "kib": 1024, "mib": 1024**2, "gib": 1024**3}


class ByteSize(click.ParamType):
    """A size in bytes: ``50000000``, ``50MB``, ``512k``, ``1GiB``."""

    name = "size"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", str(value))
        unit = match.group(2).lower() if match else ""
        if not match or unit not in _UNITS:
            self.fail(f"{value!r} is not a size (examples: 50000000, 50MB, 512k)", param, ctx)
        size = int(float(match.group(1)) * _UNITS[unit])
        if size < 1:
            self.fail("the size must be at least 1 byte", param, ctx)
        return size


class Number(click.FloatRange):
    """A float range whose error names a number: "'abc' is not a valid number" (click says "float range")."""

    name = "number"


class Count(click.IntRange):
    """An int range whose error names an integer: "'x' is not a valid integer" (click says "integer range")."""

    name = "integer"


_OPTIONS = [
    click.option("--user-agent", default=cfg.DEFAULT_USER_AGENT, show_default=False, metavar="TEXT",
                 help="User-Agent header sent with every request (default: archiver/VERSION ...)."),
    click.option("--workers", type=Count(min=1), default=cfg.DEFAULT_WORKERS, show_default=True,
                 help="Requests in flight at once, all hosts together."),
    click.option("--per-host", type=Count(min=1), default=cfg.DEFAULT_PER_HOST, show_default=True,
                 help="Requests in flight at once to one host (scheme + host + port)."),
    click.option("--delay", type=Number(min=0), default=cfg.DEFAULT_DELAY, show_default=True,
                 metavar="SECONDS", help="Minimum time between two requests to the same host."),
    click.option("--retries", type=Count(min=0), default=cfg.DEFAULT_RETRIES, show_default=True,
                 help="Retries of a transient failure (timeouts, resets, 429, 5xx...)."),
    click.option("--timeout", type=Number(min=0, min_open=True), default=cfg.DEFAULT_TIMEOUT,
                 show_default=True, metavar="SECONDS", help="Connect and read timeout."),
    click.option("--deadline", type=Number(min=0, min_open=True), default=cfg.DEFAULT_DEADLINE,
                 show_default=True, metavar="SECONDS", help="Total time allowed for one attempt, body included."),
    click.option("--max-bytes", type=ByteSize(), default=cfg.DEFAULT_MAX_BYTES, show_default=True,
                 help="Largest body kept, after decompression (50MB, 512k...); larger fails as too_large."),
    click.option("--max-retry-after", type=Number(min=0), default=cfg.DEFAULT_MAX_RETRY_AFTER,
                 show_default=True, metavar="SECONDS",
                 help="Longest Retry-After honoured; a longer one fails the link as rate_limited."),
    click.option("--allow-private", is_flag=True,
                 help="Allow private, loopback and link-local addresses (refused by default)."),
    click.option("--respect-robots", is_flag=True, help="Obey robots.txt (not consulted by default)."),
]
_NAMES = ("user_agent", "workers", "per_host", "delay", "retries", "timeout", "deadline", "max_bytes",
          "max_retry_after", "allow_private", "respect_robots")


def config_from_options(**values: Any) -> FetchConfig:
    """Build a :class:`FetchConfig` from the option values (unknown names are an error)."""
    return FetchConfig(**values)


def fetch_options(func: F) -> F:
    """Decorator: add the shared fetch options; the command receives ``fetch_config``."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        values = {name: kwargs.pop(name) for name in _NAMES if name in kwargs}
        kwargs["fetch_config"] = config_from_options(**values)
        return func(*args, **kwargs)

    decorated: Any = wrapper
    for option in reversed(_OPTIONS):
        decorated = option(decorated)
    return decorated  # type: ignore[no-any-return]
