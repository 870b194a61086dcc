"""Address safety, URL redaction, resolvers and content-type sniffing (pure functions)."""

from __future__ import annotations

import socket
import threading

import pytest

from archiver import net, sniff
from archiver.config import FetchConfig
from archiver.fetch import fetch_many
from archiver.net import CachingResolver, ResolveError, StaticResolver, blocked_reason, redact, system_resolver
from archiver.types import ErrorKind


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("fd00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("::ffff:10.0.0.1", "private"),
        ("100.64.0.1", "non-global"),
    ],
)
def test_blocked_addresses(address: str, reason: str) -> None:
    assert blocked_reason(address) == reason


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses(address: str) -> None:
    assert blocked_reason(address) is None


def test_redact() -> None:
    assert redact("https://user:pw@example.org/a?b=1") == "https://user:***@example.org/a?b=1"
    assert redact("https://token@example.org/") == "https://***@example.org/"
    assert redact("https://example.org/a@b") == "https://example.org/a@b"
    assert redact("http://example.org:8080/") == "http://example.org:8080/"


def test_static_resolver() -> None:
    resolver = StaticResolver({"a.example": ["1.2.3.4"], "b.example": "nxdomain", "c.example": "tempfail"})
    assert resolver("A.example", 80) == ["1.2.3.4"]
    assert resolver("127.0.0.1", 80) == ["127.0.0.1"]
    with pytest.raises(ResolveError) as gone:
        resolver("b.example", 80)
    assert not gone.value.temporary
    with pytest.raises(ResolveError) as later:
        resolver("c.example", 80)
    assert later.value.temporary
    with pytest.raises(ResolveError):
        resolver("unknown.example", 80)
    assert resolver.calls == ["A.example", "127.0.0.1", "b.example", "c.example", "unknown.example"]


