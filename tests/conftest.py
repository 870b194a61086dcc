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
