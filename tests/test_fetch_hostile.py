"""Adversarial cases: what a hostile or broken server sends, and what a demanding user expects.

Every test here was written against a real bug first (it failed), then the fetcher was fixed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import socket
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from fakeweb import FakeWeb, Reply, Request, closed_url
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from urllib3 import connection as u3connection

import archiver.fetch as fetch_mod
from archiver.cli import main
from archiver.config import FetchConfig
from archiver.fetch import fetch_many, fetch_one
from archiver.net import StaticResolver, blocked_reason, make_session, redact, safe_adapter
from archiver.types import ErrorKind, FetchResult


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


# -- fetch_many: every URL yields exactly one result, whatever the web does -----------------------
# (No 429 here: it slows its host for real seconds by design; test_fetch_many covers it.)

BEHAVIOURS = ("ok", "big", "404", "flaky", "503", "reset", "redirect", "loop", "short", "closed", "nxdomain",
              "tempfail", "badloc", "nolocation")


def _make(web: FakeWeb, kind: str, n: int, host: int) -> str:
    path = f"/{kind}{n}"
    if kind == "ok":
        return web.add(path, f"<p>{n}</p>", host=host)
    if kind == "big":  # above spill_bytes: goes to a temporary file
        return web.add(path, b"<p>" + b"x" * 5000, host=host)
    if kind == "404":
        return web.always(path, 404, host=host)
    if kind == "flaky":
        return web.flaky(path, failures=1, host=host)
    if kind == "503":
        return web.always(path, 503, host=host)
    if kind == "reset":
        return web.reset(path, host=host)
    if kind == "redirect":
        web.add(path + "/to", "<p>there</p>", host=1 - host)
        return web.redirect(path, web.url(path + "/to", host=1 - host), host=host)
    if kind == "loop":
        return web.redirect_loop(path, host=host)
    if kind == "short":
        return web.short_body(path, host=host)
    if kind == "badloc":
        return web.redirect(path, "http://[::1/x", host=host)
    if kind == "nolocation":
        return web.add(path, "", status=302, host=host)
    if kind == "closed":
        return closed_url(path)
    return f"http://{kind}.example{path}"  # nxdomain / tempfail through the resolver seam


@pytest.fixture(scope="module")
def web2() -> Iterator[FakeWeb]:
    with FakeWeb(hosts=2) as web:
        yield web


_counter = itertools.count()
RESOLVER = StaticResolver({"nxdomain.example": StaticResolver.NXDOMAIN, "tempfail.example": StaticResolver.TEMPFAIL})


def _fetch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("archiver-fetch")]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    plan=st.lists(st.tuples(st.sampled_from(BEHAVIOURS), st.integers(0, 1)), min_size=1, max_size=12),
    dup=st.integers(0, 3),
    stop_after=st.one_of(st.none(), st.integers(0, 6)),
)
def test_fetch_many_yields_one_result_per_url_and_leaks_nothing(
    web2: FakeWeb, spill_dir: Path, plan: list[tuple[str, int]], dup: int, stop_after: int | None
) -> None:
    urls = [_make(web2, kind, next(_counter), host) for kind, host in plan]
    urls += urls[:dup]  # duplicates are fetched once per occurrence
    config = cfg(retries=1, spill_bytes=1000, workers=4, per_host=2)
    results = []
    with contextlib.closing(fetch_many(urls, config=config, resolver=RESOLVER, sleep=lambda s: None)) as gen:
        for result in gen:
            results.append(result)
            if result.body is not None:
                result.body.discard()
            if stop_after is not None and len(results) > stop_after:
                break
    if stop_after is None or stop_after + 1 >= len(urls):
        assert sorted(r.url for r in results) == sorted(urls)
    else:
        assert len(results) == stop_after + 1
    for result in results:
        assert result.ok or (result.error is not None and result.message), result
    assert _fetch_threads() == []
    assert list(spill_dir.iterdir()) == []


def test_closing_while_results_wait_for_a_slow_consumer_leaks_no_spill_file(spill_dir: Path) -> None:
    # The consumer is slow: the result queue fills, the workers block handing over a
    # result, and meanwhile more downloads finish. Closing the generator must remove the
    # spill files of every finished download, collected or not.
    with FakeWeb() as web:
        urls = [web.add(f"/big{i}", b"y" * 5000, content_type="text/plain") for i in range(40)]
        config = cfg(workers=4, per_host=4, spill_bytes=1000)
        with contextlib.closing(fetch_many(urls, config=config)) as gen:
            first = next(gen)
            first.body.discard()
            seen, still = -1, 0
            while still < 10:  # until no more downloads start (the queue is full): no timing asserted
                threading.Event().wait(0.01)
                seen, still = web.total(), (still + 1 if web.total() == seen else 0)
    assert _fetch_threads() == []
    assert list(spill_dir.iterdir()) == []


def test_an_unexpected_exception_in_one_fetch_does_not_lose_the_other_urls() -> None:
    def resolver(host: str, port: int) -> list[str]:
        if host == "buggy.example":
            raise RuntimeError("resolver bug")
        return RESOLVER(host, port)

    with FakeWeb() as web:
        urls = [web.add(f"/p{i}", "<p>ok</p>") for i in range(5)] + ["http://buggy.example/x"]
        results = {r.url: r for r in fetch_many(urls, config=cfg(), resolver=resolver)}
    assert sorted(results) == sorted(urls)
    assert all(results[u].ok for u in urls[:5])
    bad = results["http://buggy.example/x"]
    assert bad.error is ErrorKind.HTTP_ERROR and "RuntimeError" in bad.message and not bad.ok
    assert fetch_one("http://buggy.example/x", config=cfg(), resolver=resolver).error is ErrorKind.HTTP_ERROR


def test_headers_for_failing_on_one_url_does_not_lose_the_others() -> None:
    def headers_for(url: str) -> dict[str, str]:
        if url.endswith("/p0"):
            raise KeyError(url)
        return {}

    with FakeWeb() as web:
        urls = [web.add(f"/p{i}", "<p>ok</p>") for i in range(4)]
        results = {r.url: r for r in fetch_many(urls, config=cfg(), headers_for=headers_for)}
    assert sorted(results) == sorted(urls)
    assert results[urls[0]].error is ErrorKind.HTTP_ERROR and "KeyError" in results[urls[0]].message
    assert all(results[u].ok for u in urls[1:])


def test_a_token_given_as_the_user_name_is_redacted() -> None:
    # https://TOKEN@host/ is how many services take a token (GitHub, GitLab...): no password,
    # the user name *is* the secret. pip redacts it the same way.
    assert redact("https://ghp_s3cr3tT0ken@example.org/repo") == "https://***@example.org/repo"
    assert redact("https://reader:pw@example.org/") == "https://reader:***@example.org/"


def test_cli_json_never_shows_a_token_user_name(fakeweb: FakeWeb) -> None:
    fakeweb.redirect("/login", "/in", status=302)
    fakeweb.add("/in", "<p>in</p>")
    url = f"http://ghp_s3cr3tT0ken@127.0.0.1:{fakeweb.port()}/login"
    for args in (["fetch", "--allow-private", "--json", url], ["fetch", "--allow-private", url]):
        out = CliRunner().invoke(main, args)
        assert out.exit_code == 0, out.output
        assert "s3cr3t" not in out.output


def test_an_address_that_times_out_falls_back_to_the_next_one(
    fakeweb: FakeWeb, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A dual-stack host whose first address is black-holed: like socket.create_connection,
    # the next resolved address must be tried rather than failing the attempt.
    real = u3connection.connection.create_connection
    tried: list[str] = []

    def connect(address: tuple[str, int], *args: object, **kwargs: object) -> object:
        tried.append(address[0])
        if address[0] == "192.0.2.1":
            raise TimeoutError("timed out")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(u3connection.connection, "create_connection", connect)
    fakeweb.add("/a", "<p>via the second address</p>")
    resolver = StaticResolver({"dual.example": ["192.0.2.1", "127.0.0.1"]})
    result = fetch_one(f"http://dual.example:{fakeweb.port()}/a", config=cfg(retries=0), resolver=resolver)
    assert result.ok and tried == ["192.0.2.1", "127.0.0.1"]
    only_dead = StaticResolver({"dead.example": ["192.0.2.1"]})
    result = fetch_one(f"http://dead.example:{fakeweb.port()}/a", config=cfg(retries=0), resolver=only_dead)
    assert result.error is ErrorKind.TIMEOUT


@pytest.mark.parametrize(
    ("address", "reason"),
    [("2002:7f00:1::1", "loopback"), ("2002:a00:1::1", "private"), ("2002:a9fe:a9fe::1", "link-local"),
     ("fec0::1", "site-local")],
)
def test_ipv6_forms_embedding_a_private_ipv4_are_blocked(address: str, reason: str) -> None:
    # 6to4 (2002::/16) carries an IPv4 address; site-local fec0::/10 is deprecated but still routed inside networks.
    assert blocked_reason(address) == reason
    assert blocked_reason("2002:808:808::1") is None  # 6to4 of 8.8.8.8 stays public


@pytest.mark.parametrize("coding", ["br", "zstd", "compress"])
def test_a_compressed_body_that_cannot_be_decoded_is_not_passed_off_as_the_page(
    fakeweb: FakeWeb, coding: str
) -> None:
    # We ask for gzip/deflate only; a server answering in another compression must not have
    # its compressed bytes archived (and "decoded") as if they were the HTML.
    compressed = bytes(range(256)) * 4
    url = fakeweb.add("/c", compressed, headers={"Content-Encoding": coding})
    result = fetch_one(url, config=cfg(retries=0))
    assert not result.ok and result.error is ErrorKind.TRUNCATED and result.truncated
    assert coding in result.message
    assert result.body.read() == compressed  # kept as received


def test_a_bogus_content_encoding_label_is_ignored_like_browsers_do(fakeweb: FakeWeb) -> None:
    url = fakeweb.add("/u", "<p>plain</p>", headers={"Content-Encoding": "UTF-8"})
    result = fetch_one(url, config=cfg())
    assert result.ok and result.body.read() == b"<p>plain</p>"


@pytest.mark.parametrize("content_type", ["application/xhtml+xml", "application/rss+xml", "text/xml"])
def test_xml_declaration_encoding_is_honoured(fakeweb: FakeWeb, content_type: str) -> None:
    text = '<?xml version="1.0" encoding="windows-1251"?><html><p>Привет, мир</p></html>'
    result = fetch_one(fakeweb.add("/x", text.encode("cp1251"), content_type=content_type), config=cfg())
    assert (result.encoding, result.encoding_source) == ("cp1251", "xml")
    assert result.text() == text


def test_redirect_to_itself_after_setting_a_cookie_is_not_a_loop(fakeweb: FakeWeb) -> None:
    # A common cookie check: the first visit sets a cookie and redirects to the same URL.
    def handler(req: Request, n: int) -> Reply:
        if "seen=1" in req.headers.get("cookie", ""):
            return Reply(body="<p>welcome back</p>")
        return Reply(status=302, headers={"Set-Cookie": "seen=1; Path=/", "Location": "/check"})

    url = fakeweb.route("/check", handler)
    result = fetch_one(url, config=cfg())
    assert result.ok and result.body.read() == b"<p>welcome back</p>"
    assert [h.status for h in result.redirects] == [302] and fakeweb.count("/check") == 2
    # Without a new cookie, the same self-redirect is a loop.
    fakeweb.redirect("/self", "/self", status=302)
    assert fetch_one(fakeweb.url("/self"), config=cfg()).error is ErrorKind.REDIRECT_LOOP


@pytest.fixture
def raw_server() -> Iterator[Callable[[bytes], str]]:
    """``serve(payload)`` -> URL of a one-route server answering every request with ``payload`` bytes."""
    sockets: list[socket.socket] = []

    def serve(payload: bytes) -> str:
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        sockets.append(server)

        def run() -> None:
            while True:
                try:
                    conn, _ = server.accept()
                except OSError:
                    return
                with conn:
                    conn.recv(65536)
                    conn.sendall(payload)

        threading.Thread(target=run, daemon=True).start()
        return f"http://127.0.0.1:{server.getsockname()[1]}/"

    yield serve
    for server in sockets:
        server.close()


def test_terminal_escapes_from_the_server_never_reach_the_terminal(raw_server: Callable[[bytes], str]) -> None:
    # A reason phrase or header value carrying ANSI escapes would repaint the user's terminal.
    url = raw_server(b"HTTP/1.1 404 \x1b[2J\x9bNope\r\nX-Evil: \x1b]0;pwned\x07\r\nContent-Length: 1\r\n\r\nx")
    result = fetch_one(url, config=cfg())
    assert result.message == "http_error: 404 [2JNope"
    assert result.headers["X-Evil"] == "\x1b]0;pwned\x07"  # the record keeps what was sent
    for args in (["fetch", "--allow-private", url], ["fetch", "--allow-private", "--json", url]):
        out = CliRunner().invoke(main, args)
        assert out.exit_code == 1
        assert not {"\x1b", "\x07", "\x9b"} & set(out.output)


@pytest.fixture
def only_127_0_0_1_is_public(monkeypatch: pytest.MonkeyPatch) -> None:
    """127.0.0.1 (the fake web) passes the address check; any other address is "private"."""
    monkeypatch.setattr(fetch_mod, "blocked_reason", lambda a: None if a == "127.0.0.1" else "private")


def test_an_internationalized_host_connects_only_to_the_checked_addresses(
    fakeweb: FakeWeb, only_127_0_0_1_is_public: None
) -> None:
    # The fetcher checked the addresses of "bücher.example" but urllib3 connects to its IDNA
    # form "xn--bcher-kva.example": the pin was missed and the connection re-resolved the
    # name, unchecked (DNS rebinding, or simply another name for IDNA 2003/2008 differences).
    fakeweb.add("/a", "internal page")
    resolver = StaticResolver({"bücher.example": ["127.0.0.1"], "xn--bcher-kva.example": ["127.0.0.2"]})
    result = fetch_one(f"http://bücher.example:{fakeweb.port()}/a", config=FetchConfig(retries=0), resolver=resolver)
    assert result.error is ErrorKind.BLOCKED_PRIVATE and "127.0.0.2" in result.message
    assert resolver.calls == ["xn--bcher-kva.example"]  # one lookup, the checked one


def test_a_trailing_dot_host_connects_to_the_checked_addresses(
    fakeweb: FakeWeb, only_127_0_0_1_is_public: None
) -> None:
    # urllib3 connects to "rebind.example" (trailing dot stripped) while the pin was made for
    # "rebind.example.": a second, unchecked lookup would let a rebinding DNS answer differently.
    fakeweb.add("/a", "<p>checked</p>")
    resolver = StaticResolver({"rebind.example.": ["127.0.0.1"], "rebind.example": ["127.0.0.2"]})
    result = fetch_one(f"http://rebind.example.:{fakeweb.port()}/a", config=FetchConfig(retries=0), resolver=resolver)
    assert result.ok and result.body.read() == b"<p>checked</p>"
    assert resolver.calls == ["rebind.example."]


def test_an_internationalized_host_is_fetched(fakeweb: FakeWeb) -> None:
    fakeweb.add("/a", "<p>IDN</p>")
    resolver = StaticResolver({"xn--bcher-kva.example": ["127.0.0.1"]})
    result = fetch_one(f"http://bücher.example:{fakeweb.port()}/a", config=cfg(), resolver=resolver)
    assert result.ok and result.body.read() == b"<p>IDN</p>"
    assert fakeweb.last("/a").headers["host"] == f"xn--bcher-kva.example:{fakeweb.port()}"


class SteppingClock:
    """A clock that moves one second each time it is read."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def test_a_dripping_robots_txt_cannot_hold_a_worker_past_the_deadline(fakeweb: FakeWeb) -> None:
    sent: list[int] = []

    def drip() -> Iterator[bytes]:
        for i in range(3000):
            sent.append(i)
            yield b"#"

    fakeweb.route("/robots.txt", lambda req, n: Reply(chunks=drip(), length=3000, interval=0.001,
                                                      content_type="text/plain"))
    url = fakeweb.add("/page", "<p>x</p>")
    result = fetch_one(url, config=cfg(respect_robots=True, deadline=30, retries=0), clock=SteppingClock())
    assert result.error is ErrorKind.TIMEOUT
    assert len(sent) < 1000  # robots.txt reading stopped at the deadline, not at its end


