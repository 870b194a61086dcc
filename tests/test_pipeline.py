"""The archive pipeline on the fake web: archive, skip, retry, refresh/unchanged, encodings, failures, claims."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from datetime import timedelta
from pathlib import Path

import pytest

from archiver.config import FetchConfig
from archiver.errors import InvalidURLError, SourceError
from archiver.pipeline import ArchiveReport, LinkOutcome, PreparedSource, archive, parse_duration, prepare_sources
from archiver.store import Store
from archiver.store.core import make_owner
from archiver.types import ArchiveStatus, Citation, ErrorKind, FetchResult, Harvest, Source, SourceFormat, SourceKind

ARCHIVE = Path(__file__).parent / "fixtures" / "archive"
CONFIG = FetchConfig(allow_private=True, retries=0, timeout=5, deadline=10)


def synthetic(urls: list[str], locator: str = "/tmp/article.txt") -> PreparedSource:
    """A prepared file source citing ``urls`` (the harvester is exercised in its own tests)."""
    content = "\n".join(urls).encode()
    source = Source(locator, SourceKind.FILE, SourceFormat.TEXT, hashlib.sha256(content).hexdigest(), "utf-8",
                    len(content))
    cits = tuple(Citation(raw=u, url=u, source=locator, line=i + 1, column=1, paragraph=i + 1, context=u)
                 for i, u in enumerate(urls))
    return PreparedSource(locator, harvest=Harvest(source=source, text=content.decode(), citations=cits))


def run(sources: list[PreparedSource], db: Path, **kw: object) -> ArchiveReport:
    kw.setdefault("config", CONFIG)
    return archive(sources, store=db, **kw)  # type: ignore[arg-type]


def by_url(report: ArchiveReport) -> dict[str, LinkOutcome]:
    return {o.url: o for o in report.outcomes}


@pytest.fixture
def site(fakeweb):  # type: ignore[no-untyped-def]
    news = fakeweb.add("/news", body=(ARCHIVE / "news_utf8.html").read_bytes(), content_type="text/html")
    ru = fakeweb.add("/ru", body=(ARCHIVE / "ru_cp1251.html").read_bytes(), content_type="text/html")
    ja = fakeweb.add("/ja", body=(ARCHIVE / "ja_sjis.html").read_bytes(), content_type="text/html")
    txt = fakeweb.add("/notes.txt", body="Plain notes\nline two", content_type="text/plain; charset=utf-8")
    pdf = fakeweb.add("/doc.pdf", body=b"%PDF-1.4\n%fake\n", content_type="application/pdf")
    gone = fakeweb.always("/gone", status=404)
    return fakeweb, {"news": news, "ru": ru, "ja": ja, "txt": txt, "pdf": pdf, "gone": gone}


def test_archive_stores_every_kind_and_failures(site, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    web, u = site
    seen: list[LinkOutcome] = []
    plans: list[int] = []
    report = run([synthetic(list(u.values()))], db_path, on_progress=seen.append, on_plan=plans.append)
    out = by_url(report)
    assert plans == [6] and len(seen) == 6
    assert {out[u[k]].status for k in ("news", "ru", "ja", "txt", "pdf")} == {ArchiveStatus.ARCHIVED}
    gone = out[u["gone"]]
    assert gone.status is ArchiveStatus.FAILED and gone.http_status == 404 and gone.error_kind is ErrorKind.HTTP_ERROR
    assert gone.error and "404" in gone.error
    assert not report.ok and report.counts()["failed"] == 1 and report.failed_by_kind() == {"http_error": 1}
    with Store.open(db_path) as st:
        assert "Ёжик съел щётку" in (st.snapshot(out[u["ru"]].snapshot_id).text or "")  # type: ignore[arg-type]
        assert "専門家によると" in (st.snapshot(out[u["ja"]].snapshot_id).text or "")  # type: ignore[arg-type]
        assert out[u["news"]].title == "Lighthouse keepers honoured"
        assert st.snapshot(out[u["txt"]].snapshot_id).text == "Plain notes\nline two"  # type: ignore[arg-type]
        pdf = st.snapshot(out[u["pdf"]].snapshot_id)  # type: ignore[arg-type]
        assert pdf.text is None and st.read_blob(pdf.sha256) == b"%PDF-1.4\n%fake\n"  # type: ignore[arg-type]
        failed = st.latest_snapshot(u["gone"], good=False)
        assert failed is not None and not failed.ok and failed.error_kind is ErrorKind.HTTP_ERROR
        assert st.db.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0
        status = st.status()
        assert status.last_run is not None and status.last_run["summary"]["archived"] == 5


def test_second_run_skips_archived_and_retries_failed(site, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    web, u = site
    urls = [u["news"], u["gone"]]
    run([synthetic(urls)], db_path)
    web.add("/gone", body="<html><body><p>" + "Back again with a long paragraph. " * 20 + "</p></body></html>")
    second = by_url(run([synthetic(urls)], db_path))
    assert second[u["news"]].status is ArchiveStatus.SKIPPED and second[u["news"]].snapshot_id is not None
    assert second[u["gone"]].status is ArchiveStatus.ARCHIVED
    assert web.count("/news") == 1 and web.count("/gone") == 2
    third = run([synthetic(urls)], db_path)
    assert third.ok and third.counts()["skipped"] == 2


def test_refresh_adds_snapshots_and_reuses_blobs(site, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    web, u = site
    urls = [u["news"], u["txt"]]
    first = by_url(run([synthetic(urls)], db_path))
    web.add("/notes.txt", body="Plain notes\nline two, edited", content_type="text/plain")
    second = by_url(run([synthetic(urls)], db_path, refresh=True))
    assert second[u["news"]].status is ArchiveStatus.UNCHANGED
    assert second[u["txt"]].status is ArchiveStatus.ARCHIVED
    assert second[u["news"]].snapshot_id != first[u["news"]].snapshot_id
    with Store.open(db_path) as st:
        assert len(st.snapshots_for(u["news"])) == 2
        assert st.db.execute("SELECT COUNT(*) FROM blobs").fetchone()[0] == 3


def test_max_age(site, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    web, u = site
    run([synthetic([u["news"]])], db_path)
    assert run([synthetic([u["news"]])], db_path, max_age=timedelta(days=30)).counts()["skipped"] == 1
    assert run([synthetic([u["news"]])], db_path, max_age=timedelta(0)).counts()["unchanged"] == 1
    assert web.count("/news") == 2


def test_duplicates_across_sources_fetched_once_and_exclude(site, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    web, u = site
    a = synthetic([u["news"], u["ru"], u["news"]], "/a.txt")
    b = synthetic([u["ru"], u["pdf"]], "/b.txt")
    report = run([a, b], db_path, exclude=[r"\.pdf$"])
    assert sorted(o.url for o in report.outcomes) == sorted([u["news"], u["ru"]])
    assert report.excluded == 1 and web.count("/doc.pdf") == 0
    assert web.count("/news") == 1 and web.count("/ru") == 1
    with Store.open(db_path) as st:
        assert st.db.execute("SELECT COUNT(*) FROM sources").fetchone()[0] == 2
        assert st.db.execute("SELECT COUNT(*) FROM citations").fetchone()[0] == 5


def test_link_claimed_by_live_process_is_not_fetched(site, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    web, u = site
    other = make_owner() + "-other"  # our own pid: alive
    with Store.open(db_path) as st:
        st.claim([u["news"]], other)

    def finish_other() -> None:  # the "other process" stores its capture, then releases
        with Store.open(db_path) as st:
            res = FetchResult(url=u["news"], final_url=u["news"], status=200, content_type="text/html")
            st.add_snapshot(res, None, release_owner=other)

    timer = threading.Timer(0.3, finish_other)
    timer.start()
    report = run([synthetic([u["news"], u["ru"]])], db_path)
    timer.join()
    out = by_url(report)
    assert web.count("/news") == 0
    assert out[u["news"]].status is ArchiveStatus.SKIPPED and "another" in (out[u["news"]].detail or "")
    assert out[u["ru"]].status is ArchiveStatus.ARCHIVED


def test_claim_of_vanished_owner_is_taken_over(site, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    web, u = site
    other = make_owner() + "-other"
    with Store.open(db_path) as st:
        st.claim([u["news"]], other)
    threading.Timer(0.3, lambda: Store.open(db_path).release(other)).start()
    report = run([synthetic([u["news"]])], db_path)
    assert report.counts()["archived"] == 1 and web.count("/news") == 1


def _fake_results(urls: Iterable[str], stop_after: int, stop: threading.Event) -> Iterator[FetchResult]:
    for i, url in enumerate(urls):
        if i == stop_after:
            stop.set()
        yield FetchResult(url=url, final_url=url, error=ErrorKind.DNS, message="dns: could not resolve host x")


def test_stop_saves_what_was_fetched(db_path: Path) -> None:
    stop = threading.Event()
    urls = [f"https://h{i}.example/" for i in range(10)]
    report = run([synthetic(urls)], db_path, stop=stop,
                 fetch=lambda us, config: _fake_results(us, 3, stop))
    assert report.interrupted and not report.ok
    assert 1 <= len(report.outcomes) <= 4
    with Store.open(db_path) as st:
        assert st.db.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0] == len(report.outcomes)
        assert st.db.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0


def test_dns_failures_are_clear(db_path: Path) -> None:
    urls = ["https://www.interfax.ru/russia/1030524", "https://www.themoscowtimes.com/a"]
    report = run([synthetic(urls)], db_path,
                 fetch=lambda us, config: (FetchResult(url=x, final_url=x, error=ErrorKind.DNS,
                                                       message=f"dns: could not resolve host {x.split('/')[2]}")
                                           for x in us))
    assert [o.error for o in report.outcomes] == ["dns: could not resolve host www.interfax.ru",
                                                  "dns: could not resolve host www.themoscowtimes.com"]
    assert report.failed_by_kind() == {"dns": 2}


def test_extraction_in_line_without_pool(site, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    web, u = site
    report = run([synthetic([u["ru"]])], db_path, extract_workers=0)
    assert report.outcomes[0].title == "Переговоры в Стамбуле"


def test_parse_duration() -> None:
    assert parse_duration("30d") == timedelta(days=30)
    assert parse_duration("12h") == timedelta(hours=12)
    assert parse_duration("90m") == timedelta(minutes=90)
    assert parse_duration("2w") == timedelta(weeks=2)
    assert parse_duration("7") == timedelta(days=7)
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration("soon")


def test_prepare_sources_rejects_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidURLError):
        prepare_sources(["ftp://example.com/x"])
    with pytest.raises(InvalidURLError):
        prepare_sources(["http://exa mple.com/"])
    with pytest.raises(SourceError):
        prepare_sources([])
    assert prepare_sources(["HTTPS://Example.COM/a#frag"])[0].url == "https://example.com/a"


def test_database_write_failure_is_a_store_error(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    from archiver.errors import StoreError

    def broken(self: Store, *args: object, **kwargs: object) -> int:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(Store, "add_snapshot", broken)
    urls = [f"https://h{i}.example/" for i in range(3)]
    with pytest.raises(StoreError, match="disk I/O error"):
        run([synthetic(urls)], db_path,
            fetch=lambda us, config: (FetchResult(url=x, final_url=x, error=ErrorKind.DNS) for x in us))
    monkeypatch.undo()
    with Store.open(db_path) as st:  # the run is closed and its claims released
        assert st.db.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0


def test_progress_callback_errors_propagate_as_is(db_path: Path) -> None:
    def boom(outcome: LinkOutcome) -> None:
        raise BrokenPipeError("stdout closed")

    with pytest.raises(BrokenPipeError):
        run([synthetic(["https://a.example/"])], db_path, on_progress=boom,
            fetch=lambda us, config: (FetchResult(url=x, final_url=x, error=ErrorKind.DNS) for x in us))


def test_tasks_wait_covers_the_done_callback() -> None:
    """wait() must not return while a task's ``done`` still runs: the run puts the writer's stop
    marker right after wait(), so a page handed over later would be dropped unsaved."""
    from archiver.pool import Tasks
    from archiver.types import Extracted

    tasks = Tasks(0)  # in-line thread, no process pool
    pending_during_done: list[int] = []

    def done(ext: Extracted) -> None:
        time.sleep(0.05)  # a slow hand-over: wait() must still be waiting
        with tasks.lock:
            pending_during_done.append(tasks.pending)

    tasks.submit(lambda: Extracted(title="t"), done=done, fallback=lambda exc: Extracted(error=str(exc)))
    tasks.wait()
    assert pending_during_done == [1] and tasks.pending == 0
    tasks.close()


def test_tasks_submit_does_not_wait_for_the_pool_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """Handing a task over can block while the pool forks its first worker (the forkserver may
    still be importing trafilatura): the caller, which also consumes downloads, must not."""
    import archiver.pool as pool_module
    from archiver.pool import Tasks

    release = threading.Event()

    class SlowPool:
        def submit(self, fn, *args):  # type: ignore[no-untyped-def]
            release.wait(5)  # a worker being forked
            return pool_module.ThreadPoolExecutor(max_workers=1).submit(fn, *args)

    monkeypatch.setattr(pool_module, "process_pool", lambda workers, **options: SlowPool())
    tasks = Tasks(2)
    got: list[int] = []
    start = time.monotonic()
    for i in range(3):
        tasks.submit(lambda i=i: i, done=got.append, fallback=lambda exc: -1)
    assert time.monotonic() - start < 0.5 and got == []  # returned at once, nothing ran yet
    release.set()
    tasks.wait()
    assert got == [0, 1, 2]  # in the order submitted
    tasks.close()


def test_tasks_run_in_line_when_no_pool_can_be_made(monkeypatch: pytest.MonkeyPatch) -> None:
    import archiver.pool as pool_module
    from archiver.pool import Tasks

    def no_pool(workers: int, **options: object) -> None:
        raise OSError("no semaphores here")

    monkeypatch.setattr(pool_module, "process_pool", no_pool)
    tasks = Tasks(2)
    got: list[int] = []
    tasks.submit(lambda: 7, done=got.append, fallback=lambda exc: -1)
    tasks.wait()  # must not hang: the task ran in the in-line thread
    assert got == [7] and tasks.pool is None
    tasks.close()


def test_article_url_also_cited_by_a_file_is_fetched_and_reported_once(site, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    web, u = site
    article = PreparedSource(u["news"], url=u["news"])
    report = run([synthetic([u["news"], u["txt"]]), article], db_path, refresh=True)
    assert [o.url for o in report.outcomes].count(u["news"]) == 1
    assert web.count("/news") == 1


def test_ctrl_c_while_fetching_an_article_stops_the_run(db_path: Path) -> None:
    """A KeyboardInterrupt during the article fetch ends the run: the cited links are not fetched."""
    fetched: list[str] = []

    def fetch(urls: Iterable[str], *, config: FetchConfig) -> Iterator[FetchResult]:
        for url in urls:
            fetched.append(url)
            yield FetchResult(url=url, final_url=url, error=ErrorKind.DNS, message="dns: could not resolve host x")

    def fetch_article(url: str, *, config: FetchConfig) -> FetchResult:
        raise KeyboardInterrupt

    article = PreparedSource("https://article.example/story", url="https://article.example/story")
    report = run([article, synthetic(["https://h1.example/", "https://h2.example/"])], db_path,
                 fetch=fetch, fetch_article=fetch_article)
    assert report.interrupted
    assert fetched == [] and report.outcomes == []


def test_tasks_call_back_exactly_once_even_when_the_task_fails_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker that dies, then an in-line retry that raises too: ``done`` still gets the
    fallback (a caller counting tasks in flight would otherwise wait forever)."""
    import archiver.pool as pool_module
    from archiver.pool import Tasks

    class DeadPool:
        def submit(self, fn, *args):  # type: ignore[no-untyped-def]
            future: Future[object] = Future()
            future.set_exception(RuntimeError("worker died"))
            return future

    monkeypatch.setattr(pool_module, "process_pool", lambda workers, **options: DeadPool())
    tasks = Tasks(2)
    got: list[object] = []

    def broken() -> int:
        raise ValueError("bug")

    tasks.submit(broken, done=got.append, fallback=lambda exc: f"failed: {exc}")
    tasks.wait()
    assert got == ["failed: bug"] and tasks.pending == 0
    tasks.close()


