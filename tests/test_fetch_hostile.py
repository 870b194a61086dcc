"""Adversarial cases: what a hostile or broken server sends, and what a demanding user expects.

Every test here was written against a real bug first (it failed), then the fetcher was fixed.
"""

from __future__ import annotations

import dataclasses

from fakeweb import FakeWeb

from archiver.config import FetchConfig
from archiver.fetch import fetch_one


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
