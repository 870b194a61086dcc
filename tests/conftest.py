"""Shared fixtures. Tests never touch real data: the database path points into tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = Path(__file__).parent.parent / "seeds"


@pytest.fixture(autouse=True)
def _isolated_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point ARCHIVER_DB at a fresh path under tmp_path for every test."""
    db = tmp_path / "archive" / "archive.db"
    monkeypatch.setenv("ARCHIVER_DB", str(db))
    return db


@pytest.fixture
def db_path(_isolated_db: Path) -> Path:
    """The test's database path (not created until something opens it)."""
    return _isolated_db


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture
def seed_file() -> Path:
    return next(SEEDS.glob("*.txt"))


class NetworkDisabled(RuntimeError):
    """Raised by any socket connection attempt under the ``no_network`` fixture."""


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every outgoing socket connection and DNS lookup fail, to prove offline use."""
    import socket

    def refuse(*args: object, **kwargs: object) -> None:
        raise NetworkDisabled(f"network access attempted in an offline test: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture
def fakeweb():
    """A started :class:`fakeweb.FakeWeb` (one host on 127.0.0.1), stopped after the test.

    See ``tests/fakeweb.py`` for the API; for several hosts or latency build your own:
    ``with FakeWeb(hosts=3, latency=0.05) as web: ...``.
    """
    from fakeweb import FakeWeb

    with FakeWeb() as web:
        yield web
