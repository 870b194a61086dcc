"""fetch_many: results as they complete, global and per-host limits, independent hosts, 429 slow-down, cancellation."""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections import defaultdict

import pytest
from fakeweb import FakeWeb, Reply, Request

import archiver.fetch as fetch_mod
from archiver.config import FetchConfig
from archiver.errors import InvalidURLError
from archiver.fetch import HostPacer, UrlFeed, fetch_many
from archiver.types import FetchResult


def cfg(**changes: object) -> FetchConfig:
    return dataclasses.replace(FetchConfig(allow_private=True, timeout=5.0, deadline=10.0), **changes)


class Concurrency:
    """A fake-web handler that records how many requests each host serves at once."""

    def __init__(self, hold: float = 0.03) -> None:
        self.hold = hold
        self.lock = threading.Lock()
        self.active: defaultdict[str, int] = defaultdict(int)
        self.peak: defaultdict[str, int] = defaultdict(int)
        self.total = 0
        self.peak_total = 0
        self.release = threading.Event()

    def handler(self, host: str) -> object:
        def handle(req: Request, n: int) -> Reply:
            with self.lock:
                self.active[host] += 1
                self.total += 1
                self.peak[host] = max(self.peak[host], self.active[host])
                self.peak_total = max(self.peak_total, self.total)
            self.release.wait(self.hold)
            with self.lock:
                self.active[host] -= 1
                self.total -= 1
            return Reply(body=f"<p>{req.path}</p>")

        return handle


def test_every_url_fetched_once_and_all_results_yielded() -> None:
    with FakeWeb(hosts=3) as web:
        urls = [web.add(f"/p{i}", f"<p>{i}</p>", host=h) for h in range(3) for i in range(5)]
        results = list(fetch_many(urls, config=cfg()))
        assert sorted(r.url for r in results) == sorted(urls)
        assert all(r.ok for r in results)
        assert web.total() == 15
        assert all(web.count(f"/p{i}", host=h) == 1 for h in range(3) for i in range(5))


def test_per_host_and_global_limits_hold() -> None:
    probe = Concurrency()
    with FakeWeb(hosts=4) as web:
        urls = [web.route(f"/p{i}", probe.handler(str(h)), host=h) for h in range(4) for i in range(6)]
        results = list(fetch_many(urls, config=cfg(workers=5, per_host=2)))
    assert len(results) == 24 and all(r.ok for r in results)
    assert max(probe.peak.values()) <= 2
    assert max(probe.peak.values()) == 2  # the limit is used, not just respected
    assert probe.peak_total <= 5


def test_per_host_one() -> None:
    probe = Concurrency()
    with FakeWeb(hosts=2) as web:
        urls = [web.route(f"/p{i}", probe.handler(str(h)), host=h) for h in range(2) for i in range(4)]
        list(fetch_many(urls, config=cfg(per_host=1)))
    assert max(probe.peak.values()) == 1


def test_results_come_as_they_complete_and_a_slow_host_holds_nobody() -> None:
    with FakeWeb(hosts=2) as web:
        slow = [web.add(f"/slow{i}", "slow", host=0, latency=0.4) for i in range(4)]
        fast = [web.add(f"/fast{i}", "fast", host=1) for i in range(10)]
        # The slow host's URLs come first; with 3 workers and 2 per host, the third worker
        # must serve the fast host instead of waiting for a slow slot.
        order = [r.url for r in fetch_many(slow + fast, config=cfg(workers=3, per_host=2))]
    assert set(order[:10]) == set(fast)
    assert set(order[10:]) == set(slow)


def test_headers_for_and_on_result() -> None:
    seen: list[FetchResult] = []
    with FakeWeb() as web:
        urls = [web.conditional("/c", etag='"v1"'), web.add("/d", "plain")]
        headers = {urls[0]: {"If-None-Match": '"v1"'}}
        results = list(fetch_many(urls, config=cfg(), headers_for=headers.get, on_result=seen.append))
        assert web.last("/c").headers["if-none-match"] == '"v1"'
        assert "if-none-match" not in web.last("/d").headers
    assert [r.url for r in seen] == [r.url for r in results]
    by_url = {r.url: r for r in results}
    assert by_url[urls[0]].status == 304 and by_url[urls[1]].status == 200


