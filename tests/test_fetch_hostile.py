"""Adversarial cases: what a hostile or broken server sends, and what a demanding user expects.

Every test here was written against a real bug first (it failed), then the fetcher was fixed.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakeweb import FakeWeb, Reply

from archiver.config import FetchConfig
from archiver.fetch import fetch_one
from archiver.types import ErrorKind


def cfg(**changes: object) -> FetchConfig:
    """Test defaults: the fake web is on 127.0.0.1, so private addresses are allowed."""
    return dataclasses.replace(FetchConfig(allow_private=True, timeout=2.0, deadline=10.0), **changes)


def test_retry_after_with_a_non_ascii_digit_is_ignored_not_a_crash(fakeweb: FakeWeb) -> None:
    slept: list[float] = []
    url = fakeweb.rate_limited("/rl", retry_after="\xb2", times=1)  # latin-1 "²": isdigit() but not float()
    result = fetch_one(url, config=cfg(), sleep=slept.append)
    assert result.ok and fakeweb.count("/rl") == 2
    assert len(slept) == 1 and slept[0] < 5  # backoff, not the unreadable header


def test_charset_naming_a_non_text_codec_does_not_break_decoding(fakeweb: FakeWeb) -> None:
    for label in ("base64", "undefined", "idna"):
        url = fakeweb.add(f"/{label}", "<p>café</p>", content_type=f"text/html; charset={label}")
        result = fetch_one(url, config=cfg())
        assert result.ok and result.encoding_source != "header"
        assert result.text() == "<p>café</p>"


def test_redirect_body_is_not_read(fakeweb: FakeWeb) -> None:
    # requests, even with allow_redirects=False, pre-builds the next request and reads the
    # whole body of a 3xx into memory (uncapped: a gzip bomb or endless body behind a 302).
    sent: list[int] = []

    def endless() -> Iterator[bytes]:
        for i in range(2000):  # 2000 x 64 KiB = 125 MiB if read whole
            sent.append(i)
            yield b"r" * 65536

    fakeweb.route("/r", lambda req, n: Reply(status=302, headers={"Location": "/final"}, chunks=endless(),
                                             length=2000 * 65536, content_type="text/html"))
    fakeweb.add("/final", "<p>landed</p>")
    result = fetch_one(fakeweb.url("/r"), config=cfg(max_bytes=1_000_000))
    assert result.ok and result.body.read() == b"<p>landed</p>"
    assert len(sent) < 200  # the redirect's body was dropped, not downloaded


def test_utf8_location_is_followed_as_utf8(fakeweb: FakeWeb) -> None:
    # http.client decodes header bytes as latin-1; a UTF-8 Location must not become "cafÃ©".
    fakeweb.redirect("/go", "/café".encode().decode("latin-1"), status=302)
    fakeweb.add("/caf%C3%A9", "<p>accents</p>")
    result = fetch_one(fakeweb.url("/go"), config=cfg())
    assert result.ok and result.body.read() == b"<p>accents</p>"
    assert result.final_url == fakeweb.url("/caf%C3%A9") or result.final_url == fakeweb.url("/café")


def test_latin1_location_bytes_are_percent_encoded(fakeweb: FakeWeb) -> None:
    fakeweb.redirect("/go", "/caf\xe9", status=302)  # the raw byte 0xE9, not UTF-8
    fakeweb.add("/caf%E9", "<p>latin</p>")
    result = fetch_one(fakeweb.url("/go"), config=cfg())
    assert result.ok and result.body.read() == b"<p>latin</p>"


def test_malformed_location_is_a_result_not_an_exception(fakeweb: FakeWeb) -> None:
    fakeweb.redirect("/go", "http://[::1/oops", status=302)
    result = fetch_one(fakeweb.url("/go"), config=cfg())
    assert result.error is ErrorKind.HTTP_ERROR and "redirect location" in result.message
    assert [h.status for h in result.redirects] == [302]


@pytest.mark.parametrize(("status", "headers"), [(301, {}), (302, {"Location": ""}), (300, {"Location": "/b"})])
def test_a_3xx_that_is_not_followed_is_a_failure_with_a_kind(
    fakeweb: FakeWeb, status: int, headers: dict[str, str]
) -> None:
    # Not ok and yet error=None, message=None would be a result that explains nothing.
    url = fakeweb.add("/m", "<p>moved somewhere</p>", status=status, headers=headers)
    result = fetch_one(url, config=cfg())
    assert not result.ok and result.status == status
    assert result.error is ErrorKind.HTTP_ERROR
    assert result.message is not None and result.message.startswith(f"http_error: {status}")
    assert fakeweb.count("/m") == 1


class InterruptingClock:
    """A clock that raises KeyboardInterrupt on its ``at``-th reading (Ctrl-C mid-download)."""

    def __init__(self, at: int) -> None:
        self.at = at
        self.calls = 0

    def __call__(self) -> float:
        self.calls += 1
        if self.calls == self.at:
            raise KeyboardInterrupt
        return float(self.calls)


@pytest.fixture
def spill_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Spill files go to a folder of their own, so leaks can be counted."""
    folder = tmp_path / "spill"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_ctrl_c_during_a_spilled_download_leaves_no_temp_file(fakeweb: FakeWeb, spill_dir: Path) -> None:
    url = fakeweb.add("/big", b"z" * 2_000_000, content_type="application/octet-stream")
    with pytest.raises(KeyboardInterrupt):
        fetch_one(url, config=cfg(spill_bytes=10_000, deadline=1e9), clock=InterruptingClock(at=12))
    assert list(spill_dir.iterdir()) == []