def test_headers_that_trickle_are_cut_by_the_deadline() -> None:
    # An HTTP tarpit: the status line, then header bytes one at a time, never idle long
    # enough for the read timeout. The per-attempt deadline must cover the headers too.
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    stop = threading.Event()

    def tarpit() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            line = b"X-Tarpit: 1\r\n"
            for i in range(100_000):
                if stop.wait(0.01):
                    return
                try:
                    conn.sendall(line[i % len(line):i % len(line) + 1])
                except OSError:
                    return

    threading.Thread(target=tarpit, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.getsockname()[1]}/"
        result = fetch_one(url, config=cfg(timeout=0.2, deadline=0.4, retries=0))
    finally:
        stop.set()
        server.close()
    assert result.error is ErrorKind.TIMEOUT and "0.4 s" in result.message


def test_a_304_to_an_unconditional_request_is_not_a_success(fakeweb: FakeWeb) -> None:
    # "Not modified" only means something when we asked "modified since?": otherwise a broken
    # server would make the caller believe it has the current page already.
    url = fakeweb.add("/nm", "", status=304, content_type=None)
    result = fetch_one(url, config=cfg())
    assert not result.ok and result.error is ErrorKind.HTTP_ERROR and result.status == 304
    assert "unconditional" in result.message
    assert fetch_one(url, config=cfg(), headers={"If-None-Match": '"v1"'}).ok


