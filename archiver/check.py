"""``archiver check``: what a reader clicking each cited link finds today, compared with the archive.

Two parts:

- :func:`classify` is a pure function from what one re-visit saw (a
  :class:`~archiver.types.FetchResult`, the extracted text of its body, the link's latest
  good :class:`~archiver.types.Snapshot`, and optionally a :class:`~archiver.soft404.Probe`)
  to a :class:`~archiver.types.CheckResult` whose ``status`` is one :class:`LinkStatus`.
  The rules, in order:

  1. A fetch failure maps by kind (:data:`ERROR_CLASS`): ``dns`` (the name does not exist)
     and ``refused`` -> ``dead``; ``robots``, ``rate_limited`` (429 beyond the Retry-After
     cap) -> ``blocked``; timeouts, resets, TLS, cut or over-large bodies, redirect loops
     and too many redirects, refused private addresses -> ``error``.
  2. An HTTP answer: 404, 410, 451 -> ``dead``; 401, 403, 407, 429 and any bot wall or
     challenge page (whatever its status) -> ``blocked``, never ``dead``; 5xx and other
     statuses -> ``error``, with the reason.
  3. 304 to a conditional request -> ``ok`` (no body was downloaded), or ``moved`` when
     it was reached through a redirect to a new URL.
  4. 2xx: a bot wall, or a sign-in or cookie-consent wall (a redirect to a login or consent
     page, a short "Log in" page with a password field) -> ``blocked``; a deep URL now
     ending on a home, landing, error or parent page -> ``soft404``; a title or short text
     saying "not found" (EN, RU, DE, FR, ES) -> ``soft404``, unless the snapshot is an
     article that said the same (a page about 404 errors). Otherwise the main text is
     compared with the snapshot's (:func:`archiver.drift.similarity`; identical bodies score
     1 without extraction): at or above the threshold -> ``ok`` (an http -> https upgrade,
     an https -> http downgrade or a trailing-slash change of the same URL is ``ok`` with a
     note) or ``moved`` (the final URL changed; the new URL is reported); below it ->
     ``drifted``, unless the probe says the host answers a random missing sibling with this
     same page -> ``soft404``. With no good snapshot to compare with, a 2xx page is ``ok``
     (the detail says so) unless a detector or the probe fires.

- :func:`check` is the runner. It selects links (all, given ones, those of a source,
  those whose last class is in ``statuses``) and re-visits them with
  :func:`archiver.fetch.fetch_many` (its concurrency, politeness and retries), sending
  ``If-None-Match`` / ``If-Modified-Since`` from the snapshot's ``ETag`` /
  ``Last-Modified``. CPU is spent only where needed: a 304, an error, a body identical
  to the snapshot's, or a redirect to a landing page is judged at once; any other
  changed body goes to the extraction process pool, which first tries the fast path
  (:func:`fast_path_score`: the archived main text found whole in the page's visible
  text means ``ok``/``moved`` without running trafilatura) and extracts otherwise. A
  random sibling URL is probed only for pages that did not match their snapshot (or had
  none), once per host and pattern per run: the probe joins the main pass as soon as an
  examination shows a page needs it (through the fetcher's :class:`~archiver.fetch.UrlFeed`,
  so per-host limits hold), or runs after it when the need shows only at the end.
  Verdicts are written to ``checks`` in batches (one commit per batch), append-only (a
  check never touches a snapshot), and yielded once written, with their streak and
  since; what was judged before Ctrl-C is still written. A link written with a private
  address (``127.0.0.1``, ``localhost``) refused by archiver's own policy (no
  ``allow_private``) is yielded but not written: it says nothing about the link (a public
  name now resolving to a private address is written). With
  ``capture``, an ``ok``, ``moved`` or ``drifted`` page whose body changed is added as a
  new snapshot (never replacing the old one). :func:`check_offline` makes no request:
  the last known class of each link, ``unchecked`` for links never checked.
- :func:`counts_as_failure` is the ``--fail-on`` / ``--confirm`` / ``--confirm-span`` rule.
"""

from __future__ import annotations

import contextlib
import dataclasses
import http
import ipaddress
import logging
import queue
import random
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from archiver.config import FetchConfig
from archiver.drift import DEFAULT_DRIFT_THRESHOLD, similarity
from archiver.errors import ArchiverError, NotFoundError
from archiver.examine import examine, fast_path_score, unchanged_text
from archiver.extract import extract_job, extraction_failed, head_text, job_for
from archiver.pool import Handoff, Tasks, start_forkserver
from archiver.soft404 import (
    HEAD_BYTES,
    SHORT_TEXT_WORDS,
    Probe,
    bot_wall,
    landing_redirect,
    login_wall,
    not_found_wording,
    page_wall,
    probe_matches,
    probe_pattern,
    probe_url,
    visible_text,
)
from archiver.store import checks as checks_sql
from archiver.store.core import Store
from archiver.types import CheckResult, ErrorKind, Extracted, FetchResult, LinkStatus, Snapshot

