"""``archiver show``, ``open``, ``history`` and ``diff`` through CliRunner, with the network off."""

from __future__ import annotations

import json
from pathlib import Path

import lxml.html
import pytest
from click.testing import CliRunner, Result
from search_archive import Archive, build_archive

from archiver.cli import main
from archiver.show import OFFLINE_CSP


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    return build_archive(tmp_path_factory.mktemp("cli-show"))


def run(archive: Archive, *args: str) -> Result:
    return CliRunner().invoke(main, [*args, "--db", str(archive.db)])


# ---------------------------------------------------------------------------
# show


def test_show_metadata_and_text(archive: Archive, no_network: None) -> None:
    result = run(archive, "show", archive.raw_urls["sanctions"] + "?utm_source=x#top")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"URL:          {archive.urls['sanctions']}" in out
    assert f"(snapshot {archive.snapshots['sanctions@v2']})" in out
    assert "HTTP status:  200" in out
    assert "Title:        New U.S. sanctions on steel exports" in out
    assert "hovercraft" in out and "zeppelin" not in out


def test_show_text_only(archive: Archive, no_network: None) -> None:
    result = run(archive, "show", archive.urls["sanctions"], "--text")
    assert result.exit_code == 0
    assert result.stdout.startswith("New U.S. sanctions on steel exports\n")
    assert "HTTP status" not in result.stdout


def test_show_old_snapshot_by_date_and_by_id(archive: Archive, no_network: None) -> None:
    by_date = run(archive, "show", archive.urls["sanctions"], "--at", "2025-02-01", "--text")
    assert by_date.exit_code == 0 and "zeppelin" in by_date.stdout and "hovercraft" not in by_date.stdout
    by_id = run(archive, "show", "--snapshot", str(archive.snapshots["sanctions@v1"]), "--json")
    assert json.loads(by_id.stdout)["text"] == json.loads(
        run(archive, "show", archive.urls["sanctions"], "--at", "2025-01-10", "--json").stdout
    )["text"]


def test_naive_times_are_utc_whatever_the_local_zone(
    archive: Archive, no_network: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    monkeypatch.setenv("TZ", "Asia/Tokyo")  # UTC+9: a local reading of 09:30 would be 00:30 UTC
    time.tzset()
    try:
        def shown(at: str) -> int:
            result = run(archive, "show", archive.urls["sanctions"], "--at", at, "--json")
            assert result.exit_code == 0, result.output
            return int(json.loads(result.stdout)["snapshot_id"])

        # v2 was captured 2025-03-01 09:00 UTC
        assert shown("2025-03-01T09:30") == archive.snapshots["sanctions@v2"]
        assert shown("2025-03-01T08:30") == archive.snapshots["sanctions@v1"]
        assert shown("2025-03-01T18:30+09:00") == archive.snapshots["sanctions@v2"]
        assert shown("2025-03-01T17:30+09:00") == archive.snapshots["sanctions@v1"]
    finally:
        monkeypatch.undo()
        time.tzset()


def test_show_json(archive: Archive, no_network: None) -> None:
    result = run(archive, "show", archive.urls["ru"], "--json")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    obj = json.loads(lines[0])
    assert {"url", "final_url", "captured_at", "http_status", "title", "text", "sha256", "snapshot_id"} <= set(obj)
    assert obj["title"] == "Новости: санкции и сотрудничество"
    assert obj["http_status"] == 200 and obj["snapshot_id"] == archive.snapshots["ru"]
    assert obj["captured_at"] == "2025-02-15T09:00:00+00:00"
    assert obj["encoding"] == "cp1251"


def test_show_raw_bytes_exact(archive: Archive, no_network: None, tmp_path: Path) -> None:
    result = run(archive, "show", archive.urls["ru"], "--raw")
    assert result.exit_code == 0
    assert result.stdout_bytes == archive.bodies["ru"]
    target = tmp_path / "ru.html"
    written = run(archive, "show", archive.urls["ru"], "--raw", "-o", str(target))
    assert written.exit_code == 0 and written.stdout == ""
    assert target.read_bytes() == archive.bodies["ru"]


def test_show_html_and_headers(archive: Archive, no_network: None) -> None:
    html = run(archive, "show", archive.urls["ru"], "--html")
    assert html.exit_code == 0 and "<title>Новости: санкции и сотрудничество</title>" in html.stdout
    headers = run(archive, "show", archive.urls["ru"], "--headers")
    assert headers.exit_code == 0
    assert headers.stdout.startswith("HTTP 200\n")
    assert "text/html; charset=windows-1251" in headers.stdout


def test_show_not_found_exit_1(archive: Archive, no_network: None) -> None:
    unknown = run(archive, "show", "https://never.example/page")
    assert unknown.exit_code == 1 and "nothing archived for this URL" in unknown.stderr
    failed = run(archive, "show", archive.urls["gone"])
    assert failed.exit_code == 1 and "failed capture" in failed.stderr
    too_early = run(archive, "show", archive.urls["sanctions"], "--at", "2024-12-31")
    assert too_early.exit_code == 1 and "first was captured" in too_early.stderr


def test_show_usage_errors(archive: Archive, no_network: None) -> None:
    assert run(archive, "show").exit_code == 2
    assert run(archive, "show", archive.urls["ru"], "-o", "x.html").exit_code == 2
    assert run(archive, "show", archive.urls["ru"], "--raw", "--json").exit_code == 2
    assert run(archive, "show", archive.urls["ru"], "--at", "soon").exit_code == 2
    bad_url = run(archive, "show", "ftp://example.com/x")
    assert bad_url.exit_code == 2 and "Traceback" not in bad_url.output


@pytest.mark.parametrize(
    "flags",
    [
        ("--text", "--html"),
        ("--html", "--text"),
        ("--text", "--headers"),
        ("--html", "--raw"),
        ("--headers", "--raw"),
        ("--json", "--text"),
        ("--html", "--json"),
        ("--json", "--headers"),
        ("--raw", "--json"),
    ],
)
def test_show_modes_that_cannot_combine_are_one_line_usage_errors(
    archive: Archive, no_network: None, flags: tuple[str, str]
) -> None:
    result = run(archive, "show", archive.urls["ru"], *flags)
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("archiver: error: ")
    assert all(flag in lines[0] for flag in flags)


# ---------------------------------------------------------------------------
# open


def test_open_writes_a_safe_offline_copy(archive: Archive, no_network: None) -> None:
    result = run(archive, "open", archive.urls["sanctions"], "--at", "2025-01-31")
    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip())
    try:
        html = path.read_text(encoding="utf-8")
    finally:
        path.unlink()
    doc = lxml.html.document_fromstring(html)
    assert doc.find("head")[0].get("content") == OFFLINE_CSP
    assert doc.xpath("//script") == [] and "<script" not in html
    assert "zeppelin" in html


