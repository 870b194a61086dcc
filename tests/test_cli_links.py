"""``archiver links`` through click's CliRunner: output, --json, several sources, bad input."""

from __future__ import annotations

import json
import os
import pathlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.cli import links as links_cli
from archiver.cli import main
from archiver.harvest import NEEDS_FETCHER
from archiver.types import Body, FetchResult


def run(*args: str, input: bytes | None = None):  # noqa: ANN201
    return CliRunner().invoke(main, ["links", *args], input=input)


def test_seed_prints_three_links_from_six_occurrences(seed_file: Path) -> None:
    result = run(str(seed_file))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines == [
        "2  https://www.interfax.ru/russia/1030524",
        "2  https://www.themoscowtimes.com/2025/04/11/russia-asked-us-to-lift-sanctions-from-aeroflot-lavrov-says-a88692",
        "2  https://www.themoscowtimes.com/2025/02/28/russian-and-us-officials-discussed-restoring-embassy-staff-direct-"
        "flights-at-istanbul-talks-a88198",
    ]
    assert result.stderr.strip() == "3 distinct links from 6 occurrences in 1 source"


def test_seed_json(seed_file: Path) -> None:
    result = run("--json", str(seed_file))
    assert result.exit_code == 0
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(objects) == 3 and sum(len(o["occurrences"]) for o in objects) == 6
    first = objects[0]
    assert first["url"] == "https://www.interfax.ru/russia/1030524"
    occurrence = first["occurrences"][0]
    assert set(occurrence) >= {"raw", "source", "line", "paragraph", "context", "anchor"}
    assert occurrence["line"] == 17 and occurrence["paragraph"] == 5 and occurrence["anchor"] is None
    assert occurrence["source"] == str(seed_file.resolve())
    # the URL stands alone on its line: the context is the last sentence before the URL block
    assert occurrence["context"].startswith("He said Moscow will seek")
    assert occurrence["context"].endswith("in response to alleged election")
    assert [o["line"] for o in first["occurrences"]] == [17, 18]


