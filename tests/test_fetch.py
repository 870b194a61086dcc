"""fetch_one against the fake web: every case of issue [2/5], with server-side counts.

Retry waits go to an injected ``sleep`` (recorded, never slept), so these tests run fast.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import os
from pathlib import Path

import pytest
from fakeweb import FakeWeb, Reply, Request, closed_url

import archiver.fetch as fetch_mod
from archiver.config import FetchConfig
from archiver.errors import InvalidURLError
from archiver.fetch import fetch_one, host_key
from archiver.net import StaticResolver, make_session
from archiver.types import ErrorKind

FIXTURES = Path(__file__).parent / "fixtures" / "fetch"


def cfg(**changes: object) -> FetchConfig:
    """Test defaults: the fake web is on 127.0.0.1, so private addresses are allowed."""
    return dataclasses.replace(FetchConfig(allow_private=True, timeout=2.0, deadline=10.0), **changes)


@pytest.fixture
def slept() -> list[float]:
    return []


def test_200_html_page(fakeweb: FakeWeb, slept: list[float]) -> None:
    body = "<html><body><p>Hello, world — ünïcödé</p></body></html>"
    url = fakeweb.add("/a", body=body)
    result = fetch_one(url, config=cfg(), sleep=slept.append)
    assert result.ok and result.error is None and result.message is None
    assert result.status == 200
    assert result.url == url and result.final_url == url
    assert result.redirects == ()
    assert result.content_type == "text/html" and result.is_html
    assert result.body is not None and result.body.read() == body.encode()
    assert result.body.sha256 == hashlib.sha256(body.encode()).hexdigest()
    assert result.body.size == len(body.encode())
    assert (result.encoding, result.encoding_source) == ("utf-8", "header")
    assert result.text() == body
    assert result.attempts == 1 and not result.truncated
    assert result.headers["Content-Type"] == "text/html; charset=utf-8"
    assert result.fetched_at is not None
    assert fakeweb.count("/a") == 1 and slept == []
    sent = fakeweb.last("/a")
    assert sent is not None and sent.headers["user-agent"].startswith("archiver/")


def test_user_agent_is_configurable(fakeweb: FakeWeb) -> None:
    fetch_one(fakeweb.add("/a", "x"), config=cfg(user_agent="TestBot/1.0"))
    assert fakeweb.last("/a").headers["user-agent"] == "TestBot/1.0"


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_chain_every_hop_recorded(fakeweb: FakeWeb, status: int) -> None:
    url = fakeweb.redirect_chain("/r", hops=3, final_body="<p>end</p>", status=status)
    result = fetch_one(url, config=cfg())
    assert result.ok and result.status == 200
    assert [h.status for h in result.redirects] == [status] * 3
    assert [h.url for h in result.redirects] == [fakeweb.url(p) for p in ("/r", "/r/1", "/r/2")]
    assert result.final_url == fakeweb.url("/r/final")
    assert result.body.read() == b"<p>end</p>"
    assert [fakeweb.count(p) for p in ("/r", "/r/1", "/r/2", "/r/final")] == [1, 1, 1, 1]


def test_relative_and_cross_host_redirects() -> None:
    with FakeWeb(hosts=2) as web:
        web.add("/there", "<p>other host</p>", host=1)
        web.redirect("/b", web.url("/there", host=1), status=301)
        web.redirect("/a", "b", status=302)  # relative Location
        result = fetch_one(web.url("/a"), config=cfg())
        assert result.ok
        assert result.final_url == web.url("/there", host=1)
        assert [h.status for h in result.redirects] == [302, 301]


def test_redirect_loop_fails_without_retry(fakeweb: FakeWeb, slept: list[float]) -> None:
    result = fetch_one(fakeweb.redirect_loop("/l"), config=cfg(), sleep=slept.append)
    assert result.error is ErrorKind.REDIRECT_LOOP and not result.ok
    assert result.message.startswith("redirect_loop: ")
    assert len(result.redirects) == 2
    assert fakeweb.count("/l") == 1 and fakeweb.count("/l/b") == 1
    assert result.attempts == 1 and slept == []


def test_ten_redirects_are_followed_eleven_are_too_many(fakeweb: FakeWeb) -> None:
    assert fetch_one(fakeweb.redirect_chain("/ten", hops=10), config=cfg()).ok
    result = fetch_one(fakeweb.redirect_chain("/eleven", hops=11), config=cfg())
    assert result.error is ErrorKind.TOO_MANY_REDIRECTS
    assert len(result.redirects) == 11
    assert fakeweb.count("/eleven/final") == 0


@pytest.mark.parametrize("status", [404, 410, 403, 400])
def test_final_4xx_is_data_and_not_retried(fakeweb: FakeWeb, slept: list[float], status: int) -> None:
    url = fakeweb.always("/gone", status=status, body="<h1>nope</h1>")
    result = fetch_one(url, config=cfg(), sleep=slept.append)
    assert not result.ok
    assert result.status == status and result.error is ErrorKind.HTTP_ERROR
    assert result.message.startswith(f"http_error: {status}")
    assert result.body.read() == b"<h1>nope</h1>"  # the error page is kept
    assert fakeweb.count("/gone") == 1 and result.attempts == 1 and slept == []


def test_500_then_200_is_retried_once(fakeweb: FakeWeb, slept: list[float]) -> None:
    result = fetch_one(fakeweb.flaky("/f", failures=1, status=500), config=cfg(), sleep=slept.append)
    assert result.ok and result.status == 200
    assert fakeweb.count("/f") == 2 and result.attempts == 2 and len(slept) == 1


@pytest.mark.parametrize("retries", [0, 1, 3])
def test_503_forever_is_retried_exactly_as_configured(fakeweb: FakeWeb, slept: list[float], retries: int) -> None:
    result = fetch_one(fakeweb.always("/u", status=503), config=cfg(retries=retries), sleep=slept.append)
    assert result.error is ErrorKind.HTTP_ERROR and result.status == 503
    assert fakeweb.count("/u") == retries + 1
    assert result.attempts == retries + 1 and len(slept) == retries
    assert all(later >= earlier for earlier, later in zip(slept, slept[1:], strict=False)) or retries < 2


def test_429_with_retry_after_is_waited_for(fakeweb: FakeWeb, slept: list[float]) -> None:
    result = fetch_one(fakeweb.rate_limited("/rl", retry_after="1"), config=cfg(), sleep=slept.append)
    assert result.ok
    assert slept == [1.0]
    assert fakeweb.count("/rl") == 2


def test_retry_after_beyond_the_cap_fails_as_rate_limited_at_once(fakeweb: FakeWeb, slept: list[float]) -> None:
    url = fakeweb.rate_limited("/rl", retry_after="3600", times=99)
    result = fetch_one(url, config=cfg(max_retry_after=60), sleep=slept.append)
    assert result.error is ErrorKind.RATE_LIMITED and result.status == 429
    assert "3600" in result.message
    assert slept == [] and fakeweb.count("/rl") == 1


def test_429_forever_ends_rate_limited(fakeweb: FakeWeb, slept: list[float]) -> None:
    url = fakeweb.rate_limited("/rl", retry_after=None, times=99)
    result = fetch_one(url, config=cfg(retries=2), sleep=slept.append)
    assert result.error is ErrorKind.RATE_LIMITED
    assert fakeweb.count("/rl") == 3


def test_reset_connection_is_retried(fakeweb: FakeWeb, slept: list[float]) -> None:
    result = fetch_one(fakeweb.reset("/x"), config=cfg(retries=2), sleep=slept.append)
    assert result.error is ErrorKind.RESET and result.status is None and result.body is None
    assert fakeweb.count("/x") == 3 and len(slept) == 2


def test_server_that_never_answers_times_out(fakeweb: FakeWeb, slept: list[float]) -> None:
    result = fetch_one(fakeweb.hang("/h"), config=cfg(timeout=0.2, retries=1), sleep=slept.append)
    assert result.error is ErrorKind.TIMEOUT
    assert result.message.startswith("timeout: ")
    assert fakeweb.count("/h") == 2


class FakeClock:
    """A clock that moves one second each time it is read."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def test_slow_drip_is_cut_by_the_deadline(fakeweb: FakeWeb) -> None:
    url = fakeweb.drip("/d", size=100_000, interval=0.001)
    result = fetch_one(url, config=cfg(deadline=20, retries=0), clock=FakeClock())
    assert result.error is ErrorKind.TIMEOUT and result.truncated
    assert result.status == 200
    assert result.body is not None and 0 < result.body.size < 100_000
    assert "did not finish" in result.message


