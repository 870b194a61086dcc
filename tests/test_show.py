"""Show, offline copy, history and diff, on an archive built from the fake web, read with the network off."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import lxml.html
import pytest
from search_archive import FEB, JAN, MAR, Archive, build_archive

from archiver.errors import NotFoundError
from archiver.show import (
    LIVE_CSP,
    OFFLINE_CSP,
    decoded_body,
    diff_snapshots,
    history,
    offline_html,
    parse_at,
    raw_body,
    resolve_link,
    select_snapshot,
    write_offline_copy,
)
from archiver.store import Store


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    return build_archive(tmp_path_factory.mktemp("show"))


@pytest.fixture
def store(archive: Archive, no_network: None) -> Iterator[Store]:
    with Store.open(archive.db, create=False) as st:
        yield st


# ---------------------------------------------------------------------------
# Finding snapshots


def test_latest_good_snapshot_by_default(store: Store, archive: Archive) -> None:
    snap = select_snapshot(store, archive.urls["sanctions"])
    assert snap.id == archive.snapshots["sanctions@v2"]
    assert snap.captured_at == MAR
    assert "hovercraft" in (snap.text or "")


def test_raw_forms_find_the_canonical_link(store: Store, archive: Archive) -> None:
    raw = archive.raw_urls["sanctions"]
    variants = [
        raw + "?utm_source=newsletter&fbclid=abc",
        raw + "#section-2",
        raw.replace("news.example.org", "NEWS.Example.ORG"),
    ]
    for variant in variants:
        assert resolve_link(store, variant)[1] == archive.urls["sanctions"], variant


def test_at_picks_the_snapshot_of_that_time(store: Store, archive: Archive) -> None:
    old = select_snapshot(store, archive.urls["sanctions"], at=parse_at("2025-01-10"))
    assert old.id == archive.snapshots["sanctions@v1"]
    assert "zeppelin" in (old.text or "")
    # a time is inclusive to the second
    assert select_snapshot(store, archive.urls["sanctions"], at=JAN).id == archive.snapshots["sanctions@v1"]
    assert select_snapshot(store, archive.urls["sanctions"], at=MAR - timedelta(seconds=1)).id == old.id
    with pytest.raises(NotFoundError) as info:
        select_snapshot(store, archive.urls["sanctions"], at=parse_at("2025-01-09"))
    assert "first was captured 2025-01-10" in str(info.value)


def test_snapshot_id(store: Store, archive: Archive) -> None:
    v1 = archive.snapshots["sanctions@v1"]
    assert select_snapshot(store, snapshot_id=v1).id == v1
    assert select_snapshot(store, archive.urls["sanctions"], snapshot_id=v1).id == v1
    with pytest.raises(NotFoundError) as info:
        select_snapshot(store, archive.urls["cafe"], snapshot_id=v1)
    assert "not of" in str(info.value)
    with pytest.raises(NotFoundError):
        select_snapshot(store, snapshot_id=9999)


def test_nothing_archived(store: Store, archive: Archive) -> None:
    with pytest.raises(NotFoundError) as info:
        select_snapshot(store, "https://never.example/archived")
    assert info.value.exit_code == 1
    assert "nothing archived" in str(info.value)
    with pytest.raises(NotFoundError) as failed:
        select_snapshot(store, archive.urls["gone"])
    assert "2 failed capture(s)" in str(failed.value)
    assert "http_error" in str(failed.value)


def test_raw_bytes_are_exact(store: Store, archive: Archive) -> None:
    for name in ("ru", "sanctions@v1", "notes"):
        snap = select_snapshot(store, snapshot_id=archive.snapshots[name])
        assert raw_body(store, snap) == archive.bodies[name]
    ru = select_snapshot(store, archive.urls["ru"])
    assert raw_body(store, ru).startswith(b"<!DOCTYPE html>")
    assert "Новости".encode("windows-1251") in raw_body(store, ru)


def test_decoded_body_uses_the_recorded_encoding(store: Store, archive: Archive) -> None:
    html = decoded_body(store, select_snapshot(store, archive.urls["ru"]))
    assert "Новости: санкции и сотрудничество" in html


# ---------------------------------------------------------------------------
# Offline copy


PAGE = """<?xml version="1.0" encoding="windows-1251"?>
<html><head><base href="/docs/"><meta charset="windows-1251">
<meta http-equiv="refresh" content="5;url=https://elsewhere.example/">
<script src="https://cdn.example/app.js"></script><script>fetch('https://t.example/')</script>
<link rel="stylesheet" href="s.css"><link rel="preconnect" href="https://fonts.example">
<link rel="icon" href="/favicon.ico"></head>
<body onload="go()"><a href="page.html" onclick="track()" ping="https://t.example/ping">page</a>
<a href="javascript:alert(1)">js</a><img src="a.png" srcset="a.png 1x, b.png 2x" onerror="x()">
<svg><script>alert(2)</script></svg><noscript><img src="lazy.png"></noscript>
<iframe src="https://ads.example/"></iframe></body></html>"""


def _parse(html: str) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(html)


def test_offline_html_blocks_every_outside_request() -> None:
    out = offline_html(PAGE, "https://site.example/dir/article.html")
    doc = _parse(out)
    head = doc.find("head")
    first = head[0]
    assert first.tag == "meta" and first.get("http-equiv") == "Content-Security-Policy"
    assert first.get("content") == OFFLINE_CSP
    assert "default-src 'none'" in OFFLINE_CSP and "img-src data:" in OFFLINE_CSP
    assert doc.xpath("//script") == []
    assert "<script" not in out.lower()
    assert not [a for el in doc.iter() for a in el.attrib if a.lower().startswith("on")]
    assert doc.xpath("//base") == [] and doc.xpath("//*[@ping]") == []
    assert doc.xpath("//meta[@http-equiv='refresh']") == []
    assert doc.xpath("//link[@rel='preconnect']") == [] and doc.xpath("//link[@rel='icon']") == []
    assert [m.get("charset") for m in doc.xpath("//meta[@charset]")] == ["utf-8"]
    assert "javascript:" not in out
    # links made absolute against <base href="/docs/">
    assert doc.xpath("//a/@href")[0] == "https://site.example/docs/page.html"
    assert doc.xpath("//img/@src")[0] == "https://site.example/docs/a.png"
    assert doc.xpath("//img/@srcset")[0] == "https://site.example/docs/a.png 1x, https://site.example/docs/b.png 2x"
    assert doc.xpath("//link[@rel='stylesheet']/@href") == ["https://site.example/docs/s.css"]
    assert doc.xpath("//img[@src='https://site.example/docs/lazy.png']")  # noscript content shown


def test_offline_html_live_resources() -> None:
    doc = _parse(offline_html(PAGE, "https://site.example/dir/article.html", live_resources=True))
    csp = doc.find("head")[0].get("content")
    assert csp == LIVE_CSP and "default-src" not in csp and "script-src 'none'" in csp
    assert doc.xpath("//script") == []
    assert doc.xpath("//iframe/@src") == ["https://ads.example/"]


def test_offline_html_without_head_or_content() -> None:
    doc = _parse(offline_html("just <b>text</b>", "https://a.example/"))
    assert doc.find("head")[0].get("http-equiv") == "Content-Security-Policy"
    empty = _parse(offline_html("", "https://a.example/"))
    assert empty.find("head")[0].get("content") == OFFLINE_CSP


def test_write_offline_copy_of_an_archived_page(store: Store, archive: Archive, tmp_path: Path) -> None:
    snap = select_snapshot(store, snapshot_id=archive.snapshots["sanctions@v1"])
    copy = write_offline_copy(store, snap)
    try:
        html = copy.path.read_text(encoding="utf-8")
    finally:
        copy.path.unlink()
    assert copy.path.suffix == ".html" and copy.sanitized
    doc = _parse(html)
    assert doc.find("head")[0].get("content") == OFFLINE_CSP
    assert "<script" not in html and "tracker.example" not in html
    assert "zeppelin" in html
    base = archive.raw_urls["sanctions"].rsplit("/", 2)[0]  # http://news.example.org:PORT
    assert doc.xpath("//a[text()='Related']/@href") == [base + "/docs/related.html"]
    assert f"snapshot {snap.id}" in html  # the banner comment
    target = tmp_path / "copy.html"
    assert write_offline_copy(store, snap, path=target, live_resources=True).path == target
    assert _parse(target.read_text(encoding="utf-8")).find("head")[0].get("content") == LIVE_CSP


def test_write_offline_copy_of_plain_text_is_byte_exact(store: Store, archive: Archive, tmp_path: Path) -> None:
    snap = select_snapshot(store, archive.urls["notes"])
    copy = write_offline_copy(store, snap, path=tmp_path / "notes.txt")
    assert not copy.sanitized
    assert copy.path.read_bytes() == archive.bodies["notes"]


# ---------------------------------------------------------------------------
# History and diff


def test_history_oldest_first_with_checks(store: Store, archive: Archive) -> None:
    events = history(store, archive.raw_urls["sanctions"] + "?utm_medium=x")
    assert [(e.kind, e.at) for e in events] == [("snapshot", JAN), ("check", FEB), ("snapshot", MAR)]
    assert [e.snapshot_id for e in events] == [
        archive.snapshots["sanctions@v1"], archive.snapshots["sanctions@v1"], archive.snapshots["sanctions@v2"]
    ]
    assert events[1].status == "drifted" and events[1].similarity == pytest.approx(0.61)
    assert events[0].status == "ok" and events[0].http_status == 200 and events[0].sha256
    assert all(e.url == archive.urls["sanctions"] for e in events)


def test_history_of_failed_captures(store: Store, archive: Archive) -> None:
    events = history(store, archive.urls["gone"])
    assert [(e.status, e.http_status) for e in events] == [("http_error", 503), ("http_error", 404)]
    with pytest.raises(NotFoundError):
        history(store, "https://never.example/")


def test_diff_first_to_latest(store: Store, archive: Archive) -> None:
    result = diff_snapshots(store, archive.urls["sanctions"])
    assert (result.old.id, result.new.id) == (archive.snapshots["sanctions@v1"], archive.snapshots["sanctions@v2"])
    removed = [line for line in result.lines if line.startswith("-") and not line.startswith("---")]
    added = [line for line in result.lines if line.startswith("+") and not line.startswith("+++")]
    assert any("zeppelin" in line for line in removed)
    assert any("hovercraft" in line for line in added)
    assert not any("co-operation" in line for line in removed + added)  # unchanged paragraph is context
    assert result.lines[0].startswith("--- snapshot") and result.lines[1].startswith("+++ snapshot")
    assert 0.3 < result.similarity < 1.0
    assert not result.identical


def test_diff_same_snapshot_and_wrong_ids(store: Store, archive: Archive) -> None:
    v2 = archive.snapshots["sanctions@v2"]
    same = diff_snapshots(store, archive.urls["sanctions"], from_id=v2, to_id=v2)
    assert same.identical and same.similarity == 1.0
    with pytest.raises(NotFoundError):
        diff_snapshots(store, archive.urls["sanctions"], from_id=archive.snapshots["cafe"])
    with pytest.raises(NotFoundError) as info:
        diff_snapshots(store, archive.urls["gone"])
    assert "failed capture" in str(info.value)


# ---------------------------------------------------------------------------
# Hostile snapshots


def _stored(tmp_path: Path, body: bytes, content_type: str, final_url: str, title: str | None = None,
            text: str | None = None) -> tuple[Store, object]:
    from archiver.types import Body, Extracted, FetchResult

    store = Store.open(tmp_path / "hostile.db")
    sid = store.add_snapshot(
        FetchResult(url="https://evil.example/page", final_url=final_url, status=200, content_type=content_type,
                    body=Body.from_bytes(body), encoding="utf-8", attempts=1),
        Extracted(title=title, text=text),
    )
    return store, store.snapshot(sid)


def test_offline_copy_of_a_hostile_page(tmp_path: Path, no_network: None) -> None:
    page = (
        b'<html><head><meta http-equiv="x-dns-prefetch-control" content="on"><title>"><script>alert(1)</script>'
        b'</title></head><body><svg><script>alert(2)</script></svg><a href=" jAvAsCrIpT:alert(3)">x</a>'
        b'<!--><script>alert(4)</script>--><a href="https://other.example/">o</a></body></html>'
    )
    store, snap = _stored(tmp_path, page, "text/html", 'https://evil.example/x?"><script>alert(5)</script>-->')
    with store:
        copy = write_offline_copy(store, snap)  # type: ignore[arg-type]
    html = copy.path.read_text(encoding="utf-8")
    copy.path.unlink()
    doc = _parse(html)
    assert doc.xpath("//script") == [] and "<script" not in html.lower()
    assert "javascript:" not in html.lower()
    head = doc.find("head")
    assert head[0].get("http-equiv") == "Content-Security-Policy" and head[0].get("content") == OFFLINE_CSP
    prefetch = doc.xpath("//meta[@http-equiv='x-dns-prefetch-control']")
    assert [m.get("content") for m in prefetch] == ["off"]  # links are not even resolved in advance


def test_offline_copy_of_an_svg_cannot_run_or_fetch(tmp_path: Path, no_network: None) -> None:
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script>'
           b'<image href="https://tracker.example/t.png"/></svg>')
    store, snap = _stored(tmp_path, svg, "image/svg+xml", "https://evil.example/pic.svg")
    with store:
        copy = write_offline_copy(store, snap)  # type: ignore[arg-type]
    data = copy.path.read_bytes()
    copy.path.unlink()
    # an SVG opened as a document runs its scripts and loads its resources: it is shown as an image
    assert copy.path.suffix == ".html" and copy.sanitized
    doc = _parse(data.decode("utf-8"))
    assert doc.find("head")[0].get("content") == OFFLINE_CSP
    assert b"<script" not in data and b"tracker.example" not in data
    (img,) = doc.xpath("//img")
    assert img.get("src").startswith("data:image/svg+xml;base64,")
    import base64

    assert base64.b64decode(img.get("src").split(",", 1)[1]) == svg  # the exact bytes, inert in an <img>


@pytest.mark.parametrize("content_type", ["application/xml", "text/xml", "application/atom+xml", "text/xsl"])
def test_offline_copy_of_xml_opens_as_text(tmp_path: Path, no_network: None, content_type: str) -> None:
    """XML opened in a browser may run XHTML scripts or fetch a stylesheet: it is written as text."""
    xml = (b'<?xml version="1.0"?><?xml-stylesheet href="https://evil.example/s.xsl"?>'
           b'<x><h:script xmlns:h="http://www.w3.org/1999/xhtml">alert(1)</h:script></x>')
    store, snap = _stored(tmp_path, xml, content_type, "https://evil.example/feed")
    with store:
        copy = write_offline_copy(store, snap)  # type: ignore[arg-type]
    try:
        assert copy.path.suffix == ".txt" and copy.path.read_bytes() == xml
    finally:
        copy.path.unlink()


def test_copies_without_a_path_go_to_one_folder_that_forgets_old_ones(
    store: Store, archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import tempfile
    import time

    from archiver.show import COPY_MAX_AGE

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    snap = select_snapshot(store, archive.urls["sanctions"])
    first = write_offline_copy(store, snap).path
    folder = first.parent
    assert folder.parent == tmp_path and folder.name.startswith("archiver-copies")
    stale = folder / "archiver-9-old.html"
    stale.write_text("yesterday's copy")
    old = time.time() - COPY_MAX_AGE - 60
    os.utime(stale, (old, old))
    second = write_offline_copy(store, snap).path
    assert second.parent == folder and second.exists() and first.exists()  # today's copies stay for the browser
    assert not stale.exists()