def test_several_sources_are_deduplicated(seed_file: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.md"
    other.write_text("Also [Interfax](https://www.interfax.ru/russia/1030524?utm_source=md) and <https://new.example/>.\n")
    result = run(str(seed_file), str(other), str(seed_file))
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "3  https://www.interfax.ru/russia/1030524"
    assert result.stdout.splitlines()[-1] == "1  https://new.example/"
    assert "4 distinct links from 8 occurrences in 2 sources" in result.stderr


def test_html_default_and_all_links(fixtures_dir: Path) -> None:
    page = str(fixtures_dir / "harvest" / "news.html")
    default = run(page)
    everything = run("--all-links", page)
    assert default.exit_code == everything.exit_code == 0
    assert len(default.stdout.splitlines()) == 5
    assert "https://news.example.com/privacy" not in default.stdout
    assert "https://news.example.com/privacy" in everything.stdout
    assert "skipped 3 (3 scheme)" in everything.stderr


def test_bare_domains_option(fixtures_dir: Path) -> None:
    article = str(fixtures_dir / "harvest" / "article.txt")
    assert "http://interfax.ru/" not in run(article).stdout
    assert "http://interfax.ru/" in run("--bare-domains", article).stdout


def test_invalid_urls_are_reported_with_their_line(fixtures_dir: Path) -> None:
    result = run(str(fixtures_dir / "harvest" / "article.txt"))
    assert result.exit_code == 0
    assert "article.txt:14: http://example.com:99999/page (bad port '99999')" in result.stderr
    assert "skipped 3 (2 invalid, 1 scheme)" in result.stderr


def test_stdin() -> None:
    result = run("-", input=b"see https://x.example/a?utm_source=t and https://x.example/a#b\n")
    assert result.exit_code == 0
    assert result.stdout == "2  https://x.example/a\n"


def test_article_without_links_prints_nothing_but_a_summary(tmp_path: Path) -> None:
    path = tmp_path / "plain.txt"
    path.write_text("An article that cites nothing at all.\n")
    result = run(str(path))
    assert result.exit_code == 0 and result.stdout == ""
    assert result.stderr == "0 links in 1 source\n"  # a script still sees why nothing came out
    as_json = run("--json", str(path))
    assert as_json.exit_code == 0 and as_json.stdout == ""


def _assert_one_line_error(result, needle: str) -> None:  # noqa: ANN001
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("archiver: error: ") and needle in lines[0]
    assert "Traceback" not in result.output


def test_missing_file(tmp_path: Path) -> None:
    _assert_one_line_error(run(str(tmp_path / "missing.txt")), "no such file")


def test_directory(tmp_path: Path) -> None:
    _assert_one_line_error(run(str(tmp_path)), "is a directory")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    _assert_one_line_error(run(str(path)), "is empty")


def test_empty_stdin() -> None:
    _assert_one_line_error(run("-", input=b""), "standard input: is empty")


def test_stdin_given_twice_is_a_usage_error() -> None:
    result = run("-", "-", input=b"see https://x.example/a\n")
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "'-' (standard input) is given twice" in lines[0]


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "photo.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    _assert_one_line_error(run(str(path)), "binary")


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.txt"
    path.write_text("https://x.example/\n")
    path.chmod(0)
    if os.access(path, os.R_OK):  # running as root: permissions do not stop us, simulate the refusal
        real = pathlib.Path.read_bytes

        def refuse(self: pathlib.Path) -> bytes:
            if self.name == "secret.txt":
                raise PermissionError(13, "Permission denied", str(self))
            return real(self)

        monkeypatch.setattr(pathlib.Path, "read_bytes", refuse)
    _assert_one_line_error(run(str(path)), "permission denied")


def test_url_source_without_fetcher(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(links_cli, "_fetcher", lambda config: None)
    _assert_one_line_error(run("https://news.example.com/a"), NEEDS_FETCHER)


def test_url_source_with_fetcher(monkeypatch: pytest.MonkeyPatch, fixtures_dir: Path) -> None:
    body = (fixtures_dir / "harvest" / "news.html").read_bytes()

    def fetch(url: str) -> FetchResult:
        return FetchResult(url=url, final_url=url, status=200, content_type="text/html",
                           body=Body.from_bytes(body), encoding="utf-8")

    monkeypatch.setattr(links_cli, "_fetcher", lambda config: fetch)
    result = run("--json", "https://news.example.com/2025/04/15/embassy-talks")
    assert result.exit_code == 0, result.output
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(objects) == 5
    assert objects[0]["occurrences"][0]["source"] == "https://news.example.com/2025/04/15/embassy-talks"
    assert objects[0]["occurrences"][0]["anchor"] == "the Interfax news agency"


def test_allow_private_lets_links_harvest_a_local_article(fakeweb, fixtures_dir: Path) -> None:  # type: ignore[no-untyped-def]
    url = fakeweb.add("/2025/04/15/embassy-talks", body=(fixtures_dir / "harvest" / "news.html").read_bytes())
    result = run("--allow-private", "--timeout", "5", "--user-agent", "links-test/1", "--json", url)
    assert result.exit_code == 0, result.output
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(objects) == 5 and objects[0]["occurrences"][0]["source"] == url
    assert fakeweb.count("/2025/04/15/embassy-talks") == 1
    assert fakeweb.last("/2025/04/15/embassy-talks").headers["user-agent"] == "links-test/1"


def test_a_local_article_without_allow_private_is_one_line(fakeweb) -> None:  # type: ignore[no-untyped-def]
    url = fakeweb.add("/article", body="<html><body><p>See https://x.example/a</p></body></html>")
    result = run(url)
    _assert_one_line_error(result, "--allow-private")
    assert fakeweb.count("/article") == 0  # refused before connecting


def test_help_documents_sources_and_errors() -> None:
    result = CliRunner().invoke(main, ["links", "--help"])
    assert result.exit_code == 0
    for needle in ("'-' for", "http(s) URL", "exit code 2", "missing file", "directory", "empty", "binary",
                   "unreadable", "Examples:", "archiver links"):
        assert needle in result.output


@pytest.mark.parametrize("content", [b"\xff\xfe", b"\xef\xbb\xbf\n \n", b"\xff\xfe\n\x00 \x00"])
def test_a_byte_order_mark_alone_is_an_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(content)
    result = CliRunner().invoke(main, ["links", str(path)])
    assert result.exit_code == 2
    assert "is empty" in result.output and len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize("spec", ["ftp://example.org/x", "file:///etc/hostname"])
def test_a_non_http_article_url_is_named_as_typed(spec: str) -> None:
    result = CliRunner().invoke(main, ["links", spec])
    assert result.exit_code == 2
    assert f"{spec}: unsupported scheme" in result.output


def test_json_keeps_stdout_pure_and_says_the_summary_on_stderr(seed_file) -> None:  # type: ignore[no-untyped-def]
    result = run("--json", str(seed_file))
    assert result.exit_code == 0
    assert [json.loads(line)["url"] for line in result.stdout.splitlines()]  # only JSON lines
    assert "3 distinct links from 6 occurrences in 1 source" in result.stderr