def test_huge_body_is_capped_and_kept(fakeweb: FakeWeb) -> None:
    url = fakeweb.huge("/big", size=200_000_000)
    result = fetch_one(url, config=cfg(max_bytes=1_000_000))
    try:
        assert result.error is ErrorKind.TOO_LARGE and result.truncated
        assert result.body.size == 1_000_000
        assert result.body.read() == b"A" * 1_000_000
        assert fakeweb.count("/big") == 1  # too_large is final
    finally:
        result.body.discard()


def test_body_of_exactly_max_bytes_is_complete(fakeweb: FakeWeb) -> None:
    result = fetch_one(fakeweb.add("/exact", b"x" * 1000, content_type="text/plain"), config=cfg(max_bytes=1000))
    assert result.ok and not result.truncated and result.body.size == 1000


def test_gzip_bomb_is_capped_after_decompression(fakeweb: FakeWeb) -> None:
    result = fetch_one(fakeweb.gzip_bomb("/bomb", size=10_000_000_000), config=cfg(max_bytes=2_000_000))
    try:
        assert result.error is ErrorKind.TOO_LARGE and result.truncated
        assert result.body.size == 2_000_000
    finally:
        result.body.discard()


def test_gzip_body_is_stored_decompressed(fakeweb: FakeWeb) -> None:
    html = b"<html><body>" + b"<p>compressible</p>" * 500 + b"</body></html>"
    url = fakeweb.add("/gz", gzip.compress(html), headers={"Content-Encoding": "gzip"})
    result = fetch_one(url, config=cfg())
    assert result.ok and result.body.read() == html
    assert result.body.sha256 == hashlib.sha256(html).hexdigest()