if TYPE_CHECKING:
    from archiver.fetch import UrlFeed

__all__ = [
    "DEFAULT_FAIL_ON",
    "ERROR_CLASS",
    "check",
    "check_offline",
    "classify",
    "conditional_headers",
    "counts_as_failure",
    "needs_probe",
    "examine",
    "fast_path_score",
    "unchanged_text",
    "select_links",
    "summarize",
]

log = logging.getLogger(__name__)

#: The classes ``--fail-on`` counts by default.
DEFAULT_FAIL_ON: frozenset[LinkStatus] = frozenset({LinkStatus.DEAD, LinkStatus.SOFT404})

#: How a fetch that got no usable answer maps onto a class (``http_error`` is decided by status).
ERROR_CLASS: Mapping[ErrorKind, LinkStatus] = {
    ErrorKind.DNS: LinkStatus.DEAD,
    ErrorKind.REFUSED: LinkStatus.DEAD,
    ErrorKind.ROBOTS: LinkStatus.BLOCKED,
    ErrorKind.RATE_LIMITED: LinkStatus.BLOCKED,
    ErrorKind.BLOCKED: LinkStatus.BLOCKED,  # these two are set by the archive only, for completeness
    ErrorKind.SOFT404: LinkStatus.SOFT404,
    ErrorKind.TIMEOUT: LinkStatus.ERROR,
    ErrorKind.RESET: LinkStatus.ERROR,
    ErrorKind.TLS: LinkStatus.ERROR,
    ErrorKind.TRUNCATED: LinkStatus.ERROR,
    ErrorKind.TOO_LARGE: LinkStatus.ERROR,
    ErrorKind.REDIRECT_LOOP: LinkStatus.ERROR,
    ErrorKind.TOO_MANY_REDIRECTS: LinkStatus.ERROR,
    ErrorKind.BLOCKED_PRIVATE: LinkStatus.ERROR,
}
DEAD_STATUSES = frozenset({404, 410, 451})
#: Verdicts are written in batches of at most this many, or this old (one commit each).
BATCH_SIZE = 100
BATCH_SECONDS = 0.5
BLOCKED_STATUSES = frozenset({401, 403, 407, 429})


def _now() -> datetime:
    return datetime.now(UTC)


def _phrase(code: int) -> str:
    try:
        return f"http {code} {http.HTTPStatus(code).phrase}"
    except ValueError:
        return f"http {code}"


def _head(result: FetchResult) -> str | None:
    """The first bytes of the body decoded, for the markup detectors."""
    return head_text(result, HEAD_BYTES)


def _strip(url: str | None) -> str | None:
    if url is None:
        return None
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))


def url_change(before: str | None, after: str | None) -> str | None:
    """How ``after`` differs from ``before``: ``None`` (same), ``"https"`` (an http -> https
    upgrade of the same URL), ``"http"`` (an https -> http downgrade of the same URL: the page
    is there, but the citation should keep its https form), ``"slash"`` (only a trailing
    slash) or ``"moved"``."""
    a, b = _strip(before), _strip(after)
    if a is None or b is None or a == b:
        return None
    pa, pb = urlsplit(a), urlsplit(b)
    host_a = (pa.hostname or "", pa.port or (443 if pa.scheme == "https" else 80))
    host_b = (pb.hostname or "", pb.port or (443 if pb.scheme == "https" else 80))
    if pa.scheme == "http" and pb.scheme == "https" and pa.hostname == pb.hostname and pa.path == pb.path \
            and pa.query == pb.query and (pa.port in (None, 80) and pb.port in (None, 443) or pa.port == pb.port):
        return "https"
    if pa.scheme == "https" and pb.scheme == "http" and pa.hostname == pb.hostname and pa.path == pb.path \
            and pa.query == pb.query and (pa.port in (None, 443) and pb.port in (None, 80) or pa.port == pb.port):
        return "http"
    if host_a == host_b and pa.scheme == pb.scheme and pa.query == pb.query \
            and pa.path.rstrip("/") == pb.path.rstrip("/"):
        return "slash"
    return "moved"


def _compare(snapshot: Snapshot | None, result: FetchResult, extracted: Extracted | None) -> float | None:
    """Similarity of today's main text with the snapshot's; ``None`` when nothing can be compared."""
    if snapshot is None:
        return None
    body_sha = result.body.sha256 if result.body is not None else None
    if body_sha is not None and body_sha == snapshot.sha256:
        return 1.0
    old, new = snapshot.text, extracted.text if extracted else None
    if old and not new:  # extraction found nothing today: fall back on the visible text of the page
        new = visible_text(_head(result)) or None
    if not old and not new:
        return None
    return similarity(old, new)


