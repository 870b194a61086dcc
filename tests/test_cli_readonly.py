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