def test_body_shorter_than_content_length_is_kept_truncated(fakeweb: FakeWeb, slept: list[float]) -> None:
    url = fakeweb.short_body("/s", sent=100, length=1000)
    result = fetch_one(url, config=cfg(retries=1), sleep=slept.append)
    assert result.error is ErrorKind.TRUNCATED and result.truncated and not result.ok
    assert result.body.read() == b"b" * 100
    assert "100 of 1000" in result.message
    assert fakeweb.count("/s") == 2  # a cut body is worth another try


def test_body_cut_by_reset_is_kept_truncated(fakeweb: FakeWeb) -> None:
    result = fetch_one(fakeweb.reset_midway("/m", sent=1000, length=5000), config=cfg(retries=0))
    assert result.error is ErrorKind.TRUNCATED and result.truncated
    assert result.body.size == 1000


def test_closed_port_is_refused(slept: list[float]) -> None:
    result = fetch_one(closed_url("/x"), config=cfg(retries=2), sleep=slept.append)
    assert result.error is ErrorKind.REFUSED
    assert result.message.startswith("refused: ")
    assert result.attempts == 3 and len(slept) == 2


def test_unresolvable_host_is_final_at_once(slept: list[float]) -> None:
    resolver = StaticResolver({"www.gone.example": StaticResolver.NXDOMAIN})
    result = fetch_one("https://www.gone.example/news", config=cfg(), resolver=resolver, sleep=slept.append)
    assert result.error is ErrorKind.DNS
    assert result.message == "dns: could not resolve host www.gone.example"
    assert result.attempts == 1 and slept == []
    assert resolver.calls == ["www.gone.example"]


