"""The HTTP client: URLs in, :class:`archiver.types.FetchResult` records out. A 404 is data, not an exception.

Contract:

- :func:`fetch_one` fetches one http(s) URL and always returns a result (network and
  HTTP failures are an :class:`~archiver.types.ErrorKind` plus a one-line message such
  as ``"dns: could not resolve host www.example.org"``); only a URL that is not
  http(s) at all raises :class:`~archiver.errors.InvalidURLError`.
- :func:`fetch_many` fetches many URLs concurrently and yields results *as they
  complete*: at most ``config.workers`` requests in flight, at most
  ``config.per_host`` per host (scheme + host + port), ``config.delay`` seconds
  between request starts on one host. Hosts are independent: work is handed to a
  worker only for a host that has a free slot, so a slow host never holds a worker
  that others could use. A 429 slows every later request to that host.
- Redirects are followed by hand (up to ``config.max_redirects``), every hop is
  recorded, and every hop's host is resolved and checked: private, loopback,
  link-local, multicast and reserved addresses are refused unless
  ``config.allow_private``. Connections go to the checked addresses (see
  :mod:`archiver.net`).
- Retries (:mod:`archiver.retry`): transient failures are retried up to
  ``config.retries`` times with backoff, honouring ``Retry-After`` up to
  ``config.max_retry_after``; beyond it the link fails as ``rate_limited`` at once.
- Bodies are streamed with decompression, capped at ``config.max_bytes`` *after*
  decompression (a capped body is kept, ``truncated``, error ``too_large``), hashed
  while read and spilled to a temporary file above ``config.spill_bytes`` (the
  owner calls ``result.body.discard()``). A body cut short (Content-Length not met,
  connection reset) is kept, ``truncated``, error ``truncated`` (an error page keeps
  its status as the error: a cut 404 is still ``http_error`` 404). Each attempt has a
  total deadline (``config.deadline``) on top of the connect/read ``config.timeout``,
  headers included (a watchdog shuts the connection of a trickling answer).
- A 304 is a success with no body. Caller headers (``If-None-Match``...) are sent as given
  (``Authorization`` and ``Cookie`` only to the first host). Cookies set during a fetch
  are kept per host for that fetch only; the session's own cookie jar is not used.
- The content type is sniffed when the header is missing or wrong; text is decoded
  by :mod:`archiver.encoding` (the raw bytes are kept; ``encoding`` and
  ``encoding_source`` record the decision).
- URLs are logged and put in messages with passwords redacted.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import queue
import re
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import requests
import urllib3.exceptions as u3exc
from requests.cookies import RequestsCookieJar, extract_cookies_to_jar

from archiver import encoding, sniff
from archiver.config import FetchConfig
from archiver.errors import InvalidURLError
from archiver.net import (
    CachingResolver,
    ResolveError,
    Resolver,
    SafeAdapter,
    Watchdog,
    blocked_reason,
    connect_host,
    make_session,
    redact,
    safe_adapter,
    system_resolver,
)
from archiver.retry import Outcome, call_with_retries, parse_retry_after
from archiver.types import Body, ErrorKind, FetchResult, Hop

log = logging.getLogger(__name__)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CHUNK_BYTES = 64 * 1024
ROBOTS_MAX_BYTES = 512 * 1024
ROBOTS_AGENT = "archiver"
#: Hosts per worker session whose keep-alive connections :func:`fetch_many` keeps open.
KEEPALIVE_HOSTS = 16
# Control characters (C0, DEL, C1): stripped from the reason phrase, which goes into messages
# printed on terminals ("\x1b[2J" from a hostile server must not clear the user's screen).
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Request headers that make a 304 answer meaningful.
_CONDITIONAL = ("If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since", "If-Range")
# Headers that must not follow a redirect to another host.
_CROSS_HOST_DROP = ("authorization", "cookie", "proxy-authorization")

Clock = Callable[[], float]
Sleep = Callable[[float], None]


class Cancelled(Exception):
    """Raised inside a worker when :func:`fetch_many` is being cancelled."""


def host_key(url: str) -> str:
    """The politeness unit: ``scheme://host:port`` (default ports made explicit).

    Cached: the scheduler, the pacer and the fetch each ask it of the same URL, several
    times per request (urlsplit is a tenth of the fetcher's own CPU otherwise). A URL that
    may carry credentials (an ``@``) is not kept in the cache."""
    return _host_key(url) if "@" in url else _cached_host_key(url)


def _host_key(url: str) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    port = port or (443 if scheme == "https" else 80)
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


_cached_host_key = functools.lru_cache(maxsize=4096)(_host_key)


def check_url(url: str) -> None:
    """Raise :class:`InvalidURLError` unless ``url`` is an absolute http(s) URL with a host."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - validates the port
    except ValueError as exc:
        raise InvalidURLError(f"invalid URL: {exc}", target=redact(url)) from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidURLError("only http and https URLs can be fetched", target=redact(url))
    if not parts.hostname:
        raise InvalidURLError("URL has no host", target=redact(url))


# -- one attempt ---------------------------------------------------------------------------------


@dataclass
class _Attempt:
    """What one attempt produced; ``outcome`` drives the retry decision."""

    final_url: str
    outcome: Outcome
    status: int | None = None
    reason: str = ""
    redirects: tuple[Hop, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Body | None = None
    head: bytes = b""
    truncated: bool = False
    message: str | None = None

    def discard(self) -> None:
        if self.body is not None:
            self.body.discard()


class _Sink:
    """Accumulates a body: hashes it, keeps the first bytes for sniffing, spills to disk when large."""

    def __init__(self, spill_bytes: int, max_bytes: int, head_bytes: int) -> None:
        self.spill_bytes = spill_bytes
        self.max_bytes = max_bytes
        self.head_bytes = head_bytes
        self.hash = hashlib.sha256()
        self.size = 0
        self.buffer = bytearray()
        self.head = bytearray()
        self.file: Any = None
        self.path: str | None = None

    def add(self, chunk: bytes) -> bool:
        """Add ``chunk``; return False when the cap was hit (the excess is dropped)."""
        room = self.max_bytes - self.size
        full = len(chunk) > room
        if full:
            chunk = chunk[:room]
        if len(self.head) < self.head_bytes:
            self.head += chunk[: self.head_bytes - len(self.head)]
        self.hash.update(chunk)
        self.size += len(chunk)
        if self.file is not None:
            self.file.write(chunk)
        else:
            self.buffer += chunk
            if len(self.buffer) > self.spill_bytes:
                fd, self.path = tempfile.mkstemp(prefix="archiver-", suffix=".body")
                self.file = os.fdopen(fd, "wb")
                self.file.write(self.buffer)
                self.buffer = bytearray()
        return not full

    def body(self) -> Body:
        if self.file is not None:
            self.file.close()
            return Body(size=self.size, sha256=self.hash.hexdigest(), path=self.path)
        return Body(size=self.size, sha256=self.hash.hexdigest(), data=bytes(self.buffer))

    def abandon(self) -> None:
        if self.file is not None:
            self.file.close()
            self.body().discard()


def _send(
    session: requests.Session, url: str, headers: Mapping[str, str], jar: RequestsCookieJar, timeout: float
) -> requests.Response:
    """``session.get(url, headers=headers, stream=True, allow_redirects=False)`` with ``jar`` as the
    cookie jar: the same request on the wire (the session's headers overridden by ``headers``,
    sent through the session's adapter), without what ``Session.request`` and ``Session.send``
    add that this fetcher never uses.

    Skipped: the session's params, hooks and auth (see :func:`fetch_one` for what a session
    lends), copying the cookie jar twice per request, looking up environment settings (the
    fetcher's sessions ignore the environment), and pre-building the next request of a 3xx
    (which reads the whole redirect body into memory, uncapped, and raises ``ValueError`` on
    a malformed Location: the fetcher follows redirects itself). Measured: about a third of
    the CPU a request costs in this process, and the fetcher's CPU per request is what
    bounds ``check`` and ``archive`` on many hosts.
    Raises what ``Session.get`` raises (``requests`` exceptions, ``ValueError``).
    """
    # The session's headers, then the caller's: prepare_headers puts them in a case-insensitive
    # dict in this order, so a caller's "accept" replaces the session's "Accept" in place (as
    # Session.request's merge does), and a header set to None is left out (idem).
    merged = {name: value for name, value in session.headers.items() if value is not None}
    for name, value in headers.items():
        if value is None:
            for key in [k for k in merged if k.lower() == name.lower()]:
                del merged[key]
        else:
            merged[name] = value
    # PreparedRequest.prepare's steps, in its order; the cookie steps only when there are
    # cookies to send or to keep (each builds urllib mock objects: 5% of a request's CPU).
    prepared = requests.PreparedRequest()
    prepared.prepare_method("GET")
    prepared.prepare_url(url, None)
    prepared.prepare_headers(merged)
    if len(jar):
        prepared.prepare_cookies(jar)
    prepared.prepare_body(None, None)
    prepared.prepare_auth(None, url)
    prepared.prepare_hooks(None)
    response = session.get_adapter(url).send(
        prepared, stream=True, timeout=(timeout, timeout), verify=session.verify, cert=session.cert,
        proxies=session.proxies,
    )
    raw_headers = getattr(response.raw, "headers", None)
    if raw_headers is None or "Set-Cookie" in raw_headers or "Set-Cookie2" in raw_headers:
        extract_cookies_to_jar(jar, prepared, response.raw)
    return response


def _location(response: requests.Response) -> str | None:
    """The ``Location`` header as the server meant it.

    http.client decodes header bytes as latin-1; servers send UTF-8 (``/café``), so the
    bytes are re-read as UTF-8, and bytes that are not UTF-8 are percent-encoded as they are.
    """
    value = response.headers.get("Location")
    if value is None:
        return None
    try:
        raw = value.encode("latin-1")
    except UnicodeEncodeError:
        return value.strip()
    try:
        return raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        return re.sub(rb"[\x80-\xff]", lambda m: b"%%%02X" % m.group()[0], raw).decode("ascii").strip()


def _unexpected(exc: BaseException) -> str:
    """The one-line message for an exception nobody expected (userinfo in any URL it quotes removed)."""
    text = str(exc).splitlines()[0][:160] if str(exc) else ""
    text = re.sub(r"(?<=//)[^/@\s]+@", "***@", text)
    return f"http_error: unexpected error ({type(exc).__name__}: {text})" if text else (
        f"http_error: unexpected error ({type(exc).__name__})"
    )


# Compressions a server may use although we did not ask for them. Other unknown labels
# ("utf-8"...) are server mistakes that browsers ignore, and so do we (urllib3 too).
_COMPRESSIONS = frozenset({"br", "zstd", "compress", "x-compress"})


def _undecodable_coding(header: str | None, raw: Any) -> str | None:
    """The compression named in ``Content-Encoding`` that urllib3 could not undo, if any."""
    if not header:
        return None
    decoders = getattr(raw, "CONTENT_DECODERS", ())
    for token in header.lower().split(","):
        token = token.strip()
        if token in _COMPRESSIONS and token not in decoders:
            return token
    return None


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and everything it wraps (causes, contexts, exception args), each once."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for nxt in (current.__cause__, current.__context__, getattr(current, "reason", None), *current.args):
            if isinstance(nxt, BaseException):
                stack.append(nxt)


def _classify(exc: BaseException, host: str, timeout: float) -> tuple[ErrorKind, str]:
    """Map a requests/urllib3/socket exception to an error kind and a one-line message."""
    causes = list(_causes(exc))

    def has(*types: type[BaseException]) -> bool:
        return any(isinstance(c, types) for c in causes)

    if has(requests.exceptions.SSLError, u3exc.SSLError) or any(
        type(c).__name__.startswith("SSL") for c in causes
    ):
        detail = str(causes[-1]).splitlines()[0][:160] if causes else ""
        return ErrorKind.TLS, f"tls: TLS handshake with {host} failed ({detail})"
    if has(u3exc.NameResolutionError):
        return ErrorKind.DNS, f"dns: could not resolve host {host}"
    if has(ConnectionRefusedError):
        return ErrorKind.REFUSED, f"refused: {host} refused the connection"
    # urllib3's NewConnectionError subclasses ConnectTimeoutError: test it first.
    if has(u3exc.NewConnectionError) and not has(TimeoutError):
        reason = next((c.strerror for c in causes if isinstance(c, OSError) and c.strerror), "cannot connect")
        return ErrorKind.REFUSED, f"refused: could not connect to {host} ({reason})"
    if has(u3exc.ConnectTimeoutError):
        return ErrorKind.TIMEOUT, f"timeout: connecting to {host} took more than {timeout:g} s"
    if has(requests.exceptions.ReadTimeout, u3exc.ReadTimeoutError, TimeoutError):
        return ErrorKind.TIMEOUT, f"timeout: {host} sent nothing for {timeout:g} s"
    if has(ConnectionResetError, u3exc.ProtocolError, ConnectionAbortedError, BrokenPipeError):
        return ErrorKind.RESET, f"reset: {host} closed the connection without a complete answer"
    if has(requests.exceptions.InvalidURL, requests.exceptions.InvalidHeader, u3exc.LocationParseError):
        return ErrorKind.HTTP_ERROR, f"http_error: invalid URL or header from {host}"
    first = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
    return ErrorKind.RESET, f"reset: connection to {host} failed ({first})"


class _Fetcher:
    """The fetch of one URL (with retries), shared by :func:`fetch_one` and :func:`fetch_many`."""

    def __init__(
        self,
        config: FetchConfig,
        *,
        resolver: Resolver,
        sleep: Sleep,
        clock: Clock,
        cancel: threading.Event | None = None,
        on_rate_limited: Callable[[str, float | None], None] | None = None,
        robots_cache: dict[str, Any] | None = None,
    ) -> None:
        self.config = config
        # One lookup per host for the fetcher's lifetime (a fetch_many run, or one fetch_one).
        self.resolver = resolver if isinstance(resolver, CachingResolver) else CachingResolver(resolver, clock=clock)
        self.sleep = sleep
        self.clock = clock
        self.cancel = cancel
        self.on_rate_limited = on_rate_limited
        self.robots_cache: dict[str, Any] = robots_cache if robots_cache is not None else {}
        self.robots_lock = threading.Lock()
        self.watchdog = Watchdog()

    def close(self) -> None:
        """Stop the watchdog thread (call when no fetch is running any more)."""
        self.watchdog.close()

    @contextlib.contextmanager
    def _deadline_guard(self, session: requests.Session, url: str, seconds: float) -> Iterator[threading.Event]:
        """While waiting for an answer's status line and headers: after ``seconds``, shut the
        session's connections down, so headers trickling in (each byte within the read
        timeout) cannot outlast the deadline. The event yielded tells whether that happened."""
        expired = threading.Event()
        adapter = safe_adapter(session, url)
        if adapter is None:
            yield expired
            return

        def expire() -> None:
            expired.set()
            adapter.abort()

        key = self.watchdog.arm(seconds, expire)
        try:
            yield expired
        finally:
            self.watchdog.disarm(key)

    # -- the whole fetch -------------------------------------------------------------------------

    def fetch(self, url: str, session: requests.Session, headers: Mapping[str, str] | None) -> FetchResult:
        check_url(url)
        started = self.clock()
        fetched_at = datetime.now(UTC)
        attempts = 0

        def attempt() -> _Attempt:
            nonlocal attempts
            attempts += 1
            try:
                return self._attempt(url, session, dict(headers or {}))
            except Cancelled:
                raise
            except Exception as exc:  # a bug, or a resolver breaking its contract: still a result, never retried
                log.warning("unexpected error fetching %s", redact(url), exc_info=True)
                return _Attempt(final_url=redact(url), outcome=Outcome(error=ErrorKind.HTTP_ERROR),
                                message=_unexpected(exc))

        def before_sleep(state: Any) -> None:
            previous = state.outcome.result() if state.outcome and not state.outcome.failed else None
            if isinstance(previous, _Attempt):
                log.debug("retrying %s after %s", redact(url), previous.message or previous.status)
                previous.discard()

        last = call_with_retries(attempt, self.config.retries, sleep=self._sleep, before_sleep=before_sleep)
        try:
            return self._result(url, last, attempts, self.clock() - started, fetched_at)
        except BaseException:
            last.discard()
            raise

    def _sleep(self, seconds: float) -> None:
        """Wait between attempts; under fetch_many a real wait ends early on cancellation."""
        if self.cancel is None:
            self.sleep(seconds)
            return
        if self.sleep is time.sleep:
            if self.cancel.wait(seconds):
                raise Cancelled()
            return
        self.sleep(seconds)  # an injected (test) sleep
        if self.cancel.is_set():
            raise Cancelled()

    def _result(self, url: str, a: _Attempt, attempts: int, elapsed: float, fetched_at: datetime) -> FetchResult:
        error = a.outcome.error
        message = a.message
        if error is None and a.status is not None and a.status >= 400:
            error = ErrorKind.RATE_LIMITED if a.status == 429 else ErrorKind.HTTP_ERROR
            kind = "rate_limited" if a.status == 429 else "http_error"
            message = f"{kind}: {a.status} {a.reason}".rstrip()
        elif error is None and a.status is not None and not (200 <= a.status < 300 or a.status == 304):
            # A 3xx not followed (no usable Location, or 300/305...) or a stray 1xx: no page.
            error = ErrorKind.HTTP_ERROR
            missing = " without a Location" if a.status in REDIRECT_STATUSES else ""
            message = f"http_error: {a.status} {a.reason}".rstrip() + missing
        kind_ct: str | None = None
        enc: str | None = None
        enc_source: str | None = None
        if a.body is not None:
            kind_ct = sniff.content_type(a.headers.get("Content-Type"), a.head)
            if sniff.is_text(kind_ct):
                decision = encoding.decide(
                    a.head, a.headers.get("Content-Type"), html=sniff.is_html(kind_ct),
                    xml=kind_ct.endswith(("/xml", "+xml")), complete=a.body.size <= len(a.head),
                )
                enc, enc_source = decision.encoding, decision.source
        elif a.headers.get("Content-Type"):
            kind_ct = sniff.media_type(a.headers.get("Content-Type")) or None
        if message:
            log.debug("%s: %s", redact(url), message)
        return FetchResult(
            url=url,
            final_url=a.final_url,
            status=a.status,
            redirects=a.redirects,
            headers=a.headers,
            content_type=kind_ct,
            body=a.body,
            truncated=a.truncated,
            encoding=enc,
            encoding_source=enc_source,
            elapsed=elapsed,
            attempts=attempts,
            error=error,
            message=message,
            fetched_at=fetched_at,
        )

    # -- one attempt: the redirect chain and the body ------------------------------------------

    def _attempt(self, url: str, session: requests.Session, headers: dict[str, str]) -> _Attempt:
        cfg = self.config
        deadline = self.clock() + cfg.deadline
        hops: list[Hop] = []
        # Cookies live for one attempt, in one jar per host (scheme + name + port): a cookie
        # set by one host is never sent to another, nor to a later fetch.
        jars: dict[str, RequestsCookieJar] = {}
        # A loop is the same URL requested again *with the same cookies*: "set a cookie and
        # redirect to myself" is a common check that browsers pass.
        def visit(target: str) -> tuple[str, tuple[tuple[str, str | None, str], ...]]:
            jar = jars.get(host_key(target), ())
            return target, tuple(sorted((c.name, c.value, c.path) for c in jar))

        seen = {visit(urldefrag(url)[0])}
        current = url
        first_host = host_key(url)

        def fail(kind: ErrorKind, message: str, *, temporary: bool = False, **extra: Any) -> _Attempt:
            return _Attempt(
                final_url=redact(current), outcome=Outcome(error=kind, temporary=temporary, status=extra.get("status")),
                redirects=tuple(hops), message=message, **extra,
            )

        while True:
            if self.cancel is not None and self.cancel.is_set():
                raise Cancelled()
            try:
                parts = urlsplit(current)
                host = parts.hostname or ""
                port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
            except ValueError:
                return fail(ErrorKind.HTTP_ERROR, f"http_error: invalid redirect location {redact(current)}")
            if parts.scheme.lower() not in ("http", "https") or not host:
                return fail(ErrorKind.HTTP_ERROR, f"http_error: redirect to unsupported URL {redact(current)}")
            try:
                dns_host = connect_host(host)  # the name urllib3 will connect to
            except ValueError:
                return fail(ErrorKind.DNS, f"dns: invalid host name {host}")
            try:
                addresses = self.resolver(dns_host, port)
            except ResolveError as exc:
                why = "temporary resolver failure for" if exc.temporary else "could not resolve host"
                return fail(ErrorKind.DNS, f"dns: {why} {host}", temporary=exc.temporary)
            if not cfg.allow_private:
                for address in addresses:
                    reason = blocked_reason(address)
                    if reason:
                        return fail(
                            ErrorKind.BLOCKED_PRIVATE,
                            f"blocked_private: {host} resolves to {reason} address {address} (use --allow-private)",
                        )
            adapter = safe_adapter(session, current)
            if adapter is not None:
                adapter.pin(dns_host, port, addresses)
            if cfg.respect_robots and not self._robots_allow(current, session, deadline):
                return fail(ErrorKind.ROBOTS, f"robots: robots.txt of {host} disallows {redact(current)}")
            remaining = deadline - self.clock()
            if remaining <= 0:
                return fail(ErrorKind.TIMEOUT, f"timeout: deadline of {cfg.deadline:g} s exceeded")
            timeout = min(cfg.timeout, remaining)
            hop_headers = headers if host_key(current) == first_host else {
                k: v for k, v in headers.items() if k.lower() not in _CROSS_HOST_DROP
            }
            jar = jars.setdefault(host_key(current), RequestsCookieJar())
            with self._deadline_guard(session, current, remaining) as expired:
                try:
                    response = _send(session, current, hop_headers, jar, timeout)
                except Cancelled:
                    raise
                except requests.exceptions.RequestException as exc:
                    if expired.is_set():
                        return fail(ErrorKind.TIMEOUT, f"timeout: {host} did not answer within {cfg.deadline:g} s")
                    kind, message = _classify(exc, host, timeout)
                    return fail(kind, message)
                except ValueError as exc:  # urllib/requests parsing something the server sent
                    return fail(
                        ErrorKind.HTTP_ERROR, f"http_error: unusable answer from {host} ({type(exc).__name__})"
                    )
            status = response.status_code
            location = _location(response)
            if status in REDIRECT_STATUSES and location:
                response.close()
                hops.append(Hop(url=redact(current), status=status))
                try:
                    target = urldefrag(urljoin(current, location))[0]
                except ValueError:
                    return fail(ErrorKind.HTTP_ERROR, f"http_error: invalid redirect location from {host}")
                if visit(target) in seen:
                    current = target
                    return fail(ErrorKind.REDIRECT_LOOP, f"redirect_loop: {redact(target)} redirects back to itself")
                if len(hops) > cfg.max_redirects:
                    current = target
                    return fail(
                        ErrorKind.TOO_MANY_REDIRECTS, f"too_many_redirects: more than {cfg.max_redirects} redirects"
                    )
                seen.add(visit(target))
                current = target
                continue
            return self._read(response, current, host, tuple(hops), deadline, timeout)

    def _read(
        self, response: requests.Response, url: str, host: str, hops: tuple[Hop, ...], deadline: float, timeout: float
    ) -> _Attempt:
        cfg = self.config
        status = response.status_code
        # Case-insensitive (servers send "content-type" as often as "Content-Type"); iterates in
        # the server's order and spelling.
        headers = response.headers  # requests' CaseInsensitiveDict of urllib3's, this response's own
        retry_after = parse_retry_after(headers.get("Retry-After")) if status in (429, 503) else None
        base = {
            "final_url": redact(url), "status": status, "redirects": hops, "headers": headers,
            "reason": _CONTROL_CHARS.sub("", response.reason or ""),
        }
        if retry_after is not None and status == 429 and self.on_rate_limited is not None:
            self.on_rate_limited(host_key(url), retry_after)
        elif status == 429 and self.on_rate_limited is not None:
            self.on_rate_limited(host_key(url), None)
        if retry_after is not None and retry_after > cfg.max_retry_after:
            response.close()
            return _Attempt(
                **base, outcome=Outcome(error=ErrorKind.RATE_LIMITED, status=status),
                message=f"rate_limited: {host} asked to wait {retry_after:g} s "
                f"(more than --max-retry-after {cfg.max_retry_after:g} s)",
            )
        outcome = Outcome(status=status, retry_after=retry_after)
        if status == 304 and not any(name in response.request.headers for name in _CONDITIONAL):
            response.close()
            return _Attempt(**base, outcome=Outcome(error=ErrorKind.HTTP_ERROR, status=status),
                            message="http_error: 304 Not Modified to an unconditional request")
        if status == 304 or status == 204 or status < 200:
            response.close()
            return _Attempt(**base, outcome=outcome)
        sink = _Sink(cfg.spill_bytes, cfg.max_bytes, encoding.DETECT_SAMPLE_BYTES)
        error: tuple[ErrorKind, str] | None = None
        try:
            while True:
                if self.cancel is not None and self.cancel.is_set():
                    raise Cancelled()
                if self.clock() > deadline:
                    error = ErrorKind.TIMEOUT, f"timeout: {host} did not finish sending within {cfg.deadline:g} s"
                    break
                chunk = response.raw.read1(CHUNK_BYTES, decode_content=True)
                if not chunk:
                    break
                if not sink.add(chunk):
                    error = ErrorKind.TOO_LARGE, f"too_large: body exceeds --max-bytes {cfg.max_bytes} bytes"
                    break
        except (u3exc.HTTPError, OSError, requests.exceptions.RequestException) as exc:
            error = self._body_error(exc, host, timeout, sink.size)
        except BaseException:  # Cancelled, Ctrl-C...: nobody will own this body, remove its spill file
            sink.abandon()
            raise
        finally:
            response.close()
        body = sink.body()
        coding = _undecodable_coding(headers.get("Content-Encoding"), response.raw)
        if error is None and coding:
            error = ErrorKind.TRUNCATED, (
                f"truncated: body in Content-Encoding {coding}, which cannot be decoded ({sink.size} bytes kept)"
            )
        if error is None:
            return _Attempt(**base, outcome=outcome, body=body, head=bytes(sink.head))
        kind, message = error
        if status >= 400:
            # An error page cut short (or too large) is still that error: the status decides
            # (404 final, 503 retried) and the body is kept, marked truncated.
            log.debug("%s: %s (error page)", redact(url), message)
            return _Attempt(**base, outcome=outcome, body=body, head=bytes(sink.head), truncated=True)
        # The server answered; keep its status in the outcome so a retry decision can see it.
        return _Attempt(
            **base, outcome=Outcome(error=kind, status=status), body=body, head=bytes(sink.head),
            truncated=True, message=message,
        )

    @staticmethod
    def _body_error(exc: BaseException, host: str, timeout: float, got: int) -> tuple[ErrorKind, str]:
        causes = list(_causes(exc))
        incomplete = next((c for c in causes if isinstance(c, u3exc.IncompleteRead)), None)
        if incomplete is not None:
            expected = got + (incomplete.expected or 0)
            return ErrorKind.TRUNCATED, f"truncated: body shorter than its Content-Length ({got} of {expected} bytes)"
        if any(isinstance(c, (u3exc.ReadTimeoutError, TimeoutError)) for c in causes):
            return ErrorKind.TIMEOUT, f"timeout: {host} stopped sending for {timeout:g} s ({got} bytes received)"
        if any(isinstance(c, u3exc.DecodeError) for c in causes):
            return ErrorKind.TRUNCATED, f"truncated: body could not be decompressed after {got} bytes"
        return ErrorKind.TRUNCATED, f"truncated: connection to {host} broke after {got} bytes"

    # -- robots.txt ------------------------------------------------------------------------------

    def _robots_allow(self, url: str, session: requests.Session, deadline: float) -> bool:
        """Whether robots.txt allows ``url`` (2xx: obey it; 4xx: allow; 5xx: disallow; unreachable: allow).

        An unreachable robots.txt does not block: the page fetch then reports the real failure.
        """
        key = host_key(url)
        with self.robots_lock:
            cached = self.robots_cache.get(key, _MISSING)
        if cached is _MISSING:
            cached = self._load_robots(url, session, deadline)
            with self.robots_lock:
                self.robots_cache[key] = cached
        if cached is None:
            return True
        if cached is False:
            return False
        return bool(cached.can_fetch(url, ROBOTS_AGENT))

    def _load_robots(self, url: str, session: requests.Session, deadline: float) -> Any:
        from protego import Protego

        parts = urlsplit(url)
        robots_url = f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}/robots.txt"
        timeout = max(0.001, min(self.config.timeout, deadline - self.clock()))
        try:
            with self._deadline_guard(session, robots_url, deadline - self.clock()):
                response = _send(session, robots_url, {}, RequestsCookieJar(), timeout)
        except (requests.exceptions.RequestException, ValueError):
            return None
        try:
            if 500 <= response.status_code < 600:
                return False
            if not 200 <= response.status_code < 300:
                return None  # 3xx (not followed), 4xx: no rules
            data = b""
            while len(data) < ROBOTS_MAX_BYTES:  # chunk by chunk: a dripping robots.txt meets the deadline
                if self.clock() > deadline:
                    return None
                chunk = response.raw.read1(ROBOTS_MAX_BYTES - len(data), decode_content=True)
                if not chunk:
                    break
                data += chunk
        except (u3exc.HTTPError, OSError):
            return None
        finally:
            response.close()
        return Protego.parse(data.decode("utf-8", errors="replace"))


_MISSING = object()


# -- public API ----------------------------------------------------------------------------------


def fetch_one(
    url: str,
    *,
    config: FetchConfig | None = None,
    session: requests.Session | None = None,
    headers: Mapping[str, str] | None = None,
    resolver: Resolver = system_resolver,
    sleep: Sleep = time.sleep,
    clock: Clock = time.monotonic,
) -> FetchResult:
    """Fetch ``url`` (following redirects, retrying transient failures) and return what happened.

    ``session`` defaults to a fresh one from :func:`archiver.net.make_session` (closed
    afterwards); a session without a :class:`~archiver.net.SafeAdapter` still gets the
    address checks but connects by itself. A session lends its headers (one set to
    ``None`` is not sent), its adapters, ``verify``, ``cert`` and explicit ``proxies``;
    its cookie jar, ``auth``, ``params``, hooks and environment settings (``trust_env``:
    proxies, CA bundle, ``.netrc``) are not used, as with the fetcher's own sessions.
    Credentials go in the URL (``https://user:pass@host/``) or in ``headers``, which are
    not sent to another host after a redirect. ``headers`` are extra request headers
    (e.g. ``If-None-Match``). ``resolver``, ``sleep`` and ``clock`` are seams for tests.
    Raises :class:`InvalidURLError` only for a non-http(s) URL.
    """
    config = config or FetchConfig()
    fetcher = _Fetcher(config, resolver=resolver, sleep=sleep, clock=clock)
    own = session is None
    session = session or make_session(config.user_agent, fetcher.resolver)
    try:
        return fetcher.fetch(url, session, headers)
    finally:
        fetcher.close()
        if own:
            session.close()


@dataclass
class _HostSlot:
    active: int = 0
    next_at: float = 0.0
    delay: float = 0.0
    limit: int = 1


class HostPacer:
    """Per-host politeness: concurrent slots, spacing between starts and 429 slow-downs. Thread-safe.

    ``ready_at(host, now)`` is ``None`` while the host's slots are all busy, otherwise
    the earliest time its next request may start. After a 429 the host gets one slot,
    its spacing doubles (at least 1 s, at most ``max_delay``) and nothing starts before
    the server's ``Retry-After`` has passed.
    """

    def __init__(self, per_host: int, delay: float, max_delay: float) -> None:
        self.per_host = max(1, per_host)
        self.delay = max(0.0, delay)
        self.max_delay = max_delay
        self._slots: dict[str, _HostSlot] = {}
        self._lock = threading.Lock()

    def _slot(self, host: str) -> _HostSlot:
        slot = self._slots.get(host)
        if slot is None:
            slot = self._slots[host] = _HostSlot(delay=self.delay, limit=self.per_host)
        return slot

    def ready_at(self, host: str, now: float) -> float | None:
        with self._lock:
            slot = self._slot(host)
            return None if slot.active >= slot.limit else max(now, slot.next_at)

    def active(self, host: str) -> int:
        """Requests to ``host`` in flight now."""
        with self._lock:
            return self._slot(host).active

    def start(self, host: str, now: float) -> None:
        with self._lock:
            slot = self._slot(host)
            slot.active += 1
            slot.next_at = max(slot.next_at, now) + slot.delay

    def finish(self, host: str) -> None:
        with self._lock:
            self._slot(host).active -= 1

    def penalize(self, host: str, now: float, retry_after: float | None) -> None:
        with self._lock:
            slot = self._slot(host)
            slot.limit = 1
            slot.delay = min(max(slot.delay * 2, 1.0), self.max_delay)
            wait = min(retry_after if retry_after is not None else slot.delay, self.max_delay)
            slot.next_at = max(slot.next_at, now + wait)

    def delay_of(self, host: str) -> float:
        with self._lock:
            return self._slot(host).delay


_DONE = object()


def fetch_many(
    urls: Iterable[str],
    *,
    config: FetchConfig | None = None,
    headers_for: Callable[[str], Mapping[str, str] | None] | None = None,
    on_result: Callable[[FetchResult], None] | None = None,
    resolver: Resolver = system_resolver,
    sleep: Sleep = time.sleep,
    clock: Clock = time.monotonic,
    feed: UrlFeed | None = None,
) -> Iterator[FetchResult]:
    """Fetch ``urls`` concurrently; yield each :class:`FetchResult` as soon as it completes.

    Every URL is validated first (:class:`InvalidURLError` before anything is
    fetched). Duplicates are fetched once per occurrence: dedupe upstream. Every
    URL yields exactly one result, even when something unexpected is raised while
    fetching it (a failing ``headers_for`` included): that URL fails as ``http_error``.
    ``headers_for(url)`` gives extra headers per URL; ``on_result`` is called (in the
    consuming thread) with each result just before it is yielded. Closing the
    generator, or a ``KeyboardInterrupt`` while waiting, cancels the run: queued
    URLs are dropped, in-flight downloads are aborted (bodies discarded) and the
    worker threads are joined. Use ``contextlib.closing(fetch_many(...))`` to cancel
    promptly when stopping early.

    ``feed``: URLs the caller adds while the run goes on (see :class:`UrlFeed`); their
    results come through the same iterator, and the run ends only once the feed is closed.
    """
    config = config or FetchConfig()
    url_list = list(urls)
    for url in url_list:
        check_url(url)
    return _run(url_list, config, headers_for, on_result, resolver, sleep, clock, feed)


def _run(
    urls: list[str],
    config: FetchConfig,
    headers_for: Callable[[str], Mapping[str, str] | None] | None,
    on_result: Callable[[FetchResult], None] | None,
    resolver: Resolver,
    sleep: Sleep,
    clock: Clock,
    feed: UrlFeed | None = None,
) -> Iterator[FetchResult]:
    if not urls and feed is None:
        return
    cancel = threading.Event()
    pacer = HostPacer(config.per_host, config.delay, config.max_retry_after)
    fetcher = _Fetcher(
        config, resolver=resolver, sleep=sleep, clock=clock, cancel=cancel,
        on_rate_limited=lambda host, retry_after: pacer.penalize(host, clock(), retry_after),
    )
    local = threading.local()
    sessions: list[requests.Session] = []
    sessions_lock = threading.Lock()
    # Each worker thread has its own session and fetches from any host, so its session must
    # keep a connection pool per host: with fewer pools than hosts, urllib3 evicts them in
    # turn and every request opens (and closes) a new connection (measured: +60% fetch CPU
    # per page on 8 hosts). Capped so threads x pools idle sockets stay bounded.
    pools = max(config.per_host, min(len({host_key(u) for u in urls}), KEEPALIVE_HOSTS))

    def task(url: str) -> FetchResult | None:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = make_session(config.user_agent, fetcher.resolver, pool_size=pools)
            with sessions_lock:
                sessions.append(session)
                if cancel.is_set():  # created after the cancellation swept the sessions
                    _abort(session)
        try:
            extra = headers_for(url) if headers_for else None
        except Exception as exc:  # the caller's callback: this URL fails, the others go on
            log.warning("headers_for failed for %s", redact(url), exc_info=True)
            return FetchResult(url=url, final_url=redact(url), error=ErrorKind.HTTP_ERROR, message=_unexpected(exc),
                               fetched_at=datetime.now(UTC))
        try:
            result = fetcher.fetch(url, session, extra)
        except Cancelled:
            return None
        if cancel.is_set():  # nobody will consume it
            if result.body is not None:
                result.body.discard()
            return None
        return result

    workers = max(1, config.workers if feed is not None else min(config.workers, len(urls)))
    # Bounded: while the consumer is busy, at most this many finished results wait
    # (in-flight downloads go on); beyond it the workers stop starting new ones.
    results: queue.Queue[Any] = queue.Queue(maxsize=2 * workers)
    scheduler = _Scheduler(urls, pacer, clock, cancel, workers, open_feed=feed is not None)
    if feed is not None:
        feed.attach(scheduler)

    def put(item: Any) -> bool:
        while not cancel.is_set():
            try:
                results.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        # Each worker takes the next URL whose host has a free slot and fetches it, then
        # the next: no thread hands work to another (a hand-off is a wake-up that waits for
        # the GIL, up to 5 ms while the consumer computes, and it would come twice per URL).
        host: str | None = None
        try:
            while (url := scheduler.next(prefer=host)) is not None:
                host = host_key(url)
                try:
                    result = task(url)
                finally:
                    scheduler.finish(host)
                if result is not None and not put(result) and result.body is not None:
                    result.body.discard()  # cancelled while waiting to hand it over
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer thread
            put(exc)
        finally:
            if scheduler.retire():  # the last worker out says the run is over
                put(_DONE)

    threads = [threading.Thread(target=work, name=f"archiver-fetch-{i}", daemon=True) for i in range(workers)]
    for thread in threads:
        thread.start()
    finished = False
    try:
        while True:
            try:
                # Poll rather than block: a Ctrl-C handled by another thread only runs its
                # Python handler (KeyboardInterrupt) when this thread next wakes up.
                item = results.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                continue
            if item is _DONE:
                finished = True
                break
            if isinstance(item, BaseException):
                raise item
            if on_result is not None:
                try:
                    on_result(item)
                except BaseException:  # the consumer never gets this result: remove its spill file
                    if item.body is not None:
                        item.body.discard()
                    raise
            yield item
    finally:
        if not finished:
            cancel.set()
            scheduler.wake_all()
            with sessions_lock:
                live = list(sessions)
            for session in live:  # unblock workers waiting on the network
                _abort(session)
        for thread in threads:
            thread.join()
        if not finished:
            _discard_queued(results)
        for session in sessions:
            session.close()
        fetcher.close()


class UrlFeed:
    """URLs added to a running :func:`fetch_many` (``fetch_many(urls, feed=feed)``).

    ``add(url)`` queues a URL while the run goes on, ahead of the URLs of its host still
    waiting: an added URL is typically one the caller needs before it can finish (a probe).
    Per-host limits apply to it as to any other. ``close()`` says no more will come; the
    run ends only after that (closing it twice is harmless). An invalid URL raises
    :class:`InvalidURLError` from ``add``; adding after ``close``, or once the run was cancelled,
    raises ``RuntimeError``.
    Thread-safe.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: list[str] = []  # added before the run started
        self._scheduler: _Scheduler | None = None
        self.closed = False

    def add(self, url: str) -> None:
        check_url(url)
        with self._lock:
            if self.closed:
                raise RuntimeError("UrlFeed.add() after close()")
            if self._scheduler is None:
                self._waiting.append(url)
            else:
                self._scheduler.add(url)

    def close(self) -> None:
        with self._lock:
            self.closed = True
            if self._scheduler is not None:
                self._scheduler.close()

    def attach(self, scheduler: _Scheduler) -> None:
        """Called by the run that serves this feed."""
        with self._lock:
            if self._scheduler is not None:
                raise RuntimeError("a UrlFeed serves one fetch_many run")
            self._scheduler = scheduler
            for url in self._waiting:
                scheduler.add(url)
            self._waiting.clear()
            if self.closed:
                scheduler.close()


class _Scheduler:
    """Which URL a free worker fetches next: round-robin over hosts, within the pacer's limits.

    ``next()`` blocks until some host may start a request (a slot is free and its spacing
    has passed) and returns one of its URLs, or ``None`` once no URL is left (and, with a
    feed, the feed is closed) or the run is cancelled. ``finish(host)`` frees the slot;
    ``add(url)`` queues a fed URL. Thread-safe.
    """

    def __init__(
        self, urls: list[str], pacer: HostPacer, clock: Clock, cancel: threading.Event, workers: int,
        *, open_feed: bool = False,
    ) -> None:
        self.pending: dict[str, deque[str]] = {}
        for url in urls:
            self.pending.setdefault(host_key(url), deque()).append(url)
        self.order = deque(self.pending)
        self.pacer = pacer
        self.clock = clock
        self.cancel = cancel
        self.cond = threading.Condition()
        self.workers = workers
        self.retired = 0
        self.open = open_feed  # more URLs may come (a UrlFeed): workers wait rather than retire
        self.added: dict[str, int] = {}  # per host: added URLs at the front of its queue
        # Hosts with URLs waiting and no request in flight: since when.
        self.idle_since: dict[str, float] = dict.fromkeys(self.pending, clock())

    def next(self, prefer: str | None = None) -> str | None:
        """The next URL to fetch (see :meth:`_pick` for which); ``prefer``: the host this worker
        fetched from last."""
        with self.cond:
            while (self.pending or self.open) and not self.cancel.is_set():
                now = self.clock()
                host, wake = self._pick(prefer, now)
                if host is not None:
                    return self._take(host, now)
                # Nothing may start now: wait for a slot to free up or a spacing to pass (the
                # timeout is capped, so a slow-down ordered meanwhile by a 429 is seen).
                self.cond.wait(_WAIT_CAP if wake is None else min(max(0.0, wake - now), _WAIT_CAP))
            return None

    def _pick(self, prefer: str | None, now: float) -> tuple[str | None, float | None]:
        """``(host, None)`` for the host to fetch from now, or ``(None, wake)``: nothing may start
        before ``wake`` (``None``: until a slot frees up).

        Among the hosts that may start a request: first one with added URLs waiting (the
        caller waits for them), then one nobody has fetched from for :data:`_STARVE_SECONDS`
        (round robin: no host waits for busier ones to drain), then ``prefer`` (the
        worker's connection to it is open: moving on at every request would open a
        connection per request when there are more hosts than workers), then any, round robin.
        """
        for host, count in self.added.items():
            if count:
                at = self.pacer.ready_at(host, now)
                if at is not None and at <= now:
                    return host, None
        wake: float | None = None
        preferred = first = None
        for index, host in enumerate(self.order):
            at = self.pacer.ready_at(host, now)
            if at is None:
                continue
            if at > now:
                wake = at if wake is None else min(wake, at)
                continue
            if self.pacer.active(host) == 0 and now - self.idle_since.get(host, now) >= _STARVE_SECONDS:
                self.order.rotate(-(index + 1))  # the next scan starts after it
                return host, None
            if host == prefer:
                preferred = host
            elif first is None:
                first = host
        if preferred is not None:
            return preferred, None
        if first is not None:
            self.order.rotate(-(self.order.index(first) + 1))
            return first, None
        return None, wake

    def _take(self, host: str, now: float) -> str:
        queued = self.pending[host]
        url = queued.popleft()
        if self.added.get(host):
            self.added[host] -= 1
        if not queued:
            del self.pending[host]
            self.order.remove(host)
        self.idle_since.pop(host, None)
        self.pacer.start(host, now)
        return url

    def finish(self, host: str) -> None:
        with self.cond:
            self.pacer.finish(host)
            if host in self.pending and self.pacer.active(host) == 0:
                self.idle_since[host] = self.clock()
            self.cond.notify()

    def add(self, url: str) -> None:
        """Queue ``url`` after the other added URLs of its host, ahead of its first URLs."""
        with self.cond:
            if self.cancel.is_set():
                raise RuntimeError("the fetch run was cancelled")
            host = host_key(url)
            if host not in self.pending:
                self.pending[host] = deque()
                self.order.append(host)
                if self.pacer.active(host) == 0:
                    self.idle_since[host] = self.clock()
            queued = self.pending[host]
            ahead = min(self.added.get(host, 0), len(queued))
            queued.insert(ahead, url)
            self.added[host] = ahead + 1
            self.cond.notify()

    def close(self) -> None:
        """No more URLs will be added."""
        with self.cond:
            self.open = False
            self.cond.notify_all()

    def retire(self) -> bool:
        """A worker leaves; True for the last one."""
        with self.cond:
            self.retired += 1
            self.cond.notify_all()  # a worker's exit may be the only news the others wait for
            return self.retired == self.workers

    def wake_all(self) -> None:
        with self.cond:
            self.cond.notify_all()


#: Longest a worker waits before looking at the hosts again.
_WAIT_CAP = 0.05
#: A host with URLs waiting and no request in flight for this long goes before a worker's own
#: host: it bounds how long any host waits, while a worker otherwise keeps its connection.
_STARVE_SECONDS = 0.25


#: How often a consumer blocked on results wakes up, so a pending Ctrl-C is acted on.
_POLL_SECONDS = 0.2


def _abort(session: requests.Session) -> None:
    """Shut down the session's connections, now and from now on (see :meth:`SafeAdapter.abort`)."""
    for adapter in set(session.adapters.values()):
        if isinstance(adapter, SafeAdapter):
            adapter.abort()


def _discard_queued(results: queue.Queue[Any]) -> None:
    while True:
        try:
            item = results.get_nowait()
        except queue.Empty:
            return
        if isinstance(item, FetchResult) and item.body is not None:
            item.body.discard()