def test_tasks_close_with_cancel_calls_back_what_never_ran(monkeypatch: pytest.MonkeyPatch) -> None:
    import archiver.pool as pool_module
    from archiver.pool import Tasks

    handing_over, release = threading.Event(), threading.Event()

    class SlowPool:
        def submit(self, fn, *args):  # type: ignore[no-untyped-def]
            handing_over.set()
            release.wait(5)
            future: Future[object] = Future()
            future.set_result(fn(*args))
            return future

    monkeypatch.setattr(pool_module, "process_pool", lambda workers, **options: SlowPool())
    tasks = Tasks(2)
    got: list[object] = []
    for i in range(5):
        tasks.submit(lambda i=i: i, done=got.append, fallback=lambda exc: type(exc).__name__)
    assert handing_over.wait(5)  # the first task is being handed over; the others wait in the queue
    threading.Timer(0.2, release.set).start()  # that hand-over completes; the rest are dropped
    tasks.close(cancel=True)
    tasks.wait()
    assert len(got) == 5 and tasks.pending == 0
    assert got == [0, "CancelledError", "CancelledError", "CancelledError", "CancelledError"]


def test_a_ctrl_c_inside_submit_leaves_the_count_right() -> None:
    """The interrupt lands just after the task was queued. Either the hand-over thread had
    already taken it (it runs, calls back once, and wait() waits for it) or not (it never
    runs): the count stays right either way, and nothing calls back after wait() returned."""
    from archiver.pool import Tasks

    tasks = Tasks(0)
    tasks._start()
    queued = tasks._queue

    class InterruptAfterPut:
        def put(self, item: object) -> None:
            queued.put(item)
            raise KeyboardInterrupt

    tasks._queue = InterruptAfterPut()  # type: ignore[assignment]
    got: list[object] = []
    with pytest.raises(KeyboardInterrupt):
        tasks.submit(time.sleep, 0.3, done=got.append, fallback=lambda exc: "failed")
    tasks._queue = queued
    tasks.submit(lambda: "second", done=got.append, fallback=lambda exc: "failed")
    tasks.wait()
    after_wait = list(got)
    assert tasks.pending == 0 and after_wait.count("second") == 1 and after_wait.count(None) <= 1
    time.sleep(0.5)
    assert got == after_wait and tasks.pending == 0  # no task was still running when wait() returned
    tasks.close()