def test_temporary_resolver_failure_is_retried(slept: list[float]) -> None:
    resolver = StaticResolver({"flaky.example": StaticResolver.TEMPFAIL})
    result = fetch_one("http://flaky.example/", config=cfg(retries=3), resolver=resolver, sleep=slept.append)
    assert result.error is ErrorKind.DNS and result.attempts == 4
    assert len(resolver.calls) == 4 and len(slept) == 3


def test_resolver_seam_decides_where_connections_go(fakeweb: FakeWeb) -> None:
    fakeweb.add("/a", "<p>via name</p>")
    resolver = StaticResolver({"news.example": ["127.0.0.1"]})
    url = f"http://news.example:{fakeweb.port()}/a"
    result = fetch_one(url, config=cfg(), resolver=resolver)
    assert result.ok and result.body.read() == b"<p>via name</p>"
    assert fakeweb.last("/a").headers["host"] == f"news.example:{fakeweb.port()}"


def test_private_addresses_are_refused_by_default(fakeweb: FakeWeb) -> None:
    url = fakeweb.add("/a", "secret intranet page")
    result = fetch_one(url, config=FetchConfig(), sleep=lambda s: None)
    assert result.error is ErrorKind.BLOCKED_PRIVATE
    assert "loopback" in result.message and "--allow-private" in result.message
    assert fakeweb.count("/a") == 0


def test_name_resolving_to_private_address_is_refused() -> None:
    resolver = StaticResolver({"intranet.example": ["10.1.2.3"], "meta.example": ["169.254.169.254"]})
    for host, reason in (("intranet.example", "private"), ("meta.example", "link-local")):
        result = fetch_one(f"http://{host}/", config=FetchConfig(), resolver=resolver)
        assert result.error is ErrorKind.BLOCKED_PRIVATE and reason in result.message


def test_redirect_hop_to_a_private_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # Treat 127.0.0.1 as public for this test, and another loopback address as private:
    # the first hop passes the check, the redirect target must be checked again.
    monkeypatch.setattr(fetch_mod, "blocked_reason", lambda a: None if a == "127.0.0.1" else "private")
    with FakeWeb() as web:
        resolver = StaticResolver({"public.example": ["127.0.0.1"], "internal.example": ["127.0.0.9"]})
        web.redirect("/go", f"http://internal.example:{web.port()}/admin", status=302)
        web.add("/admin", "admin panel")
        result = fetch_one(f"http://public.example:{web.port()}/go", config=FetchConfig(), resolver=resolver)
        assert result.error is ErrorKind.BLOCKED_PRIVATE
        assert [h.status for h in result.redirects] == [302]
        assert web.count("/go") == 1 and web.count("/admin") == 0


def test_credentials_in_url_are_used_but_never_shown(fakeweb: FakeWeb) -> None:
    fakeweb.redirect("/login", "/missing", status=302)
    url = f"http://reader:s3cret@127.0.0.1:{fakeweb.port()}/login"
    result = fetch_one(url, config=cfg())
    assert result.status == 404
    assert fakeweb.last("/login").headers.get("authorization", "").startswith("Basic ")
    shown = " ".join([result.final_url, result.message or "", *(h.url for h in result.redirects)])
    assert "s3cret" not in shown
    assert "reader:***@" in result.redirects[0].url


def test_conditional_request_304_is_success_without_body(fakeweb: FakeWeb) -> None:
    url = fakeweb.conditional("/c", etag='"v1"')
    first = fetch_one(url, config=cfg())
    assert first.status == 200 and first.headers["ETag"] == '"v1"'
    again = fetch_one(url, config=cfg(), headers={"If-None-Match": '"v1"'})
    assert again.ok and again.status == 304 and again.body is None and again.error is None
    assert fakeweb.last("/c").headers["if-none-match"] == '"v1"'
    changed = fetch_one(url, config=cfg(), headers={"If-None-Match": '"v0"'})
    assert changed.status == 200 and changed.body is not None


