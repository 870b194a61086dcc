"""``archiver fetch URL`` through click's CliRunner, against the fake web."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner
from fakeweb import FakeWeb

from archiver.cli import main
from archiver.cli._fetchopts import ByteSize, fetch_options
from archiver.config import DEFAULT_PER_HOST, DEFAULT_WORKERS, FetchConfig


def run(*args: str) -> object:
    return CliRunner().invoke(main, ["fetch", *args])


def test_human_output(fakeweb: FakeWeb) -> None:
    fakeweb.redirect("/old", "/new", status=301)
    fakeweb.add("/new", "<html><body>héllo</body></html>")
    result = run("--allow-private", fakeweb.url("/old"))
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"URL:          {fakeweb.url('/old')}" in out
    assert f"Final URL:    {fakeweb.url('/new')}" in out
    assert "Status:       200" in out and "Result:       ok" in out
    assert f"Redirect:     301 {fakeweb.url('/old')}" in out
    assert "Content type: text/html" in out
    assert "Encoding:     utf-8 (header)" in out
    assert "Size:         32 bytes" in out
    assert "Content-Type: text/html; charset=utf-8" in out


def test_json_output(fakeweb: FakeWeb) -> None:
    result = run("--json", "--allow-private", fakeweb.add("/a", "<p>x</p>"))
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["status"] == 200 and data["ok"] is True and data["error"] is None
    assert data["body"]["size"] == 8 and len(data["body"]["sha256"]) == 64
    assert data["encoding"] == "utf-8" and data["attempts"] == 1


def test_failure_exits_1_with_the_error(fakeweb: FakeWeb) -> None:
    result = run("--allow-private", "--retries", "0", fakeweb.always("/gone", 404))
    assert result.exit_code == 1
    assert "Result:       FAILED (http_error)" in result.output
    assert "Error:        http_error: 404 Not Found" in result.output


def test_private_address_refused_without_flag(fakeweb: FakeWeb) -> None:
    result = run("--json", fakeweb.add("/a", "x"))
    assert result.exit_code == 1
    assert json.loads(result.output)["error"] == "blocked_private"
    assert fakeweb.count("/a") == 0


def test_options_reach_the_fetcher(fakeweb: FakeWeb) -> None:
    url = fakeweb.always("/u", 503)
    result = run("--json", "--allow-private", "--retries", "1", "--user-agent", "Probe/9", url)
    assert json.loads(result.output)["attempts"] == 2
    assert fakeweb.count("/u") == 2 and fakeweb.last("/u").headers["user-agent"] == "Probe/9"


def test_max_bytes_with_units(fakeweb: FakeWeb) -> None:
    url = fakeweb.add("/big", b"x" * 5000, content_type="text/plain")
    data = json.loads(run("--json", "--allow-private", "--max-bytes", "1k", url).output)
    assert data["error"] == "too_large" and data["body"]["size"] == 1000 and data["truncated"] is True


def test_password_never_printed(fakeweb: FakeWeb) -> None:
    fakeweb.add("/a", "x")
    url = f"http://bob:hunter2@127.0.0.1:{fakeweb.port()}/a"
    for args in (["--allow-private", url], ["--json", "--allow-private", url], [url]):
        result = run(*args)
        assert "hunter2" not in result.output
        assert "bob:***@" in result.output


def test_not_http_is_a_usage_error() -> None:
    result = run("ftp://example.org/file")
    assert result.exit_code == 2
    assert "only http and https" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("bad", [["--workers", "0"], ["--timeout", "0"], ["--max-bytes", "lots"], ["--delay", "-1"]])
def test_bad_option_values_exit_2(bad: list[str]) -> None:
    result = run(*bad, "http://example.org/")
    assert result.exit_code == 2


def test_help_has_example_and_shared_options() -> None:
    result = run("--help")
    assert result.exit_code == 0
    assert "Examples:" in result.output and "archiver fetch https://" in result.output
    for option in ("--user-agent", "--workers", "--per-host", "--delay", "--retries", "--timeout", "--deadline",
                   "--max-bytes", "--max-retry-after", "--allow-private", "--respect-robots", "--json"):
        assert option in result.output


def test_fetch_options_decorator_builds_a_config() -> None:
    seen: list[FetchConfig] = []

    @click.command()
    @fetch_options
    def cmd(fetch_config: FetchConfig) -> None:
        seen.append(fetch_config)

    assert CliRunner().invoke(cmd, []).exit_code == 0
    assert seen[-1] == FetchConfig()
    assert seen[-1].workers == DEFAULT_WORKERS and seen[-1].per_host == DEFAULT_PER_HOST
    args = ["--workers", "4", "--per-host", "1", "--delay", "0.5", "--max-bytes", "2MB", "--respect-robots"]
    assert CliRunner().invoke(cmd, args).exit_code == 0
    config = seen[-1]
    assert (config.workers, config.per_host, config.delay, config.max_bytes, config.respect_robots) == (
        4, 1, 0.5, 2_000_000, True,
    )


@pytest.mark.parametrize(
    ("text", "size"), [("123", 123), ("50MB", 50_000_000), ("512k", 512_000), ("1GiB", 1 << 30), ("1.5m", 1_500_000)]
)
def test_byte_size(text: str, size: int) -> None:
    assert ByteSize().convert(text, None, None) == size


def test_a_url_no_browser_opens_is_bad_input_not_a_network_failure() -> None:
    result = run("http://exa mple.com/")  # a space in the host: never sent to a resolver
    assert result.exit_code == 2 and "bad host" in result.output  # type: ignore[attr-defined]


def test_a_number_option_names_what_it_wants() -> None:
    result = run("https://example.org/", "--delay", "abc")
    assert result.exit_code == 2 and "'abc' is not a valid number" in result.output  # type: ignore[attr-defined]