def test_invalid_url_raises_before_anything_is_fetched() -> None:
    with FakeWeb() as web:
        url = web.add("/a", "x")
        with pytest.raises(InvalidURLError):
            fetch_many([url, "ftp://example.org/file"], config=cfg())
        assert web.total() == 0


def test_empty_input() -> None:
    assert list(fetch_many([], config=cfg())) == []


def test_429_penalizes_the_host(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, float | None]] = []
    original = HostPacer.penalize

    def spy(self: HostPacer, host: str, now: float, retry_after: float | None) -> None:
        calls.append((host, retry_after))
        original(self, host, now, retry_after)

    monkeypatch.setattr(HostPacer, "penalize", spy)
    with FakeWeb() as web:
        url = web.rate_limited("/rl", retry_after="0", times=1)
        results = list(fetch_many([url], config=cfg(), sleep=lambda s: None))
    assert results[0].ok
    assert calls == [(f"http://127.0.0.1:{web.port()}", 0.0)]


class TestHostPacer:
    def test_slots(self) -> None:
        pacer = HostPacer(per_host=2, delay=0.0, max_delay=60)
        assert pacer.ready_at("h", 0.0) == 0.0
        pacer.start("h", 0.0)
        pacer.start("h", 0.0)
        assert pacer.ready_at("h", 0.0) is None
        assert pacer.ready_at("other", 0.0) == 0.0  # hosts are independent
        pacer.finish("h")
        assert pacer.ready_at("h", 0.0) == 0.0

    def test_min_delay_between_starts(self) -> None:
        pacer = HostPacer(per_host=4, delay=0.5, max_delay=60)
        pacer.start("h", 10.0)
        assert pacer.ready_at("h", 10.1) == 10.5
        pacer.start("h", 10.5)
        assert pacer.ready_at("h", 10.6) == 11.0

    def test_429_slows_every_later_request(self) -> None:
        pacer = HostPacer(per_host=2, delay=0.0, max_delay=60)
        pacer.start("h", 0.0)
        pacer.penalize("h", 0.0, retry_after=5.0)
        pacer.finish("h")
        assert pacer.ready_at("h", 1.0) == 5.0  # nothing before Retry-After
        assert pacer.delay_of("h") == 1.0  # spacing after that
        pacer.start("h", 5.0)
        assert pacer.ready_at("h", 5.0) is None  # one slot only from now on
        pacer.finish("h")
        assert pacer.ready_at("h", 5.1) == 6.0
        pacer.penalize("h", 6.0, None)
        assert pacer.delay_of("h") == 2.0  # doubles with every 429
        assert pacer.ready_at("other", 1.0) == 1.0

    def test_penalty_capped(self) -> None:
        pacer = HostPacer(per_host=2, delay=0.0, max_delay=3.0)
        for _ in range(5):
            pacer.penalize("h", 0.0, 100.0)
        assert pacer.delay_of("h") == 3.0
        assert pacer.ready_at("h", 0.0) == 3.0


def _fetch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("archiver-fetch")]


def test_closing_the_generator_cancels_the_run() -> None:
    with FakeWeb() as web:
        urls = [web.add("/first", "x")] + [web.add(f"/p{i}", "x", latency=0.2) for i in range(30)]
        gen = fetch_many(urls, config=cfg(workers=2, per_host=2))
        with contextlib.closing(gen):
            first = next(gen)
        assert first.ok
        assert web.total() < 10
        assert _fetch_threads() == []


def test_keyboard_interrupt_cancels_and_aborts_hanging_downloads() -> None:
    def interrupt(result: FetchResult) -> None:
        raise KeyboardInterrupt

    with FakeWeb() as web:
        urls = [web.hang("/h1"), web.hang("/h2"), web.add("/ok", "x")]
        # A 30 s read timeout: only the cancellation can end the hanging downloads quickly.
        with pytest.raises(KeyboardInterrupt):
            list(fetch_many(urls, config=cfg(workers=3, per_host=3, timeout=30, deadline=60), on_result=interrupt))
        assert _fetch_threads() == []
        assert web.count("/ok") == 1


