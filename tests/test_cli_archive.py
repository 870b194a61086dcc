"""`archiver archive`, `status` and `fsck` through the CLI, end to end on the fake web."""

from __future__ import annotations

import json
import sqlite3
import sys
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from archiver.cli import main

TESTS = Path(__file__).parent
ARCHIVE = TESTS / "fixtures" / "archive"


def subprocess_cmd(*args: str) -> list[str]:
    """The command line that runs ``archiver ARGS`` in a subprocess."""
    return [sys.executable, "-m", "archiver", *args]


def invoke(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture
def pages(fakeweb):  # type: ignore[no-untyped-def]
    urls = {
        "news": fakeweb.add("/news", body=(ARCHIVE / "news_utf8.html").read_bytes()),
        "ru": fakeweb.add("/ru", body=(ARCHIVE / "ru_cp1251.html").read_bytes(), content_type="text/html"),
        "ja": fakeweb.add("/ja", body=(ARCHIVE / "ja_sjis.html").read_bytes(), content_type="text/html"),
        "gone": fakeweb.always("/gone", status=404),
    }
    return fakeweb, urls


def write_article(tmp_path: Path, urls: dict[str, str], name: str = "article.txt") -> Path:
    path = tmp_path / name
    lines = [f"As reported in {u} the story went on." for u in urls.values()]
    lines.append(f"Cited again: {urls['news']}")
    path.write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_archive_end_to_end_then_status_and_fsck(pages, tmp_path: Path, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    web, urls = pages
    article = write_article(tmp_path, urls)
    result = invoke("archive", str(article), "--allow-private", "--retries", "0", "--json")
    assert result.exit_code == 1  # one link failed (404)
    records = json_lines(result.stdout)  # stdout is pure JSON lines
    assert len(records) == 4 and {r["url"] for r in records} == set(urls.values())
    by = {r["url"]: r for r in records}
    assert by[urls["news"]]["status"] == "archived" and by[urls["news"]]["title"] == "Lighthouse keepers honoured"
    assert by[urls["gone"]]["status"] == "failed" and by[urls["gone"]]["http_status"] == 404
    assert "404" in str(by[urls["gone"]]["error"])
    assert "3 archived" in result.stderr and "1 failed (http_error 1)" in result.stderr
    assert str(db_path) in result.stderr
    assert web.count("/news") == 1  # cited twice, fetched once

    with sqlite3.connect(db_path) as conn:
        text = conn.execute("SELECT text FROM snapshots WHERE id = ?", [by[urls["ru"]]["snapshot_id"]]).fetchone()[0]
        assert "Ёжик съел щётку" in text
        text = conn.execute("SELECT text FROM snapshots WHERE id = ?", [by[urls["ja"]]["snapshot_id"]]).fetchone()[0]
        assert "専門家によると" in text

    # second run: the archived are skipped, the failed one retried (and now it works)
    web.add("/gone", body="<html><body><p>" + "Restored page text. " * 30 + "</p></body></html>")
    again = invoke("archive", str(article), "--allow-private", "--retries", "0")
    assert again.exit_code == 0, again.output
    assert "1 archived, 0 unchanged, 3 skipped, 0 failed" in again.stdout
    assert web.count("/news") == 1 and web.count("/gone") == 2

    status = invoke("status", "--json")
    assert status.exit_code == 0
    st = json.loads(status.stdout)
    assert (st["sources"], st["links"], st["snapshots"], st["good_snapshots"], st["failed_links"]) == (1, 4, 5, 4, 0)
    assert st["last_run"]["summary"]["archived"] == 1
    assert "snapshots:  5 (4 good)" in invoke("status").stdout

    fsck = invoke("fsck")
    assert fsck.exit_code == 0 and "integrity check: ok" in fsck.stdout
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE blobs SET data = ? WHERE rowid = 1", [zlib.compress(b"tampered")])
    bad = invoke("fsck", "--json")
    assert bad.exit_code == 1
    report = json.loads(bad.stdout)
    assert report["ok"] is False and report["problems"][0]["kind"] == "sha256"


def test_refresh_marks_unchanged_bodies(pages, tmp_path: Path, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    web, urls = pages
    article = tmp_path / "a.txt"
    article.write_text(f"See {urls['news']} and {urls['ru']}.\n")
    assert invoke("archive", str(article), "--allow-private").exit_code == 0
    web.add("/ru", body=(ARCHIVE / "ru_cp1251.html").read_bytes() + b"<!-- v2 -->", content_type="text/html")
    result = invoke("archive", str(article), "--allow-private", "--refresh", "--json")
    assert result.exit_code == 0
    statuses = {r["url"]: r["status"] for r in json_lines(result.stdout)}
    assert statuses == {urls["news"]: "unchanged", urls["ru"]: "archived"}
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0] == 4
        assert conn.execute("SELECT COUNT(*) FROM blobs").fetchone()[0] == 3


def test_exclude_and_max_age(pages, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    web, urls = pages
    article = write_article(tmp_path, urls)
    result = invoke("archive", str(article), "--allow-private", "--exclude", "/gone$", "--exclude", "/ja$", "--json")
    assert result.exit_code == 0
    assert {r["url"] for r in json_lines(result.stdout)} == {urls["news"], urls["ru"]}
    assert "2 excluded" in result.stderr and web.count("/gone") == 0
    again = invoke("archive", str(article), "--allow-private", "--exclude", "/gone$", "--max-age", "0s", "--json")
    assert {r["status"] for r in json_lines(again.stdout) if r["url"] == urls["news"]} == {"unchanged"}
    both = invoke("archive", str(article), "--refresh", "--max-age", "1d")  # which one is meant?
    assert both.exit_code == 2 and "--refresh" in both.output and "--max-age" in both.output
    bad = invoke("archive", str(article), "--max-age", "soon")
    assert bad.exit_code == 2 and "invalid duration" in bad.output


def test_seed_offline_fails_cleanly_with_dns_reasons(
    seed_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    def no_dns(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    result = invoke("archive", str(seed_file))
    assert result.exit_code == 1
    assert "3 links: 0 archived, 0 unchanged, 0 skipped, 3 failed (dns 3)" in result.stdout
    assert result.stdout.count("dns: could not resolve host") == 3
    assert "www.interfax.ru" in result.stdout


@pytest.fixture
def existing_db(tmp_path: Path, pages) -> Path:  # type: ignore[no-untyped-def]
    web, urls = pages
    article = tmp_path / "a.txt"
    article.write_text(f"See {urls['news']}.\n")
    db = tmp_path / "keep" / "archive.db"
    assert invoke("archive", str(article), "--allow-private", "--db", str(db)).exit_code == 0
    return db


def _fingerprint(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


@pytest.mark.parametrize(
    "args, message",
    [
        (["{tmp}/missing.txt"], "missing.txt"),
        (["https://exa mple.com/x"], "exa mple.com"),
        (["ftp://example.com/x"], "http"),
    ],
)
def test_bad_sources_exit_2_and_leave_the_database_untouched(
    existing_db: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    before = _fingerprint(existing_db)
    result = invoke("archive", *[a.format(tmp=tmp_path) for a in args], "--db", str(existing_db))
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr
    assert result.stderr.startswith("archiver: error:")
    assert _fingerprint(existing_db) == before


def test_not_a_database_exit_2_untouched(tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text("See https://example.com/x.\n")
    notes = tmp_path / "notes.db"
    notes.write_bytes(b"my precious notes\n" * 100)
    before = _fingerprint(notes)
    for cmd in (["archive", str(article)], ["status"], ["fsck"]):
        result = invoke(*cmd, "--db", str(notes))
        assert result.exit_code == 2, cmd
        assert "not a SQLite database" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert _fingerprint(notes) == before
    assert not (tmp_path / "notes.db-wal").exists()


def test_unusable_database_paths_exit_2(tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text("See https://example.com/x.\n")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = invoke("archive", str(article), "--db", str(blocker / "sub" / "a.db"))
    assert result.exit_code == 2 and "cannot create the folder" in result.stderr
    result = invoke("archive", str(article), "--db", str(tmp_path))
    assert result.exit_code == 2 and "is a directory" in result.stderr
    result = invoke("status", "--db", str(tmp_path / "none.db"))
    assert result.exit_code == 2 and "no archive database" in result.stderr
    assert not (tmp_path / "none.db").exists()


def test_env_var_selects_the_database(pages, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    web, urls = pages
    article = tmp_path / "a.txt"
    article.write_text(f"See {urls['news']}.\n")
    other = tmp_path / "env" / "x.db"
    monkeypatch.setenv("ARCHIVER_DB", str(other))
    assert invoke("archive", str(article), "--allow-private").exit_code == 0
    assert other.exists()
    assert json.loads(invoke("status", "--json").stdout)["snapshots"] == 1


def test_help_documents_exit_codes_and_example() -> None:
    for cmd in ("archive", "status", "fsck"):
        out = invoke(cmd, "--help").stdout
        assert "Examples:" in out and f"archiver {cmd}" in out and "Exit codes" in out


def test_articles_in_every_format(pages, tmp_path: Path, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    web, urls = pages
    txt = tmp_path / "a.txt"
    txt.write_text(f"Plain text citing {urls['news']} here.\n")
    md = tmp_path / "b.md"
    md.write_text(
        f"A [Russian story]({urls['ru']} \"title\") and a [ref][1].\n\n"
        f"```\n{urls['gone']} is only code\n```\n\n[1]: {urls['ja']}\n"
    )
    html = tmp_path / "c.html"
    html.write_text(
        f'<html><body><nav><a href="{urls["gone"]}">nav</a></nav><article><h1>T</h1>'
        f'<p>{"Some article text to make this the main content. " * 8}'
        f'See <a href="{urls["news"]}?utm_source=x#frag">the news</a>.</p></article></body></html>'
    )
    result = invoke("archive", str(txt), str(md), str(html), "--allow-private", "--json")
    assert result.exit_code == 0, result.output
    records = json_lines(result.stdout)
    assert sorted(r["url"] for r in records) == sorted([urls["news"], urls["ru"], urls["ja"]])  # gone: code/nav only
    assert web.count("/news") == 1 and web.count("/gone") == 0
    with sqlite3.connect(db_path) as conn:
        formats = [r[0] for r in conn.execute("SELECT format FROM sources ORDER BY id")]
        assert formats == ["text", "markdown", "html"]
        anchors = {r[0] for r in conn.execute("SELECT anchor FROM citations")}
        assert {"Russian story", "the news"} <= anchors


def test_standard_input_source(pages, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    web, urls = pages
    result = invoke("archive", "-", "--allow-private", "--json", input=f"cited: {urls['news']}\n")
    assert result.exit_code == 0, result.output
    assert [r["url"] for r in json_lines(result.stdout)] == [urls["news"]]


def test_article_url_source(pages, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    web, urls = pages
    body = (
        f'<html><head><title>The article</title></head><body><nav><a href="/gone">Home</a></nav>'
        f'<article><h1>The article</h1><p>{"Long article text with many words in it. " * 10}'
        f'It cites <a href="/news">the coast news</a> and <a href="{urls["ru"]}">a Russian page</a>.</p>'
        f'</article><footer><a href="/ja">footer link</a></footer></body></html>'
    )
    article = web.add("/article", body=body)
    result = invoke("archive", article, "--allow-private", "--json")
    assert result.exit_code == 0, result.output
    records = {r["url"]: r for r in json_lines(result.stdout)}
    assert set(records) == {article, urls["news"], urls["ru"]}  # nav and footer links are not citations
    assert records[article]["status"] == "archived" and records[article]["title"] == "The article"
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT locator, kind, format FROM sources").fetchall() == [(article, "url", "html")]
    # again: the article is read back from its snapshot, not fetched, and its links are skipped
    again = invoke("archive", article, "--allow-private", "--json")
    assert again.exit_code == 0
    assert {r["status"] for r in json_lines(again.stdout)} == {"skipped"}
    assert web.count("/article") == 1


def test_article_url_that_fails(fakeweb, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = fakeweb.always("/missing", status=404)
    result = invoke("archive", url, "--allow-private", "--retries", "0", "--json")
    assert result.exit_code == 1
    (record,) = json_lines(result.stdout)
    assert record["status"] == "failed" and record["http_status"] == 404


def _held_pages(fakeweb, n: int):  # type: ignore[no-untyped-def]
    """``n`` pages; all but the first wait for the returned event before answering."""
    import threading

    from fakeweb import Reply

    release = threading.Event()
    body = "<html><body><p>" + "A page of plain prose about lighthouses. " * 20 + "</p></body></html>"

    def held(request, count):  # type: ignore[no-untyped-def]
        release.wait(20)
        return Reply(body=body.encode())

    urls = [fakeweb.add("/p0", body=body)] + [fakeweb.route(f"/p{i}", held) for i in range(1, n)]
    return urls, release


@pytest.mark.parametrize("as_json", [True, False])
def test_closed_stdout_keeps_archiving_with_summary_on_stderr(
    fakeweb, tmp_path: Path, as_json: bool  # type: ignore[no-untyped-def]
) -> None:
    import subprocess

    urls, release = _held_pages(fakeweb, 12)
    urls.append(fakeweb.always("/gone", status=404))
    article = tmp_path / "many.txt"
    article.write_text("\n".join(f"See {u} here." for u in urls) + "\n")
    db = tmp_path / "pipe.db"
    args = ["archive", str(article), "--db", str(db), "--allow-private", "--retries", "0"]
    cmd = subprocess_cmd(*args, *(["--json"] if as_json else []))
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stderr is not None
        if as_json:
            first = json.loads(proc.stdout.readline())  # like `| head -1`
            assert first["url"] in urls
        proc.stdout.close()  # the reader is gone: every later write to stdout fails with EPIPE
        release.set()
        err = proc.stderr.read()
        rc = proc.wait(timeout=60)
    finally:
        release.set()
        if proc.poll() is None:
            proc.kill()
    assert rc == 1, err  # the normal code: one link failed (404), not 0 and not a crash
    assert "Traceback" not in err and "Exception ignored" not in err
    assert "13 links: 12 archived, 0 unchanged, 0 skipped, 1 failed (http_error 1)" in err
    assert "standard output was closed" in err
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM snapshots WHERE http_status = 200").fetchone()[0] == 12
