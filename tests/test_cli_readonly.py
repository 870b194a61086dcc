"""Read-only commands never create a database, and say clearly when there is none or it is empty."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.cli import main

URL = "https://example.org/page"
READ_ONLY = [
    ["search", "anything"],
    ["show", URL],
    ["open", URL],
    ["history", URL],
    ["diff", URL],
    ["verify", "ARTICLE"],
    ["report", "ARTICLE"],
    ["status"],
    ["check", "--offline"],
]


def _args(args: list[str], article: Path) -> list[str]:
    return [str(article) if a == "ARTICLE" else a for a in args]


@pytest.fixture
def article(tmp_path: Path) -> Path:
    path = tmp_path / "article.md"
    path.write_text("A post citing [a page](https://example.org/page): “one two three four five six”.\n",
                    encoding="utf-8")
    return path


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize("args", READ_ONLY, ids=lambda a: " ".join(a))
def test_missing_database_is_a_one_line_error_and_stays_missing(
    tmp_path: Path, article: Path, args: list[str]
) -> None:
    db = tmp_path / "nowhere" / "archive.db"
    result = CliRunner().invoke(main, [*_args(args, article), "--db", str(db)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("archiver: error:") and "archiver archive" in lines[0]
    assert not db.exists() and not db.parent.exists()


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize("args", READ_ONLY, ids=lambda a: " ".join(a))
def test_empty_database_gives_a_clear_answer(tmp_path: Path, article: Path, args: list[str]) -> None:
    from archiver.store import Store

    db = tmp_path / "empty.db"
    Store.open(db).close()
    result = CliRunner().invoke(main, [*_args(args, article), "--db", str(db)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1), result.output
    if result.exit_code == 1 and args[0] in ("show", "open", "history", "diff"):
        assert "nothing archived for this URL" in result.stderr
    if args[0] == "verify":
        assert "NOT ARCHIVED" in result.stdout and "archiver archive" in result.stderr


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize("args", READ_ONLY, ids=lambda a: " ".join(a))
@pytest.mark.parametrize("kind", ["empty file", "other sqlite"])
def test_not_an_archive_is_refused_and_left_alone(tmp_path: Path, article: Path, args: list[str], kind: str) -> None:
    """An empty file or another application's SQLite file: exit 2, one line, same bytes and mtime."""
    import sqlite3

    db = tmp_path / "empty.txt"
    if kind == "empty file":
        db.touch()
    else:
        conn = sqlite3.connect(db)
        conn.execute("CREATE TABLE notes (x)")
        conn.commit()
        conn.close()
    before = (db.read_bytes(), db.stat().st_mtime_ns)
    result = CliRunner().invoke(main, [*_args(args, article), "--db", str(db)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "not an archiver" in lines[0], result.stderr
    assert (db.read_bytes(), db.stat().st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["article.md", "empty.txt"])


def _one_page_archive(db: Path) -> None:
    from archiver.store import Store
    from archiver.types import Body, FetchResult

    with Store.open(db) as st:
        body = Body.from_bytes(b"<html><p>one two three four five six</p></html>")
        st.add_snapshot(FetchResult(url=URL, final_url=URL, status=200, body=body, content_type="text/html",
                                    encoding="utf-8", encoding_source="header", attempts=1), None)


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize("args", READ_ONLY, ids=lambda a: " ".join(a))
def test_read_only_archive_still_answers_reading_commands(
    tmp_path: Path, article: Path, args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stand-in for a read-only medium (tests run as root; see tests/test_store_open.py for the real one)."""
    from archiver.store import core

    db = tmp_path / "a.db"
    _one_page_archive(db)
    monkeypatch.setattr(core, "_can_write", lambda path: False)
    before = (db.read_bytes(), db.stat().st_mtime_ns)
    result = CliRunner().invoke(main, [*_args(args, article), "--db", str(db)])
    assert "Traceback" not in result.output
    assert "read-only" not in result.stderr, result.stderr
    assert result.exit_code in (0, 1), result.output
    assert (db.read_bytes(), db.stat().st_mtime_ns) == before


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize("args", [["check"], ["archive", "ARTICLE"]], ids=lambda a: " ".join(a))
def test_writing_command_on_a_read_only_archive_is_one_line(
    tmp_path: Path, article: Path, args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from archiver.store import core

    db = tmp_path / "a.db"
    _one_page_archive(db)
    monkeypatch.setattr(core, "_can_write", lambda path: False)
    before = (db.read_bytes(), db.stat().st_mtime_ns)
    result = CliRunner().invoke(main, [*_args(args, article), "--db", str(db)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("archiver: error:") and "read-only" in lines[0], result.stderr
    assert (db.read_bytes(), db.stat().st_mtime_ns) == before