def test_open_json_output_and_live_resources(archive: Archive, no_network: None, tmp_path: Path) -> None:
    target = tmp_path / "copy.html"
    result = run(archive, "open", archive.urls["sanctions"], "-o", str(target), "--live-resources", "--json")
    assert result.exit_code == 0, result.output
    obj = json.loads(result.stdout)
    assert obj["path"] == str(target) and obj["live_resources"] is True
    assert obj["snapshot_id"] == archive.snapshots["sanctions@v2"]
    html = target.read_text(encoding="utf-8")
    assert "default-src 'none'" not in html and "<script" not in html


def test_open_not_found(archive: Archive, no_network: None) -> None:
    assert run(archive, "open", "https://never.example/").exit_code == 1


# ---------------------------------------------------------------------------
# history and diff


def test_history(archive: Archive, no_network: None) -> None:
    result = run(archive, "history", archive.raw_urls["sanctions"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == archive.urls["sanctions"]
    assert lines[1].startswith("2025-01-10 09:00:00  snapshot 1")
    assert lines[2].startswith("2025-02-15 09:00:00  check") and "drifted" in lines[2] and "similarity 0.61" in lines[2]
    assert lines[3].startswith("2025-03-01 09:00:00  snapshot 2")
    rows = [json.loads(line) for line in run(archive, "history", archive.urls["gone"], "--json").stdout.splitlines()]
    assert [(r["kind"], r["status"], r["http_status"]) for r in rows] == [
        ("snapshot", "http_error", 503), ("snapshot", "http_error", 404)
    ]
    assert run(archive, "history", "https://never.example/").exit_code == 1


def test_diff(archive: Archive, no_network: None) -> None:
    result = run(archive, "diff", archive.urls["sanctions"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "similarity 0." in out
    assert any(line.startswith("-") and "zeppelin" in line for line in out.splitlines())
    assert any(line.startswith("+") and "hovercraft" in line for line in out.splitlines())
    obj = json.loads(run(archive, "diff", archive.urls["sanctions"], "--json").stdout)
    assert obj["from"]["snapshot_id"] == archive.snapshots["sanctions@v1"]
    assert obj["to"]["snapshot_id"] == archive.snapshots["sanctions@v2"]
    assert 0 < obj["similarity"] < 1 and obj["identical"] is False and "+A hovercraft" in obj["diff"]
    v1 = str(archive.snapshots["sanctions@v1"])
    same = json.loads(run(archive, "diff", archive.urls["sanctions"], "--from", v1, "--to", v1, "--json").stdout)
    assert same["identical"] is True and same["similarity"] == 1.0
    wrong = run(archive, "diff", archive.urls["sanctions"], "--from", str(archive.snapshots["cafe"]))
    assert wrong.exit_code == 1


def _check_event(**fields: object):  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from archiver.show import HistoryEvent

    base: dict[str, object] = {"kind": "check", "at": datetime(2025, 4, 1, 12, tzinfo=UTC), "http_status": 200,
                               "url": "https://news.example/flights"}
    return HistoryEvent(**{**base, **fields})  # type: ignore[arg-type]


def test_history_check_line_says_each_thing_once() -> None:
    from archiver.cli.show import _history_line

    drifted = _history_line(_check_event(
        status="drifted", similarity=0.32, final_url="https://news.example/flights", detail="similarity 0.32 < 0.75",
    ))
    assert drifted.count("0.32") == 1 and "similarity 0.32 < 0.75" in drifted
    assert "->" not in drifted and "news.example" not in drifted  # the final URL is the link itself
    moved = _history_line(_check_event(
        status="moved", similarity=0.97, final_url="https://news.example/new", detail="moved to https://news.example/new",
    ))
    assert moved.count("https://news.example/new") == 1 and "similarity 0.97" in moved
    upgraded = _history_line(_check_event(
        status="ok", similarity=1.0, final_url="https://www.news.example/flights", detail="now served over https",
    ))
    assert "similarity 1.00" in upgraded and "-> https://www.news.example/flights" in upgraded
    assert "now served over https" in upgraded


def test_diff_with_a_single_good_snapshot_says_there_is_nothing_to_compare(
    archive: Archive, no_network: None
) -> None:
    result = run(archive, "diff", archive.urls["cafe"])
    assert result.exit_code == 0, result.output
    assert "only one good snapshot: nothing to compare" in result.stdout
    assert "->" not in result.stdout and "archiver." not in result.output


def test_diff_output_names_no_module(archive: Archive, no_network: None) -> None:
    human = run(archive, "diff", archive.urls["sanctions"])
    as_json = run(archive, "diff", archive.urls["sanctions"], "--json")
    for out in (human.stdout, as_json.stdout):
        assert "archiver." not in out and "drift" not in out
    first = human.stdout.splitlines()[1]
    assert first.startswith(f"snapshot {archive.snapshots['sanctions@v1']} -> {archive.snapshots['sanctions@v2']}: "
                            "similarity 0.") and "(" not in first


def test_control_characters_never_reach_the_terminal(tmp_path: Path, no_network: None) -> None:
    """A plain-text page keeps its escape sequences in the store; human output shows them inert."""
    from archiver.store import Store
    from archiver.types import Body, Extracted, FetchResult

    evil = "Title \x1b]52;c;aGk=\x07 \x1b[2J\x9b31m"
    body = (evil + "\nbody \x1b[31mred\x1b[0m text\n").encode()
    db = tmp_path / "esc.db"
    with Store.open(db) as store:
        store.add_snapshot(
            FetchResult(url="https://esc.example/a.txt", final_url="https://esc.example/a.txt", status=200,
                        content_type="text/plain", body=Body.from_bytes(body), encoding="utf-8", attempts=1,
                        headers={"X-Evil": "\x1b[2J"}),
            Extracted(title=evil, text=body.decode()),
        )
    url = "https://esc.example/a.txt"
    for args in (["show", url], ["show", url, "--text"], ["show", url, "--headers"], ["history", url]):
        result = CliRunner().invoke(main, [*args, "--db", str(db)])
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout and "\x9b" not in result.stdout, args
        assert "Title" in result.stdout or "X-Evil" in result.stdout or "snapshot" in result.stdout
    raw = CliRunner().invoke(main, ["show", url, "--raw", "--db", str(db)])
    assert raw.stdout_bytes == body  # --raw is the exact bytes, by design
    as_json = CliRunner().invoke(main, ["show", url, "--json", "--db", str(db)])
    assert json.loads(as_json.stdout)["title"] == evil  # JSON escapes them


def test_a_failed_capture_says_so_in_show_and_diff_and_history_stays_aligned(archive: Archive,
                                                                               no_network: None) -> None:
    gone = archive.snapshots["gone@2"]
    shown = run(archive, "show", "--snapshot", str(gone))
    assert shown.exit_code == 0 and "Capture:      FAILED (" in shown.stdout
    assert "Capture:" not in run(archive, "show", archive.urls["sanctions"]).stdout  # a good one says nothing
    # a diff against a capture that holds no text would report "everything changed"
    diff = run(archive, "diff", archive.urls["gone"], "--from", str(archive.snapshots["gone@1"]), "--to", str(gone))
    assert diff.exit_code == 2 and "failed capture" in diff.stderr and len(diff.stderr.strip().splitlines()) == 1
    assert len(run(archive, "history", archive.urls["gone"]).stdout.splitlines()) == 3


def test_history_columns_stay_aligned_with_long_statuses() -> None:
    from archiver.cli.show import _history_lines

    events = [_check_event(status="ok", http_status=200, detail=None),
              _check_event(status="blocked_private", http_status=None, detail="refused")]
    lines = _history_lines(events)  # type: ignore[arg-type]
    assert lines[0].index("200") == lines[1].index("-  ") and "blocked_private  " in lines[1]


def test_open_to_a_missing_folder_is_a_usage_error(archive: Archive, no_network: None, tmp_path: Path) -> None:
    result = run(archive, "open", archive.urls["sanctions"], "-o", str(tmp_path / "no" / "x.html"))
    assert result.exit_code == 2 and "no such folder" in result.stderr
