"""``archiver check`` end to end on the fake web: archive, change the web, check, read the checks table."""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from check_cases import (
    PROBE_SEGMENT,
    FixedRandom,
    article_html,
    articles,
    harvest_of,
    rewrite_sentences,
)
from fakeweb import FakeWeb, Reply, Request

from archiver.check import check, check_offline
from archiver.config import FetchConfig
from archiver.fetch import fetch_many
from archiver.net import StaticResolver, system_resolver
from archiver.pipeline import PreparedSource, archive
from archiver.store import checks as checks_sql
from archiver.store.core import Store
from archiver.types import CheckResult, LinkStatus

FIX = Path(__file__).parent / "fixtures" / "check"
ART = articles()
CONFIG = FetchConfig(allow_private=True, retries=0, timeout=0.5, deadline=3.0, workers=8, per_host=4)
SIDEBAR_OLD = "<h3>Related</h3><ul><li>Ten recipes for dinner</li><li>Housing market cools</li></ul>"
SIDEBAR_NEW = "<h3>Related</h3><ul><li>Bakery wins award</li><li>Storm warning for Friday</li></ul>"
TEMPLATE = """<html><head><title>Garden Shop</title></head><body><nav>Home Garden Kitchen</nav>
<main><h1>Welcome to the Garden Shop</h1><p>Browse our categories: garden furniture, kitchen tools, seeds and
bulbs, outdoor lighting. Free delivery on orders over fifty euros, returns within thirty days.</p></main>
</body></html>"""


