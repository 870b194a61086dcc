"""A damaged stored body: one-line errors everywhere, and ``fsck`` counts and names it.

The damage is made as the new-user walkthrough made it: one blob's data replaced by
``zeroblob(10)`` (not zlib), or by another valid body (right format, wrong content).
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.cli import main
from archiver.errors import StoreError
from archiver.store import Store
from archiver.types import Body, FetchResult

URLS = ["https://example.com/a", "https://example.com/b", "https://example.com/c"]


def _page(i: int) -> bytes:
    return f"<html><head><title>Page {i}</title></head><body><p>{'words ' * 200}{i}</p></body></html>".encode()


@pytest.fixture
def damaged(tmp_path: Path) -> tuple[Path, str]:
    """An archive of three pages whose second body is ``zeroblob(10)``; returns (db, its sha256)."""
    db = tmp_path / "a.db"
    with Store.open(db) as st:
        for i, url in enumerate(URLS):
            st.add_snapshot(FetchResult(url=url, final_url=url, status=200, body=Body.from_bytes(_page(i)),
                                        content_type="text/html", encoding="utf-8", encoding_source="header",
                                        attempts=1), None)
        sha = st.latest_snapshot(URLS[1]).sha256  # type: ignore[union-attr]
        assert st.db.execute("SELECT compression FROM blobs WHERE sha256 = ?", [sha]).fetchone()[0] == "zlib"
        st.db.execute("UPDATE blobs SET data = zeroblob(10) WHERE sha256 = ?", [sha])
    assert sha is not None
    return db, sha


def test_read_blob_names_the_damaged_body_and_suggests_fsck(damaged: tuple[Path, str]) -> None:
    db, sha = damaged
    with Store.open(db, create=False) as st:
        with pytest.raises(StoreError) as info:
            st.read_blob(sha)
        message = str(info.value)
        assert message.startswith(f"snapshot body {sha[:12]} is corrupt (zlib: ")
        assert "run `archiver fsck`" in message and "\n" not in message
        assert st.read_blob(st.latest_snapshot(URLS[0]).sha256 or "") == _page(0)  # the others still read


def test_read_blob_refuses_a_body_that_no_longer_matches_its_sha256(damaged: tuple[Path, str]) -> None:
    db, _ = damaged
    with Store.open(db) as st:
        sha = st.latest_snapshot(URLS[2]).sha256 or ""
        st.db.execute("UPDATE blobs SET data = ? WHERE sha256 = ?", [zlib.compress(b"something else"), sha])
        with pytest.raises(StoreError, match="no longer matches its sha256"):
            st.read_blob(sha)


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize(
    "args", [["show", "--raw"], ["show", "--html"], ["open", "-o", "OUT"]], ids=lambda a: " ".join(a[:2])
)
def test_commands_reading_the_body_print_one_line(damaged: tuple[Path, str], args: list[str], tmp_path: Path) -> None:
    db, sha = damaged
    args = [str(tmp_path / "copy.html") if a == "OUT" else a for a in args]
    result = CliRunner().invoke(main, [*args, URLS[1], "--db", str(db)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("archiver: error: snapshot body") and sha[:12] in lines[0] and "fsck" in lines[0]


@pytest.mark.usefixtures("no_network")
def test_fsck_counts_every_body_and_lists_the_corrupt_one(damaged: tuple[Path, str]) -> None:
    db, sha = damaged
    with Store.open(db, create=False) as st:
        report = st.fsck()
        bad_id = st.latest_snapshot(URLS[1]).id  # type: ignore[union-attr]
    assert report.blobs_checked == 3
    assert [(p.kind, p.target) for p in report.problems] == [("corrupt", sha)]
    assert f"used by snapshot {bad_id}" in report.problems[0].message

    result = CliRunner().invoke(main, ["fsck", "--db", str(db)])
    assert result.exit_code == 1
    assert "checked 3 bodies" in result.stdout and "1 damaged" in result.stdout
    assert sha in result.stdout and "1 problem" in result.stdout

    result = CliRunner().invoke(main, ["fsck", "--db", str(db), "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["blobs_checked"] == 3 and data["ok"] is False
    assert [p["kind"] for p in data["problems"]] == ["corrupt"]


def test_a_body_overwritten_with_text_is_corrupt(damaged: tuple[Path, str]) -> None:
    db, sha = damaged
    with Store.open(db) as st:
        st.db.execute("UPDATE blobs SET data = 'oops' WHERE sha256 = ?", [sha])
        report = st.fsck()
        assert report.blobs_checked == 3 and [p.kind for p in report.problems] == ["corrupt"]
        with pytest.raises(StoreError, match="corrupt .*stored as str"):
            st.read_blob(sha)


# -- a damaged database file (pages overwritten), as a disk or a copy gone wrong leaves it -------


def _damage_pages(db: Path, table: str) -> None:
    """Overwrite the b-tree pages of ``table`` (not its root) with 0xAB, as a bad disk sector would."""
    import sqlite3

    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = [r[0] for r in conn.execute("SELECT pageno FROM dbstat WHERE name = ? AND pagetype != 'internal'"
                                            " ORDER BY pageno", [table])]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    assert pages, table
    data = bytearray(db.read_bytes())
    for page in pages[: max(1, len(pages) // 2)]:
        data[(page - 1) * size: page * size] = b"\xab" * size
    db.write_bytes(bytes(data))


@pytest.fixture
def broken_file(tmp_path: Path) -> Path:
    db = tmp_path / "b.db"
    with Store.open(db) as st:
        for i in range(40):
            url = f"https://example.com/p{i}"
            st.add_snapshot(FetchResult(url=url, final_url=url, status=200, body=Body.from_bytes(_page(i) * 3),
                                        content_type="text/html", encoding="utf-8", encoding_source="header",
                                        attempts=1), None)
    _damage_pages(db, "blobs")
    return db


@pytest.mark.parametrize("args,meets_damage", [
    (["status"], True), (["show", "https://example.com/p3", "--raw"], True),
    (["search", "words"], False), (["check", "--offline"], False),  # they never read the bodies
])
def test_a_damaged_file_gives_one_line_and_is_left_alone(broken_file: Path, args: list[str],
                                                         meets_damage: bool) -> None:
    before = broken_file.read_bytes()
    result = CliRunner().invoke(main, [*args, "--db", str(broken_file)])
    assert (result.exit_code == 2) is meets_damage, result.output
    if not meets_damage:
        assert "Traceback" not in result.output
    else:
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "damaged" in lines[0] and "fsck" in lines[0], result.stderr
        assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    assert broken_file.read_bytes() == before


def test_fsck_reports_a_damaged_file(broken_file: Path) -> None:
    result = CliRunner().invoke(main, ["fsck", "--db", str(broken_file)])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "corrupt" in result.output or "integrity" in result.output


def test_no_write_is_tried_once_the_file_showed_damage(tmp_path: Path) -> None:
    import sqlite3

    with Store.open(tmp_path / "c.db") as st:
        with pytest.raises(StoreError, match="damaged"), st.write():
            raise sqlite3.DatabaseError("database disk image is malformed")
        assert st.damaged is not None
        with pytest.raises(StoreError, match="nothing more is written"), st.write() as conn:
            conn.execute("INSERT INTO runs (command, started_at) VALUES ('x', 'y')")  # never reached
        assert st.db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 0
