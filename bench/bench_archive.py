"""Benchmark: ``archiver archive`` on 8 hosts x 40 realistic article pages at 100 ms latency.

Starts the fake web (``tests/fakeweb.py``) with pages of 30-120 KB (head with inline CSS
and scripts, site navigation, 2-5 paragraphs of varied text, related links, footer),
writes their URLs to a text article, runs ``archiver archive`` on it into a fresh
database (as a subprocess, sampling the RSS of its process tree), and prints:

- wall time (the whole command, and the pipeline alone as recorded in ``runs``), pages/s:
  the median of ``--runs`` runs (3), each into a fresh database, since a shared 2-core
  machine's speed drifts by a quarter from one minute to the next; the other figures are
  that run's. archiver's modules are compiled to bytecode first, as an installed package's;
- CPU seconds of extraction (every page extracted once, in this process);
- the floor ``max(network floor, extraction CPU / cores)`` where the network floor is
  ``pages per host / per-host limit x latency``, and the ratio wall / floor (goal < 1.3);
- the CPU the run used, per process (the archiver process: start-up, fetching, storing;
  the extraction workers; the forkserver; the fake web in this process), the import time
  of the CLI, and the lower bound they set on 2 cores:
  ``max(floor, CPU of the run / cores, start-up + network floor)``, so a ratio above the
  goal can be told apart from what the machine allows;
- peak RSS of the archiver process and of its whole tree (goal < 300 MB);
- database bytes per page;
- the same URL list through the trafilatura command line
  (``trafilatura -i urls.txt --parallel 16`` with a config file setting its per-host
  sleep to 0 and allowing loopback), and our time / its time (goal < 1.0).

Run: ``python bench/bench_archive.py [--hosts 8] [--pages 40] [--latency 0.1] [--runs 3] [--no-trafilatura]``
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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from _common import compile_package, median_run  # noqa: E402
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


def sample_tree(pid: int, stop: threading.Event, out: dict[str, Any]) -> None:
    """Every 20 ms: peak RSS of the archiver process and of its tree, and the last CPU time
    seen of each process of the tree (extraction workers are terminated at the end, so
    their CPU is only known while they live). The list of processes is refreshed every
    200 ms only: listing children scans /proc, which would steal CPU from the run."""
    import psutil

    try:
        proc = psutil.Process(pid)
    except psutil.Error:
        return
    cpu: dict[int, tuple[str, float]] = out.setdefault("cpu", {})
    procs: list[Any] = [proc]
    roles: dict[int, str] = {pid: "main"}
    listed = 0.0
    while not stop.is_set():
        if time.monotonic() - listed > 0.2:
            listed = time.monotonic()
            try:
                procs = [proc, *proc.children(recursive=True)]
            except psutil.Error:
                pass
        main = tree = 0
        for p in procs:
            try:
                if p.pid not in roles:
                    roles[p.pid] = _role(p, pid)
                rss = p.memory_info().rss
                times = p.cpu_times()
            except psutil.Error:
                continue
            tree += rss
            main = rss if p.pid == pid else main
            cpu[p.pid] = (roles[p.pid], times.user + times.system)
        out["main"] = max(out.get("main", 0), main)
        out["tree"] = max(out.get("tree", 0), tree)
        time.sleep(0.02)


def _role(proc: Any, main_pid: int) -> str:
    """What a process of the archiver's tree is: an extraction worker (a child of the
    forkserver), the forkserver, or a helper (multiprocessing's resource tracker)."""
    if proc.ppid() != main_pid:
        return "worker"
    return "helper" if "resource_tracker" in " ".join(proc.cmdline()) else "forkserver"


def run_archiver(urls_file: Path, db: Path) -> dict[str, Any]:
    """Run ``archiver archive`` on ``urls_file``; wall time, when the first and last JSON lines
    came, stdout, peak RSS, CPU per process of its tree, and this process's CPU meanwhile
    (the fake web's server threads)."""
    cmd = [sys.executable, "-m", "archiver", "archive", str(urls_file), "--db", str(db), "--allow-private", "--json"]
    peaks: dict[str, Any] = {}
    stop = threading.Event()
    own_cpu = time.process_time()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
    sampler = threading.Thread(target=sample_tree, args=(proc.pid, stop, peaks), daemon=True)
    sampler.start()
    lines: list[str] = []
    arrivals: list[float] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        arrivals.append(time.perf_counter() - start)
        lines.append(line)
    err = proc.stderr.read() if proc.stderr is not None else ""
    proc.wait()
    wall = time.perf_counter() - start
    stop.set()
    sampler.join()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"archiver failed (exit {proc.returncode}): {err.strip()[-500:]}")
    by_role: dict[str, float] = {}
    for role, seconds in peaks.get("cpu", {}).values():
        by_role[role] = by_role.get(role, 0.0) + seconds
    return {"wall": wall, "out": "".join(lines), "first": arrivals[0] if arrivals else wall,
            "last": arrivals[-1] if arrivals else wall, "rss_main": peaks.get("main", 0),
            "rss_tree": peaks.get("tree", 0), "cpu": by_role, "bench_cpu": time.process_time() - own_cpu}


