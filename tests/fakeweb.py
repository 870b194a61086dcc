"""A fake web on 127.0.0.1 for tests and bench scripts: pages, faults and request counts.

Never touches the internet. Each *host* is a threaded HTTP/1.1 server (keep-alive) on
its own port of 127.0.0.1 ("a host is scheme + host name + port", so distinct ports
are distinct hosts for the fetcher's per-host limits).

Quick use (pytest): the ``fakeweb`` fixture in ``tests/conftest.py`` yields a started
:class:`FakeWeb` and stops it after the test::

    def test_something(fakeweb):
        url = fakeweb.add("/a", body="<html>hi</html>")          # returns the full URL
        ...fetch url...
        assert fakeweb.count("/a") == 1                          # server-side count

From a bench script or anywhere else::

    sys.path.insert(0, "tests"); from fakeweb import FakeWeb, Reply
    with FakeWeb(hosts=8, latency=0.1) as web:
        urls = [web.add(f"/p{i}", body="x", host=h) for h in range(8) for i in range(40)]

API (every method taking ``host=`` addresses host number 0, 1, ...; default 0):

- ``FakeWeb(hosts=1, latency=0.0)``: ``latency`` seconds are slept before every
  answer (all hosts); ``web.latency`` can be changed at any time.
- ``web.url(path, host=0)`` -> ``"http://127.0.0.1:PORT/path"``; ``web.base(host)``;
  ``web.hostport(host)`` -> ``"127.0.0.1:PORT"``.
- ``web.add(path, body=b"", status=200, headers=None, content_type="text/html; charset=utf-8",
  host=0, latency=0.0)`` -> URL. ``body`` may be ``str`` (UTF-8 encoded) or ``bytes``;
  ``content_type=None`` sends no Content-Type header. Calling ``add`` again on the same
  path REPLACES the page: that is how a test changes the web after archiving.
- ``web.route(path, handler, host=0)`` -> URL: dynamic behaviour. ``handler(req, n)``
  gets a :class:`Request` (method, path, headers) and ``n``, the 1-based number of
  requests this path has received (this one included); it returns a :class:`Reply`.
- ``web.remove(path, host=0)``: the path now answers 404 (default for unknown paths).
- ``web.fallback(body, status=200, host=0, ...)``: what every unknown path of that host
  answers instead of 404 (a site that serves its home or a template for any missing URL);
  ``web.fallback(None, host=h)`` restores the 404.
- ``web.count(path, host=0)`` -> number of requests received for that path (any
  method; a path's query string counts as part of it: register "/a?x=1" to match it
  exactly, otherwise "/a" matches "/a?anything"). ``web.total(host=None)`` counts all.
- ``web.requests(path, host=0)`` -> list of :class:`Request` received (headers are
  recorded, e.g. to check ``If-None-Match`` was sent); ``web.last(path)`` the latest.
- ``web.reset_counts()``.

Canned cases (each registers a route and returns its URL):

- ``redirect(path, to, status=301)``; ``redirect_chain(path, hops, final_body, status=302)``
  (``path`` -> ``path/1`` -> ... -> ``path/final``); ``redirect_loop(path)`` (a -> b -> a).
- ``flaky(path, failures=1, status=500, body=...)``: ``failures`` times ``status``, then 200.
- ``always(path, status=503)``: that status forever (404, 410, 503...).
- ``rate_limited(path, retry_after="1", times=1, body=...)``: 429 with ``Retry-After``
  ``times`` times, then 200.
- ``conditional(path, body, etag='"v1"', last_modified=...)``: 304 when the request's
  ``If-None-Match`` matches the ETag or ``If-Modified-Since`` equals Last-Modified.
- ``reset(path)``: reads the request, then resets the TCP connection (RST).
- ``reset_midway(path, sent=1000, length=5000)``: headers + part of the body, then RST.
- ``short_body(path, sent=100, length=1000)``: Content-Length larger than what is sent, then close.
- ``hang(path)``: accepts and never answers (until the web stops).
- ``drip(path, size=10_000, interval=0.05)``: a body trickling one byte per interval.
- ``huge(path, size=200_000_000)``: a body of ``size`` bytes generated on the fly
  (never allocated whole), with Content-Length.
- ``gzip_bomb(path, size=10_000_000_000)``: ``Content-Encoding: gzip`` whose
  decompressed size is ``size`` bytes of zeros, compressed lazily as the client reads.
- ``charset_page(path, text, encoding, where="meta")``: HTML declaring its charset only
  in ``<meta>`` (``where="meta"``), only in the header (``"header"``) or nowhere (``"none"``).

Static helpers: ``closed_port()`` -> a port on 127.0.0.1 with nothing listening;
``closed_url(path="/")`` -> a URL on that port.

:class:`Reply` fields: ``status``, ``body`` (bytes/str), ``headers`` (dict),
``content_type``, ``chunks`` (an iterable of bytes streamed instead of ``body``),
``length`` (Content-Length to announce with ``chunks``; ``None`` -> close-delimited),
``interval`` (sleep between chunks), ``action`` (``"reset"``, ``"hang"`` or
``"close"``: drop the connection without answering), ``latency`` (extra seconds
before answering, on top of the web's). ``http_date(ts)`` formats an HTTP date.

Example of a dynamic route (the page changes on the third visit)::

    web.route("/news", lambda req, n: Reply(body="old" if n < 3 else "new"))
"""

