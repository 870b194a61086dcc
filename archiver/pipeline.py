"""``archive``: harvest -> fetch -> extract -> store, for every link the sources cite.

Contract of :func:`archive`:

- Sources are read and validated first (:func:`prepare_sources`): a missing file, an
  unreadable one or an invalid URL raises before the database is opened or written.
- A link with a good snapshot is *skipped* unless ``refresh`` is set or the snapshot is
  older than ``max_age``; a link whose captures all failed is tried again. Links
  matching an ``exclude`` regular expression are left out.
- Fetching and extraction overlap: the fetcher's threads keep downloading while pages
  are extracted in a process pool (trafilatura is CPU-bound; 2 workers by default;
  in-line in a thread if a pool cannot be made). ONE thread writes to SQLite, and each
  link's snapshot is committed as soon as it is extracted, so an interrupted run loses
  at most the links in flight.
- Claims: before fetching, the run claims its links (owner ``hostname:pid:token``,
  heartbeat refreshed while it runs). A link claimed by another live process is not
  fetched: the run waits for it and reports that process's capture; a dead process's
  claim is void at once, a silent one after :data:`~archiver.store.core.CLAIM_EXPIRY`.
- For an article URL source, the article itself is fetched (or read back from its good
  snapshot), stored as a snapshot and as a source, and its main-content links archived.
- Statuses: ``archived`` (a new good snapshot), ``unchanged`` (a refresh whose body has
  the sha256 of the previous good snapshot: a new row, the blob reused), ``skipped``
  (already archived, or captured meanwhile by another process), ``failed`` (the capture
  failed; it is stored with its error).
- A 2xx answer that is not the cited page is a failed capture (:func:`not_the_page`): kind
  ``blocked`` for a bot wall, a sign-in or a cookie-consent page, ``soft404`` for a deep
  link now ending on a home, landing, error or parent page or a short page saying "not
  found". Its body and text are stored, it is not a good snapshot (``check`` never
  compares with it), and the next run tries the link again.
- Ctrl-C (``KeyboardInterrupt``) or ``stop.set()`` ends the run cleanly: what was
  fetched and extracted is saved, the report has ``interrupted=True``; claims are released.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import queue
import re
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from archiver.config import FetchConfig
from archiver.errors import ArchiverError, InvalidURLError, SourceError, StoreError
from archiver.extract import HTML_TYPES, extract_job, extract_result, extraction_failed, head_text, job_for
from archiver.pool import Handoff, Tasks, shutdown_pool, start_forkserver
from archiver.store.core import Store, make_owner
from archiver.types import ArchiveStatus, ErrorKind, Extracted, FetchResult, Harvest, Snapshot

__all__ = [
    "ArchiveReport",
    "LinkOutcome",
    "PreparedSource",
    "archive",
    "parse_duration",
    "prepare_sources",
    "shutdown_pool",
]

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL = 10.0
WAIT_POLL = 0.25
DEFAULT_EXTRACT_WORKERS = 2


@dataclass(frozen=True)
class LinkOutcome:
    """What ``archive`` did for one link. ``error`` is a one-line reason such as
    ``"dns: could not resolve host example.org"``; ``detail`` a note for humans."""

    url: str
    status: ArchiveStatus
    http_status: int | None = None
    final_url: str | None = None
    snapshot_id: int | None = None
    title: str | None = None
    error: str | None = None
    error_kind: ErrorKind | None = None
    detail: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` record: url, status, http_status, final_url, snapshot_id, title, error (+ kind, detail)."""
        return {
            "url": self.url,
            "status": self.status.value,
            "http_status": self.http_status,
            "final_url": self.final_url,
            "snapshot_id": self.snapshot_id,
            "title": self.title,
            "error": self.error,
            "error_kind": self.error_kind.value if self.error_kind else None,
            "detail": self.detail,
        }