def classify(
    result: FetchResult,
    extracted: Extracted | None,
    snapshot: Snapshot | None,
    probe: Probe | None = None,
    *,
    url: str | None = None,
    threshold: float = DEFAULT_DRIFT_THRESHOLD,
    checked_at: datetime | None = None,
    text_similarity: float | None = None,
) -> CheckResult:
    """The verdict of one re-visit (see the module docstring for the rules). Pure.

    ``url`` is the canonical link (default ``result.url``); ``extracted`` the main text of
    ``result``'s body (``None``/empty for no body); ``snapshot`` the latest *good*
    snapshot (``None`` when the link was never captured successfully); ``probe`` what
    the host answered for a random sibling URL, if fetched. ``text_similarity``: the
    :func:`~archiver.drift.similarity` of ``extracted.text`` and the snapshot's text when the
    caller already measured it (it is then not measured again). ``streak`` is 1 and
    ``since`` is ``checked_at``: the store computes the real ones when recording.
    """
    at = checked_at or result.fetched_at or _now()
    verdict = CheckResult(
        url=url or result.url, status=LinkStatus.OK, checked_at=at, http_status=result.status,
        final_url=result.final_url, error_kind=result.error, snapshot_id=snapshot.id if snapshot else None,
        since=at,
    )

    def out(status: LinkStatus, detail: str | None, sim: float | None = None) -> CheckResult:
        return dataclasses.replace(verdict, status=status, detail=detail, similarity=sim)

    code = result.status
    title = extracted.title if extracted else None
    text = extracted.text if extracted else None

    # 1. no usable answer
    if result.error is not None and result.error is not ErrorKind.HTTP_ERROR:
        status = ERROR_CLASS.get(result.error, LinkStatus.ERROR)
        detail = result.message or result.error.value
        if result.error is ErrorKind.RATE_LIMITED:
            detail = f"rate limited beyond the Retry-After cap ({detail}); the page may be fine"
        elif result.error is ErrorKind.ROBOTS:
            detail = f"robots.txt refuses archiver ({detail}); the page may be fine"
        elif status is LinkStatus.ERROR and result.attempts > 1:
            detail = f"{detail} (after {result.attempts} attempts)"
        return out(status, detail)
    if code is None:
        return out(LinkStatus.ERROR, result.message or "no answer")

    # 2. an HTTP answer other than 2xx / 304
    head = _head(result)
    if code != 304 and not 200 <= code < 300:
        if code in DEAD_STATUSES:
            return out(LinkStatus.DEAD, _phrase(code))
        wall = bot_wall(code, result.headers, title, text, head)
        if wall:
            return out(LinkStatus.BLOCKED, f"{_phrase(code)}: {wall}")
        if code in BLOCKED_STATUSES:
            return out(LinkStatus.BLOCKED, f"{_phrase(code)}: the site refuses archiver; the page may be fine")
        after = f" after {result.attempts} attempts" if result.attempts > 1 else ""
        return out(LinkStatus.ERROR, f"{_phrase(code)}{after}")

    before = (snapshot.final_url or snapshot.requested_url) if snapshot else (url or result.url)
    change = url_change(before, result.final_url)
    note = {"https": "now served over https", "slash": f"now at {result.final_url} (same page)",
            "http": f"now redirects to insecure {result.final_url} (same page; keep the https link)"}.get(change or "")

    # 3. not modified
    if code == 304:
        if change == "moved":
            return out(LinkStatus.MOVED, f"moved to {result.final_url} (304 not modified there)")
        return out(LinkStatus.OK, "; ".join(filter(None, ["not modified (304): no body downloaded", note])))

    # 4. 2xx; without a main text, the visible text of the page's start stands in (computed once)
    page_text = text or visible_text(head) or None
    requested = url or result.url
    wall = page_wall(code, result.headers, requested, result.final_url, title, page_text, head)
    if wall:
        return out(LinkStatus.BLOCKED, wall)
    landing = landing_redirect(requested, result.final_url)
    if landing:
        return out(LinkStatus.SOFT404, landing)
    wording = not_found_wording(title, page_text)
    if wording and snapshot is not None and len((snapshot.text or "").split()) > SHORT_TEXT_WORDS \
            and not_found_wording(snapshot.title, snapshot.text):
        wording = None  # an archived article that already said so (about 404 pages): judged by content
    if wording:
        return out(LinkStatus.SOFT404, wording)
    body_sha = result.body.sha256 if result.body is not None else None
    probed = probe_matches(probe, final_url=result.final_url, title=title, text=page_text, sha256=body_sha)
    sim = text_similarity if text_similarity is not None and snapshot is not None else \
        _compare(snapshot, result, extracted)
    if snapshot is None:
        if probed:
            return out(LinkStatus.SOFT404, probed)
        moved = f"now at {result.final_url}" if change == "moved" else note
        return out(LinkStatus.OK, "; ".join(filter(None, ["no good snapshot to compare with", moved])))
    if sim is not None and sim >= threshold:
        if change == "moved":
            return out(LinkStatus.MOVED, f"moved to {result.final_url}", sim)
        return out(LinkStatus.OK, note, sim)
    if probed:
        return out(LinkStatus.SOFT404, probed, sim)
    what = f"similarity {sim:.2f} < {threshold:.2f}" if sim is not None else "content changed (no text to compare)"
    if change == "moved":
        what += f"; now at {result.final_url}"
    return out(LinkStatus.DRIFTED, what, sim)


