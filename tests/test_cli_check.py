"""``archiver check`` through the command line (click's CliRunner) on the fake web."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from check_cases import article_html, articles, harvest_of, rewrite_sentences
from click.testing import CliRunner, Result
from fakeweb import FakeWeb

from archiver.cli import main
from archiver.config import FetchConfig
from archiver.pipeline import PreparedSource, archive
from archiver.store.core import Store

ART = articles()
FAST = ["--allow-private", "--retries", "0", "--timeout", "1"]
KEYS = {"url", "status", "http_status", "final_url", "similarity", "checked_at", "detail", "streak", "since"}


@pytest.fixture
def site(db_path: Path) -> Iterator[tuple[FakeWeb, dict[str, str]]]:
    """Three archived pages (ok, to-be-dead, to-be-drifted) cited by /tmp/a.md, one by /tmp/b.md."""
    with FakeWeb() as web:
        urls = {
            "ok": web.add("/a/ok", article_html(ART["bikes"])),
            "dead": web.add("/a/dead", article_html(ART["coral"])),
            "drift": web.add("/a/drift", article_html(ART["lighthouse"])),
            "other": web.add("/b/other", article_html(ART["database"])),
        }
        sources = [
            PreparedSource("/tmp/a.md", harvest=harvest_of([urls["ok"], urls["dead"], urls["drift"]], "/tmp/a.md")),
            PreparedSource("/tmp/b.md", harvest=harvest_of([urls["other"]], "/tmp/b.md")),
        ]
        with Store.open(db_path) as store:
            assert archive(sources, store=store, config=FetchConfig(allow_private=True), extract_workers=0).ok
        yield web, urls


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["check", *args], catch_exceptions=False)


def lines(result: Result) -> dict[str, dict[str, object]]:
    return {obj["url"]: obj for obj in map(json.loads, result.stdout.splitlines())}


def break_web(web: FakeWeb) -> None:
    web.remove("/a/dead")
    web.add("/a/drift", article_html(rewrite_sentences(ART["lighthouse"], ART["coral"], 0.7)))


def test_json_lines_and_exit_code(site: tuple[FakeWeb, dict[str, str]]) -> None:
    web, urls = site
    result = run(*FAST, "--json")
    assert result.exit_code == 0, result.output
    assert {o["status"] for o in lines(result).values()} == {"ok"}
    break_web(web)
    result = run(*FAST, "--json")
    assert result.exit_code == 1
    got = lines(result)
    assert set(got) == set(urls.values())
    for obj in got.values():
        assert KEYS <= set(obj)
    assert got[urls["dead"]]["status"] == "dead" and got[urls["dead"]]["http_status"] == 404
    assert got[urls["dead"]]["streak"] == 1 and got[urls["dead"]]["confirmed"] is True
    drift = got[urls["drift"]]
    assert drift["status"] == "drifted" and isinstance(drift["similarity"], float) and drift["similarity"] < 0.75
    assert got[urls["ok"]]["status"] == "ok" and got[urls["ok"]]["streak"] == 2  # second ok in a row
    assert "failing: 1" in result.stderr  # the summary goes to standard error with --json


def test_fail_on_classes(site: tuple[FakeWeb, dict[str, str]]) -> None:
    web, _ = site
    break_web(web)
    assert run(*FAST, "--fail-on", "none").exit_code == 0
    assert run(*FAST, "--fail-on", "drifted").exit_code == 1
    assert run(*FAST, "--fail-on", "soft404,blocked").exit_code == 0


def test_confirm_needs_agreeing_checks(site: tuple[FakeWeb, dict[str, str]]) -> None:
    web, urls = site
    web.remove("/a/dead")
    first = run(*FAST, "--confirm", "2", "--json", urls["dead"])
    assert first.exit_code == 0 and lines(first)[urls["dead"]]["confirmed"] is False
    second = run(*FAST, "--confirm", "2", "--json", urls["dead"])
    assert second.exit_code == 1 and lines(second)[urls["dead"]]["streak"] == 2
    # two checks seconds apart do not span a day
    assert run(*FAST, "--confirm", "2", "--confirm-span", "1d", urls["dead"]).exit_code == 0


def test_human_table_and_summary(site: tuple[FakeWeb, dict[str, str]]) -> None:
    web, urls = site
    break_web(web)
    result = run(*FAST)
    assert result.exit_code == 1
    out = result.stdout
    assert "dead" in out and "drifted" in out and "http 404 Not Found" in out
    assert "4 links: 1 dead, 1 drifted, 2 ok" in out
    assert out.index("dead") < out.index("drifted") < out.rindex(" ok")  # grouped, worst first


def test_source_and_given_urls_select_links(site: tuple[FakeWeb, dict[str, str]]) -> None:
    _, urls = site
    by_source = lines(run(*FAST, "--json", "--source", "/tmp/b.md"))
    assert list(by_source) == [urls["other"]]
    given = lines(run(*FAST, "--json", urls["ok"], urls["drift"]))
    assert set(given) == {urls["ok"], urls["drift"]}


def test_offline_makes_no_request(site: tuple[FakeWeb, dict[str, str]], no_network: None) -> None:
    web, urls = site
    result = run("--offline", "--json")
    assert result.exit_code == 0
    got = lines(result)
    assert {o["status"] for o in got.values()} == {"unchecked"}
    assert all(o["checked_at"] is None and o["streak"] == 0 for o in got.values())
    assert web.total() == 4  # only the archive's requests


def test_offline_reports_last_known_class(site: tuple[FakeWeb, dict[str, str]]) -> None:
    web, urls = site
    web.remove("/a/dead")
    run(*FAST, urls["dead"])
    before = web.total()
    result = run("--offline", "--json")
    assert result.exit_code == 1
    got = lines(result)
    assert got[urls["dead"]]["status"] == "dead" and got[urls["ok"]]["status"] == "unchecked"
    assert web.total() == before
    only_dead = lines(run("--offline", "--json", "--status", "dead"))
    assert list(only_dead) == [urls["dead"]]


def test_snapshot_option(site: tuple[FakeWeb, dict[str, str]], db_path: Path) -> None:
    web, urls = site
    break_web(web)
    got = lines(run(*FAST, "--json", "--snapshot", urls["drift"]))
    assert got[urls["drift"]]["captured_snapshot_id"] is not None
    with Store.open(db_path) as store:
        assert len(store.snapshots_for(urls["drift"])) == 2


@pytest.mark.parametrize(
    "args,message",
    [
        (["--status", "gone"], "unknown class"),
        (["--fail-on", "dead,bogus"], "unknown class"),
        (["--confirm-span", "soon"], "invalid duration"),
        (["--confirm", "0"], "--confirm"),
        (["--drift-threshold", "1.5"], "--drift-threshold"),
        (["--offline", "--snapshot"], "--offline"),
        (["ftp://example.org/file"], "unsupported scheme"),
        (["--source", "/no/such/source.md"], "no archived article"),
    ],
)
def test_bad_input_is_one_line_exit_2(site: tuple[FakeWeb, dict[str, str]], args: list[str], message: str) -> None:
    result = run(*args)
    assert result.exit_code == (1 if "--source" in args else 2), result.output  # an unknown source: NotFoundError
    assert message in result.output
    assert "Traceback" not in result.output


def test_url_not_in_archive(site: tuple[FakeWeb, dict[str, str]]) -> None:
    result = run("--offline", "https://example.org/never-archived")
    assert result.exit_code == 1
    assert result.output.strip().startswith("archiver: error:") and "not in the archive" in result.output


def test_missing_database_is_exit_2(tmp_path: Path) -> None:
    result = run("--db", str(tmp_path / "none.db"), "--offline")
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_offline_table_shows_when_checked(site: tuple[FakeWeb, dict[str, str]]) -> None:
    web, urls = site
    web.remove("/a/dead")
    run(*FAST, urls["dead"])
    out = run("--offline").stdout
    assert "checked" in out and "never" in out  # links never checked say so
    assert "1 dead" in out and "3 unchecked" in out


def test_piped_output_is_one_unwrapped_line_per_link(site: tuple[FakeWeb, dict[str, str]]) -> None:
    web, urls = site
    break_web(web)
    out = run(*FAST).stdout.splitlines()
    by_url = {url: [line for line in out if url in line] for url in urls.values()}
    assert all(len(found) == 1 for found in by_url.values()), out  # each URL whole, on exactly one line
    dead = by_url[urls["dead"]][0]
    assert dead.split()[:2] == ["dead", "404"] and dead.endswith("http 404 Not Found")
    assert not any(ch in "".join(out) for ch in "┃│━")  # no table drawing when not on a terminal


def test_help_states_exit_1_for_a_link_not_in_the_archive() -> None:
    # test_url_not_in_archive shows that exit code; the help must not promise 2 for it.
    text = " ".join(CliRunner().invoke(main, ["check", "--help"]).output.split())
    assert "1 some (or a URL or --source that is not in the archive)" in text


@pytest.mark.parametrize("option", ["--fail-on", "--status"])
def test_an_empty_class_list_is_a_usage_error(tmp_path: Path, option: str) -> None:
    # `--fail-on ''` silently meaning "none" would let a CI job pass with dead links
    from archiver.store import Store

    db = tmp_path / "a.db"
    Store.open(db).close()
    result = CliRunner().invoke(main, ["check", "--offline", option, "", "--db", str(db)])
    assert result.exit_code == 2 and "no class given" in result.output