class Clock:
    """An injectable clock that moves only when told to (so streaks can span days)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, days: float) -> None:
        self.now += timedelta(days=days)


@dataclass
class World:
    web: FakeWeb
    store: Store
    resolver: StaticResolver
    urls: dict[str, str]

    def fetch(self) -> functools.partial[Iterator]:  # type: ignore[type-arg]
        return functools.partial(fetch_many, resolver=self.resolver)

    def run(self, urls: list[str] | None = None, **kw: object) -> dict[str, CheckResult]:
        results = check(self.store, urls, config=CONFIG, fetch=self.fetch(), rng=FixedRandom(), extract_workers=0,
                        **kw)  # type: ignore[arg-type]
        return {r.url: r for r in results}

    def last_row(self, name: str) -> CheckResult:
        return checks_sql.history(self.store, self.urls[name])[-1]


def build_web(web: FakeWeb) -> dict[str, str]:
    """The web as archived: every page alive."""
    u: dict[str, str] = {}
    page = article_html
    u["gone404"] = web.add("/news/gone-404", page(ART["coral"]))
    u["gone410"] = web.add("/news/gone-410", page(ART["database"]))
    u["rewritten"] = web.add("/news/rewritten", page(ART["lighthouse"]))
    u["boiler"] = web.add("/news/boiler", page(ART["bikes"], sidebar=SIDEBAR_OLD,
                                               byline=("Published 12 March 2024", "12,345 views")))
    u["moved"] = web.add("/old/place", page(ART["coral"], site="Moved Times"))
    u["home"] = web.add("/deep/section/story", page(ART["database"], site="Deep Post"))
    web.add("/", page(ART["ru"], site="Front page"))
    u["notfound"] = web.add("/news/notfound", page(ART["lighthouse"], site="NF Daily"))
    u["probe"] = web.add("/shop/item-1", page(ART["bikes"], site="Garden Shop"), host=1)
    u["gone_host"] = f"http://gone.test:{web.port(0)}/news/gone-host"
    web.add("/news/gone-host", page(ART["ru"], site="Gone"))
    u["challenge"] = web.add("/news/challenge", page(ART["coral"], site="Walled"))
    u["slow"] = web.add("/news/slow", page(ART["database"], site="Slow"))
    u["cond"] = web.conditional("/news/cond", page(ART["lighthouse"], site="Cond"), etag='"v1"')
    return u


def change_web(web: FakeWeb) -> None:
    """The web today."""
    web.remove("/news/gone-404")
    web.always("/news/gone-410", status=410, body="gone")
    web.add("/news/rewritten", article_html(rewrite_sentences(ART["lighthouse"], ART["coral"], 0.6)))
    web.add("/news/boiler", article_html(ART["bikes"], sidebar=SIDEBAR_NEW,
                                         byline=("Updated 2 April 2025", "98,012 views")))
    web.redirect("/old/place", "/new/place", status=301)
    web.add("/new/place", article_html(ART["coral"], site="Moved Times"))
    web.redirect("/deep/section/story", "/", status=302)
    web.add("/news/notfound", "<html><head><title>Page not found | NF Daily</title></head><body><nav>Home</nav>"
            "<h1>Page not found</h1><p>Sorry, the page you are looking for does not exist.</p></body></html>")
    web.add("/shop/item-1", TEMPLATE, host=1)
    web.add(f"/shop/{PROBE_SEGMENT}", TEMPLATE, host=1)  # every missing page of host 1 answers the template
    web.add("/news/challenge", (FIX / "cloudflare_challenge.html").read_text(), status=403,
            headers={"Server": "cloudflare", "cf-mitigated": "challenge"})
    web.hang("/news/slow")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with FakeWeb(hosts=2) as web:
        urls = build_web(web)
        resolver = StaticResolver({"gone.test": ["127.0.0.1"]}, fallback=system_resolver)
        store = Store.open(tmp_path / "check.db")
        fetch = functools.partial(fetch_many, resolver=resolver)
        report = archive([PreparedSource("/tmp/article.md", harvest=harvest_of(list(urls.values())))],
                         store=store, config=CONFIG, fetch=fetch, extract_workers=0)
        assert report.ok, [o for o in report.outcomes if o.error]
        try:
            yield World(web, store, resolver, urls)
        finally:
            store.close()


def test_every_class_after_the_web_changed(world: World) -> None:
    change_web(world.web)
    world.resolver.table["gone.test"] = StaticResolver.NXDOMAIN
    snapshots_before = world.store.db.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0]
    got = world.run()
    u = world.urls
    expected = {
        "gone404": LinkStatus.DEAD,
        "gone410": LinkStatus.DEAD,
        "rewritten": LinkStatus.DRIFTED,
        "boiler": LinkStatus.OK,
        "moved": LinkStatus.MOVED,
        "home": LinkStatus.SOFT404,
        "notfound": LinkStatus.SOFT404,
        "probe": LinkStatus.SOFT404,
        "gone_host": LinkStatus.DEAD,
        "challenge": LinkStatus.BLOCKED,
        "slow": LinkStatus.ERROR,
        "cond": LinkStatus.OK,
    }
    assert {name: got[u[name]].status for name in expected} == expected
    # each verdict is stored as a checks row, with what the writer needs
    for name, status in expected.items():
        row = world.last_row(name)
        assert row.status is status, name
        assert row.checked_at == got[u[name]].checked_at
        assert row.streak == 1
        assert row.snapshot_id is not None  # compared against the archived snapshot
    assert world.last_row("gone404").http_status == 404
    assert world.last_row("gone410").http_status == 410
    rewritten = world.last_row("rewritten")
    assert rewritten.similarity is not None and rewritten.similarity < 0.75
    boiler = world.last_row("boiler")
    assert boiler.similarity is not None and boiler.similarity >= 0.75
    moved = world.last_row("moved")
    assert moved.final_url == world.web.url("/new/place") and world.web.url("/new/place") in (moved.detail or "")
    home = world.last_row("home")
    assert home.final_url == world.web.url("/") and "home page" in (home.detail or "")
    assert "not found" in (world.last_row("notfound").detail or "").lower()
    assert "random sibling" in (world.last_row("probe").detail or "")
    assert world.last_row("gone_host").error_kind == "dns"
    assert "Cloudflare" in (world.last_row("challenge").detail or "")
    slow = world.last_row("slow")
    assert slow.error_kind == "timeout" and "timeout" in (slow.detail or "")
    cond = world.last_row("cond")
    assert cond.http_status == 304 and "304" in (cond.detail or "")
    # the conditional request carried the snapshot's ETag, and the server sent no body
    assert world.web.last("/news/cond").headers.get("if-none-match") == '"v1"'  # type: ignore[union-attr]
    # a check never adds or rewrites snapshots (without --snapshot)
    assert world.store.db.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0] == snapshots_before
    # one probe for the template host, none for pages that matched their snapshot
    assert world.web.count(f"/shop/{PROBE_SEGMENT}", host=1) == 1
    assert world.web.count(f"/news/{PROBE_SEGMENT}") == 1  # the drifted page's pattern: probed once (404)


def _probe_runs(world: World, urls: list[str], config: FetchConfig = CONFIG
                ) -> tuple[dict[str, CheckResult], list[int], list[list[str]]]:
    """Check ``urls``; also return how often the template host's probe had been requested when
    the slow link's answer came back, and the URL lists each fetch call started with."""
    probe_path = f"/shop/{PROBE_SEGMENT}"
    at_slow: list[int] = []
    calls: list[list[str]] = []

    def fetch(urls: list[str], **kw: object) -> Iterator:  # type: ignore[type-arg]
        calls.append(list(urls))
        for result in fetch_many(urls, resolver=world.resolver, **kw):  # type: ignore[arg-type]
            if result.url == world.urls["slow"]:
                at_slow.append(world.web.count(probe_path, host=1))
            yield result

    results = check(world.store, urls, config=config, fetch=fetch, rng=FixedRandom(), extract_workers=0)
    return {r.url: r for r in results}, at_slow, calls