@dataclass
class ArchiveReport:
    """The outcome of one :func:`archive` run, outcomes in the order they completed."""

    db_path: str
    sources: list[str] = field(default_factory=list)
    outcomes: list[LinkOutcome] = field(default_factory=list)
    excluded: int = 0
    interrupted: bool = False
    planned: int = 0
    run_id: int | None = None
    warnings: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Number of links per status (every status present, zeros included)."""
        found = Counter(o.status for o in self.outcomes)
        return {status.value: found.get(status, 0) for status in ArchiveStatus}

    def failed_by_kind(self) -> dict[str, int]:
        """Failed links per error kind (``extract`` never appears: extraction failures keep the snapshot)."""
        found = Counter(
            (o.error_kind.value if o.error_kind else "error") for o in self.outcomes if o.status is ArchiveStatus.FAILED
        )
        return dict(found.most_common())

    @property
    def ok(self) -> bool:
        """True when the run finished and every link has a good snapshot."""
        return not self.interrupted and all(o.status is not ArchiveStatus.FAILED for o in self.outcomes)

    def summary(self) -> dict[str, Any]:
        """Counts for ``runs.summary`` and the CLI's summary line."""
        return {
            **self.counts(),
            "failed_by_kind": self.failed_by_kind(),
            "excluded": self.excluded,
            "planned": self.planned,
            "interrupted": self.interrupted,
            "sources": len(self.sources),
        }


_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.IGNORECASE)
_UNITS = {"": 86400.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}


def parse_duration(text: str) -> timedelta:
    """``30d``, ``12h``, ``90m``, ``45s``, ``2w`` (a bare number means days) -> timedelta.

    Raises :class:`ValueError` with a one-line message for anything else.
    """
    match = _DURATION_RE.match(text)
    if not match:
        raise ValueError(f"invalid duration {text!r} (expected e.g. 30d, 12h, 90m, 45s, 2w)")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2).lower()])


# -- sources -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedSource:
    """A validated source: a harvested file/stdin article, or the canonical URL of a web article."""

    spec: str
    harvest: Harvest | None = None
    url: str | None = None


def _is_url(spec: str) -> bool:
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", spec))


def _harvest_file(spec: str) -> Harvest:
    from archiver.harvest import harvest

    return harvest(spec)


def _harvest_article(result: FetchResult, data: bytes) -> Harvest:
    """Harvest the main-content links of a fetched article (bytes as received)."""
    from archiver.harvest import harvest_fetched

    return harvest_fetched(result, data)


def prepare_sources(sources: Sequence[str], *, harvest: Callable[[str], Harvest] | None = None) -> list[PreparedSource]:
    """Read and harvest file/stdin sources and canonicalize URL sources, touching no database.

    Raises :class:`SourceError` (missing, unreadable, binary... file) or
    :class:`InvalidURLError` (a URL source that is not a usable http(s) URL).
    """
    from archiver.urls import canonicalize

    if not sources:
        raise SourceError("no SOURCE given (a file, '-' for standard input, or an article URL)")
    harvest = harvest or _harvest_file
    prepared: list[PreparedSource] = []
    seen: set[tuple[str, str]] = set()
    for spec in sources:
        if _is_url(spec):
            if not spec.lower().startswith(("http://", "https://")):
                raise InvalidURLError("only http and https article URLs can be archived", spec)
            item = PreparedSource(spec, url=canonicalize(spec))
            key = ("url", item.url or "")
        else:
            item = PreparedSource(spec, harvest=harvest(spec))
            src = item.harvest.source  # type: ignore[union-attr]
            key = (src.locator, src.sha256)
        if key not in seen:  # a source named twice is archived once
            seen.add(key)
            prepared.append(item)
    return prepared


# -- the writer --------------------------------------------------------------------------------

_STOP = object()


