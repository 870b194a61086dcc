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
    code, _, err = run("https://blog.example/unknown")
    assert code == 2 and err.startswith("archiver: error:") and "Traceback" not in err
    assert run(URL_SOURCE, "--format", "pdf")[0] == 2