_PRIVATE_SUFFIXES = (".localhost", ".local", ".localdomain", ".internal", ".lan", ".home.arpa", ".intranet", ".corp")


def _policy_only(verdict: CheckResult) -> bool:
    """Whether ``verdict`` is only archiver's refusal of a link written with a private address."""
    if verdict.error_kind is not ErrorKind.BLOCKED_PRIVATE:
        return False
    host = (urlsplit(verdict.url).hostname or "").rstrip(".").lower()
    if "." not in host or host.endswith(_PRIVATE_SUFFIXES):  # localhost, intranet, nas.local
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False  # a name: what it resolves to now is the news
    return True


def needs_probe(verdict: CheckResult) -> bool:
    """Whether a random-sibling probe could turn ``verdict`` into ``soft404``.

    True for a 2xx page that did not match its snapshot (``drifted``) or had none to
    match (``ok`` with no snapshot). Pages that match their snapshot are not probed.
    """
    if verdict.http_status is None or not 200 <= verdict.http_status < 300:
        return False
    return verdict.status is LinkStatus.DRIFTED or (verdict.status is LinkStatus.OK and verdict.snapshot_id is None)


def conditional_headers(snapshot: Snapshot | None) -> dict[str, str]:
    """``If-None-Match`` / ``If-Modified-Since`` from a good snapshot's ``ETag`` / ``Last-Modified``."""
    if snapshot is None or not snapshot.ok or not snapshot.sha256:
        return {}
    found = {k.lower(): v for k, v in (snapshot.headers or {}).items()}
    out: dict[str, str] = {}
    if found.get("etag"):
        out["If-None-Match"] = found["etag"]
    if found.get("last-modified"):
        out["If-Modified-Since"] = found["last-modified"]
    return out


def counts_as_failure(
    result: CheckResult,
    fail_on: Collection[LinkStatus] = DEFAULT_FAIL_ON,
    *,
    confirm: int = 1,
    span: timedelta = timedelta(0),
) -> bool:
    """True when ``result`` makes ``check`` exit 1: its class is in ``fail_on`` and it is confirmed.

    Confirmed means at least ``confirm`` consecutive checks agreed (``streak``) and the
    first of them is at least ``span`` older than this one (``checked_at - since``).
    """
    if result.status not in fail_on:
        return False
    if result.streak < confirm:
        return False
    if span > timedelta(0):
        if result.since is None or result.checked_at is None:
            return False
        return result.checked_at - result.since >= span
    return True


def summarize(results: Iterable[CheckResult]) -> dict[str, int]:
    """Number of links per class, every class that occurred (in :class:`LinkStatus` order)."""
    found = Counter(r.status for r in results)
    return {s.value: found[s] for s in LinkStatus if found[s]}


# -- selecting links ----------------------------------------------------------------------------


def _canonical(url: str) -> str:
    from archiver.urls import canonicalize

    return canonicalize(url)


def _source_links(store: Store, source: str) -> list[str]:
    from archiver.search import source_locators

    for locator in source_locators(source):
        with contextlib.suppress(NotFoundError):
            return store.links_for_source(locator)
    raise NotFoundError("no archived article with that path or URL", source)


def select_links(
    store: Store,
    urls: Sequence[str] | None = None,
    *,
    source: str | None = None,
    statuses: Collection[LinkStatus] | None = None,
) -> list[str]:
    """The canonical links to check: ``urls`` (each must be in the archive), else those cited by
    ``source``, else every link; then only those whose last class is in ``statuses`` (links
    never checked count as ``unchecked``). Raises :class:`InvalidURLError` / :class:`NotFoundError`.
    """
    if urls:
        selected = []
        for raw in urls:
            url = _canonical(raw)
            if store.link_id(url) is None:
                raise NotFoundError("not in the archive", raw)
            selected.append(url)
        selected = list(dict.fromkeys(selected))
    elif source is not None:
        selected = _source_links(store, source)
    else:
        selected = store.link_urls()
    if statuses:
        last = checks_sql.last_checks(store, selected)
        selected = [u for u in selected if (last[u].status if u in last else LinkStatus.UNCHECKED) in statuses]
    return selected


