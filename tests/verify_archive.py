"""A small archive for the verify and report tests, built with the Store APIs (no network).

The article ``tests/fixtures/verify/article.md`` cites eight links; six have a good
snapshot whose extracted text is a file under ``tests/fixtures/verify/sources/``, one
only a failed capture (404), one none. ``other.example/newsroom`` is archived but cited
by no article (for ``--anywhere``). Checks: interfax ok, readout dead, ria moved,
statements drifted, old.example dead.

What each quotation of the article should give:

====  ==========================================  ===========  =========  ==========================
para  quotation starts                            status       scope      why
====  ==========================================  ===========  =========  ==========================
2     The third round of bilateral ...            found        paragraph  verbatim in interfax
3     It’s too early to talk ...                  found        paragraph  reflowed, „“ vs "", ’ vs '
4     the negotiations were a complete failure    not_found    -          paraphrased beyond recognition
5     we will sign the treaty on energy ...       approximate  paragraph  "the summer" in reuters
6     Our delegation will insist ...              found        article    only in statements (misattributed)
7     the archive keeps every page ...            not_found    -          only in an uncited page (archive)
====  ==========================================  ===========  =========  ==========================
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from pathlib import Path

from archiver.store import Store
from archiver.store.checks import record_check
from archiver.types import (
    Body,
    CheckResult,
    Citation,
    ErrorKind,
    Extracted,
    FetchResult,
    Harvest,
    LinkStatus,
    Source,
    SourceFormat,
    SourceKind,
)
from archiver.urls import canonicalize

FIXTURE = Path(__file__).parent / "fixtures" / "verify"
ARTICLE = FIXTURE / "article.md"
CAPTURED = datetime(2025, 6, 4, 9, 30, tzinfo=UTC)
CHECKED = datetime(2025, 6, 20, 12, 0, tzinfo=UTC)

#: canonical URL -> the file holding its extracted text (first line: the title)
SNAPSHOTS = {
    "https://news.example/interfax": "interfax.txt",
    "https://news.example/tass": "tass.txt",
    "https://gov.example/readout": "readout.txt",
    "https://wire.example/reuters": "reuters.txt",
    "https://news.example/ria": "ria.txt",
    "https://gov.example/statements": "statements.txt",
    "https://other.example/newsroom": "other.txt",
}
FAILED = "https://old.example/gone"
NEVER = "https://blog.example/post"
CHECKS = {
    "https://news.example/interfax": ("ok", None),
    "https://gov.example/readout": ("dead", None),
    "https://news.example/ria": ("moved", "https://news.example/ria-new"),
    "https://gov.example/statements": ("drifted", None),
    FAILED: ("dead", None),
}

_LINK_RE = re.compile(r"\]\((https?://[^)\s]+)\)")


def article_citations(text: str, locator: str) -> list[Citation]:
    """The Markdown links of ``text`` as citations (a stand-in for the harvester)."""
    out = []
    for m in _LINK_RE.finditer(text):
        start = m.start(1)
        line = text.count("\n", 0, start) + 1
        column = start - (text.rfind("\n", 0, start) + 1) + 1
        out.append(
            Citation(
                raw=m.group(1),
                url=canonicalize(m.group(1)),
                source=locator,
                line=line,
                column=column,
                paragraph=0,
                context=text.splitlines()[line - 1],
            )
        )
    return out


def article_harvest(path: Path, locator: str | None = None) -> Harvest:
    data = path.read_bytes()
    text = data.decode("utf-8")
    locator = locator or str(path.resolve())
    kind = SourceKind.URL if locator.startswith("http") else SourceKind.FILE
    source = Source(locator, kind, SourceFormat.MARKDOWN, hashlib.sha256(data).hexdigest(), "utf-8", len(data))
    return Harvest(source=source, text=text, citations=tuple(article_citations(text, locator)))


def snapshot_text(url: str) -> tuple[str, str]:
    """(title, text) of the fixture snapshot of ``url``."""
    title, _, text = (FIXTURE / "sources" / SNAPSHOTS[url]).read_text(encoding="utf-8").partition("\n")
    return title, text.strip()


def add_page(store: Store, url: str, title: str, text: str, *, at: datetime = CAPTURED) -> int:
    html = f"<html><head><title>{title}</title></head><body><p>{text}</p></body></html>".encode()
    result = FetchResult(
        url=url, final_url=url, status=200, content_type="text/html", body=Body.from_bytes(html),
        encoding="utf-8", encoding_source="header", attempts=1, fetched_at=at,
    )
    return store.add_snapshot(result, Extracted(title=title, text=text))


def add_check(store: Store, url: str, status: str, final_url: str | None = None, at: datetime = CHECKED) -> None:
    record_check(store, CheckResult(url=url, status=LinkStatus(status), checked_at=at, final_url=final_url))


def build_archive(db_path: Path, article: Path = ARTICLE, *, locator: str | None = None) -> dict[str, int]:
    """Record the article and archive its links; return {url: snapshot id} of the good snapshots."""
    ids: dict[str, int] = {}
    with Store.open(db_path) as store:
        store.record_source(article_harvest(article, locator))
        for url in SNAPSHOTS:
            title, text = snapshot_text(url)
            ids[url] = add_page(store, url, title, text)
        store.add_snapshot(
            FetchResult(url=FAILED, final_url=FAILED, status=404, error=ErrorKind.HTTP_ERROR,
                        message="404 Not Found", attempts=1, fetched_at=CAPTURED),
            None,
        )
        for url, (status, final_url) in CHECKS.items():
            add_check(store, url, status, final_url)
    return ids