def test_if_modified_since_passes_through(fakeweb: FakeWeb) -> None:
    url = fakeweb.conditional("/c", last_modified="Mon, 01 Jan 2024 00:00:00 GMT")
    result = fetch_one(url, config=cfg(), headers={"If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"})
    assert result.status == 304 and result.ok


def test_robots_not_consulted_by_default(fakeweb: FakeWeb) -> None:
    fakeweb.add("/robots.txt", "User-agent: *\nDisallow: /\n", content_type="text/plain")
    assert fetch_one(fakeweb.add("/private/a", "x"), config=cfg()).ok
    assert fakeweb.count("/robots.txt") == 0


def test_respect_robots_refusal_is_recorded(fakeweb: FakeWeb) -> None:
    fakeweb.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    blocked = fetch_one(fakeweb.add("/private/a", "x"), config=cfg(respect_robots=True))
    assert blocked.error is ErrorKind.ROBOTS and blocked.message.startswith("robots: ")
    assert fakeweb.count("/private/a") == 0
    allowed = fetch_one(fakeweb.add("/public/b", "y"), config=cfg(respect_robots=True))
    assert allowed.ok


def test_respect_robots_with_missing_robots_txt_allows(fakeweb: FakeWeb) -> None:
    assert fetch_one(fakeweb.add("/a", "x"), config=cfg(respect_robots=True)).ok
    assert fakeweb.count("/robots.txt") == 1


@pytest.mark.parametrize(
    ("name", "encoding", "needle"),
    [
        ("utf8_meta.html", "utf-8", "Ёлка"),
        ("cp1251_meta.html", "cp1251", "столица России"),
        ("shift_jis_meta.html", "cp932", "東京は日本の首都"),
    ],
)
def test_charset_only_in_meta(fakeweb: FakeWeb, name: str, encoding: str, needle: str) -> None:
    data = (FIXTURES / name).read_bytes()
    result = fetch_one(fakeweb.add(f"/{name}", data, content_type="text/html"), config=cfg())
    assert (result.encoding, result.encoding_source) == (encoding, "meta")
    assert needle in result.text()
    assert result.body.read() == data  # raw bytes kept as received


def test_charset_pages_from_the_fakeweb_helper(fakeweb: FakeWeb) -> None:
    url = fakeweb.charset_page("/ru", "Привет, как дела? Это тестовая страница.", "windows-1251")
    result = fetch_one(url, config=cfg())
    assert result.encoding == "cp1251" and "Привет" in result.text()


def test_latin1_page_without_charset_is_detected(fakeweb: FakeWeb) -> None:
    data = (FIXTURES / "latin1_nometa.html").read_bytes()
    result = fetch_one(fakeweb.add("/de", data, content_type="text/html"), config=cfg())
    assert (result.encoding, result.encoding_source) == ("cp1252", "detected")
    assert "Grüße aus München" in result.text()


@pytest.mark.parametrize(
    ("name", "declared", "expected", "text"),
    [
        ("sample.pdf", "application/pdf", "application/pdf", False),
        ("sample.pdf", None, "application/pdf", False),
        ("sample.pdf", "application/octet-stream", "application/pdf", False),
        ("pixel.png", "image/png", "image/png", False),
        ("pixel.png", "text/html", "image/png", False),
        ("plain.txt", "text/plain; charset=utf-8", "text/plain", True),
        ("plain.txt", None, "text/plain", True),
        ("utf8_meta.html", None, "text/html", True),
    ],
)
def test_content_types_and_sniffing(
    fakeweb: FakeWeb, name: str, declared: str | None, expected: str, text: bool
) -> None:
    data = (FIXTURES / name).read_bytes()
    result = fetch_one(fakeweb.add("/doc", data, content_type=declared), config=cfg())
    assert result.ok and result.content_type == expected
    assert result.body.read() == data
    assert (result.encoding is not None) is text
    if not text:
        assert result.text() is None