# -- offline ------------------------------------------------------------------------------------


def check_offline(
    store: Store,
    urls: Sequence[str] | None = None,
    *,
    source: str | None = None,
    statuses: Collection[LinkStatus] | None = None,
) -> list[CheckResult]:
    """The last known class of each selected link, from the database only (no request).

    Links never checked are ``unchecked`` (``checked_at`` ``None``, streak 0); a link that
    never had a good capture says so in its detail.
    """
    selected = select_links(store, urls, source=source, statuses=statuses)
    last = checks_sql.last_checks(store, selected)
    out = []
    for url in selected:
        if url in last:
            out.append(last[url])
            continue
        good = store.latest_snapshot(url, good=True)
        if good is not None:
            detail = f"never checked; archived {good.captured_at:%Y-%m-%d}"
        else:
            failed = store.latest_snapshot(url, good=False)
            why = (failed.error_message or failed.error_kind or _phrase(failed.http_status or 0)) if failed else None
            detail = "never checked; never archived successfully" + (f" (last capture: {why})" if why else "")
        out.append(CheckResult(url=url, status=LinkStatus.UNCHECKED, checked_at=None, detail=detail, streak=0,
                               snapshot_id=good.id if good else None))
    return out


# -- the runner ---------------------------------------------------------------------------------


class FetchMany(Protocol):
    def __call__(
        self, urls: Iterable[str], *, config: FetchConfig | None = ...,
        headers_for: Callable[[str], Mapping[str, str] | None] | None = ...,
        feed: UrlFeed | None = ...,
    ) -> Iterator[FetchResult]: ...


def _default_fetch_many(
    urls: Iterable[str], *, config: FetchConfig | None = None,
    headers_for: Callable[[str], Mapping[str, str] | None] | None = None,
    feed: UrlFeed | None = None,
) -> Iterator[FetchResult]:
    from archiver.fetch import fetch_many

    return fetch_many(urls, config=config, headers_for=headers_for, feed=feed)


def _snapshot_extracted(snapshot: Snapshot) -> Extracted:
    return Extracted(title=snapshot.title, author=snapshot.author, date=snapshot.published,
                     sitename=snapshot.sitename, language=snapshot.language, description=snapshot.description,
                     text=snapshot.text, error=snapshot.extract_error)


