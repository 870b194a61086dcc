"""The classifier over the class table of ``archiver check`` (pure: no network, no store)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from check_cases import articles, rewrite_sentences, with_boilerplate

from archiver.check import (
    ERROR_CLASS,
    classify,
    conditional_headers,
    counts_as_failure,
    needs_probe,
    summarize,
    url_change,
)
from archiver.drift import similarity
from archiver.soft404 import Probe
from archiver.types import Body, CheckResult, ErrorKind, Extracted, FetchResult, Hop, LinkStatus, Snapshot

FIX = Path(__file__).parent / "fixtures" / "check"
URL = "https://news.example.org/2024/03/bike-lanes"
T0 = datetime(2024, 3, 12, tzinfo=UTC)
T1 = datetime(2025, 4, 2, tzinfo=UTC)
ART = articles()
TEXT = ART["bikes"]
OTHER = ART["coral"]


def snap(text: str | None = TEXT, *, final_url: str | None = URL, sha: str = "old-sha", **kw: object) -> Snapshot:
    return Snapshot(id=7, url=URL, captured_at=T0, ok=True, requested_url=URL, final_url=final_url,
                    http_status=200, sha256=sha, text=text, title="City council approves bike lanes",
                    content_type="text/html", **kw)  # type: ignore[arg-type]


def fetched(status: int | None = 200, *, body: str | bytes | None = "<html><body>page</body></html>",
            final_url: str = URL, error: ErrorKind | None = None, message: str | None = None,
            headers: dict[str, str] | None = None, redirects: tuple[Hop, ...] = (), attempts: int = 1,
            content_type: str = "text/html") -> FetchResult:
    data = body.encode() if isinstance(body, str) else body
    if status is not None and status >= 400 and error is None:
        error = ErrorKind.HTTP_ERROR
    return FetchResult(url=URL, final_url=final_url, status=status, redirects=redirects, headers=headers or {},
                       content_type=content_type, body=Body.from_bytes(data) if data is not None else None,
                       encoding="utf-8", error=error, message=message, attempts=attempts, fetched_at=T1)


def ext(text: str | None, title: str | None = "City council approves bike lanes") -> Extracted:
    return Extracted(title=title, text=text)


def judge(result: FetchResult, extracted: Extracted | None = None, snapshot: Snapshot | None = None,
          probe: Probe | None = None, **kw: object) -> CheckResult:
    return classify(result, extracted if extracted is not None else ext(TEXT), snapshot, probe, url=URL,
                    checked_at=T1, **kw)  # type: ignore[arg-type]


# -- error kinds -> classes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind,expected",
    [
        (ErrorKind.DNS, LinkStatus.DEAD),
        (ErrorKind.REFUSED, LinkStatus.DEAD),
        (ErrorKind.ROBOTS, LinkStatus.BLOCKED),
        (ErrorKind.RATE_LIMITED, LinkStatus.BLOCKED),
        (ErrorKind.TIMEOUT, LinkStatus.ERROR),
        (ErrorKind.RESET, LinkStatus.ERROR),
        (ErrorKind.TLS, LinkStatus.ERROR),
        (ErrorKind.TRUNCATED, LinkStatus.ERROR),
        (ErrorKind.TOO_LARGE, LinkStatus.ERROR),
        (ErrorKind.REDIRECT_LOOP, LinkStatus.ERROR),
        (ErrorKind.TOO_MANY_REDIRECTS, LinkStatus.ERROR),
        (ErrorKind.BLOCKED_PRIVATE, LinkStatus.ERROR),
    ],
)
def test_error_kinds_map_to_classes(kind: ErrorKind, expected: LinkStatus) -> None:
    status = 429 if kind is ErrorKind.RATE_LIMITED else None
    result = fetched(status, body=None, error=kind, message=f"{kind.value}: something went wrong", attempts=4)
    verdict = judge(result, Extracted(), snap())
    assert verdict.status is expected
    assert verdict.error_kind is kind
    assert kind.value in (verdict.detail or "")


def test_every_error_kind_has_a_class() -> None:
    assert set(ERROR_CLASS) | {ErrorKind.HTTP_ERROR} == set(ErrorKind)


def test_rate_limited_beyond_cap_is_blocked_not_dead() -> None:
    result = fetched(429, body="slow down", error=ErrorKind.RATE_LIMITED,
                     message="rate_limited: Retry-After 3600 s exceeds the cap of 60 s")
    verdict = judge(result, Extracted(), snap())
    assert verdict.status is LinkStatus.BLOCKED
    assert "Retry-After" in (verdict.detail or "")


def test_timeout_detail_says_why_and_attempts() -> None:
    verdict = judge(fetched(None, body=None, error=ErrorKind.TIMEOUT, message="timeout: no answer in 30 s",
                            attempts=4), Extracted(), snap())
    assert verdict.status is LinkStatus.ERROR
    assert verdict.detail == "timeout: no answer in 30 s (after 4 attempts)"


# -- HTTP statuses ------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [404, 410, 451])
def test_gone_statuses_are_dead(code: int) -> None:
    verdict = judge(fetched(code, body="gone"), Extracted(), snap())
    assert verdict.status is LinkStatus.DEAD
    assert verdict.http_status == code and str(code) in (verdict.detail or "")


@pytest.mark.parametrize("code", [401, 403, 407, 429])
def test_refusals_are_blocked_never_dead(code: int) -> None:
    verdict = judge(fetched(code, body="<h1>Forbidden</h1>"), Extracted(), snap())
    assert verdict.status is LinkStatus.BLOCKED
    assert "may be fine" in (verdict.detail or "")


@pytest.mark.parametrize("code", [500, 502, 503, 504])
def test_server_errors_are_error(code: int) -> None:
    verdict = judge(fetched(code, body="oops", attempts=4), Extracted(), snap())
    assert verdict.status is LinkStatus.ERROR
    assert str(code) in (verdict.detail or "") and "4 attempts" in (verdict.detail or "")


def test_other_4xx_is_error() -> None:
    assert judge(fetched(400, body="bad"), Extracted(), snap()).status is LinkStatus.ERROR


def test_cloudflare_challenge_403_and_503_are_blocked() -> None:
    html = (FIX / "cloudflare_challenge.html").read_text()
    for code in (403, 503):
        verdict = judge(fetched(code, body=html, headers={"Server": "cloudflare"}), Extracted(), snap())
        assert verdict.status is LinkStatus.BLOCKED
        assert "Cloudflare" in (verdict.detail or "")


def test_challenge_served_with_200_is_blocked() -> None:
    html = (FIX / "datadome_captcha.html").read_text()
    verdict = judge(fetched(200, body=html), Extracted(title="example.com", text=None), snap())
    assert verdict.status is LinkStatus.BLOCKED


# -- 304 ----------------------------------------------------------------------------------------


def test_not_modified_is_ok() -> None:
    verdict = judge(fetched(304, body=None), Extracted(), snap())
    assert verdict.status is LinkStatus.OK
    assert "304" in (verdict.detail or "") and verdict.snapshot_id == 7


def test_not_modified_after_redirect_is_moved() -> None:
    new = "https://news.example.org/archive/bike-lanes"
    verdict = judge(fetched(304, body=None, final_url=new, redirects=(Hop(URL, 301),)), Extracted(), snap())
    assert verdict.status is LinkStatus.MOVED and new in (verdict.detail or "")


# -- 2xx: ok, moved, drifted --------------------------------------------------------------------


def test_same_text_is_ok_with_similarity() -> None:
    verdict = judge(fetched(), ext(TEXT), snap())
    assert verdict.status is LinkStatus.OK and verdict.similarity == 1.0 and verdict.detail is None


def test_identical_body_is_ok_without_text() -> None:
    result = fetched(body=b"%PDF-1.4 binary", content_type="application/pdf")
    verdict = judge(result, Extracted(), snap(None, sha=result.body.sha256))  # type: ignore[union-attr]
    assert verdict.status is LinkStatus.OK and verdict.similarity == 1.0


def test_changed_binary_is_drifted_without_similarity() -> None:
    result = fetched(body=b"%PDF-1.4 other", content_type="application/pdf")
    verdict = judge(result, Extracted(), snap(None))
    assert verdict.status is LinkStatus.DRIFTED and verdict.similarity is None
    assert "no text" in (verdict.detail or "")


def test_boilerplate_changes_are_ok() -> None:
    verdict = judge(fetched(), ext(with_boilerplate(TEXT, 1)), snap(with_boilerplate(TEXT, 0)))
    assert verdict.status is LinkStatus.OK and verdict.similarity is not None and verdict.similarity > 0.85


def test_rewritten_text_is_drifted_with_similarity() -> None:
    verdict = judge(fetched(), ext(rewrite_sentences(TEXT, OTHER, 0.6)), snap())
    assert verdict.status is LinkStatus.DRIFTED
    assert verdict.similarity is not None and verdict.similarity < 0.75
    assert f"{verdict.similarity:.2f}" in (verdict.detail or "")


def test_drift_threshold_is_honoured() -> None:
    rewritten = ext(rewrite_sentences(TEXT, OTHER, 0.2))
    assert judge(fetched(), rewritten, snap()).status is LinkStatus.OK
    assert judge(fetched(), rewritten, snap(), threshold=0.95).status is LinkStatus.DRIFTED


def test_redirect_to_new_url_with_same_text_is_moved() -> None:
    new = "https://news.example.org/transport/bike-lanes-approved"
    verdict = judge(fetched(final_url=new, redirects=(Hop(URL, 301),)), ext(TEXT), snap())
    assert verdict.status is LinkStatus.MOVED
    assert verdict.final_url == new and new in (verdict.detail or "")


def test_redirect_to_other_content_is_drifted_with_final_url() -> None:
    new = "https://news.example.org/transport/something-else"
    verdict = judge(fetched(final_url=new, redirects=(Hop(URL, 301),)), ext(OTHER), snap())
    assert verdict.status is LinkStatus.DRIFTED and new in (verdict.detail or "")


def test_https_upgrade_is_ok_with_note() -> None:
    http_url = URL.replace("https:", "http:")
    result = FetchResult(url=http_url, final_url=URL, status=200, redirects=(Hop(http_url, 301),),
                         content_type="text/html", body=Body.from_bytes(b"<p>x</p>"), encoding="utf-8")
    snapshot = Snapshot(id=1, url=http_url, captured_at=T0, ok=True, requested_url=http_url, final_url=http_url,
                        sha256="x", text=TEXT)
    verdict = classify(result, ext(TEXT), snapshot, url=http_url, checked_at=T1)
    assert verdict.status is LinkStatus.OK and "https" in (verdict.detail or "")


def test_url_change_kinds() -> None:
    assert url_change("http://a.org/x", "https://a.org/x") == "https"
    assert url_change("http://a.org/x", "https://a.org/x/") == "moved"
    assert url_change("https://a.org/x", "https://a.org/x/") == "slash"
    assert url_change("https://a.org/x#top", "https://a.org/x") is None
    assert url_change("https://a.org/x", "https://b.org/x") == "moved"
    assert url_change("http://a.org:8080/x", "https://a.org:8080/x") == "https"


# -- 2xx: soft 404 ------------------------------------------------------------------------------


def test_deep_url_redirecting_home_is_soft404() -> None:
    home = "https://news.example.org/"
    verdict = judge(fetched(final_url=home, redirects=(Hop(URL, 302),)), ext("Front page news"), snap())
    assert verdict.status is LinkStatus.SOFT404 and home in (verdict.detail or "")
    assert verdict.final_url == home


def test_page_saying_not_found_is_soft404() -> None:
    verdict = judge(fetched(), ext("Sorry, we could not find that page.", title="Page not found | News"), snap())
    assert verdict.status is LinkStatus.SOFT404 and "not found" in (verdict.detail or "").lower()


@pytest.mark.parametrize(
    "title", ["Страница не найдена", "Seite nicht gefunden", "Page introuvable", "Página no encontrada"]
)
def test_not_found_in_other_languages(title: str) -> None:
    assert judge(fetched(), ext("…", title=title), snap()).status is LinkStatus.SOFT404


def test_not_found_without_extracted_text_uses_visible_text() -> None:
    body = "<html><head><title>Example</title></head><body><h1>404 - Page not found</h1></body></html>"
    assert judge(fetched(body=body), Extracted(), snap()).status is LinkStatus.SOFT404


TEMPLATE = "Welcome to our shop. Browse our categories: garden, kitchen, tools and toys. Free delivery."


def probe(status: int = 200, text: str | None = TEMPLATE) -> Probe:
    return Probe(url="https://news.example.org/2024/03/zq8w1x", pattern="p", status=status,
                 final_url="https://news.example.org/2024/03/zq8w1x", text=text, sha256="probe-sha")


def test_drifted_page_like_the_missing_sibling_is_soft404() -> None:
    verdict = judge(fetched(), ext(TEMPLATE, title="Shop"), snap(), probe())
    assert verdict.status is LinkStatus.SOFT404 and "random sibling" in (verdict.detail or "")


def test_drifted_page_unlike_the_missing_sibling_stays_drifted() -> None:
    verdict = judge(fetched(), ext(OTHER), snap(), probe())
    assert verdict.status is LinkStatus.DRIFTED


def test_probe_that_404s_changes_nothing() -> None:
    assert judge(fetched(), ext(TEMPLATE, title="Shop"), snap(), probe(404)).status is LinkStatus.DRIFTED


def test_matching_page_is_ok_even_if_the_host_hides_404s() -> None:
    assert judge(fetched(), ext(TEXT), snap(), probe(text=TEXT)).status is LinkStatus.OK


# -- no good snapshot ---------------------------------------------------------------------------


def test_no_snapshot_live_page_is_ok_with_detail() -> None:
    verdict = judge(fetched(), ext(TEXT), None)
    assert verdict.status is LinkStatus.OK and "no good snapshot" in (verdict.detail or "")
    assert verdict.similarity is None and verdict.snapshot_id is None


def test_no_snapshot_still_runs_the_detectors() -> None:
    assert judge(fetched(), ext("x", title="404 Not Found"), None).status is LinkStatus.SOFT404
    assert judge(fetched(final_url="https://news.example.org/"), ext("home"), None).status is LinkStatus.SOFT404
    assert judge(fetched(), ext(TEMPLATE), None, probe()).status is LinkStatus.SOFT404
    assert judge(fetched(404, body="x"), Extracted(), None).status is LinkStatus.DEAD


# -- helpers ------------------------------------------------------------------------------------


def test_needs_probe_only_for_unmatched_2xx() -> None:
    assert needs_probe(judge(fetched(), ext(OTHER), snap()))  # drifted
    assert needs_probe(judge(fetched(), ext(TEXT), None))  # ok, nothing to compare with
    assert not needs_probe(judge(fetched(), ext(TEXT), snap()))  # ok, matches
    assert not needs_probe(judge(fetched(404, body="x"), Extracted(), snap()))
    assert not needs_probe(judge(fetched(304, body=None), Extracted(), snap()))


def test_conditional_headers_from_snapshot() -> None:
    s = snap(headers={"ETag": '"v1"', "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"})
    assert conditional_headers(s) == {"If-None-Match": '"v1"', "If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"}
    assert conditional_headers(snap(headers={"etag": 'W/"x"'})) == {"If-None-Match": 'W/"x"'}
    assert conditional_headers(snap()) == {}
    assert conditional_headers(None) == {}


def verdict_at(status: LinkStatus, streak: int, days: int) -> CheckResult:
    return CheckResult(url=URL, status=status, checked_at=T1, streak=streak, since=T1 - timedelta(days=days))


def test_fail_on_with_confirmations() -> None:
    dead1 = verdict_at(LinkStatus.DEAD, 1, 0)
    assert counts_as_failure(dead1)
    assert not counts_as_failure(dead1, confirm=3)
    assert not counts_as_failure(verdict_at(LinkStatus.DEAD, 3, 1), confirm=3, span=timedelta(days=2))
    assert counts_as_failure(verdict_at(LinkStatus.DEAD, 3, 2), confirm=3, span=timedelta(days=2))
    assert not counts_as_failure(verdict_at(LinkStatus.BLOCKED, 9, 9))
    assert counts_as_failure(verdict_at(LinkStatus.BLOCKED, 1, 0), {LinkStatus.BLOCKED})
    assert counts_as_failure(verdict_at(LinkStatus.SOFT404, 1, 0))
    assert not counts_as_failure(verdict_at(LinkStatus.DRIFTED, 1, 0))


def test_summarize_counts_classes() -> None:
    results = [verdict_at(LinkStatus.DEAD, 1, 0), verdict_at(LinkStatus.OK, 1, 0), verdict_at(LinkStatus.DEAD, 1, 0)]
    assert summarize(results) == {"ok": 1, "dead": 2}


# -- the fast path: archived text found whole in today's page ------------------------------------


def test_fast_path_accepts_boilerplate_changes_only() -> None:
    from check_cases import article_html

    from archiver.check import examine, fast_path_score, unchanged_text

    old_html = article_html(TEXT, sidebar="<ul><li>Old related story</li></ul>", byline=("12 March 2024",))
    new_html = article_html(TEXT, sidebar="<ul><li>A new related story</li></ul>", byline=("2 April 2025",))
    size = len(old_html.encode())
    score = fast_path_score(TEXT, size, new_html.encode(), "utf-8")
    assert score is not None and score >= 0.98
    rewritten = article_html(rewrite_sentences(TEXT, OTHER, 0.3)).encode()
    assert fast_path_score(TEXT, size, rewritten, "utf-8") is None
    assert fast_path_score(TEXT, size, new_html.encode() * 3, "utf-8") is None  # grew too much: extract
    assert fast_path_score("too short", size, new_html.encode(), "utf-8") is None
    result = fetched(body=new_html)
    assert unchanged_text(snap(size=size), result) == score
    assert unchanged_text(None, result) is None
    # in a worker: a kept page is not extracted, a changed one is
    job = ("text/html", new_html.encode(), "utf-8", URL, "text/html")
    assert examine(job, TEXT, size) == (score, Extracted(), None)
    kept, extracted, sim = examine(("text/html", rewritten, "utf-8", URL, "text/html"), TEXT, size)
    assert kept is None and extracted.text
    # the worker measures the similarity the judgement needs, and it is the one classify would measure
    assert sim == similarity(TEXT, extracted.text) and sim < 0.98
    changed, old = fetched(body=rewritten.decode()), snap(size=size)
    assert classify(changed, extracted, old, text_similarity=sim) == classify(changed, extracted, old)
    trusted = classify(changed, extracted, old, text_similarity=0.99)  # a measured similarity is not re-measured
    assert trusted.status is LinkStatus.OK and trusted.similarity == 0.99
    assert examine(("text/html", rewritten, "utf-8", URL, "text/html"), None, None)[2] is None  # nothing to compare


def test_unchanged_article_about_not_found_pages_is_ok() -> None:
    title = "How to fix page not found errors in WordPress"
    old = snap(sha="same-sha")
    old = Snapshot(**{**old.__dict__, "title": title})
    verdict = judge(fetched(), ext(TEXT, title=title), old)
    assert verdict.status is LinkStatus.OK, verdict.detail


def test_https_to_http_downgrade_of_the_same_page_is_ok_not_moved() -> None:
    # "moved" would make the report advise replacing a secure link with an insecure one.
    http_url = URL.replace("https:", "http:")
    assert url_change(URL, http_url) == "http"
    verdict = judge(fetched(final_url=http_url, redirects=(Hop(URL, 301),)), ext(TEXT), snap())
    assert verdict.status is LinkStatus.OK and "http" in (verdict.detail or "")


def test_only_links_written_with_a_private_address_are_policy_refusals() -> None:
    from datetime import UTC, datetime

    from archiver.check import _policy_only
    from archiver.types import CheckResult, ErrorKind, LinkStatus

    def refused(url: str) -> CheckResult:
        now = datetime.now(UTC)
        return CheckResult(url=url, status=LinkStatus.ERROR, checked_at=now, since=now,
                           error_kind=ErrorKind.BLOCKED_PRIVATE)

    for url in ("http://127.0.0.1:8080/a", "http://localhost/a", "http://intranet/wiki", "http://nas.local/x",
                "http://[::1]/a", "http://files.corp/x"):
        assert _policy_only(refused(url)), url
    # a public name that now resolves to a private address (sinkholed) is news about the link
    assert not _policy_only(refused("https://expired-domain.example.com/story"))