class _Writer(threading.Thread):
    """The one thread that writes: each (result, extracted) becomes a committed snapshot.

    Group commit: when several pages are ready at once, they are committed in one
    transaction (one fsync), never held back waiting for more; outcomes are reported
    only after their commit.
    """

    BATCH = 32

    def __init__(self, run: _Run) -> None:
        super().__init__(name="archiver-writer", daemon=True)
        self.run_ = run
        self.queue: queue.Queue[Any] = queue.Queue()
        self.error: BaseException | None = None
        self.failed = threading.Event()

    def _batch(self) -> tuple[list[tuple[FetchResult, Extracted]], bool]:
        """The next items ready to write (waiting up to the heartbeat interval for the first)."""
        items: list[tuple[FetchResult, Extracted]] = []
        try:
            item = self.queue.get(timeout=HEARTBEAT_INTERVAL)
        except queue.Empty:
            return items, False
        while True:
            if item is _STOP:
                return items, True
            items.append(item)
            if len(items) >= self.BATCH:
                return items, False
            try:
                item = self.queue.get_nowait()
            except queue.Empty:
                return items, False

    def run(self) -> None:
        run = self.run_
        last_beat = time.monotonic()
        stop = False
        while not stop:
            items, stop = self._batch()
            try:
                items = [(not_the_page(result, extracted), extracted) for result, extracted in items]
                if time.monotonic() - last_beat >= HEARTBEAT_INTERVAL:
                    run.store.heartbeat(run.owner)
                    last_beat = time.monotonic()
                if items and not self.failed.is_set():
                    with run.store.write():
                        ids = [
                            run.store.add_snapshot(result, extracted, run_id=run.run_id, release_owner=run.owner)
                            for result, extracted in items
                        ]
                    for (result, extracted), snapshot_id in zip(items, ids, strict=True):
                        run.emit(run.outcome_of(result.url, result, snapshot_id, extracted))
            except BaseException as exc:  # noqa: BLE001 - handed to the main thread
                self.error = exc
                self.failed.set()
            finally:
                for result, _ in items:
                    if result.body is not None:
                        result.body.discard()


def not_the_page(result: FetchResult, extracted: Extracted, url: str | None = None) -> FetchResult:
    """``result``, or a copy failed with an error when its 2xx answer is not the cited page.

    Kind ``blocked``: a bot wall, a sign-in or a cookie-consent page
    (:func:`archiver.soft404.page_wall`). Kind ``soft404``: the link ``url`` now ends on a
    home, landing, error or parent page (:func:`~archiver.soft404.landing_redirect`), or a
    short page's title or text says it was not found (an article *about* 404 pages is kept:
    it is longer than :data:`~archiver.soft404.SHORT_TEXT_WORDS` words, or its URL names the
    topic, as MDN's ``/docs/Web/HTTP/Status/404``). The body, status and
    text stay with the failed capture; it is not a good snapshot, so ``check`` never
    compares with it and the next run tries the link again.
    """
    if not result.ok or result.status == 304 or result.body is None:
        return result
    from archiver.soft404 import HEAD_BYTES, is_short, landing_redirect, names_not_found, not_found_wording, page_wall

    requested = url or result.url
    html = result.content_type in HTML_TYPES
    if html:
        wall = page_wall(result.status, result.headers, requested, result.final_url, extracted.title,
                         extracted.text, head_text(result, HEAD_BYTES))
        if wall:
            return dataclasses.replace(result, error=ErrorKind.BLOCKED, message=f"blocked: {wall}")
    gone = landing_redirect(requested, result.final_url)
    if gone is None and html and is_short(extracted.text) and not names_not_found(requested):
        gone = not_found_wording(extracted.title, extracted.text)
    if gone:
        return dataclasses.replace(result, error=ErrorKind.SOFT404, message=f"soft404: {gone}")
    return result


# -- one run -----------------------------------------------------------------------------------


class FetchMany(Protocol):
    def __call__(self, urls: Iterable[str], *, config: FetchConfig) -> Iterator[FetchResult]: ...


class FetchOne(Protocol):
    def __call__(self, url: str, *, config: FetchConfig) -> FetchResult: ...


