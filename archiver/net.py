"""Name resolution, address safety and the HTTP session the fetcher uses.

Contract:

- A *resolver* is a callable ``(host, port) -> list[str]`` of IP addresses. It raises
  :class:`ResolveError` with ``temporary=False`` when the name does not exist (final)
  and ``temporary=True`` when the resolver could not answer now (retried).
  :func:`system_resolver` wraps ``getaddrinfo``; :class:`StaticResolver` is the seam
  tests use to simulate names (no dependence on the machine's DNS).
- :func:`blocked_reason` says why an address must not be fetched (private, loopback,
  link-local, multicast, reserved, unspecified...), ``None`` for a public one.
- :func:`make_session` builds a ``requests.Session`` whose connections go to the
  addresses that were checked (:meth:`SafeAdapter.pin`), not to a second, possibly
  different, DNS answer; TLS still verifies the certificate against the host name.
- :func:`redact` removes the password from a URL: credentials are never printed or logged.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import connection as u3connection
from urllib3 import connectionpool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

Resolver = Callable[[str, int], list[str]]


class ResolveError(Exception):
    """A host name could not be resolved; ``temporary`` says whether trying again may help."""

    def __init__(self, host: str, message: str, *, temporary: bool = False) -> None:
        super().__init__(message)
        self.host = host
        self.temporary = temporary


# getaddrinfo error codes meaning "ask again later" rather than "no such name".
_TEMPORARY_EAI = {getattr(socket, name) for name in ("EAI_AGAIN",) if hasattr(socket, name)}


def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the operating system (``getaddrinfo``); addresses in its order, without duplicates."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        temporary = exc.errno in _TEMPORARY_EAI
        raise ResolveError(host, exc.strerror or str(exc), temporary=temporary) from exc
    except UnicodeError as exc:
        raise ResolveError(host, "invalid host name") from exc
    addresses: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        if sockaddr[0] not in addresses:
            addresses.append(str(sockaddr[0]))
    if not addresses:
        raise ResolveError(host, "no address")
    return addresses


class _Lookup:
    """One lookup in flight: the threads that asked for the same name meanwhile wait for its answer."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.addresses: list[str] | None = None
        self.error: ResolveError | None = None


