"""``archiver report`` through the CLI, with the network disabled."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from verify_archive import build_archive

from archiver.cli import main

URL_SOURCE = "https://blog.example/article"
pytestmark = pytest.mark.usefixtures("no_network")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["report", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def archive(db_path: Path) -> Path:
    build_archive(db_path, locator=URL_SOURCE)
    return db_path


def test_markdown_by_default(archive: Path) -> None:
    code, out, _ = run(URL_SOURCE)
    assert code == 0
    assert out.startswith(f"# Citation report: {URL_SOURCE}")
    assert "| 5 | 12 | https://news.example/ria |" in out
    assert "POSSIBLY MISATTRIBUTED" in out


def test_html_to_a_file(archive: Path, tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    code, out, err = run(URL_SOURCE, "--format", "html", "-o", str(target))
    assert code == 0 and out == "" and "report.html" in err
    soup = BeautifulSoup(target.read_text(encoding="utf-8"), "html.parser")
    links = soup.find_all("a", attrs={"data-originalurl": True})
    assert [a["data-originalurl"] for a in links][:2] == ["https://news.example/interfax", "https://news.example/tass"]
    assert not soup.find_all("a", attrs={"data-versionurl": True})
    assert len(soup.find_all("details", id=lambda v: bool(v) and v.startswith("snapshot-"))) == 6


def test_json_flag_is_the_json_format(archive: Path) -> None:
    code, out, _ = run(URL_SOURCE, "--json")
    code2, out2, _ = run(URL_SOURCE, "--format", "json")
    assert code == code2 == 0
    objs = [json.loads(line) for line in out.splitlines()]
    assert objs[0]["kind"] == "report" and objs[0]["citations"] == 8
    # same content apart from the generation time
    strip = [json.loads(line) for line in out2.splitlines()][1:]
    assert objs[1:] == strip


def test_csv(archive: Path) -> None:
    code, out, _ = run(URL_SOURCE, "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["action"] for r in rows] == [
        "ok", "ok", "use_archive", "ok", "replace", "use_archive", "archive", "lost",
    ]


def test_errors(archive: Path) -> None:
    code, _, err = run("https://blog.example/unknown")  # the article to report on is missing: bad input
    assert code == 2 and err.startswith("archiver: error:") and "Traceback" not in err
    assert run(URL_SOURCE, "--format", "pdf")[0] == 2


@pytest.mark.parametrize("fmt", ["html", "md", "csv"])
def test_json_with_another_format_is_a_usage_error(archive: Path, fmt: str) -> None:
    for args in (["--json", "--format", fmt], ["--format", fmt, "--json"]):
        code, out, err = run(URL_SOURCE, *args)
        assert code == 2 and out == ""
        assert len(err.splitlines()) == 1 and err.startswith("archiver: error: ")
        assert "--json" in err and f"--format {fmt}" in err


def test_json_with_format_json_is_fine(archive: Path) -> None:
    code, out, _ = run(URL_SOURCE, "--json", "--format", "json")
    assert code == 0 and json.loads(out.splitlines()[0])["kind"] == "report"


def test_output_in_a_missing_folder_is_one_line_naming_the_path(archive: Path, tmp_path: Path) -> None:
    target = tmp_path / "nonexistent" / "x.md"
    code, out, err = run(URL_SOURCE, "-o", str(target))
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("archiver: error: ")
    assert str(target) in err and f"no such folder {target.parent}" in err
    assert not target.parent.exists()


def test_output_that_is_a_directory_is_one_line(archive: Path, tmp_path: Path) -> None:
    code, out, err = run(URL_SOURCE, "-o", str(tmp_path))
    assert code == 2 and len(err.splitlines()) == 1 and "is a directory" in err and str(tmp_path) in err