LOGIN_FORM = (
    "<html><head><title>Sign in</title></head><body><form action='/login'><input name='user'>"
    "<input type='password' name='pw'><button>Sign in</button></form></body></html>"
)


def test_a_wall_instead_of_the_page_is_a_failed_capture_kept_and_retried(fakeweb, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    news = (ARCHIVE / "news_utf8.html").read_bytes()
    challenge = (Path(__file__).parent / "fixtures" / "check" / "cloudflare_challenge.html").read_bytes()
    fakeweb.add("/login", body=LOGIN_FORM)
    u = {
        "to_login": fakeweb.redirect("/members/story", "/login?next=/members/story", status=302),
        "challenge": fakeweb.add("/walled/story", body=challenge, content_type="text/html"),
        "consent": fakeweb.redirect("/eu/story", "/consent?continue=/eu/story", status=302),
        "fine": fakeweb.add("/fine/story", body=news, content_type="text/html"),
        # an article with a reCAPTCHA on its comment form is an article, not a wall
        "recaptcha": fakeweb.add("/with/captcha", body=(Path(__file__).parent / "fixtures" / "check" /
                                                        "article_with_recaptcha.html").read_bytes(),
                                 content_type="text/html"),
    }
    fakeweb.add("/consent", body="<html><head><title>Before you continue</title></head><body><p>We use cookies.</p>"
                "<button>Accept all</button></body></html>")
    report = run([synthetic(list(u.values()))], db_path)
    out = by_url(report)
    assert out[u["fine"]].status is ArchiveStatus.ARCHIVED and out[u["recaptcha"]].status is ArchiveStatus.ARCHIVED
    for name in ("to_login", "challenge", "consent"):
        o = out[u[name]]
        assert o.status is ArchiveStatus.FAILED and o.error_kind is ErrorKind.BLOCKED, (name, o)
        assert o.http_status == 200 and o.error and o.error.startswith("blocked: ")
    assert "login wall" in (out[u["to_login"]].error or "")
    assert "Cloudflare" in (out[u["challenge"]].error or "")
    assert "consent wall" in (out[u["consent"]].error or "")
    assert report.failed_by_kind() == {"blocked": 3} and not report.ok
    with Store.open(db_path) as st:
        snap = st.snapshot(out[u["challenge"]].snapshot_id)  # type: ignore[arg-type]
        # stored as a failed capture, with what the site showed (body and text) kept
        assert not snap.ok and snap.error_kind == "blocked" and snap.sha256
        assert st.read_blob(snap.sha256) == challenge
        assert st.latest_snapshot(u["challenge"]) is None  # no good snapshot: check never compares with it
    # the next run tries the walled links again; a wall that went away gives a good snapshot
    fakeweb.add("/walled/story", body=news, content_type="text/html")
    again = by_url(run([synthetic(list(u.values()))], db_path))
    assert again[u["fine"]].status is ArchiveStatus.SKIPPED
    assert again[u["challenge"]].status is ArchiveStatus.ARCHIVED
    assert again[u["to_login"]].status is ArchiveStatus.FAILED


def test_a_soft_404_is_a_failed_capture_and_never_replaces_the_good_snapshot(fakeweb, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    news = (ARCHIVE / "news_utf8.html").read_bytes()
    long_text = " ".join(f"Broken links number {i} in the tally of rotten citations." for i in range(40))
    about_404 = f"<html><head><title>Page not found: why links rot</title></head><body><p>{long_text}</p></body></html>"
    fakeweb.add("/", body="<html><head><title>Front page</title></head><body><p>Welcome home.</p></body></html>")
    u = {
        "story": fakeweb.add("/news/2024/story", body=news, content_type="text/html"),
        "to_home": fakeweb.redirect("/news/2019/old-story", "/", status=302),
        "about_404": fakeweb.add("/essays/link-rot", body=about_404),
        # a short article about the status code (MDN's is 110 words) is an article, not an error page
        "mdn": fakeweb.add("/docs/Web/HTTP/Status/404", body="<html><head><title>404 Not Found - HTTP | MDN"
                           "</title></head><body><article><p>" + " ".join(
                               ["The HTTP 404 Not Found client error response status code indicates that the server"
                                " cannot find the requested resource."] * 6) + "</p></article></body></html>"),
        # an AMP link sent to its article is the page itself (found by review)
        "amp": fakeweb.redirect("/news/2024/story/amp", "/news/2024/story", status=301),
    }
    first = by_url(run([synthetic(list(u.values()))], db_path))
    assert first[u["story"]].status is ArchiveStatus.ARCHIVED
    assert first[u["about_404"]].status is ArchiveStatus.ARCHIVED  # an article about 404 pages is kept
    assert first[u["mdn"]].status is ArchiveStatus.ARCHIVED and first[u["amp"]].status is ArchiveStatus.ARCHIVED
    home = first[u["to_home"]]
    assert home.status is ArchiveStatus.FAILED and home.error_kind is ErrorKind.SOFT404
    assert "home page" in (home.error or "") and home.http_status == 200
    # the story is gone today, as a 200 "Page not found" page: a refresh must not take it for the story
    fakeweb.add("/news/2024/story", body="<html><head><title>Page not found</title></head><body><h1>Page not found"
                "</h1><p>Sorry, this page does not exist.</p></body></html>")
    again = by_url(run([synthetic([u["story"]])], db_path, refresh=True))
    gone = again[u["story"]]
    assert gone.status is ArchiveStatus.FAILED and gone.error_kind is ErrorKind.SOFT404, gone
    assert "not found" in (gone.error or "").lower()
    with Store.open(db_path) as st:
        good = st.latest_snapshot(u["story"])
        assert good is not None and good.id == first[u["story"]].snapshot_id  # still the real story
        failed = st.snapshot(gone.snapshot_id)  # type: ignore[arg-type]
        assert not failed.ok and failed.error_kind == "soft404" and failed.title == "Page not found"