class CachingResolver:
    """A resolver that keeps each answer ``ttl`` seconds: a run looks a host up once, not once per request.

    Without it every request (and every redirect hop) of a run asks the system resolver
    again: 50 links on one site are 50 DNS queries, each on the path of a download. Kept:
    the addresses of a name and "no such name" (a dead site's links then fail at once);
    never kept: a temporary failure, which the fetcher retries. Lookups of one name from
    several threads at once make one query, whose answer (a temporary failure included)
    they all get. Addresses are still checked and pinned per request by the fetcher: a
    cached answer is only ever the checked one.
    """

    def __init__(self, resolver: Resolver, ttl: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.resolver = resolver
        self.ttl = ttl
        self.clock = clock
        self._lock = threading.Lock()
        self._answers: dict[tuple[str, int], tuple[float, list[str] | str]] = {}  # key -> (until, addresses | error)
        self._pending: dict[tuple[str, int], _Lookup] = {}

    def __call__(self, host: str, port: int) -> list[str]:
        key = (host.lower(), port)
        mine: _Lookup | None = None
        try:
            while True:
                with self._lock:
                    known = self._answers.get(key)
                    if known is not None and known[0] > self.clock():
                        if isinstance(known[1], str):
                            raise ResolveError(host, known[1])
                        return list(known[1])
                    other = self._pending.get(key)
                    if other is None:
                        mine = self._pending[key] = _Lookup()
                        break
                other.done.wait()
                if other.addresses is not None:
                    return list(other.addresses)
                if other.error is not None:
                    raise ResolveError(host, str(other.error), temporary=other.error.temporary)
                # the lookup ended otherwise (a resolver bug, an interrupt): ask again
            try:
                addresses = list(self.resolver(host, port))
            except ResolveError as exc:
                mine.error = exc
                if not exc.temporary:
                    with self._lock:
                        self._answers[key] = (self.clock() + self.ttl, str(exc))
                raise
            mine.addresses = addresses
            with self._lock:
                self._answers[key] = (self.clock() + self.ttl, addresses)
            return list(addresses)
        finally:
            if mine is not None:
                with self._lock:
                    if self._pending.get(key) is mine:
                        del self._pending[key]
                mine.done.set()


class StaticResolver:
    """A resolver from a table, for tests: ``{"name": ["1.2.3.4"], "gone.test": NXDOMAIN, "flaky.test": TEMPFAIL}``.

    IP literals resolve to themselves; names missing from the table go to ``fallback``
    (default: treated as non-existent). ``calls`` records every lookup.
    """

    NXDOMAIN = "nxdomain"
    TEMPFAIL = "tempfail"

    def __init__(self, table: Mapping[str, list[str] | str], fallback: Resolver | None = None) -> None:
        self.table = {k.lower(): v for k, v in table.items()}
        self.fallback = fallback
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        if _ip(host) is not None:
            return [host.strip("[]")]
        entry = self.table.get(host.lower())
        if entry is None and self.fallback is not None:
            return self.fallback(host, port)
        if entry is None or entry == self.NXDOMAIN:
            raise ResolveError(host, "Name or service not known")
        if entry == self.TEMPFAIL:
            raise ResolveError(host, "Temporary failure in name resolution", temporary=True)
        return list(entry)


def connect_host(host: str) -> str:
    """``host`` as connections name it: non-ASCII names IDNA-encoded (UTS 46, as requests does).

    Resolve and pin this form, not the Unicode one: urllib3 connects to the encoded name,
    and IDNA 2003 (``getaddrinfo``) and IDNA 2008 can even disagree (``faß.de``).
    Raises ``ValueError`` for a name that has no IDNA form.
    """
    if host.isascii():
        return host
    import idna

    return idna.encode(host, uts46=True).decode("ascii")


def _pin_key(host: str) -> str:
    """The key pins are stored under: the same for every spelling urllib3 or the fetcher uses
    (brackets, trailing dot and case dropped, IDNA-encoded)."""
    host = host.strip("[]").rstrip(".").lower()
    try:
        return connect_host(host)
    except ValueError:
        return host


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def blocked_reason(address: str) -> str | None:
    """Why ``address`` must not be fetched without ``allow_private`` (``None``: it is public)."""
    ip = _ip(address)
    if ip is None:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    elif isinstance(ip, ipaddress.IPv6Address) and ip.sixtofour is not None:
        inner = blocked_reason(str(ip.sixtofour))  # 6to4 (2002::/16) carries an IPv4 address
        if inner:
            return inner
    checks = (
        ("loopback", ip.is_loopback),
        ("unspecified", ip.is_unspecified),
        ("link-local", ip.is_link_local),
        ("site-local", isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local),  # fec0::/10, deprecated
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
    )
    for name, hit in checks:
        if hit:
            return name
    if not ip.is_global:  # shared address space 100.64/10, benchmarking, documentation ranges...
        return "non-global"
    return None


def redact(url: str) -> str:
    """``url`` with its credentials hidden: ``user:***@`` for a password, ``***@`` for a lone user name.

    A user name without a password is usually a token (``https://TOKEN@host/``), so it is
    hidden too (as pip does).
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.password is None and "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[-1]
    user = parts.username
    netloc = f"{user}:***@{host}" if parts.password is not None and user else f"***@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


# -- a session whose connections use checked addresses ---------------------------------------


class _PinnedConnectionMixin:
    """Connect to the adapter's pinned addresses for (host, port), else to the resolver's answer."""

    adapter: SafeAdapter
    host: str
    port: int
    timeout: float | None
    source_address: tuple[str, int] | None
    socket_options: list | None

    def _new_conn(self) -> socket.socket:
        try:
            addresses = self.adapter.addresses_for(self.host, self.port)
        except ResolveError as exc:
            raise NameResolutionError(self.host, self, socket.gaierror(str(exc))) from exc  # type: ignore[arg-type]
        last: OSError | None = None
        for address in addresses:  # in order, like socket.create_connection: a dead address falls back
            try:
                sock = u3connection.connection.create_connection(
                    (address, self.port), self.timeout, source_address=self.source_address,
                    socket_options=self.socket_options,
                )
                self.adapter.track(sock)
                return sock
            except OSError as exc:  # TimeoutError included
                last = exc
        if isinstance(last, TimeoutError):
            raise ConnectTimeoutError(
                self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
            ) from last
        raise NewConnectionError(self, f"Failed to establish a new connection: {last}") from last  # type: ignore[arg-type]


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class SafeAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` whose new connections go to pinned (already checked) addresses.

    :meth:`pin` records the addresses the fetcher checked for a host and port; a
    connection to an unpinned host resolves through ``resolver``, unless ``strict``: then
    it is refused (a name resolution error), so a pin that does not match the name urllib3
    connects to can never turn into a second, unchecked lookup. One adapter per session
    and one session per worker thread, so pins are not shared across threads.
    """

    def __init__(self, resolver: Resolver = system_resolver, *, strict: bool = False, **kwargs: object) -> None:
        self.resolver = resolver
        self.strict = strict
        self._pins: dict[tuple[str, int], list[str]] = {}
        self._sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()
        self._sockets_lock = threading.Lock()
        self._aborted = False
        super().__init__(**kwargs)  # type: ignore[arg-type]

    def track(self, sock: socket.socket) -> None:
        """Remember a new connection; after :meth:`abort` it is shut down at once instead."""
        with self._sockets_lock:
            self._sockets.add(sock)
            aborted = self._aborted
        if aborted:  # a connection opened while (or just after) the run was cancelled
            _shutdown(sock)

    def abort(self) -> None:
        """Shut down every open connection, and every later one (from any thread): blocked reads
        fail at once. For cancellation; sticky, so a connection racing the abort cannot escape it."""
        with self._sockets_lock:
            self._aborted = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shutdown(sock)

    def pin(self, host: str, port: int, addresses: list[str]) -> None:
        self._pins[(_pin_key(host), port)] = list(addresses)

    def addresses_for(self, host: str, port: int) -> list[str]:
        pinned = self._pins.get((_pin_key(host), port))
        if pinned is not None:
            return pinned
        if self.strict:
            raise ResolveError(host, f"{host}:{port} was not checked before connecting (no pinned address)")
        return self.resolver(host, port)

    def init_poolmanager(self, *args: object, **kwargs: object) -> None:
        super().init_poolmanager(*args, **kwargs)  # type: ignore[arg-type]
        adapter = self

        class Conn(_PinnedConnectionMixin, u3connection.HTTPConnection):
            pass

        class TLSConn(_PinnedConnectionMixin, u3connection.HTTPSConnection):
            pass

        Conn.adapter = adapter
        TLSConn.adapter = adapter

        class Pool(connectionpool.HTTPConnectionPool):
            ConnectionCls = Conn

        class TLSPool(connectionpool.HTTPSConnectionPool):
            ConnectionCls = TLSConn

        self.poolmanager.pool_classes_by_scheme = {"http": Pool, "https": TLSPool}


class Watchdog:
    """Runs an action when a real-time delay has passed, unless disarmed first: one thread for many timers.

    The fetcher arms one per request to shut down the connection of an answer whose status
    line and headers trickle in (each byte within the read timeout, the whole past the
    deadline). Actions run on the watchdog thread and must be quick (socket shutdowns).
    Cheaper than a ``threading.Timer`` (a thread) per request; :meth:`close` ends the thread.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._timers: dict[int, tuple[float, Callable[[], None]]] = {}
        self._next_id = 0
        self._thread: threading.Thread | None = None
        self._closed = False
        self._wake_at: float | None = None  # when the thread wakes up next (None: when told)

    def arm(self, delay: float, action: Callable[[], None]) -> int:
        """Run ``action`` in ``delay`` seconds; returns the key for :meth:`disarm`."""
        with self._cond:
            self._next_id += 1
            key = self._next_id
            at = time.monotonic() + max(0.0, delay)
            self._timers[key] = (at, action)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="archiver-watchdog", daemon=True)
                self._thread.start()
            # Wake the thread only when this timer is due before the one it sleeps for: timers
            # are armed per request with about the same delay, so that is rarely the case (a
            # wake-up per request is a thread switch per request, under the GIL).
            if self._wake_at is None or at < self._wake_at:
                self._cond.notify()
            return key

    def disarm(self, key: int) -> None:
        with self._cond:
            self._timers.pop(key, None)

    def close(self) -> None:
        """Forget every timer and stop the thread (joined)."""
        with self._cond:
            self._closed = True
            self._timers.clear()
            self._cond.notify()
            thread = self._thread
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        with self._cond:
            while not self._closed:
                now = time.monotonic()
                for key in [k for k, (at, _) in self._timers.items() if at <= now]:
                    _, action = self._timers.pop(key)
                    try:
                        action()
                    except Exception:  # noqa: BLE001 - a failing action must not stop the other timers
                        pass
                soonest = min((at for at, _ in self._timers.values()), default=None)
                self._wake_at = soonest
                self._cond.wait(None if soonest is None else max(0.0, soonest - now))


def make_session(
    user_agent: str, resolver: Resolver = system_resolver, pool_size: int = 4, *, strict: bool = True
) -> requests.Session:
    """A session for the fetcher: our User-Agent, pinned-address adapters, no proxies from the environment.

    ``trust_env`` is off: environment proxies would make the address checks meaningless
    and ``.netrc`` credentials must not leak to cited sites. ``strict`` (the default):
    connections go only to pinned addresses (see :class:`SafeAdapter`); the fetcher pins
    every host it contacts, after checking it.
    """
    session = requests.Session()
    session.trust_env = False
    session.headers["User-Agent"] = user_agent
    session.headers["Accept-Encoding"] = "gzip, deflate"
    session.headers["Accept"] = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    adapter = SafeAdapter(
        resolver, strict=strict, pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def safe_adapter(session: requests.Session, url: str) -> SafeAdapter | None:
    """The :class:`SafeAdapter` ``session`` would use for ``url``, if it has one."""
    try:
        adapter = session.get_adapter(url)
    except requests.exceptions.InvalidSchema:
        return None
    return adapter if isinstance(adapter, SafeAdapter) else None