def test_workers_get_their_own_sessions(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[object] = []
    real = fetch_mod.make_session

    def counting(*args: object, **kwargs: object) -> object:
        session = real(*args, **kwargs)
        made.append(session)
        return session

    monkeypatch.setattr(fetch_mod, "make_session", counting)
    with FakeWeb() as web:
        urls = [web.add(f"/p{i}", "x") for i in range(12)]
        list(fetch_many(urls, config=cfg(workers=2, per_host=2)))
        assert web.total() == 12
    assert 1 <= len(made) <= 2  # one per worker thread, reused across URLs


def test_retries_under_fetch_many_use_the_injected_sleep() -> None:
    slept: list[float] = []
    with FakeWeb() as web:
        urls = [web.always("/u", 503), web.flaky("/f", failures=2)]
        results = {r.url: r for r in fetch_many(urls, config=cfg(retries=3), sleep=slept.append)}
        assert web.count("/u") == 4 and web.count("/f") == 3
    assert results[urls[0]].status == 503 and results[urls[1]].ok
    assert len(slept) == 5


def test_ctrl_c_received_by_another_thread_still_stops_the_consumer(fakeweb: FakeWeb) -> None:
    """The kernel may hand SIGINT to any thread; the consumer must not sleep through it."""
    import signal
    import time

    url = fakeweb.hang("/forever")
    config = FetchConfig(allow_private=True, retries=0, timeout=30, deadline=30)
    ready = threading.Event()

    def interrupt_from_another_thread() -> None:
        ready.wait(5)
        time.sleep(0.3)
        signal.pthread_kill(threading.get_ident(), signal.SIGINT)  # delivered to this thread, not the main one

    helper = threading.Thread(target=interrupt_from_another_thread, daemon=True)
    # Python's own Ctrl-C handler, even when this process was started with SIGINT ignored
    # (a background job of a shell without job control).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        helper.start()
        started = time.monotonic()
        ready.set()
        with pytest.raises(KeyboardInterrupt):
            for _ in fetch_mod.fetch_many([url], config=config):
                pass  # pragma: no cover - the page never answers
        helper.join(5)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert time.monotonic() - started < 10  # acted on within a poll, not when the 30 s timeout ends


# -- UrlFeed: URLs added while a run goes on ---------------------------------------------------


def test_fed_urls_are_fetched_and_the_run_ends_only_once_the_feed_is_closed() -> None:
    with FakeWeb(hosts=2) as web:
        first = [web.add(f"/p{i}", "x", host=h) for h in range(2) for i in range(3)]
        extra = [web.add(f"/extra{i}", "y", host=1) for i in range(2)]
        feed = UrlFeed()
        got: list[str] = []
        for result in fetch_many(first, config=cfg(workers=4), feed=feed):
            got.append(result.url)
            if len(got) == 1:
                for url in extra:
                    feed.add(url)
            if len(got) == len(first) + len(extra) - 1:
                assert not feed.closed  # everything fetched but the last: the run is still open
            if sorted(got) == sorted(first + extra):
                feed.close()  # nothing more will come: the iterator ends
        assert sorted(got) == sorted(first + extra)
        assert all(web.count(f"/extra{i}", host=1) == 1 for i in range(2))
        assert _fetch_threads() == []


def test_fed_urls_go_ahead_of_their_hosts_waiting_urls_in_the_order_added() -> None:
    order: list[str] = []

    def record(req: Request, n: int) -> Reply:
        order.append(req.path)
        return Reply(body="x", latency=0.05)  # the worker is busy with the next URL while we add

    with FakeWeb() as web:
        urls = [web.route(f"/p{i}", record) for i in range(8)]
        fed = [web.route(f"/fed{i}", record) for i in range(2)]
        feed = UrlFeed()
        for n, _result in enumerate(fetch_many(urls, config=cfg(workers=1, per_host=1), feed=feed), 1):
            if n == 2:
                feed.add(fed[0])
                feed.add(fed[1])
            if n == len(urls) + len(fed):
                feed.close()
    # /p0 and /p1 came back and /p2 (the results queue holds two, so perhaps /p3) started
    # meanwhile: the fed URLs come next, in the order added, before the host's other URLs
    assert order[:3] == ["/p0", "/p1", "/p2"]
    at = order.index("/fed0")
    assert at <= 4 and order[at + 1] == "/fed1"
    assert sorted(order) == sorted([f"/p{i}" for i in range(8)] + ["/fed0", "/fed1"])


def test_fed_urls_keep_the_per_host_limit() -> None:
    probe = Concurrency(hold=0.05)
    with FakeWeb(hosts=2) as web:
        urls = [web.route(f"/p{i}", probe.handler(str(h)), host=h) for h in range(2) for i in range(4)]
        fed = [web.route(f"/f{i}", probe.handler("0"), host=0) for i in range(6)]
        feed = UrlFeed()
        for n, _result in enumerate(fetch_many(urls, config=cfg(workers=8, per_host=2), feed=feed), 1):
            if n == 1:
                for url in fed:
                    feed.add(url)
            if n == len(urls) + len(fed):
                feed.close()
    assert probe.peak["0"] == 2 and probe.peak["1"] == 2


def test_feed_errors_and_an_empty_start() -> None:
    feed = UrlFeed()
    with pytest.raises(InvalidURLError):
        feed.add("ftp://example.org/file")
    with FakeWeb() as web:
        url = web.add("/only", "x")
        feed.add(url)  # before the run starts: fetched once it does
        feed.close()
        assert [r.url for r in fetch_many([], config=cfg(), feed=feed)] == [url]
        with pytest.raises(RuntimeError):
            feed.add(url)
        with pytest.raises(RuntimeError):  # one feed serves one run
            list(fetch_many([url], config=cfg(), feed=feed))


def test_leaving_a_run_with_an_open_feed_cancels_it() -> None:
    with FakeWeb() as web:
        urls = [web.add(f"/p{i}", "x") for i in range(3)]
        feed = UrlFeed()
        gen = fetch_many(urls, config=cfg(workers=2), feed=feed)
        with contextlib.closing(gen):
            assert next(gen).ok
        assert _fetch_threads() == []  # the workers waiting for more URLs were told to stop


def test_no_host_waits_for_busier_hosts_to_drain() -> None:
    # Two workers, three hosts of 12 URLs at 50 ms: a worker keeps its host (its connection is
    # open), but a host left waiting gets a worker within about _STARVE_SECONDS, not only once
    # another host ran dry (12 x 50 ms later).
    import time

    import archiver.fetch as fetch_module

    first: dict[int, float] = {}

    def record(host: int) -> object:
        def handle(req: Request, n: int) -> Reply:
            first.setdefault(host, time.monotonic())
            return Reply(body="x", latency=0.05)

        return handle

    with FakeWeb(hosts=3) as web:
        urls = [web.route(f"/p{i}", record(h), host=h) for h in range(3) for i in range(12)]
        begin = time.monotonic()
        assert len(list(fetch_many(urls, config=cfg(workers=2, per_host=2)))) == 36
    waited = max(first.values()) - begin
    assert waited < fetch_module._STARVE_SECONDS + 0.25, waited  # ran dry only after ~0.6 s


def test_delay_spaces_the_starts_to_one_host_and_only_to_that_host() -> None:
    import time

    starts: defaultdict[int, list[float]] = defaultdict(list)

    def record(host: int) -> object:
        def handle(req: Request, n: int) -> Reply:
            starts[host].append(time.monotonic())
            return Reply(body="x")

        return handle

    with FakeWeb(hosts=2) as web:
        urls = [web.route(f"/p{i}", record(h), host=h) for h in range(2) for i in range(4)]
        begin = time.monotonic()
        assert len(list(fetch_many(urls, config=cfg(workers=4, per_host=2, delay=0.2)))) == 8
        took = time.monotonic() - begin
    for host in range(2):
        gaps = [b - a for a, b in zip(starts[host], starts[host][1:], strict=False)]
        assert len(gaps) == 3 and min(gaps) >= 0.18, gaps
    assert abs(starts[0][0] - starts[1][0]) < 0.15  # the other host did not wait for this one's spacing
    assert took < 1.5  # 3 gaps of 0.2 s per host, the hosts side by side