@dataclass
class _Run:
    store: Store
    config: FetchConfig
    fetch: FetchMany
    owner: str
    run_id: int
    report: ArchiveReport
    on_progress: Callable[[LinkOutcome], None] | None
    extract_workers: int
    stop: threading.Event
    previous: dict[str, str | None] = field(default_factory=dict)  # url -> sha256 of its latest good snapshot
    tasks: Tasks | None = None  # the extraction workers of this run, made when first needed

    def extractor(self) -> Tasks:
        if self.tasks is None:
            self.tasks = Tasks(self.extract_workers)
        return self.tasks

    def emit(self, outcome: LinkOutcome) -> None:
        self.report.outcomes.append(outcome)
        if self.on_progress is not None:
            self.on_progress(outcome)

    def outcome_of(self, url: str, result: FetchResult, snapshot_id: int, extracted: Extracted) -> LinkOutcome:
        if result.ok:
            prev = self.previous.get(url)
            body_sha = result.body.sha256 if result.body is not None else None
            status = ArchiveStatus.UNCHANGED if prev is not None and prev == body_sha else ArchiveStatus.ARCHIVED
            return LinkOutcome(url, status, result.status, result.final_url, snapshot_id, extracted.title,
                               detail=extracted.error)
        error = result.message or (str(result.error) if result.error else f"http_error: status {result.status}")
        return LinkOutcome(url, ArchiveStatus.FAILED, result.status, result.final_url, snapshot_id, None,
                           error=error, error_kind=result.error or ErrorKind.HTTP_ERROR)

    def save(self, result: FetchResult, extracted: Extracted, url: str | None = None) -> None:
        url = url or result.url
        result = not_the_page(result, extracted, url)
        snapshot_id = self.store.add_snapshot(result, extracted, run_id=self.run_id, url=url,
                                              release_owner=self.owner)
        self.emit(self.outcome_of(url, result, snapshot_id, extracted))

    def capture(self, urls: list[str]) -> None:
        """Fetch, extract and store ``urls`` (already claimed). Returns when all are saved or the run stops."""
        if not urls:
            return
        writer = _Writer(self)
        writer.start()
        extractor = self.extractor()
        # Pages reach the writer until it is told to stop; one extracted after that (a second
        # Ctrl-C cut the wait short) is dropped and its body freed, never left behind.
        handoff = Handoff(writer.queue.put)
        results = self.fetch(urls, config=self.config)
        try:
            for result in results:
                if result.ok and (job := job_for(result)) is not None:
                    extractor.submit(extract_job, job, done=lambda ext, r=result: handoff.deliver((r, ext), r),
                                     fallback=extraction_failed)  # the raw snapshot is kept, with the error
                else:
                    writer.queue.put((result, Extracted()))
                if self.stop.is_set() or writer.failed.is_set():
                    break
        except KeyboardInterrupt:
            self.report.interrupted = True
        finally:
            close = getattr(results, "close", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    close()
            try:
                extractor.wait()  # what was fetched is saved, even after Ctrl-C
            except KeyboardInterrupt:
                self.report.interrupted = True
            handoff.close()
            writer.queue.put(_STOP)
            writer.join()
        if self.stop.is_set():
            self.report.interrupted = True
        if writer.error is not None:
            err = writer.error
            if isinstance(err, sqlite3.Error):
                raise StoreError(f"cannot write to the database ({err})", str(self.store.path)) from err
            raise err  # an ArchiverError, or the progress callback's own (e.g. a broken pipe)


def _default_fetch_many(urls: Iterable[str], *, config: FetchConfig) -> Iterator[FetchResult]:
    from archiver.fetch import fetch_many

    return fetch_many(urls, config=config)


def _default_fetch_one(url: str, *, config: FetchConfig) -> FetchResult:
    from archiver.fetch import fetch_one

    return fetch_one(url, config=config)


def _is_fresh(captured_at: str, refresh: bool, max_age: timedelta | None, now: datetime) -> bool:
    if refresh:
        return False
    if max_age is None:
        return True
    return datetime.fromisoformat(captured_at) >= now - max_age


def archive(
    sources: Sequence[str] | Sequence[PreparedSource],
    *,
    store: Store | str | os.PathLike[str] | None = None,
    config: FetchConfig | None = None,
    refresh: bool = False,
    max_age: timedelta | None = None,
    exclude: Sequence[str] = (),
    on_progress: Callable[[LinkOutcome], None] | None = None,
    on_plan: Callable[[int], None] | None = None,
    fetch: FetchMany = _default_fetch_many,
    fetch_article: FetchOne = _default_fetch_one,
    extract_workers: int = DEFAULT_EXTRACT_WORKERS,
    stop: threading.Event | None = None,
) -> ArchiveReport:
    """Archive every link the ``sources`` cite (see the module docstring for the contract).

    ``sources`` are specs (paths, ``-``, article URLs) or :func:`prepare_sources` results.
    ``store`` is an open :class:`Store` (left open) or a database path (default:
    :func:`~archiver.config.default_db_path`), opened only after every source was read.
    ``on_plan(n)`` gets the number of links to report (again when an article adds links); ``on_progress`` once
    per link, from this thread or the writer thread (never two calls at once). ``fetch``/``fetch_article``
    are seams with the signatures of :func:`archiver.fetch.fetch_many` / ``fetch_one``.
    Raises :class:`SourceError`/:class:`InvalidURLError` for bad sources, :class:`StoreError`
    for a database that cannot be opened or written.
    """
    config = config or FetchConfig()
    patterns = []
    for rx in exclude:
        try:
            patterns.append(re.compile(rx))
        except re.error as exc:
            raise ArchiverError(f"invalid --exclude regular expression {rx!r}: {exc}") from None
    prepared = [s if isinstance(s, PreparedSource) else None for s in sources]
    if any(p is None for p in prepared):
        prepared = prepare_sources([str(s) for s in sources])
    own_store = not isinstance(store, Store)
    st = store if isinstance(store, Store) else Store.open(store)
    stop = stop or threading.Event()
    report = ArchiveReport(db_path=str(st.path), sources=[p.spec for p in prepared])  # type: ignore[union-attr]
    owner = make_owner()
    run: _Run | None = None
    try:
        run_id = st.start_run("archive")
        report.run_id = run_id
        run = _Run(st, config, fetch, owner, run_id, report, on_progress, extract_workers, stop)
        _archive(run, prepared, refresh=refresh, max_age=max_age, patterns=patterns,  # type: ignore[arg-type]
                 fetch_article=fetch_article, on_plan=on_plan)
    except KeyboardInterrupt:
        report.interrupted = True
    except sqlite3.DatabaseError as exc:  # a damaged file met by a reader: write nothing more to it
        st.note_damage(exc)
        raise
    finally:
        if run is not None and run.tasks is not None:
            try:
                run.tasks.close()
            except BaseException:  # noqa: BLE001 - a second Ctrl-C: still release the claims and record the run
                report.interrupted = True
        with contextlib.suppress(Exception):
            st.release(owner)
        if report.run_id is not None:
            with contextlib.suppress(Exception):
                st.finish_run(report.run_id, report.summary())
        if own_store:
            st.close()
    return report


def _archive(
    run: _Run,
    prepared: list[PreparedSource],
    *,
    refresh: bool,
    max_age: timedelta | None,
    patterns: list[re.Pattern[str]],
    fetch_article: FetchOne,
    on_plan: Callable[[int], None] | None,
) -> None:
    store, report = run.store, run.report
    now = datetime.now(UTC)
    links: list[str] = []
    seen: set[str] = set()
    articles = [p.url for p in prepared if p.url]

    def add(url: str) -> None:
        if url in seen:
            return
        seen.add(url)
        if any(p.search(url) for p in patterns):
            report.excluded += 1
            return
        links.append(url)

    # Article URLs are captured as articles: a file citing one must not plan it a second time.
    seen.update(a for a in articles if a)
    harvests = [p.harvest for p in prepared if p.harvest is not None]
    for h in harvests:
        store.record_source(h)
        for cit in h.citations:
            add(cit.url)

    if on_plan is not None:
        on_plan(len(articles) + len(links))
    # Article URLs first: their links join the plan once harvested.
    for url in articles:
        if run.stop.is_set() or report.interrupted:  # interrupted: Ctrl-C during an article's fetch
            report.interrupted = True
            return
        extra = _archive_article(run, url, refresh=refresh, max_age=max_age, now=now, fetch_article=fetch_article)
        before = len(links)
        for link in extra:
            add(link)
        if on_plan is not None and len(links) > before:
            on_plan(len(articles) + len(links))
    report.planned = len(articles) + len(links)
    if report.interrupted:  # Ctrl-C during the last article's fetch
        return

    watermark = store.max_snapshot_id()  # captures after this one were made by others during this run
    states = store.latest_states(links)
    todo: list[str] = []
    for url in links:
        state = states[url]
        if state is not None and state[2] and _is_fresh(state[1], refresh, max_age, now):
            snap = store.snapshot(state[0])
            run.emit(LinkOutcome(url, ArchiveStatus.SKIPPED, snap.http_status, snap.final_url, snap.id, snap.title,
                                 detail="already archived"))
            continue
        run.previous[url] = state[3] if state is not None and state[2] else None
        todo.append(url)

    if todo and run.extract_workers > 0:  # workers start while the first pages download
        start_forkserver()
        run.extractor().warm()
    pending = todo
    while pending:
        claims = store.claim(pending, run.owner, after=watermark)
        for url, snapshot_id in claims.done.items():
            run.emit(_captured_elsewhere(url, store.snapshot(snapshot_id)))
        run.capture(list(claims.mine))
        if report.interrupted or run.stop.is_set():
            report.interrupted = True
            return
        pending = list(claims.held)
        if pending:  # another live process is fetching these: wait for its captures (or its claims to lapse)
            time.sleep(WAIT_POLL)


def _captured_elsewhere(url: str, snap: Snapshot) -> LinkOutcome:
    """The outcome of a link another archiver process captured while this run waited."""
    if snap.ok:
        return LinkOutcome(url, ArchiveStatus.SKIPPED, snap.http_status, snap.final_url, snap.id, snap.title,
                           detail="archived meanwhile by another archiver process")
    kind = snap.error_kind or ErrorKind.HTTP_ERROR
    return LinkOutcome(url, ArchiveStatus.FAILED, snap.http_status, snap.final_url, snap.id, None,
                       error=snap.error_message or str(kind), error_kind=kind,
                       detail="captured by another archiver process")


def _archive_article(
    run: _Run, url: str, *, refresh: bool, max_age: timedelta | None, now: datetime, fetch_article: FetchOne
) -> list[str]:
    """Capture (or reuse) the article at ``url``, record it as a source, and return its links."""
    store = run.store
    prev = store.latest_snapshot(url)
    if prev is not None and prev.sha256 and _is_fresh(prev.captured_at.isoformat(), refresh, max_age, now):
        from archiver.types import Body

        data = store.read_blob(prev.sha256)
        result = FetchResult(
            url=url, final_url=prev.final_url or url, status=prev.http_status, headers=prev.headers,
            content_type=prev.content_type, body=Body.from_bytes(data), encoding=prev.encoding,
            encoding_source=prev.encoding_source,
        )
        run.emit(LinkOutcome(url, ArchiveStatus.SKIPPED, prev.http_status, prev.final_url, prev.id, prev.title,
                             detail="article already archived"))
    else:
        run.previous[url] = prev.sha256 if prev is not None else None
        try:
            result = fetch_article(url, config=run.config)
        except KeyboardInterrupt:
            run.report.interrupted = True
            return []
        extracted = extract_result(result) if result.ok else Extracted()
        result = not_the_page(result, extracted, url)  # a sign-in page's links are not the article's
        try:
            run.save(result, extracted, url)
        finally:
            data = result.body.read() if result.ok and result.body is not None else b""
            if result.body is not None:
                result.body.discard()
        if not result.ok:
            return []
    try:
        harvest = _harvest_article(result, data)
    except ArchiverError as exc:
        run.report.warnings.append(f"cannot harvest the links of {url}: {exc}")
        return []
    store.record_source(harvest)
    return [c.url for c in harvest.citations if c.url != url]