class _Run:
    """State of one live check run; everything that touches SQLite happens in the consuming thread."""

    def __init__(self, store: Store, config: FetchConfig, fetch: FetchMany, threshold: float, capture: bool,
                 clock: Callable[[], datetime], rng: random.Random, extract_workers: int, run_id: int) -> None:
        self.store, self.config, self.fetch = store, config, fetch
        self.threshold, self.capture, self.clock, self.rng = threshold, capture, clock, rng
        self.run_id = run_id
        self.snapshots: dict[str, Snapshot | None] = {}
        # Finished worker tasks: ("link", (url, result, kept, extracted, similarity)) or
        # ("probe", (patterns, result, extracted)).
        self.done: queue.Queue[tuple[str, tuple[Any, ...]]] = queue.Queue()
        self.in_flight = 0
        self.counts: Counter[str] = Counter()
        # A check extracts only changed pages, where trafilatura's jusText fallback is common:
        # its stop words are built once in the forkserver, not once per worker.
        self.workers = Tasks(extract_workers, warm_justext=True)
        self.batch: list[CheckResult] = []  # judged, not yet written
        self.batch_since = 0.0
        # Probes, once per pattern per run. While the main pass runs, a probe joins it
        # through ``feed`` (per-host limits still apply); one needed after the last link
        # came back is fetched by :meth:`late_probes`.
        from archiver.fetch import UrlFeed  # not at import: check --offline never loads requests

        self.feed = UrlFeed()
        self.outstanding: Counter[str] = Counter()  # selected links whose result has not come yet
        self.probes: dict[str, Probe] = {}  # pattern -> what the host answered
        self.requested: set[str] = set()  # patterns whose probe was asked for
        self.probe_urls: dict[str, list[str]] = {}  # probe URL in the main pass -> its patterns
        self.late: dict[str, str] = {}  # pattern -> probe URL, for after the main pass
        self.probe_lock = threading.Lock()  # probes may be asked for from the thread that examined a page
        # Worker results reach the judging thread through ``done`` until the run closes.
        self.handoff = Handoff(self.done.put)
        # pattern -> links judged once, waiting for its probe: (url, result, extracted, checked at, similarity)
        self.waiting: dict[str, list[tuple[str, FetchResult, Extracted, datetime, float | None]]] = {}

    def expect(self, urls: Sequence[str]) -> None:
        """The links of the main pass; the feed closes once all have come back."""
        self.outstanding.update(urls)
        if not self.outstanding:
            self.feed.close()

    def take(self, url: str, result: FetchResult) -> None:
        """Handle one fetched link: a changed body goes to a worker process (fast path, else
        extraction); anything else is judged now. A probe's answer goes to :meth:`take_probe`."""
        if self.outstanding[url] > 0:
            self.outstanding[url] -= 1
            if self.outstanding[url] == 0:
                del self.outstanding[url]
                if not self.outstanding:  # every link is back: probes needed from now on come late
                    self.feed.close()
        else:
            with self.probe_lock:
                patterns = self.probe_urls.pop(url, None)
            if patterns:
                self.take_probe(patterns, result)
                return
        snapshot = self.snapshots.get(url)
        body = result.body
        if result.ok and result.status != 304 and body is not None:
            if snapshot is not None and body.sha256 == snapshot.sha256:
                self.judge(url, result, _snapshot_extracted(snapshot))
                return
            # soft404 or a sign-in/consent wall by its URLs alone: no text needed
            if landing_redirect(url, result.final_url) or login_wall(url, result.final_url, None, None, None):
                self.judge(url, result, Extracted())
                return
            job = job_for(result)
            if job is not None:
                self.in_flight += 1
                old_text, old_size = (snapshot.text, snapshot.size) if snapshot is not None else (None, None)
                # Author, date and site name are only kept when the page becomes a snapshot.
                self.workers.submit(examine, job, old_text, old_size, self.capture,
                                    done=lambda out, u=url, r=result: self.examined(u, r, out),
                                    fallback=lambda exc: (None, extraction_failed(exc), None))
                return
        self.judge(url, result, Extracted())

    def examined(self, url: str, result: FetchResult, out: tuple[float | None, Extracted, float | None]) -> None:
        """An examination finished (in the thread that waited for it): ask for the page's probe
        now if its verdict will need one, then hand it to the judging thread.

        The judging thread may be waiting for a slow download; asking here lets the probe
        join the main pass all the same. ``classify`` is pure, so it can run here; the page
        is judged (and its body freed) only after it is handed over.
        """
        kept, extracted, sim = out
        try:
            # Only a page that did not keep its text can need a probe: classify (exact, and
            # not free) only those.
            if kept is None and (sim is None or sim < self.threshold) and not self.feed.closed:
                verdict = classify(result, extracted, self.snapshots.get(url), url=url, threshold=self.threshold,
                                   text_similarity=sim)
                pattern = probe_pattern(url) if needs_probe(verdict) else None
                if pattern is not None:
                    self.request_probe(pattern, url, judging=False)
        except Exception:  # an early probe is an optimisation: the judging thread asks again if needed
            log.debug("could not foresee the probe of %s", url, exc_info=True)
        self.handoff.deliver(("link", (url, result, kept, extracted, sim)), result)

    def take_probe(self, patterns: list[str], result: FetchResult) -> None:
        """A probe's answer: extracted in a worker when it is a page (a probe is judged, never stored)."""
        job = job_for(result) if result.ok and result.status != 304 else None
        if job is None:
            self.probed_all(patterns, result, Extracted())
            return
        self.in_flight += 1
        self.workers.submit(extract_job, job, False,
                            done=lambda ext, p=patterns, r=result: self.handoff.deliver(("probe", (p, r, ext)), r),
                            fallback=extraction_failed)

    def probed_all(self, patterns: list[str], result: FetchResult, extracted: Extracted) -> None:
        """One probe URL's answer, for each pattern that asked for it (a random URL that two
        patterns produced alike is fetched once)."""
        probe = _probe(patterns[0], result, extracted)
        for pattern in patterns:
            self.probed(pattern, dataclasses.replace(probe, pattern=pattern))

    def drain(self, block: bool) -> None:
        """Judge the links whose examination finished, and the links waiting on probes that
        finished (waiting for all of them when ``block``)."""
        while self.in_flight:
            try:
                kind, item = self.done.get(block=block, timeout=0.2 if block else None)
            except queue.Empty:
                if block:  # poll: a Ctrl-C handled by another thread is acted on when this thread wakes
                    continue
                return
            self.in_flight -= 1
            if kind == "probe":
                patterns, result, extracted = item
                self.probed_all(patterns, result, extracted)
                continue
            url, result, kept, extracted, sim = item
            snapshot = self.snapshots.get(url)
            if kept is not None and snapshot is not None:  # the archived main text is all still there
                self.judge(url, result, _snapshot_extracted(snapshot), known=kept)
            else:
                self.judge(url, result, extracted, sim=sim)

    def judge(self, url: str, result: FetchResult, extracted: Extracted, probe: Probe | None = None,
              at: datetime | None = None, known: float | None = None, sim: float | None = None) -> None:
        """Classify; a verdict that a probe could change waits for it (first pass only, ``probe`` None).

        ``known`` is the similarity the fast path measured (``extracted`` is then the snapshot's);
        ``sim`` the similarity a worker measured between ``extracted`` and the snapshot's text.
        """
        snapshot = self.snapshots.get(url)
        first_pass = at is None
        at = at or self.clock()
        verdict = classify(result, extracted, snapshot, probe, url=url, threshold=self.threshold, checked_at=at,
                           text_similarity=sim)
        if known is not None and verdict.similarity == 1.0:
            verdict = dataclasses.replace(verdict, similarity=known)
        if first_pass and needs_probe(verdict):
            pattern = probe_pattern(url)
            if pattern is not None:
                entry = (url, result, extracted, at, verdict.similarity)
                if pattern in self.probes:  # probed already in this run
                    self.judge(url, result, extracted, self.probes[pattern], at=at, sim=verdict.similarity)
                    return
                self.waiting.setdefault(pattern, []).append(entry)
                self.request_probe(pattern, url)
                return
        self.record(url, result, extracted, verdict)

    def request_probe(self, pattern: str, url: str, *, judging: bool = True) -> None:
        """Ask once for the probe of ``pattern``: a random missing sibling of ``url``.

        From the judging thread (``judging``), or early from the thread that examined the
        page, which only adds a probe to the main pass (everything else is left to the
        judging thread)."""
        with self.probe_lock:
            if pattern in self.requested:
                return
            sibling = probe_url(url, self.rng)
            if sibling is not None and sibling in self.probe_urls:  # two patterns, one random URL
                self.requested.add(pattern)
                self.probe_urls[sibling].append(pattern)
                return
            if sibling is not None and not self.feed.closed:
                self.requested.add(pattern)
                self.probe_urls[sibling] = [pattern]
                try:
                    self.feed.add(sibling)
                    return
                except Exception:  # noqa: BLE001 - closed meanwhile (RuntimeError), or anything: ask later
                    del self.probe_urls[sibling]
                    self.requested.discard(pattern)
            if not judging:
                return
            self.requested.add(pattern)
            if sibling is not None:
                self.late[pattern] = sibling
        if sibling is None:
            self.probed(pattern, Probe(url="", pattern=pattern))

    def probed(self, pattern: str, probe: Probe) -> None:
        """The probe of ``pattern`` is known: judge the links that waited for it."""
        self.probes[pattern] = probe
        for url, result, extracted, at, sim in self.waiting.pop(pattern, []):
            self.judge(url, result, extracted, probe, at=at, sim=sim)

    def record(self, url: str, result: FetchResult, extracted: Extracted, verdict: CheckResult) -> None:
        """Capture a snapshot if asked (needs the body), free the body, and queue the verdict for writing."""
        snapshot = self.snapshots.get(url)
        try:
            body = result.body
            changed = body is not None and (snapshot is None or body.sha256 != snapshot.sha256)
            keep = verdict.status in (LinkStatus.OK, LinkStatus.MOVED, LinkStatus.DRIFTED)
            if self.capture and keep and result.ok and result.status != 304 and changed:
                sid = self.store.add_snapshot(result, extracted, run_id=self.run_id, url=url)
                verdict = dataclasses.replace(verdict, captured_snapshot_id=sid)
        finally:
            if result.body is not None:
                result.body.discard()
        if not self.batch:
            self.batch_since = time.monotonic()
        self.batch.append(verdict)

    def flush(self, force: bool = False) -> list[CheckResult]:
        """Write the queued verdicts in one transaction when the batch is big or old enough (or ``force``).

        Batching matters: one commit per check costs an fsync each, which dominated runs.
        """
        if not self.batch:
            return []
        if not force and len(self.batch) < BATCH_SIZE and time.monotonic() - self.batch_since < BATCH_SECONDS:
            return []
        batch, self.batch = self.batch, []
        # A link *written* with a private address (127.0.0.1, localhost), refused by archiver's own
        # policy (no --allow-private), says nothing about the link: shown, never recorded, so it
        # breaks no streak and fills no history. A public name that now resolves to a private
        # address (a sinkholed or expired domain) is news about the link, and is recorded.
        refused = [dataclasses.replace(r, detail=f"{r.detail}; not recorded") for r in batch if _policy_only(r)]
        kept = [r for r in batch if not _policy_only(r)]
        recorded = checks_sql.record_checks(self.store, kept, run_id=self.run_id) if kept else []
        self.counts.update(r.status.value for r in (*recorded, *refused))
        return [*recorded, *refused]

    def late_probes(self) -> None:
        """Fetch the probes asked for after the main pass ended, then judge the links waiting on them."""
        if not self.late:
            return
        patterns_of: dict[str, list[str]] = {}
        for pattern, sibling in self.late.items():
            patterns_of.setdefault(sibling, []).append(pattern)
        self.late = {}
        results = self.fetch(list(patterns_of), config=self.config)
        try:
            for result in results:
                if patterns := patterns_of.pop(result.url, None):
                    self.take_probe(patterns, result)
        finally:
            _close(results)
        self.drain(block=True)

    def unprobed(self) -> None:
        """Judge the links still waiting for a probe that never came (a fetch seam that
        ignores the feed, a failed request...) as if the host had no probe: none is lost."""
        for pattern in list(self.waiting):
            log.debug("no probe came for %s; judging its links without one", pattern)
            self.probed(pattern, Probe(url="", pattern=pattern))

    def close(self) -> None:
        """End the run: no worker result is judged from now on, and every body still held is freed."""
        self.feed.close()
        self.handoff.close()
        self.workers.close(cancel=True)
        while True:
            try:
                _kind, item = self.done.get_nowait()
            except queue.Empty:
                break
            result = item[1]
            if result.body is not None:
                result.body.discard()
        for entries in self.waiting.values():
            for _url, result, _extracted, _at, _sim in entries:
                if result.body is not None:
                    result.body.discard()
        self.waiting.clear()