def import_time() -> float:
    """Wall time of ``python -c "import archiver.cli"``: the fixed start-up of every command."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import archiver.cli"], check=True)
    return time.perf_counter() - start


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
    parser.add_argument("--runs", type=int, default=3, help="Archive runs (the median is reported).")
    args = parser.parse_args()
    compile_package()
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
        print(f"machine load        {os.getloadavg()[0]:6.2f} before the run")

        startup = import_time()
        runs = []
        for k in range(args.runs):  # each into a fresh database; the run with the median wall time is shown
            db = work / f"archive-{k}.db"
            web.reset_counts()
            run = run_archiver(urls_file, db)
            run["requests"] = web.total()
            conn = sqlite3.connect(db)
            started, finished = conn.execute("SELECT started_at, finished_at FROM runs ORDER BY id DESC").fetchone()
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.close()
            run["pipeline"] = (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()
            run["db_bytes"] = db.stat().st_size
            runs.append(run)
        run, walls = median_run(runs, lambda r: r["wall"])
        wall, out, pipeline_wall, db_bytes = run["wall"], run["out"], run["pipeline"], run["db_bytes"]
        archived = out.count('"status": "archived"')
        cpu = run["cpu"]
        workers_cpu = cpu.get("worker", 0.0)
        main_cpu = cpu.get("main", 0.0)
        other_cpu = cpu.get("forkserver", 0.0) + cpu.get("helper", 0.0)
        web_cpu = run["bench_cpu"]
        total_cpu = main_cpu + workers_cpu + other_cpu + web_cpu
        used = min(cores, 2)
        cpu_bound = total_cpu / used
        best = max(floor, cpu_bound, startup + net_floor)

        print(f"archived            {archived}/{n} (server requests {run['requests']})")
        print(f"wall time           {wall:6.2f} s command ({pipeline_wall:.2f} s pipeline)   "
              f"{n / wall:5.1f} pages/s ({n / pipeline_wall:.1f} pipeline); first page stored at "
              f"{run['first']:.2f} s, last at {run['last']:.2f} s")
        if len(runs) > 1:
            print(f"                    the median of {len(runs)} runs, each into a fresh database (command: "
                  + ", ".join(f"{w:.2f}" for w in walls) + " s); the figures below are that run's")
        print(f"extraction CPU      {extract_cpu:6.2f} s ({extract_cpu / n * 1000:.1f} ms/page), {cores} cores")
        print(f"floor               {floor:6.2f} s = max(network {net_floor:.2f} s, extraction {extract_cpu:.2f} s / "
              f"{used})")
        print(f"ratio wall/floor    {wall / floor:6.2f} command, {pipeline_wall / floor:.2f} pipeline  (goal < 1.3)")
        print(f"CPU of the run      {total_cpu:6.2f} s = archiver process {main_cpu:.2f} (start-up, fetching, "
              f"storing) + extraction workers {workers_cpu:.2f} + forkserver/helpers {other_cpu:.2f} + "
              f"fake web and this bench {web_cpu:.2f}")
        print(f"start-up            {startup:6.2f} s to import the CLI (python -c 'import archiver.cli')")
        print(f"lower bound         {best:6.2f} s = max(floor, CPU of the run / {used} cores {cpu_bound:.2f} s, "
              f"start-up + network {startup + net_floor:.2f} s): best ratio possible here {best / floor:.2f}")
        print(f"machine load        {os.getloadavg()[0]:6.2f} (1 min average; other work on the machine skews timings)")
        print(f"peak RSS            {run['rss_main'] / 1e6:6.0f} MB archiver process, "
              f"{run['rss_tree'] / 1e6:.0f} MB with extraction workers  (goal < 300 MB)")
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
