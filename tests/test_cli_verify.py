"""``archiver verify`` through the CLI, with the network disabled."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from verify_archive import ARTICLE, build_archive

from archiver.cli import main

URL_SOURCE = "https://blog.example/article"
pytestmark = pytest.mark.usefixtures("no_network")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["verify", *args])
    return result.exit_code, result.stdout, result.stderr


def short_article(tmp_path: Path, *needles: str) -> Path:
    """The fixture article reduced to the paragraphs containing one of ``needles``."""
    text = ARTICLE.read_text(encoding="utf-8")
    path = tmp_path / "short.md"
    path.write_text("\n\n".join(p for p in text.split("\n\n") if any(n in p for n in needles)), encoding="utf-8")
    return path


def test_human_output_flags_problems(db_path: Path) -> None:
    build_archive(db_path, locator=URL_SOURCE)
    code, out, _ = run(URL_SOURCE)
    assert code == 1
    assert "possibly misattributed" in out
    assert "NOT FOUND" in out and "approximate" in out
    assert "NOT ARCHIVED" in out and "check: dead" in out
    assert "3 found, 1 approximate, 2 not found; 1 possibly misattributed" in out
    assert "PROBLEMS" in out


def test_json_objects(db_path: Path) -> None:
    build_archive(db_path, locator=URL_SOURCE)
    code, out, _ = run(URL_SOURCE, "--json")
    assert code == 1
    objs = [json.loads(line) for line in out.splitlines()]
    quotes = [o for o in objs if o["kind"] == "quote"]
    citations = [o for o in objs if o["kind"] == "citation"]
    assert len(quotes) == 6 and len(citations) == 8
    for q in quotes:
        assert {"quote", "line", "paragraph", "status", "scope", "url", "similarity", "passage"} <= q.keys()
    for c in citations:
        assert {"url", "raw", "line", "archived", "snapshot_id", "captured_at", "check"} <= c.keys()
    statuses = sorted(q["status"] for q in quotes)
    assert statuses == ["approximate", "found", "found", "found", "not_found", "not_found"]
    article_scope = [q for q in quotes if q["scope"] == "article"]
    assert len(article_scope) == 1 and article_scope[0]["url"] == "https://gov.example/statements"


def test_exit_codes_strict(db_path: Path, tmp_path: Path) -> None:
    exact = short_article(tmp_path, "third round")
    build_archive(db_path, exact, locator="https://blog.example/exact")
    approx = short_article(tmp_path, "third round", "treaty")
    build_archive(db_path, approx, locator="https://blog.example/approx")
    assert run("https://blog.example/exact")[0] == 0
    assert run("https://blog.example/exact", "--strict")[0] == 0
    assert run("https://blog.example/approx")[0] == 0
    assert run("https://blog.example/approx", "--strict")[0] == 1
    assert run("https://blog.example/approx", "--threshold", "0.99")[0] == 1


def test_anywhere(db_path: Path, tmp_path: Path) -> None:
    path = short_article(tmp_path, "archive keeps", "Sources:")
    build_archive(db_path, path, locator="https://blog.example/anywhere")
    code, out, _ = run("https://blog.example/anywhere", "--json")
    assert code == 1
    code, out, _ = run("https://blog.example/anywhere", "--json", "--anywhere")
    assert code == 0
    (quote,) = [json.loads(line) for line in out.splitlines() if '"kind": "quote"' in line]
    assert quote["scope"] == "archive" and quote["url"] == "https://other.example/newsroom"


def test_usage_errors_exit_2(db_path: Path) -> None:
    code, _, err = run(URL_SOURCE)  # no database yet
    assert code == 2 and err.startswith("archiver: error:") and "Traceback" not in err
    build_archive(db_path, locator=URL_SOURCE)
    code, _, err = run("https://blog.example/never-archived")
    assert code == 2 and "never archived" in err and len(err.strip().splitlines()) == 1
    assert run(URL_SOURCE, "--threshold", "0")[0] == 2


def _harvester_available() -> bool:
    from archiver import harvest

    return callable(getattr(harvest, "harvest", None))


@pytest.mark.skipif(not _harvester_available(), reason="the harvester (archiver.harvest.harvest) has not landed")
def test_file_is_read_as_it_is_now(db_path: Path, tmp_path: Path) -> None:
    path = short_article(tmp_path, "third round", "Sources:")
    build_archive(db_path, path)
    code, out, _ = run(str(path), "--json")
    assert code == 0, out
    # the writer edits a quotation after archiving: verify sees the edit
    text = path.read_text(encoding="utf-8").replace("bilateral consultations on irritants", "talks on tea and cakes")
    path.write_text(text, encoding="utf-8")
    code, out, _ = run(str(path), "--json", "--strict")
    assert code == 1
    (quote,) = [json.loads(line) for line in out.splitlines() if '"kind": "quote"' in line]
    assert "tea and cakes" in quote["quote"] and quote["status"] != "found"


def _archive_offline(db_path: Path, article: Path) -> list[str]:
    """Record ``article`` as `archiver archive` does with no network: every link failed with a DNS error."""
    from datetime import UTC, datetime

    from archiver.harvest import harvest
    from archiver.store import Store
    from archiver.types import ErrorKind, FetchResult

    result = harvest(str(article))
    urls = list(dict.fromkeys(c.url for c in result.citations))
    with Store.open(db_path) as store:
        store.record_source(result)
        for url in urls:
            host = url.split("/")[2]
            store.add_snapshot(
                FetchResult(url=url, final_url=url, error=ErrorKind.DNS, message=f"dns: could not resolve host {host}",
                            attempts=1, fetched_at=datetime(2025, 6, 1, tzinfo=UTC)),
                None,
            )
    return urls


@pytest.mark.skipif(not _harvester_available(), reason="the harvester (archiver.harvest.harvest) has not landed")
def test_nothing_archived_is_a_report_not_bad_input(db_path: Path, seed_file: Path) -> None:
    """The seed archived with no network: every citation not archived (with why), every quotation not found."""
    urls = _archive_offline(db_path, seed_file)
    assert len(urls) == 3
    code, out, err = run(str(seed_file))
    assert code == 1, err
    assert "NOT ARCHIVED" in out and "dns: could not resolve host www.interfax.ru" in out
    assert "dns: dns:" not in out
    assert "archiver archive" in err  # the note says what to do
    assert "PROBLEMS" in out and "6 citations (3 links) not archived" in out

    code, out, err = run(str(seed_file), "--json")
    assert code == 1
    objs = [json.loads(line) for line in out.splitlines()]
    citations = [o for o in objs if o["kind"] == "citation"]
    quotes = [o for o in objs if o["kind"] == "quote"]
    assert {c["url"] for c in citations} == set(urls)
    assert all(not c["archived"] and c["last_error"].startswith("dns: could not resolve host") for c in citations)
    assert quotes and all(q["status"] == "not_found" and q["scope"] is None for q in quotes)
    assert "archiver archive" in err


@pytest.mark.skipif(not _harvester_available(), reason="the harvester (archiver.harvest.harvest) has not landed")
def test_file_with_nothing_archived_exits_1_with_a_note(db_path: Path, tmp_path: Path) -> None:
    build_archive(db_path)  # some other article's archive
    path = tmp_path / "new.md"
    path.write_text(
        "A new post citing [this](https://unarchived.example/page): “one two three four five six seven”.\n",
        encoding="utf-8",
    )
    code, out, err = run(str(path), "--json")
    assert code == 1, err
    objs = [json.loads(line) for line in out.splitlines()]
    (cit,) = [o for o in objs if o["kind"] == "citation"]
    assert cit["archived"] is False and cit["last_error"] is None  # never captured at all
    assert "archiver archive" in err and "Traceback" not in err
    # a missing file stays bad input
    code, _, err = run(str(tmp_path / "missing.md"))
    assert code == 2 and len(err.strip().splitlines()) == 1