def _probe(pattern: str, result: FetchResult, extracted: Extracted) -> Probe:
    """What the host answered for a random sibling URL; frees the body."""
    text = extracted.text or visible_text(_head(result)) or None
    probe = Probe(url=result.url, pattern=pattern, status=result.status, final_url=result.final_url,
                  title=extracted.title, text=text, sha256=result.body.sha256 if result.body else None,
                  error=result.error)
    if result.body is not None:
        result.body.discard()
    return probe


def _close(results: Any) -> None:
    close = getattr(results, "close", None)
    if close is not None:
        with contextlib.suppress(Exception):
            close()


def check(
    store: Store,
    urls: Sequence[str] | None = None,
    *,
    source: str | None = None,
    statuses: Collection[LinkStatus] | None = None,
    config: FetchConfig | None = None,
    threshold: float = DEFAULT_DRIFT_THRESHOLD,
    capture: bool = False,
    fetch: FetchMany = _default_fetch_many,
    clock: Callable[[], datetime] = _now,
    rng: random.Random | None = None,
    extract_workers: int = 2,
) -> Iterator[CheckResult]:
    """Re-visit the selected links (see :func:`select_links`) and yield each recorded verdict.

    Verdicts come as links complete (links waiting for a probe come last), each already
    stored in ``checks`` with its ``streak`` and ``since``. ``capture`` adds a snapshot of
    ``ok``/``moved``/``drifted`` pages whose body changed. ``fetch`` is a seam with the
    signature of :func:`archiver.fetch.fetch_many`; ``clock`` and ``rng`` make time and
    probe URLs deterministic in tests. A run is recorded in ``runs`` with its counts.
    Raises :class:`InvalidURLError` / :class:`NotFoundError` for a bad selection, before
    any request.
    """
    if not 0.0 <= threshold <= 1.0:
        raise ArchiverError(f"the drift threshold must be between 0 and 1, not {threshold}")
    config = config or FetchConfig()
    selected = select_links(store, urls, source=source, statuses=statuses)
    return _check(store, selected, config, threshold, capture, fetch, clock, rng or random.Random(), extract_workers)


