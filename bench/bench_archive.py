"""Benchmark: ``archiver archive`` on 8 hosts x 40 realistic article pages at 100 ms latency.

Starts the fake web (``tests/fakeweb.py``) with pages of 30-120 KB (head with inline CSS
and scripts, site navigation, 2-5 paragraphs of varied text, related links, footer),
writes their URLs to a text article, runs ``archiver archive`` on it into a fresh
database (as a subprocess, sampling the RSS of its process tree), and prints:

- wall time (the whole command, and the pipeline alone as recorded in ``runs``), pages/s;
- CPU seconds of extraction (every page extracted once, in this process);
- the floor ``max(network floor, extraction CPU / cores)`` where the network floor is
  ``pages per host / per-host limit x latency``, and the ratio wall / floor (goal < 1.3);
- peak RSS of the archiver process and of its whole tree (goal < 300 MB);
- database bytes per page;
- the same URL list through the trafilatura command line
  (``trafilatura -i urls.txt --parallel 16`` with a config file setting its per-host
  sleep to 0 and allowing loopback), and our time / its time (goal < 1.0).

Run: ``python bench/bench_archive.py [--hosts 8] [--pages 40] [--latency 0.1] [--no-trafilatura]``
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fakeweb import FakeWeb  # noqa: E402

from archiver.config import DEFAULT_PER_HOST  # noqa: E402
from archiver.extract import extract_html  # noqa: E402

WORDS = (
    "the of and to in a is that for it as was with be by on not he this are or his from at which but have an they "
    "you were her she there been one all we their has would when if so no will more can out up who said do into "
    "them about could than some other time these two may then first any like now my such make over our even most "
    "me state after also made many did must before back see through way where get much go well your know should "
    "down work year because come people just say each those take day good how long little use new government "
    "market committee harbour lighthouse keeper council minister budget research university hospital river bridge "
    "railway election inflation climate policy report analysis village museum archive library festival harvest "
    "engineer economy transport energy coastal storm forecast measured according spokesman announced tuesday "
    "significant evidence historical regional national international agreement negotiations delegation embassy"
).split()


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 24))]
    if rng.random() < 0.3:
        words.insert(rng.randint(0, len(words)), f"{rng.randint(2, 2024)}")
    return " ".join(words).capitalize() + rng.choice([".", ".", ".", "?", "!"])


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(4, 9)))


def page(rng: random.Random, host: int, n: int) -> bytes:
    """One realistic news page of roughly 30-120 KB."""
    target = rng.randint(30_000, 120_000)
    title = sentence(rng).rstrip(".?!")[:90]
    css = "\n".join(
        f".c{i} {{ margin: {rng.randint(0, 40)}px; color: #{rng.randrange(16**6):06x}; "
        f"font-size: {rng.randint(10, 30)}px; }}"
        for i in range(rng.randint(100, 300))
    )
    nav = "".join(
        f'<li><a href="/section/{i}">{rng.choice(WORDS).title()}</a></li>' for i in range(rng.randint(30, 80))
    )
    related = "".join(
        f'<li><a href="/story/{rng.randint(1, 10**6)}">{sentence(rng)[:70]}</a></li>'
        for _ in range(rng.randint(10, 20))
    )
    paras = "".join(f"<p>{paragraph(rng)}</p>\n" for _ in range(rng.randint(2, 5)))
    body = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | Host {host} News</title>
<meta name="author" content="Reporter {n}"><meta property="og:site_name" content="Host {host} News">
<meta property="article:published_time" content="2024-0{1 + n % 9}-1{n % 10}T08:00:00Z">
<style>{css}</style>
<script>window.__STATE__ = {{"ads": [{",".join(str(rng.randint(0, 10**9)) for _ in range(400))}]}};</script>
</head><body>
<header><div class="logo">Host {host} News</div><nav><ul>{nav}</ul></nav></header>
<main><article><h1>{title}</h1><div class="byline">By Reporter {n}</div>
{paras}</article>
<aside><h2>Related</h2><ul>{related}</ul></aside></main>
<footer><ul>{nav}</ul><p>Copyright Host {host} News. All rights reserved. Subscribe to our newsletter.</p></footer>
"""
    filler = target - len(body.encode()) - 20
    if filler > 0:  # the rest of a real page: trackers, inline JSON, comments
        blob = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(min(filler, 4000)))
        script = (blob * (filler // max(len(blob), 1) + 1))[:filler]
        body += f"<script>var t='{script}';</script>\n"
    body += "</body></html>\n"
    return body.encode()


def sample_rss(pid: int, stop: threading.Event, out: dict[str, float]) -> None:
    import psutil

    try:
        proc = psutil.Process(pid)
    except psutil.Error:
        return
    while not stop.is_set():
        try:
            main = proc.memory_info().rss
            tree = main + sum(c.memory_info().rss for c in proc.children(recursive=True))
        except psutil.Error:
            tree = main = 0
        out["main"] = max(out.get("main", 0), main)
        out["tree"] = max(out.get("tree", 0), tree)
        time.sleep(0.02)


def run_archiver(urls_file: Path, db: Path) -> tuple[float, dict[str, float], str]:
    cmd = [sys.executable, "-m", "archiver", "archive", str(urls_file), "--db", str(db), "--allow-private", "--json"]
    peaks: dict[str, float] = {}
    stop = threading.Event()
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = threading.Thread(target=sample_rss, args=(proc.pid, stop, peaks), daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    peaks["main_cpu"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    stop.set()
    sampler.join()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"archiver failed (exit {proc.returncode}): {err.strip()[-500:]}")
    return wall, peaks, out


def run_trafilatura(urls_file: Path, workdir: Path) -> float | None:
    exe = shutil.which("trafilatura") or str(Path(sys.executable).parent / "trafilatura")
    if not Path(exe).exists():
        return None
    cfg = workdir / "trafilatura.cfg"
    cfg.write_text(
        "[DEFAULT]\nDOWNLOAD_TIMEOUT = 30\nMAX_FILE_SIZE = 20000000\nMIN_FILE_SIZE = 10\nSLEEP_TIME = 0\n"
        "USER_AGENTS =\nCOOKIE =\nMAX_REDIRECTS = 2\nSSRF_PROTECTION = off\nINSECURE_SSL_FALLBACK = on\n"
        "MIN_EXTRACTED_SIZE = 250\nMIN_OUTPUT_SIZE = 1\nMIN_OUTPUT_COMM_SIZE = 1\nMAX_TREE_SIZE =\n"
        "EXTRACTION_TIMEOUT = 30\nMIN_DUPLCHECK_SIZE = 100\nMAX_REPETITIONS = 2\nEXTENSIVE_DATE_SEARCH = on\n"
        "EXTERNAL_URLS = off\n"
    )
    start = time.perf_counter()
    subprocess.run(
        [exe, "-i", str(urls_file), "--parallel", "16", "--config-file", str(cfg)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=8)
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--no-trafilatura", action="store_true", help="Skip the trafilatura CLI comparison.")
    args = parser.parse_args()
    rng = random.Random(20240305)
    bodies = {(h, i): page(rng, h, i) for h in range(args.hosts) for i in range(args.pages)}
    sizes = [len(b) for b in bodies.values()]
    with tempfile.TemporaryDirectory(prefix="bench-archive-") as tmp, \
            FakeWeb(hosts=args.hosts, latency=args.latency) as web:
        work = Path(tmp)
        urls = [web.add(f"/news/{i}/story.html", body=bodies[(h, i)], content_type="text/html; charset=utf-8", host=h)
                for i in range(args.pages) for h in range(args.hosts)]
        urls_file = work / "urls.txt"
        urls_file.write_text("\n".join(urls) + "\n")
        n = len(urls)
        print(f"{n} pages on {args.hosts} hosts, {args.latency * 1000:.0f} ms latency, "
              f"{min(sizes) // 1000}-{max(sizes) // 1000} KB (mean {sum(sizes) // n // 1000} KB)")

        cpu0 = time.process_time()
        for (h, i), data in bodies.items():
            extract_html(data, encoding="utf-8", url=f"http://host{h}/news/{i}")
        extract_cpu = time.process_time() - cpu0
        cores = os.cpu_count() or 1
        net_floor = args.pages / DEFAULT_PER_HOST * args.latency
        floor = max(net_floor, extract_cpu / min(cores, 2))  # the pipeline extracts with 2 worker processes

        db = work / "archive.db"
        web.reset_counts()
        wall, peaks, out = run_archiver(urls_file, db)
        archived = out.count('"status": "archived"')
        conn = sqlite3.connect(db)
        started, finished = conn.execute("SELECT started_at, finished_at FROM runs ORDER BY id DESC").fetchone()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        pipeline_wall = (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()
        db_bytes = db.stat().st_size

        print(f"archived            {archived}/{n} (server requests {web.total()})")
        print(f"wall time           {wall:6.2f} s command ({pipeline_wall:.2f} s pipeline)   "
              f"{n / wall:5.1f} pages/s ({n / pipeline_wall:.1f} pipeline)")
        print(f"extraction CPU      {extract_cpu:6.2f} s ({extract_cpu / n * 1000:.0f} ms/page), {cores} cores")
        print(f"floor               {floor:6.2f} s = max(network {net_floor:.2f} s, extraction {extract_cpu:.2f} s / "
              f"{min(cores, 2)})")
        print(f"ratio wall/floor    {wall / floor:6.2f} command, {pipeline_wall / floor:.2f} pipeline  (goal < 1.3)")
        main_cpu = peaks.get("main_cpu", 0.0)
        print(f"archiver main CPU   {main_cpu:6.2f} s (start-up, fetching, storing: not in the floor above; "
              f"(extraction + main) / cores = {(extract_cpu + main_cpu) / min(cores, 2):.2f} s)")
        print(f"machine load        {os.getloadavg()[0]:6.2f} (1 min average; other work on the machine skews timings)")
        print(f"peak RSS            {peaks.get('main', 0) / 1e6:6.0f} MB archiver process, "
              f"{peaks.get('tree', 0) / 1e6:.0f} MB with extraction workers  (goal < 300 MB)")
        print(f"database            {db_bytes / n / 1000:6.1f} KB/page ({db_bytes / 1e6:.1f} MB for {n} pages; "
              f"raw pages {sum(sizes) / n / 1000:.1f} KB/page)")
        if not args.no_trafilatura:
            web.reset_counts()
            theirs = run_trafilatura(urls_file, work)
            if theirs is None:
                print("trafilatura CLI     not installed")
            else:
                print(f"trafilatura CLI     {theirs:6.2f} s (server requests {web.total()})")
                print(f"ours / trafilatura  {wall / theirs:6.2f}  (goal < 1.0; we also store raw bytes and index text)")


if __name__ == "__main__":
    main()