def test_a_fetcher_session_never_connects_to_an_unchecked_host(fakeweb: FakeWeb) -> None:
    # Defence in depth: if a pin ever failed to match the name urllib3 connects to, the
    # connection must fail rather than resolve the name again without the address check.
    resolver = StaticResolver({"unchecked.example": ["127.0.0.1"]})
    session = make_session("t/1", resolver)
    url = f"http://unchecked.example:{fakeweb.port()}/"
    with pytest.raises(requests.exceptions.ConnectionError):
        session.get(url, timeout=2)
    assert resolver.calls == [] and fakeweb.total() == 0
    safe_adapter(session, url).pin("unchecked.example", fakeweb.port(), ["127.0.0.1"])
    assert session.get(url, timeout=2).status_code == 404  # pinned: connects, without a lookup
    assert resolver.calls == []
    session.close()


def test_ctrl_c_in_on_result_leaves_no_spill_file(spill_dir: Path) -> None:
    def interrupt(result: FetchResult) -> None:
        raise KeyboardInterrupt

    with FakeWeb() as web:
        urls = [web.add(f"/big{i}", b"y" * 5000, content_type="text/plain") for i in range(3)]
        with pytest.raises(KeyboardInterrupt):
            list(fetch_many(urls, config=cfg(spill_bytes=1000), on_result=interrupt))
    assert _fetch_threads() == []
    assert list(spill_dir.iterdir()) == []