def test_a_probe_joins_the_main_pass_while_other_links_are_still_out(world: World) -> None:
    change_web(world.web)
    u = world.urls
    probe_path = f"/shop/{PROBE_SEGMENT}"

    def slow(req: Request, n: int) -> Reply:  # answers once the probe was asked for, or after 10 s
        deadline = time.monotonic() + 10
        while world.web.count(probe_path, host=1) == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        return Reply(status=503, body="busy")

    world.web.route("/news/slow", slow)
    patient = dataclasses.replace(CONFIG, timeout=15.0, deadline=20.0)
    got, at_slow, calls = _probe_runs(world, [u["probe"], u["slow"]], patient)
    assert got[u["probe"]].status is LinkStatus.SOFT404 and got[u["slow"]].status is LinkStatus.ERROR
    # the slow link was still out when the probe went: it joined the main pass (one fetch call)
    assert at_slow == [1] and len(calls) == 1
    assert world.web.count(probe_path, host=1) == 1


def test_a_probe_needed_after_the_last_link_came_back_is_fetched_after_the_pass(world: World) -> None:
    change_web(world.web)
    u = world.urls
    got, _, calls = _probe_runs(world, [u["probe"]])
    assert got[u["probe"]].status is LinkStatus.SOFT404
    assert "random sibling" in (got[u["probe"]].detail or "")
    assert len(calls) == 2 and calls[1] == [world.web.url(f"/shop/{PROBE_SEGMENT}", host=1)]
    assert world.web.count(f"/shop/{PROBE_SEGMENT}", host=1) == 1


def test_unchanged_web_is_all_ok(world: World) -> None:
    got = world.run()
    assert {r.status for r in got.values()} == {LinkStatus.OK}
    assert all(r.similarity in (1.0, None) for r in got.values())
    assert world.web.count(f"/news/{PROBE_SEGMENT}") == 0  # pages that match are never probed


def test_streak_and_since_over_repeated_checks(world: World) -> None:
    url = world.urls["gone404"]
    world.web.remove("/news/gone-404")
    clock = Clock(datetime(2025, 1, 1, tzinfo=UTC))
    first = world.run([url], clock=clock)[url]
    clock.advance(2)
    second = world.run([url], clock=clock)[url]
    assert (first.status, first.streak) == (LinkStatus.DEAD, 1)
    assert (second.status, second.streak, second.since) == (LinkStatus.DEAD, 2, first.checked_at)
    world.web.add("/news/gone-404", article_html(ART["coral"]))
    clock.advance(1)
    third = world.run([url], clock=clock)[url]
    assert (third.status, third.streak, third.since) == (LinkStatus.OK, 1, third.checked_at)
    assert [c.status for c in checks_sql.history(world.store, url)] == [LinkStatus.DEAD, LinkStatus.DEAD, LinkStatus.OK]