from __future__ import annotations

import selectors
import socket
import struct
import threading
import time
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["FakeWeb", "Reply", "Request", "closed_port", "closed_url", "http_date"]


@dataclass(frozen=True)
class Request:
    """One request as the fake server received it. ``headers`` keys are lower-case."""

    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Reply:
    """What a route answers (see the module docstring)."""

    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = "text/html; charset=utf-8"
    chunks: Iterable[bytes] | None = None
    length: int | None = None
    interval: float = 0.0
    action: str | None = None
    latency: float = 0.0


Handler = Callable[[Request, int], Reply]


def closed_port() -> int:
    """A TCP port on 127.0.0.1 where nothing listens (bound then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def closed_url(path: str = "/") -> str:
    """A URL on 127.0.0.1 whose port refuses connections."""
    return f"http://127.0.0.1:{closed_port()}{path}"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, web: FakeWeb, host_no: int) -> None:
        self.web = web
        self.host_no = host_no
        self._halted = False
        self._wake_r, self._wake_w = socket.socketpair()
        super().__init__(("127.0.0.1", 0), _Handler)

    def serve_until_halted(self) -> None:
        """``serve_forever`` without its polling: sleep until a connection comes or :meth:`halt`.

        ``serve_forever`` wakes every ``poll_interval`` to see whether it was shut down: at
        the 10 ms that keeps a test's teardown quick, eight idle hosts woke 800 times a
        second, CPU that the benches' fake web took from the process it measures.
        """
        with selectors.DefaultSelector() as selector:
            selector.register(self, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while not self._halted:
                for key, _ in selector.select():
                    if key.fileobj is self and not self._halted:
                        self._handle_request_noblock()

    def halt(self) -> None:
        if self._halted:
            return
        self._halted = True
        self._wake_w.send(b"x")

    def server_close(self) -> None:
        super().server_close()
        self._wake_r.close()
        self._wake_w.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Without TCP_NODELAY, headers and body written separately meet the client's delayed
    # ACK and every response takes 40 ms more: it would distort timings and benches.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence the default stderr log
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._serve()

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve()

    def do_POST(self) -> None:  # noqa: N802
        self._serve()

    def _serve(self) -> None:
        web = self.server.web
        request = Request(self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
        handler, n = web._dispatch(self.server.host_no, request)
        reply = handler(request, n)
        delay = web.latency + reply.latency
        if delay and web._stopping.wait(delay):
            return
        try:
            self._answer(reply)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError):
            self.close_connection = True

    def _answer(self, reply: Reply) -> None:
        web = self.server.web
        if reply.action == "hang":
            web._stopping.wait()
            self.close_connection = True
            return
        if reply.action in ("reset", "close"):
            self._drop(reset=reply.action == "reset")
            return
        body = reply.body.encode("utf-8") if isinstance(reply.body, str) else reply.body
        self.send_response(reply.status)
        if reply.content_type is not None:
            self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.chunks is None:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD" and reply.status not in (204, 304):
                self.wfile.write(body)
            return
        if reply.length is not None:
            self.send_header("Content-Length", str(reply.length))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command == "HEAD":
            return
        for chunk in reply.chunks:
            if chunk == _RESET:
                self._drop(reset=True)
                return
            self.wfile.write(chunk)
            if reply.interval and web._stopping.wait(reply.interval):
                break
        self.wfile.flush()
        if reply.length is not None and reply.action == "short":
            self.close_connection = True

    def _drop(self, *, reset: bool) -> None:
        self.close_connection = True
        try:
            self.wfile.flush()
        except OSError:
            pass
        if reset:
            # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()


_RESET = b"\x00__reset__\x00"


def _page(reply: Reply) -> Handler:
    return lambda request, n: reply


class FakeWeb:
    """Local HTTP servers playing pages and faults; see the module docstring for the API."""

    def __init__(self, hosts: int = 1, latency: float = 0.0) -> None:
        self.latency = latency
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._routes: list[dict[str, Handler]] = [{} for _ in range(hosts)]
        self._fallbacks: list[Handler | None] = [None] * hosts
        self._counts: list[defaultdict[str, int]] = [defaultdict(int) for _ in range(hosts)]
        self._log: list[defaultdict[str, list[Request]]] = [defaultdict(list) for _ in range(hosts)]
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []
        self.hosts = hosts

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeWeb:
        if self._servers:  # started again after a stop: new servers (the old ports stay readable until then)
            self.stop()
            self._servers, self._threads = [], []
            self._stopping.clear()
        for host_no in range(self.hosts):
            server = _Server(self, host_no)
            thread = threading.Thread(target=server.serve_until_halted, daemon=True)
            thread.start()
            self._servers.append(server)
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stopping.set()
        for server in self._servers:
            server.halt()
        for server, thread in zip(self._servers, self._threads, strict=True):
            thread.join(timeout=5)
            server.server_close()

    def __enter__(self) -> FakeWeb:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------------------------

    def port(self, host: int = 0) -> int:
        return self._servers[host].server_address[1]

    def hostport(self, host: int = 0) -> str:
        return f"127.0.0.1:{self.port(host)}"

    def base(self, host: int = 0) -> str:
        return f"http://{self.hostport(host)}"

    def url(self, path: str, host: int = 0) -> str:
        return self.base(host) + path

    # -- routes ------------------------------------------------------------------------------

    def route(self, path: str, handler: Handler, host: int = 0) -> str:
        """Register (or replace) a dynamic route; returns its URL."""
        with self._lock:
            self._routes[host][path] = handler
        return self.url(path, host)

    def add(
        self,
        path: str,
        body: bytes | str = b"",
        status: int = 200,
        headers: dict[str, str] | None = None,
        content_type: str | None = "text/html; charset=utf-8",
        host: int = 0,
        latency: float = 0.0,
    ) -> str:
        """Register (or replace: that changes the web) a static page; returns its URL."""
        reply = Reply(status=status, body=body, headers=dict(headers or {}), content_type=content_type,
                      latency=latency)
        return self.route(path, _page(reply), host)

    def remove(self, path: str, host: int = 0) -> None:
        with self._lock:
            self._routes[host].pop(path, None)

    def fallback(
        self, body: bytes | str | None, status: int = 200, content_type: str | None = "text/html; charset=utf-8",
        host: int = 0,
    ) -> None:
        """What unknown paths of ``host`` answer (``None``: 404 again)."""
        handler = None if body is None else _page(Reply(status=status, body=body, content_type=content_type))
        with self._lock:
            self._fallbacks[host] = handler

    def _dispatch(self, host: int, request: Request) -> tuple[Handler, int]:
        with self._lock:
            routes = self._routes[host]
            key = request.path if request.path in routes else request.path.split("?", 1)[0]
            self._counts[host][key] += 1
            self._log[host][key].append(request)
            n = self._counts[host][key]
            handler = routes.get(key) or self._fallbacks[host] or _page(Reply(status=404, body="<h1>Not Found</h1>"))
        return handler, n

    # -- observation -------------------------------------------------------------------------

    def count(self, path: str, host: int = 0) -> int:
        with self._lock:
            return self._counts[host].get(path, 0)

    def total(self, host: int | None = None) -> int:
        with self._lock:
            hosts = range(self.hosts) if host is None else [host]
            return sum(sum(self._counts[h].values()) for h in hosts)

    def requests(self, path: str, host: int = 0) -> list[Request]:
        with self._lock:
            return list(self._log[host].get(path, []))

    def last(self, path: str, host: int = 0) -> Request | None:
        reqs = self.requests(path, host)
        return reqs[-1] if reqs else None

    def reset_counts(self) -> None:
        with self._lock:
            for h in range(self.hosts):
                self._counts[h].clear()
                self._log[h].clear()

    # -- canned cases ------------------------------------------------------------------------

    def redirect(self, path: str, to: str, status: int = 301, host: int = 0) -> str:
        """``path`` answers ``status`` with ``Location: to`` (absolute or relative)."""
        return self.route(path, _page(Reply(status=status, headers={"Location": to}, content_type=None)), host)

    def redirect_chain(
        self, path: str, hops: int, final_body: bytes | str = "<html>final</html>", status: int = 302, host: int = 0
    ) -> str:
        """``path`` -> ``path/1`` -> ... -> ``path/final`` (``hops`` redirects in all)."""
        names = [path] + [f"{path}/{i}" for i in range(1, hops)] + [f"{path}/final"]
        for here, there in zip(names, names[1:], strict=False):
            self.redirect(here, there, status=status, host=host)
        self.add(f"{path}/final", body=final_body, host=host)
        return self.url(path, host)

    def redirect_loop(self, path: str, host: int = 0) -> str:
        """``path`` -> ``path/b`` -> ``path`` ..."""
        self.redirect(path, f"{path}/b", status=302, host=host)
        self.redirect(f"{path}/b", path, status=302, host=host)
        return self.url(path, host)

    def always(self, path: str, status: int = 503, body: bytes | str = "error", host: int = 0) -> str:
        return self.add(path, body=body, status=status, host=host)

    def flaky(
        self, path: str, failures: int = 1, status: int = 500, body: bytes | str = "<html>ok</html>", host: int = 0
    ) -> str:
        def handler(request: Request, n: int) -> Reply:
            return Reply(status=status, body="error") if n <= failures else Reply(body=body)

        return self.route(path, handler, host)

    def rate_limited(
        self, path: str, retry_after: str | None = "1", times: int = 1, body: bytes | str = "<html>ok</html>",
        host: int = 0,
    ) -> str:
        def handler(request: Request, n: int) -> Reply:
            if n <= times:
                headers = {"Retry-After": retry_after} if retry_after is not None else {}
                return Reply(status=429, body="slow down", headers=headers)
            return Reply(body=body)

        return self.route(path, handler, host)

    def conditional(
        self, path: str, body: bytes | str = "<html>v1</html>", etag: str = '"v1"',
        last_modified: str = "Mon, 01 Jan 2024 00:00:00 GMT", host: int = 0,
    ) -> str:
        def handler(request: Request, n: int) -> Reply:
            headers = {"ETag": etag, "Last-Modified": last_modified}
            inm = request.headers.get("if-none-match")
            ims = request.headers.get("if-modified-since")
            if (inm is not None and etag in [t.strip() for t in inm.split(",")]) or (
                inm is None and ims == last_modified
            ):
                return Reply(status=304, headers=headers, content_type=None)
            return Reply(body=body, headers=headers)

        return self.route(path, handler, host)

    def reset(self, path: str, host: int = 0) -> str:
        return self.route(path, _page(Reply(action="reset")), host)

    def hang(self, path: str, host: int = 0) -> str:
        return self.route(path, _page(Reply(action="hang")), host)

    def reset_midway(self, path: str, sent: int = 1000, length: int = 5000, host: int = 0) -> str:
        def handler(request: Request, n: int) -> Reply:
            return Reply(chunks=[b"a" * sent, _RESET], length=length, content_type="text/plain")

        return self.route(path, handler, host)

    def short_body(self, path: str, sent: int = 100, length: int = 1000, host: int = 0) -> str:
        def handler(request: Request, n: int) -> Reply:
            return Reply(chunks=[b"b" * sent], length=length, content_type="text/plain", action="short")

        return self.route(path, handler, host)

    def drip(self, path: str, size: int = 10_000, interval: float = 0.05, host: int = 0) -> str:
        def handler(request: Request, n: int) -> Reply:
            return Reply(chunks=(b"x" for _ in range(size)), length=size, interval=interval,
                         content_type="text/plain")

        return self.route(path, handler, host)

    def huge(self, path: str, size: int = 200_000_000, host: int = 0) -> str:
        def handler(request: Request, n: int) -> Reply:
            return Reply(chunks=_repeat(b"A", size), length=size, content_type="application/octet-stream")

        return self.route(path, handler, host)

    def gzip_bomb(self, path: str, size: int = 10_000_000_000, host: int = 0) -> str:
        def handler(request: Request, n: int) -> Reply:
            return Reply(chunks=_gzip_zeros(size), length=None, content_type="text/html",
                         headers={"Content-Encoding": "gzip"})

        return self.route(path, handler, host)

    def charset_page(self, path: str, text: str, encoding: str, where: str = "meta", host: int = 0) -> str:
        """An HTML page with ``text`` in ``encoding``, its charset declared per ``where``."""
        meta = f'<meta charset="{encoding}">' if where == "meta" else ""
        html = f"<!DOCTYPE html><html><head>{meta}<title>t</title></head><body><p>{text}</p></body></html>"
        ctype = f"text/html; charset={encoding}" if where == "header" else "text/html"
        return self.add(path, body=html.encode(encoding), content_type=ctype, host=host)


def _repeat(byte: bytes, size: int, block: int = 1 << 20) -> Iterator[bytes]:
    chunk = byte * block
    left = size
    while left > 0:
        piece = chunk if left >= block else chunk[:left]
        left -= len(piece)
        yield piece


def _gzip_zeros(size: int, block: int = 1 << 20) -> Iterator[bytes]:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: gzip container
    zeros = bytes(block)
    left = size
    while left > 0:
        piece = zeros if left >= block else zeros[:left]
        left -= len(piece)
        out = compressor.compress(piece)
        if out:
            yield out
    yield compressor.flush()


def http_date(ts: float | None = None) -> str:
    """An RFC 7231 date (for Last-Modified / Retry-After headers in tests)."""
    return formatdate(ts if ts is not None else time.time(), usegmt=True)
