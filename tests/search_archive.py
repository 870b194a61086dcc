"""A small archive built from the fake web, shared by the search/show tests.

Pages are served by :class:`fakeweb.FakeWeb` on 127.0.0.1 under made-up host names
(a :class:`~archiver.net.StaticResolver` maps them to loopback), fetched with
:func:`archiver.fetch.fetch_one`, extracted with :func:`archiver.extract.extract_result`
and stored with :meth:`Store.add_snapshot`, with capture times set to fixed dates so
``--at``/``--since``/``--until`` can be asserted. Tests then read it with the network off.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from fakeweb import FakeWeb

from archiver.config import FetchConfig
from archiver.extract import extract_result
from archiver.fetch import fetch_one
from archiver.net import StaticResolver
from archiver.store import Store
from archiver.store.checks import record_check
from archiver.types import CheckResult, Citation, Harvest, LinkStatus, Source, SourceFormat, SourceKind
from archiver.urls import canonicalize

HOSTS = ("news.example.org", "www.example.org", "ru.example.net", "blog.other.test", "files.example.org")

JAN = datetime(2025, 1, 10, 9, 0, tzinfo=UTC)
FEB = datetime(2025, 2, 15, 9, 0, tzinfo=UTC)
MAR = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def _page(title: str, paragraphs: list[str], head: str = "", body_extra: str = "") -> str:
    paras = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title>{head}</head><body>{body_extra}"
        f"<article><h1>{title}</h1>\n{paras}\n</article></body></html>"
    )


FILLER = (
    "Officials met in the capital on Tuesday to review the figures, and analysts said the outcome "
    "would shape trade policy for years, although several delegations asked for more time to study "
    "the detailed proposals before any vote could be scheduled by the committee."
)

SANCTIONS_V1 = _page(
    "New U.S. sanctions on steel exports",
    [
        "The U.S. sanctions announced on Monday target steel exporters and their banks. " + FILLER,
        "Ministers praised the co-operation between customs agencies, and Russia's delegation objected. " + FILLER,
        "A zeppelin manufacturer was also named in the annex of the decision. " + FILLER,
    ],
    head='<base href="/docs/"><script>fetch("https://tracker.example/t")</script>'
    '<link rel="stylesheet" href="style.css"><link rel="dns-prefetch" href="//cdn.example">'
    '<meta http-equiv="refresh" content="30;url=https://elsewhere.example/">',
    body_extra='<img src="logo.png" srcset="logo.png 1x, logo@2x.png 2x" onerror="steal()">'
    '<a href="related.html" onclick="track()" ping="/ping">Related</a>'
    '<iframe src="https://ads.example/frame"></iframe>',
)
SANCTIONS_V2 = _page(
    "New U.S. sanctions on steel exports",
    [
        "The U.S. sanctions announced on Monday target steel exporters and their banks. " + FILLER,
        "Ministers praised the co-operation between customs agencies, and Russia's delegation objected. " + FILLER,
        "A hovercraft builder replaced the earlier entry in the annex after an appeal. " + FILLER,
    ],
)
CAFE = _page(
    "Le café de la gare",
    [
        "Le café de la gare sert un crème naïve et une tarte, selon le guide publié cette année. " + FILLER,
        "Steel is mentioned once here, far from any sanctions talk. " + FILLER,
    ],
)
RU = _page(
    "Новости: санкции и сотрудничество",
    [
        "Правительство объявило новые санкции против экспортёров стали. " + FILLER,
        "Министры обсудили сотрудничество таможенных служб и приветствовали решение. " + FILLER,
    ],
)
TEXT_PLAIN = "Plain text notes about lighthouse keepers and their logbooks.\n" * 20


@dataclass
class Archive:
    """What :func:`build_archive` made: the database, canonical URLs and snapshot ids by name."""

    db: Path
    article: Path
    urls: dict[str, str] = field(default_factory=dict)
    snapshots: dict[str, int] = field(default_factory=dict)
    bodies: dict[str, bytes] = field(default_factory=dict)
    raw_urls: dict[str, str] = field(default_factory=dict)


def build_archive(folder: Path) -> Archive:
    """Serve, fetch, extract and store the pages; return the :class:`Archive`. Needs loopback only."""
    folder.mkdir(parents=True, exist_ok=True)
    arch = Archive(db=folder / "archive.db", article=folder / "article.md")
    resolver = StaticResolver({h: ["127.0.0.1"] for h in HOSTS})
    config = FetchConfig(allow_private=True, retries=0, timeout=5.0, deadline=10.0)
    with FakeWeb() as web, Store.open(arch.db) as store:
        port = web.hostport(0).split(":")[1]

        def capture(name: str, host: str, path: str, when: datetime, **page: object) -> int:
            web.add(path, **page)  # type: ignore[arg-type]
            raw = f"http://{host}:{port}{path}"
            result = fetch_one(raw, config=config, resolver=resolver)
            result = dataclasses.replace(result, fetched_at=when)
            url = canonicalize(raw)
            snap = store.add_snapshot(result, extract_result(result) if result.ok else None, url=url)
            arch.urls[name.split("@")[0]] = url
            arch.raw_urls[name.split("@")[0]] = raw
            arch.snapshots[name] = snap
            if result.body is not None:
                arch.bodies[name] = result.body.read()
            return snap

        capture("sanctions@v1", HOSTS[0], "/world/sanctions", JAN, body=SANCTIONS_V1)
        capture("sanctions@v2", HOSTS[0], "/world/sanctions", MAR, body=SANCTIONS_V2)
        capture("cafe", HOSTS[1], "/cafe", FEB, body=CAFE)
        capture(
            "ru", HOSTS[2], "/novosti", FEB, body=RU.encode("windows-1251"),
            content_type="text/html; charset=windows-1251",
        )
        capture("notes", HOSTS[4], "/notes.txt", FEB, body=TEXT_PLAIN, content_type="text/plain; charset=utf-8")
        capture("gone@1", HOSTS[3], "/gone", JAN, status=503, body="down")
        capture("gone@2", HOSTS[3], "/gone", FEB, status=404, body="missing")

        record_check(store, CheckResult(
            url=arch.urls["sanctions"], status=LinkStatus.DRIFTED, checked_at=FEB, http_status=200,
            similarity=0.61, detail="text changed", snapshot_id=arch.snapshots["sanctions@v1"],
        ))

        # The article cites the sanctions page and the Russian page (not the café).
        text = f"See {arch.raw_urls['sanctions']} and {arch.raw_urls['ru']}.\n"
        arch.article.write_text(text, encoding="utf-8")
        locator = str(arch.article.resolve())
        source = Source(locator, SourceKind.FILE, SourceFormat.MARKDOWN,
                        hashlib.sha256(text.encode()).hexdigest(), "utf-8", len(text.encode()))
        cits = tuple(
            Citation(raw=arch.raw_urls[n], url=arch.urls[n], source=locator, line=1, column=1 + k * 40,
                     paragraph=1, context=text.strip())
            for k, n in enumerate(("sanctions", "ru"))
        )
        store.record_source(Harvest(source=source, text=text, citations=cits))
    return arch