def test_large_body_spills_to_a_temporary_file(fakeweb: FakeWeb) -> None:
    data = os.urandom(50_000)
    url = fakeweb.add("/bin", data, content_type="application/octet-stream")
    result = fetch_one(url, config=cfg(spill_bytes=10_000))
    assert result.ok and result.body.data is None and result.body.path is not None
    assert os.path.exists(result.body.path)
    assert result.body.read() == data and result.body.sha256 == hashlib.sha256(data).hexdigest()
    result.body.discard()
    assert not os.path.exists(result.body.path)


def test_small_body_stays_in_memory(fakeweb: FakeWeb) -> None:
    result = fetch_one(fakeweb.add("/s", "small"), config=cfg())
    assert result.body.path is None and result.body.data == b"small"


def test_cookies_do_not_cross_hosts() -> None:
    with FakeWeb(hosts=2) as web:
        web.add("/next", "<p>second host</p>", host=1)
        headers = {"Set-Cookie": "sid=abc; Path=/", "Location": web.url("/next", 1)}
        web.route("/set", lambda req, n: Reply(status=302, headers=headers))
        result = fetch_one(web.url("/set"), config=cfg())
        assert result.ok
        assert "cookie" not in web.last("/next", host=1).headers


def test_cookies_follow_a_same_host_redirect(fakeweb: FakeWeb) -> None:
    headers = {"Set-Cookie": "sid=abc; Path=/", "Location": "/in"}
    fakeweb.route("/set", lambda req, n: Reply(status=302, headers=headers))
    fakeweb.add("/in", "welcome")
    assert fetch_one(fakeweb.url("/set"), config=cfg()).ok
    assert fakeweb.last("/in").headers.get("cookie") == "sid=abc"


def test_the_sessions_own_cookie_jar_is_neither_sent_nor_filled(fakeweb: FakeWeb) -> None:
    session = make_session("archiver-test")
    session.cookies.set("stale", "1", domain="127.0.0.1", path="/")
    fakeweb.route("/set", lambda req, n: Reply(body="hi", headers={"Set-Cookie": "sid=abc; Path=/"}))
    assert fetch_one(fakeweb.url("/set"), config=cfg(), session=session).ok
    assert fetch_one(fakeweb.url("/set"), config=cfg(), session=session).ok
    assert "cookie" not in fakeweb.last("/set").headers  # neither the jar's cookie nor the first fetch's
    assert [c.name for c in session.cookies] == ["stale"]
    session.close()


def test_a_session_header_set_to_none_is_not_sent(fakeweb: FakeWeb) -> None:
    session = make_session("archiver-test")
    session.headers["Accept-Encoding"] = None
    url = fakeweb.add("/n", "x")
    assert fetch_one(url, config=cfg(), session=session).ok
    assert "gzip" not in fakeweb.last("/n").headers.get("accept-encoding", "")  # http.client's default remains
    fetch_one(url, config=cfg(), session=session, headers={"Accept": None})  # type: ignore[dict-item]
    assert "accept" not in fakeweb.last("/n").headers  # None from the caller drops the session's header
    session.close()


def test_caller_headers_override_the_sessions_whatever_their_case(fakeweb: FakeWeb) -> None:
    url = fakeweb.add("/h", "x")
    fetch_one(url, config=cfg(), headers={"accept": "text/plain", "X-Extra": "1"})
    seen = fakeweb.last("/h").headers
    assert seen["accept"] == "text/plain" and seen["x-extra"] == "1"
    assert seen["user-agent"].startswith("archiver/") and "gzip" in seen["accept-encoding"]


def test_userinfo_in_the_url_is_sent_as_basic_auth(fakeweb: FakeWeb) -> None:
    url = fakeweb.add("/private", "secret")
    result = fetch_one(url.replace("http://", "http://reader:pa%20ss@"), config=cfg())
    assert result.ok and "pa ss" not in result.final_url  # redacted in what is recorded
    assert fakeweb.last("/private").headers["authorization"] == "Basic cmVhZGVyOnBhIHNz"