def test_snapshot_option_adds_a_snapshot_and_keeps_the_old_one(world: World) -> None:
    url = world.urls["rewritten"]
    old = world.store.latest_snapshot(url)
    assert old is not None
    world.web.add("/news/rewritten", article_html(rewrite_sentences(ART["lighthouse"], ART["coral"], 0.6)))
    result = world.run([url], capture=True)[url]
    assert result.status is LinkStatus.DRIFTED and result.captured_snapshot_id is not None
    assert result.snapshot_id == old.id  # compared with the old one
    snaps = world.store.snapshots_for(url)
    assert [s.id for s in snaps] == [old.id, result.captured_snapshot_id]
    assert snaps[0] == old  # untouched
    # the next check compares with the new capture: ok
    assert world.run([url])[url].status is LinkStatus.OK
    # but the copy a writer's verification and report point to is still the one `archive` made
    from archiver.verify import verify

    article = Path(str(world.store.path)).with_name("cites.txt")
    article.write_text(f"The report is at {url} today.\n")
    cited = {c.url: c for c in verify(world.store, article).citations}
    assert cited[url].snapshot is not None and cited[url].snapshot.id == old.id


def test_snapshot_option_captures_links_whose_capture_failed(world: World) -> None:
    url = world.web.add("/news/late", "<h1>temporarily down</h1>", status=503)
    report = archive([PreparedSource("/tmp/late.md", harvest=harvest_of([url], "/tmp/late.md"))],
                     store=world.store, config=CONFIG, extract_workers=0)
    assert not report.ok
    world.web.add("/news/late", article_html(ART["bikes"]))
    result = world.run([url], capture=True)[url]
    assert result.status is LinkStatus.OK and "no good snapshot" in (result.detail or "")
    assert result.captured_snapshot_id is not None
    assert world.store.latest_snapshot(url) is not None


def test_offline_reports_last_known_and_unchecked(world: World, no_network: None) -> None:
    results = {r.url: r for r in check_offline(world.store)}
    assert {r.status for r in results.values()} == {LinkStatus.UNCHECKED}
    assert all(r.checked_at is None and r.streak == 0 for r in results.values())


def test_offline_after_a_check(world: World) -> None:
    url = world.urls["gone410"]
    world.web.always("/news/gone-410", status=410, body="gone")
    world.run([url])
    results = {r.url: r for r in check_offline(world.store)}
    assert results[url].status is LinkStatus.DEAD and results[url].streak == 1
    assert results[world.urls["boiler"]].status is LinkStatus.UNCHECKED


def test_status_filter_selects_by_last_class(world: World) -> None:
    world.web.remove("/news/gone-404")
    world.run([world.urls["gone404"], world.urls["boiler"]])
    world.web.reset_counts()
    got = world.run(statuses={LinkStatus.DEAD})
    assert list(got) == [world.urls["gone404"]]
    assert world.web.count("/news/boiler") == 0


def test_a_fetch_seam_that_ignores_the_feed_loses_no_verdict(world: World) -> None:
    # A seam written before UrlFeed existed drops the probe: the link waiting for it is still
    # judged (without a probe), never silently left out.
    change_web(world.web)
    u = world.urls

    def old_seam(urls: list[str], *, config: object = None, headers_for: object = None,
                 feed: object = None) -> Iterator:  # type: ignore[type-arg]
        return fetch_many(urls, config=config, headers_for=headers_for, resolver=world.resolver)  # type: ignore[arg-type]

    selected = [u["rewritten"], u["slow"], u["boiler"]]
    got = {r.url: r for r in check(world.store, selected, config=CONFIG, fetch=old_seam, rng=FixedRandom(),
                                   extract_workers=0)}
    assert set(got) == set(selected)
    assert got[u["rewritten"]].status is LinkStatus.DRIFTED


def test_an_interrupted_check_leaves_no_temporary_body_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Bodies spill to temporary files (tiny spill size here); stopping the check early, while
    # many changed pages wait for or sit in the extraction pool, must free every one of them.
    import tempfile

    spill_dir = tmp_path / "spill"
    spill_dir.mkdir()
    texts = list(ART.values())
    with FakeWeb(hosts=2) as web:
        urls = [web.add(f"/news/a{i}", article_html(texts[i % len(texts)]), host=i % 2) for i in range(200)]
        store = Store.open(tmp_path / "leak.db")
        report = archive([PreparedSource("/tmp/article.md", harvest=harvest_of(urls))], store=store, config=CONFIG,
                         extract_workers=0)
        assert report.ok
        for i in range(200):  # every page changed: all go to the extraction pool
            web.add(f"/news/a{i}", article_html(texts[(i + 3) % len(texts)]), host=i % 2)
        monkeypatch.setattr(tempfile, "tempdir", str(spill_dir))
        web.latency = 0.05  # results trickle in: the first verdicts come out while pages are still examined
        spilling = dataclasses.replace(CONFIG, spill_bytes=100)
        gen = check(store, config=spilling, rng=FixedRandom(), extract_workers=2)
        next(gen)
        gen.close()  # as Ctrl-C or a consumer that stops reading would

        def left() -> list[str]:
            return [p.name for p in spill_dir.iterdir() if p.name.startswith("archiver-")]

        deadline = time.monotonic() + 10  # a page a worker was examining is freed when that ends
        while left() and time.monotonic() < deadline:
            time.sleep(0.05)
        store.close()
    assert left() == []


