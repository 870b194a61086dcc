"""Benchmark: fetch 8 hosts x 40 pages with 100 ms latency per response from the fake web.

Prints the wall time of :func:`archiver.fetch.fetch_many` with the default limits
(16 workers, 2 per host) and with ``per_host=1``, each with its ratio to the
politeness floor ``pages per host / per-host limit x latency`` (goal: under 1.3).

Run: ``python bench/bench_fetch.py [--hosts 8] [--pages 40] [--latency 0.1]``
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fakeweb import FakeWeb  # noqa: E402

from archiver.config import FetchConfig  # noqa: E402
from archiver.fetch import fetch_many  # noqa: E402


def run(web: FakeWeb, urls: list[str], config: FetchConfig) -> tuple[float, int]:
    start = time.perf_counter()
    ok = sum(1 for result in fetch_many(urls, config=config) if result.ok)
    return time.perf_counter() - start, ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=8)
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--latency", type=float, default=0.1)
    args = parser.parse_args()
    page = "<html><body>" + "<p>lorem ipsum dolor sit amet</p>" * 100 + "</body></html>"
    with FakeWeb(hosts=args.hosts, latency=args.latency) as web:
        urls = [web.add(f"/page/{i}", body=page, host=h) for i in range(args.pages) for h in range(args.hosts)]
        base = FetchConfig(allow_private=True)  # the fake web is on 127.0.0.1
        print(f"{len(urls)} pages on {args.hosts} hosts, {args.latency * 1000:.0f} ms latency per response")
        for label, config in (
            (f"defaults (workers {base.workers}, per-host {base.per_host})", base),
            ("per-host 1", dataclasses.replace(base, per_host=1)),
        ):
            web.reset_counts()
            wall, ok = run(web, urls, config)
            floor = args.pages / config.per_host * args.latency
            print(
                f"{label:36} wall {wall:6.2f} s  floor {floor:5.2f} s  ratio {wall / floor:4.2f}  "
                f"ok {ok}/{len(urls)}  server requests {web.total()}"
            )


if __name__ == "__main__":
    main()