def test_authorization_header_not_sent_to_another_host() -> None:
    with FakeWeb(hosts=2) as web:
        web.add("/b", "b", host=1)
        web.redirect("/a", web.url("/b", host=1))
        fetch_one(web.url("/a"), config=cfg(), headers={"Authorization": "Bearer t", "If-None-Match": '"x"'})
        assert web.last("/a").headers["authorization"] == "Bearer t"
        other = web.last("/b", host=1).headers
        assert "authorization" not in other and other["if-none-match"] == '"x"'


def test_redirect_to_unsupported_scheme(fakeweb: FakeWeb) -> None:
    result = fetch_one(fakeweb.redirect("/ftp", "ftp://files.example/x"), config=cfg())
    assert result.error is ErrorKind.HTTP_ERROR and "unsupported" in result.message


@pytest.mark.parametrize("url", ["ftp://example.org/x", "mailto:a@b.c", "example.org/page", "http://"])
def test_non_http_urls_raise(url: str) -> None:
    with pytest.raises(InvalidURLError):
        fetch_one(url)


def test_given_session_is_used_and_left_open(fakeweb: FakeWeb) -> None:
    session = make_session("Custom/2")
    fetch_one(fakeweb.add("/a", "x"), config=cfg(), session=session)
    fetch_one(fakeweb.url("/a"), config=cfg(), session=session)
    assert fakeweb.last("/a").headers["user-agent"] == "Custom/2"
    assert fakeweb.count("/a") == 2
    session.close()


def test_elapsed_uses_the_injected_clock(fakeweb: FakeWeb) -> None:
    result = fetch_one(fakeweb.add("/a", "x"), config=cfg(), clock=FakeClock())
    assert result.elapsed > 0 and result.elapsed == int(result.elapsed)


def test_handler_sees_request_number(fakeweb: FakeWeb) -> None:
    def handler(req: Request, n: int) -> Reply:
        return Reply(body=f"visit {n}")

    url = fakeweb.route("/n", handler)
    assert fetch_one(url, config=cfg()).body.read() == b"visit 1"
    assert fetch_one(url, config=cfg()).body.read() == b"visit 2"


def test_changing_the_web_after_creation(fakeweb: FakeWeb) -> None:
    url = fakeweb.add("/p", "<p>first version</p>")
    assert fetch_one(url, config=cfg()).body.read() == b"<p>first version</p>"
    fakeweb.add("/p", "<p>second version</p>")
    assert fetch_one(url, config=cfg()).body.read() == b"<p>second version</p>"
    fakeweb.remove("/p")
    assert fetch_one(url, config=cfg()).status == 404


def test_host_key() -> None:
    from archiver.fetch import _cached_host_key

    assert host_key("https://user:secret@Example.org/a") == "https://example.org:443"
    before = _cached_host_key.cache_info().currsize
    host_key("https://user:secret2@example.net/a")  # credentials are never kept in the cache
    assert _cached_host_key.cache_info().currsize == before
    assert host_key("https://Example.org/a") == "https://example.org:443"
    assert host_key("http://example.org:8080/") == "http://example.org:8080"
    assert host_key("http://example.org/") != host_key("https://example.org/")


def test_header_names_are_case_insensitive(fakeweb: FakeWeb) -> None:
    data = (FIXTURES / "cp1251_nometa.html").read_bytes()
    url = fakeweb.add("/lc", data, content_type=None, headers={"content-type": "text/html; charset=windows-1251"})
    result = fetch_one(url, config=cfg())
    assert (result.encoding, result.encoding_source) == ("cp1251", "header")
    assert result.headers["Content-Type"] == result.headers["content-type"] == "text/html; charset=windows-1251"
    assert "content-type" in list(result.headers)  # the server's spelling is kept