@pytest.mark.parametrize(
    "host", ["2130706433", "0x7f.1", "0177.0.0.1", "127.1", "[::ffff:127.0.0.1]", "[::1]", "0", "localhost"]
)
def test_other_spellings_of_loopback_are_refused(fakeweb: FakeWeb, host: str) -> None:
    # Resolved by the system resolver (numeric forms need no DNS) and checked after resolution.
    result = fetch_one(f"http://{host}:{fakeweb.port()}/a", config=FetchConfig(retries=0))
    assert result.error is ErrorKind.BLOCKED_PRIVATE, result.message
    assert fakeweb.total() == 0


def test_a_404_whose_error_page_is_cut_short_is_still_a_404(fakeweb: FakeWeb) -> None:
    # The status is the answer; a cut error page must not turn "gone" into a retried
    # "truncated" failure (4 requests instead of 1, and `check` saying error instead of dead).
    fakeweb.route("/gone", lambda req, n: Reply(status=404, chunks=[b"n" * 100], length=1000, action="short"))
    slept: list[float] = []
    result = fetch_one(fakeweb.url("/gone"), config=cfg(), sleep=slept.append)
    assert result.status == 404 and result.error is ErrorKind.HTTP_ERROR
    assert result.message.startswith("http_error: 404")
    assert result.truncated and result.body.read() == b"n" * 100
    assert fakeweb.count("/gone") == 1 and slept == []