LOGIN_FORM = """<html><head><title>Log in | Deep Post</title></head><body><nav>Home</nav><main><h1>Log in</h1>
<form method="post" action="/accounts/login/"><label>E-mail <input type="email" name="email"></label>
<label>Password <input type="password" name="password"></label><button>Sign in</button></form>
<p>New here? Create an account.</p></main></body></html>"""


def test_sign_in_and_consent_walls_are_blocked_not_drifted(world: World) -> None:
    web = world.web
    walled = {
        "to_login": web.add("/news/members-story", article_html(ART["coral"], site="Deep Post")),
        "login_here": web.add("/news/now-walled", article_html(ART["database"], site="Deep Post")),
        "to_consent": web.add("/news/eu-story", article_html(ART["lighthouse"], site="Deep Post")),
    }
    report = archive([PreparedSource("/tmp/walls.md", harvest=harvest_of(list(walled.values()), "/tmp/walls.md"))],
                     store=world.store, config=CONFIG, fetch=world.fetch(), extract_workers=0)
    assert report.ok
    # today: a redirect to a sign-in page, a login form at the same URL, a redirect to a consent page
    web.redirect("/news/members-story", "/accounts/login/?next=/news/members-story", status=302)
    web.add("/accounts/login/", LOGIN_FORM)
    web.add("/news/now-walled", LOGIN_FORM)
    web.redirect("/news/eu-story", "/consent?continue=/news/eu-story", status=302)
    web.add("/consent", "<html><head><title>Before you continue</title></head><body><p>We use cookies."
            "</p><button>Accept all</button></body></html>")
    got = world.run(list(walled.values()))
    for name, url in walled.items():
        assert got[url].status is LinkStatus.BLOCKED, (name, got[url])
        row = checks_sql.history(world.store, url)[-1]
        assert row.status is LinkStatus.BLOCKED and row.http_status == 200
    assert "login wall" in (got[walled["to_login"]].detail or "")
    assert "/accounts/login/" in (got[walled["to_login"]].detail or "")
    assert "sign in" in (got[walled["login_here"]].detail or "")
    assert "consent" in (got[walled["to_consent"]].detail or "")
    # a wall is never counted as a dead link by the default --fail-on
    assert not any(r.status in (LinkStatus.DEAD, LinkStatus.SOFT404, LinkStatus.DRIFTED) for r in got.values())


def test_links_refused_by_the_private_address_policy_are_shown_not_recorded(world: World) -> None:
    # checking an archive of 127.0.0.1 pages without --allow-private: archiver refused, the links said nothing
    strict = dataclasses.replace(CONFIG, allow_private=False)
    rows_before = world.store.db.execute("SELECT COUNT(*) FROM checks").fetchone()[0]
    results = list(check(world.store, [world.urls["boiler"], world.urls["cond"]], config=strict, fetch=world.fetch(),
                         rng=FixedRandom(), extract_workers=0))
    assert len(results) == 2
    assert all(r.status is LinkStatus.ERROR and r.error_kind == "blocked_private" for r in results)
    assert all("not recorded" in (r.detail or "") for r in results)
    assert world.store.db.execute("SELECT COUNT(*) FROM checks").fetchone()[0] == rows_before
    # the next real check starts the streak afresh, as if the refused one had never happened
    got = world.run([world.urls["boiler"]])
    assert got[world.urls["boiler"]].streak == 1
    # a public-looking name now resolving to a private address (a sinkholed domain) is news: recorded
    (sinkholed,) = check(world.store, [world.urls["gone_host"]], config=strict, fetch=world.fetch(),
                         rng=FixedRandom(), extract_workers=0)
    assert sinkholed.error_kind == "blocked_private" and "not recorded" not in (sinkholed.detail or "")
    assert world.last_row("gone_host").error_kind == "blocked_private"