def _check(store: Store, selected: list[str], config: FetchConfig, threshold: float, capture: bool,
           fetch: FetchMany, clock: Callable[[], datetime], rng: random.Random,
           extract_workers: int) -> Iterator[CheckResult]:
    run_id = store.start_run("check")
    run = _Run(store, config, fetch, threshold, capture, clock, rng, extract_workers, run_id)
    interrupted = False
    try:
        if extract_workers > 0:
            start_forkserver(warm_justext=True)
        run.workers.warm()
        run.snapshots = checks_sql.latest_good_snapshots(store, selected)
        run.expect(selected)
        results = fetch(selected, config=config, headers_for=lambda u: conditional_headers(run.snapshots.get(u)),
                        feed=run.feed)
        try:
            for result in results:
                run.take(result.url, result)
                run.drain(block=False)
                yield from run.flush()
        finally:
            run.feed.close()
            _close(results)
        run.drain(block=True)
        yield from run.flush(force=True)
        run.late_probes()
        run.unprobed()
        yield from run.flush(force=True)
    except (KeyboardInterrupt, GeneratorExit):
        interrupted = True
        raise
    except sqlite3.DatabaseError as exc:  # a damaged file met by a reader: write nothing more to it
        store.note_damage(exc)
        raise
    finally:
        with contextlib.suppress(Exception):
            run.flush(force=True)  # what was judged before an interruption is kept
        try:
            run.close()
        except BaseException:  # noqa: BLE001 - a second Ctrl-C while closing: the run is still recorded
            interrupted = True
        with contextlib.suppress(Exception):
            store.finish_run(run_id, {**run.counts, "planned": len(selected), "interrupted": interrupted})