def test_system_resolver_maps_gaierror(monkeypatch: pytest.MonkeyPatch) -> None:
    def nxdomain(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    def again(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(net.socket, "getaddrinfo", nxdomain)
    with pytest.raises(ResolveError) as gone:
        system_resolver("www.interfax.ru", 443)
    assert not gone.value.temporary
    monkeypatch.setattr(net.socket, "getaddrinfo", again)
    with pytest.raises(ResolveError) as later:
        system_resolver("www.interfax.ru", 443)
    assert later.value.temporary


def test_system_resolver_on_an_ip_literal() -> None:
    assert system_resolver("127.0.0.1", 80) == ["127.0.0.1"]


@pytest.mark.parametrize(
    ("declared", "head", "expected"),
    [
        (None, b"%PDF-1.7\n...", "application/pdf"),
        ("application/octet-stream", b"\x89PNG\r\n\x1a\n....", "image/png"),
        (None, b"\xff\xd8\xff\xe0JFIF", "image/jpeg"),
        (None, b"GIF89a....", "image/gif"),
        (None, b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (None, b"  <!DOCTYPE html><html>", "text/html"),
        ("", b"<html><body>x</body></html>", "text/html"),
        (None, b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml">', "application/xhtml+xml"),
        (None, b'<?xml version="1.0"?><rss version="2.0">', "application/rss+xml"),
        (None, b"just some words\nand lines", "text/plain"),
        (None, b"\x00\x01\x02binary", "application/octet-stream"),
        ("text/html; charset=utf-8", b"%PDF-1.4", "application/pdf"),
        ("image/jpeg", b"<!DOCTYPE html><html><title>404</title>", "text/html"),
        ("text/plain", b"<!doctype html><html><p>x", "text/html"),
        ("text/plain", b"<p>an example of HTML in a text file", "text/plain"),
        ("TEXT/HTML", b"<p>hi</p>", "text/html"),
        ("application/json", b'{"a": 1}', "application/json"),
    ],
)
def test_content_type(declared: str | None, head: bytes, expected: str) -> None:
    assert sniff.content_type(declared, head) == expected


def test_is_text() -> None:
    assert sniff.is_text("text/html") and sniff.is_text("application/xhtml+xml")
    assert sniff.is_text("application/ld+json") and sniff.is_text("text/plain")
    assert not sniff.is_text("application/pdf") and not sniff.is_text("image/png") and not sniff.is_text(None)


def test_abort_is_sticky_for_connections_opened_afterwards() -> None:
    """A connection that races the cancellation is shut down too (else Ctrl-C could wait on it)."""
    import socket

    from archiver.net import SafeAdapter

    adapter = SafeAdapter()
    before, before_peer = socket.socketpair()
    adapter.track(before)
    adapter.abort()
    after, after_peer = socket.socketpair()
    adapter.track(after)
    for sock in (before, after):
        sock.settimeout(1)
        assert sock.recv(1) == b""  # shut down: a blocked read returns at once
    for sock in (before, before_peer, after, after_peer):
        sock.close()


def test_watchdog_runs_each_timer_when_due_whatever_the_order_armed() -> None:
    import threading
    import time

    from archiver.net import Watchdog

    dog = Watchdog()
    fired: dict[str, float] = {}
    done = threading.Event()
    start = time.monotonic()
    try:
        dog.arm(30.0, lambda: fired.setdefault("late", time.monotonic() - start))
        dog.arm(0.2, lambda: fired.setdefault("soon", time.monotonic() - start))  # due before the one it sleeps for
        dog.arm(0.4, lambda: (fired.setdefault("next", time.monotonic() - start), done.set()))  # due after it
        key = dog.arm(0.1, lambda: fired.setdefault("disarmed", 0.0))
        dog.disarm(key)
        assert done.wait(5)
    finally:
        dog.close()
    assert set(fired) == {"soon", "next"}
    assert 0.15 < fired["soon"] < 1.0 and 0.35 < fired["next"] < 1.5


def test_caching_resolver_keeps_answers_and_dead_names_not_temporary_failures() -> None:
    now = [0.0]
    inner = StaticResolver({"a.example": ["1.2.3.4"], "gone.example": "nxdomain", "flaky.example": "tempfail"})
    resolver = CachingResolver(inner, ttl=60, clock=lambda: now[0])
    assert resolver("a.example", 80) == ["1.2.3.4"] == resolver("A.EXAMPLE", 80)
    for _ in range(2):
        with pytest.raises(ResolveError) as gone:
            resolver("gone.example", 80)
        assert not gone.value.temporary and gone.value.host == "gone.example"
        with pytest.raises(ResolveError) as later:
            resolver("flaky.example", 80)
        assert later.value.temporary
    assert inner.calls == ["a.example", "gone.example", "flaky.example", "flaky.example"]
    now[0] = 61.0  # past the ttl: asked again
    assert resolver("a.example", 80) == ["1.2.3.4"]
    assert inner.calls[-1] == "a.example" and len(inner.calls) == 5
    got = resolver("a.example", 80)
    got.append("9.9.9.9")  # a caller's copy: the cache is not changed
    assert resolver("a.example", 80) == ["1.2.3.4"]


def test_caching_resolver_makes_one_query_for_concurrent_lookups_of_a_name() -> None:
    started, release = threading.Event(), threading.Event()
    calls: list[str] = []

    def slow(host: str, port: int) -> list[str]:
        calls.append(host)
        started.set()
        release.wait(5)
        return ["1.2.3.4"]

    resolver = CachingResolver(slow)
    results: list[list[str]] = []
    threads = [threading.Thread(target=lambda: results.append(resolver("a.example", 443))) for _ in range(8)]
    for thread in threads:
        thread.start()
    assert started.wait(5)
    release.set()
    for thread in threads:
        thread.join(5)
    assert calls == ["a.example"] and results == [["1.2.3.4"]] * 8


def test_a_run_looks_each_host_up_once() -> None:
    from fakeweb import FakeWeb

    with FakeWeb() as web:
        urls = [web.add(f"/p{i}", f"page {i}") for i in range(6)]
        named = [u.replace("127.0.0.1", "site.example") for u in urls]
        gone = [f"http://gone.example/p{i}" for i in range(3)]
        resolver = StaticResolver({"site.example": ["127.0.0.1"], "gone.example": "nxdomain"})
        results = list(fetch_many([*named, *gone], config=FetchConfig(allow_private=True, retries=0),
                                  resolver=resolver))
    assert sum(r.ok for r in results) == 6 and sum(r.error is ErrorKind.DNS for r in results) == 3
    assert sorted(resolver.calls) == ["gone.example", "site.example"]


def test_caching_resolver_shares_a_temporary_failure_with_those_who_waited() -> None:
    import time as _time

    calls: list[str] = []

    def slow_tempfail(host: str, port: int) -> list[str]:
        calls.append(host)
        _time.sleep(0.3)
        raise ResolveError(host, "temporary failure in name resolution", temporary=True)

    resolver = CachingResolver(slow_tempfail)
    errors: list[ResolveError] = []

    def ask() -> None:
        try:
            resolver("flaky.example", 80)
        except ResolveError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(6)]
    started = _time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert _time.monotonic() - started < 1.2  # one 0.3 s query shared, not six in a row
    assert len(calls) == 1 and len(errors) == 6 and all(e.temporary for e in errors)
    with pytest.raises(ResolveError):  # not kept: the next lookup asks again
        resolver("flaky.example", 80)
    assert len(calls) == 2


def test_caching_resolver_lets_waiters_ask_again_after_an_unexpected_error() -> None:
    calls: list[str] = []

    def broken_once(host: str, port: int) -> list[str]:
        calls.append(host)
        if len(calls) == 1:
            raise RuntimeError("resolver bug")
        return ["1.2.3.4"]

    resolver = CachingResolver(broken_once)
    with pytest.raises(RuntimeError):
        resolver("a.example", 80)
    assert resolver("a.example", 80) == ["1.2.3.4"] and not resolver._pending
