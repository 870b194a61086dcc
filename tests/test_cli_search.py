"""``archiver search`` through CliRunner, on a fake-web archive, with the network off."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from search_archive import Archive, build_archive

from archiver.cli import main


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    return build_archive(tmp_path_factory.mktemp("cli-search"))


def run(archive: Archive, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, ["search", *args, "--db", str(archive.db)], env=env)


def hits(result: Result) -> list[dict]:  # type: ignore[type-arg]
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_human_output(archive: Archive, no_network: None) -> None:
    result = run(archive, "U.S.", "sanctions")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "1. New U.S. sanctions on steel exports" in out
    assert archive.urls["sanctions"] in out
    assert "captured 2025-03-01 09:00 UTC" in out
    assert "U.S. sanctions announced" in out
    assert "[[" not in out  # markers are for JSON; a terminal gets bold


def test_matches_are_bold_on_a_terminal(archive: Archive, no_network: None) -> None:
    result = run(archive, "zeppelin", "--all-snapshots", env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    assert result.exit_code == 0, result.output
    assert "\x1b[1mzeppelin\x1b[0m" in result.stdout


def test_json_lines(archive: Archive, no_network: None) -> None:
    rows = hits(run(archive, "steel", "--json"))
    assert [r["url"] for r in rows] == [archive.urls["sanctions"], archive.urls["cafe"]]
    for row in rows:
        assert {"url", "title", "snippet", "score", "snapshot_id", "captured_at"} <= set(row)
    assert rows[0]["score"] > rows[1]["score"]
    assert "[[steel]]" in rows[0]["snippet"]
    assert rows[0]["captured_at"] == "2025-03-01T09:00:00+00:00"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["naive"], "cafe"),
        (["санкции"], "ru"),
        (["санкц*"], "ru"),
        (['"co-operation between"'], "sanctions"),
        (["Russia's"], "sanctions"),
        (["lighthouse", "OR", "nothing"], "notes"),
        (["steel -exporters"], "cafe"),
    ],
)
def test_queries(archive: Archive, no_network: None, args: list[str], expected: str) -> None:
    assert [r["url"] for r in hits(run(archive, *args, "--json"))] == [archive.urls[expected]]


def test_minus_words_after_a_double_dash(archive: Archive, no_network: None) -> None:
    result = CliRunner().invoke(main, ["search", "--db", str(archive.db), "--json", "--", "steel", "-exporters"])
    assert [r["url"] for r in hits(result)] == [archive.urls["cafe"]]
    only_minus = CliRunner().invoke(main, ["search", "--db", str(archive.db), "--", "-steel"])
    assert only_minus.exit_code == 2 and "only excludes words" in only_minus.stderr


def test_filters(archive: Archive, no_network: None) -> None:
    def found(*args: str) -> list[str]:
        return [r["url"] for r in hits(run(archive, "steel", "--json", *args))]

    assert found("--domain", "www.example.org") == [archive.urls["cafe"]]
    assert found("--domain", "example.org", "--limit", "1") == [archive.urls["sanctions"]]
    assert found("--source", str(archive.article)) == [archive.urls["sanctions"]]
    assert found("--until", "2025-01-31") == [archive.urls["sanctions"]]
    assert found("--since", "2025-02-16") == [archive.urls["sanctions"]]
    assert found("--since", "2025-02-01", "--until", "2025-02-28") == [archive.urls["cafe"]]
    assert found("--domain", "nowhere.test") == []
    assert len(hits(run(archive, "steel", "exporters", "--json", "--all-snapshots"))) == 2


def test_no_matches(archive: Archive, no_network: None) -> None:
    result = run(archive, "xylophone")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "No matches" in result.stderr


@pytest.mark.parametrize("query", ['"unclosed', "steel AND", "NOT steel", "(steel", "..."])
def test_broken_query_exit_2_with_hint(archive: Archive, no_network: None, query: str) -> None:
    result = run(archive, query)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("archiver: error:")
    assert "hint:" in lines[0]


def test_bad_options(archive: Archive, no_network: None) -> None:
    bad_date = run(archive, "steel", "--since", "yesterday-ish")
    assert bad_date.exit_code == 2 and "30d" in bad_date.stderr
    assert run(archive, "steel", "--limit", "0").exit_code == 2
    unknown = run(archive, "steel", "--source", "no-such-article.md")
    assert unknown.exit_code == 1 and "no archived article" in unknown.stderr
    assert run(archive, "steel", "--domain", "not a host").exit_code == 2


def test_missing_database_is_a_clean_error(tmp_path: Path, no_network: None) -> None:
    missing = tmp_path / "none.db"
    result = CliRunner().invoke(main, ["search", "steel", "--db", str(missing)])
    assert result.exit_code == 2
    assert "no archive database" in result.stderr
    assert not missing.exists()


def test_db_from_environment(archive: Archive, monkeypatch: pytest.MonkeyPatch, no_network: None) -> None:
    monkeypatch.setenv("ARCHIVER_DB", str(archive.db))
    result = CliRunner().invoke(main, ["search", "naive", "--json"])
    assert [json.loads(line)["url"] for line in result.stdout.splitlines()] == [archive.urls["cafe"]]


def test_end_to_end_through_the_pipeline(
    fakeweb, db_path: Path, tmp_path: Path, request: pytest.FixtureRequest  # type: ignore[no-untyped-def]
) -> None:
    """archive (harvest, fetch, extract, store) an article, then search and show it with the network off."""
    from archiver.config import FetchConfig
    from archiver.pipeline import archive

    reef = fakeweb.add("/reef", body="<html><head><title>Coral reefs</title></head><body><article>"
                       "<p>Bleaching of the Great Barrier Reef was widespread this summer, the survey said.</p>"
                       "<p>Scientists counted bleached corals along two thousand kilometres of reef.</p>"
                       "</article></body></html>")
    other = fakeweb.add("/other", body="<html><body><article><p>Coral gardens in a museum exhibition about "
                        "the sea, with photographs and models of reefs.</p></article></body></html>")
    article = tmp_path / "article.md"
    article.write_text(f"Reefs are [bleaching]({reef}?utm_source=feed#top).\n", encoding="utf-8")
    uncited = tmp_path / "uncited.md"
    uncited.write_text(f"A museum: {other}\n", encoding="utf-8")
    config = FetchConfig(allow_private=True, retries=0, timeout=5, deadline=10)
    archive([str(article), str(uncited)], store=db_path, config=config, extract_workers=0)  # in-line: no pool start
    request.getfixturevalue("no_network")

    rows = hits(CliRunner().invoke(main, ["search", "coral*", "--json"]))
    assert {r["url"] for r in rows} == {reef, other}
    cited = hits(CliRunner().invoke(main, ["search", "coral*", "--source", str(article), "--json"]))
    assert [r["url"] for r in cited] == [reef]
    assert "[[Bleaching]]" in hits(CliRunner().invoke(main, ["search", "bleaching", "--json"]))[0]["snippet"]
    shown = CliRunner().invoke(main, ["show", f"{reef}?utm_source=feed#top", "--text"])
    assert shown.exit_code == 0 and "two thousand kilometres" in shown.stdout


def test_control_characters_in_hits_are_inert(tmp_path: Path, no_network: None) -> None:
    from archiver.store import Store
    from archiver.types import Body, Extracted, FetchResult

    text = "Lighthouse \x1b]0;owned\x07 keepers \x1b[2J\x9b31m logbook"
    db = tmp_path / "esc.db"
    with Store.open(db) as store:
        store.add_snapshot(
            FetchResult(url="https://esc.example/a.txt", final_url="https://esc.example/a.txt", status=200,
                        content_type="text/plain", body=Body.from_bytes(text.encode()), encoding="utf-8",
                        attempts=1),
            Extracted(title=text, text=text),
        )
    result = CliRunner().invoke(main, ["search", "--db", str(db), "lighthouse"])
    assert result.exit_code == 0, result.output
    assert "Lighthouse" in result.stdout
    assert not any(c in result.stdout for c in "\x1b\x07\x9b")


def test_empty_archive_says_so(tmp_path: Path, no_network: None) -> None:
    from archiver.store import Store

    db = tmp_path / "empty.db"
    Store.open(db).close()
    result = CliRunner().invoke(main, ["search", "--db", str(db), "anything"])
    assert result.exit_code == 0 and result.stdout == ""
    assert "No matches" in result.stderr and "archiver archive" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("score", "shown"),
    [(12.3456, "12.3"), (123.4, "123"), (0.5, "0.500"), (0.0045678, "0.00457"), (1.2345e-6, "0.00000123"),
     (0.0, "0.00")],
)
def test_scores_show_three_significant_digits(score: float, shown: str) -> None:
    from archiver.cli.search import format_score

    assert format_score(score) == shown


def test_human_scores_match_the_json_scores(archive: Archive, no_network: None) -> None:
    from archiver.cli.search import format_score

    rows = hits(run(archive, "sanctions", "--all-snapshots", "--json"))
    human = run(archive, "sanctions", "--all-snapshots")
    assert human.exit_code == 0
    shown = [line.rsplit("score ", 1)[1] for line in human.stdout.splitlines() if "  score " in line]
    assert shown == [format_score(row["score"]) for row in rows]
    assert "0.00" not in shown


def test_help_documents_exit_codes() -> None:
    result = CliRunner().invoke(main, ["search", "--help"])
    assert result.exit_code == 0
    assert "Exit codes: 0 the search ran (with hits or none" in " ".join(result.output.split())
    assert "2 a broken query" in result.output


def test_help_states_exit_1_for_an_unknown_source() -> None:
    # test_bad_options shows that exit code; the help must list it.
    from click.testing import CliRunner

    from archiver.cli import main

    text = " ".join(CliRunner().invoke(main, ["search", "--help"]).output.split())
    assert "1 an unknown --source article" in text


def test_since_after_until_is_a_usage_error(archive: Archive, no_network: None) -> None:
    result = CliRunner().invoke(main, ["search", "steel", "--since", "2099-01-01", "--until", "2000-01-01",
                                       "--db", str(archive.db)])
    assert result.exit_code == 2 and "after --until" in result.output
