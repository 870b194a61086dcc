"""Bench ``archiver check``: archive 400 pages over 8 hosts at 50 ms latency, change the web, check them all.

Prints the wall time of the check, links per second, the floor
max(politeness floor, extraction CPU / cores) and the ratio wall / floor (goal under 1.3),
then the confusion matrix of the classes found against the truth the fake web knows.

The politeness floor is (pages per host / per-host limit) x latency: the time the
fetcher's per-host limit alone imposes. Extraction CPU is measured by re-running, in this
process, every task the check sent to its extraction pool (``Tasks.submit`` is wrapped
to record them): for each changed body, the fast-path test (is the archived main text
found whole in the page?) and, when it fails, the trafilatura extraction; plus the probes.

Hosts 0-3 send ETags (unchanged pages answer 304 to the conditional request); hosts 4-7
do not (unchanged pages come back byte-identical and are not extracted again). Host 7
answers every missing page with the same 200 template (found by the probe). The run uses
``retries=0`` so the 500 pages (truth ``error``) do not add back-off time to the figure.

The check is timed ``--runs`` times (3) on the same changed web and the median is shown
(a shared machine's speed drifts); archiver's modules are compiled to bytecode first, as
an installed package's are. The check runs in a child process (as ``archiver check`` would), so it does not share the
fake web's GIL; ``--in-process`` runs it here instead. The extraction process pool is
started and warmed before the clock starts (its start-up time is printed apart). A reference line gives the time
the same URLs take to fetch alone (``fetch_many``: no extraction, no store) right after,
and the load average: on a shared machine, other processes' CPU shows in both.
``BENCH_TRACE=1`` prints when each phase of the run ended. The CPU the check used is
printed per part (the check process: fetching, judging, storing; the extraction workers;
the fake web's share), with the lower bound it sets on 2 cores, max(floor, CPU / cores):
a ratio above the goal can then be told apart from what the machine allows.

    python bench/bench_check.py
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from _common import compile_package, median_run  # noqa: E402
from check_cases import article_html, articles, harvest_of, rewrite_sentences  # noqa: E402
from fakeweb import FakeWeb  # noqa: E402

import archiver.check  # noqa: E402
import archiver.pool  # noqa: E402
from archiver.check import check  # noqa: E402
from archiver.config import FetchConfig  # noqa: E402
from archiver.fetch import fetch_many  # noqa: E402
from archiver.pipeline import PreparedSource, archive  # noqa: E402
from archiver.store.core import Store  # noqa: E402
from archiver.types import LinkStatus  # noqa: E402

HOSTS = 8
PER_HOST = 50
LATENCY = 0.05
CONFIG = FetchConfig(allow_private=True, retries=0)
CHALLENGE = (Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "check" / "cloudflare_challenge.html")
TEMPLATE = ("<html><head><title>Shop</title></head><body><main><h1>Welcome to the shop</h1><p>Browse our "
            "categories: garden furniture, kitchen tools, seeds and bulbs, outdoor lighting. Free delivery on "
            "orders over fifty euros and returns within thirty days.</p></main></body></html>")
# What happens to the 50 pages of each host: (truth, how many).
PLAN = [("ok", 30), ("boilerplate", 4), ("drifted", 4), ("moved", 3), ("dead404", 2), ("dead410", 1),
        ("home", 1), ("notfound", 1), ("challenge", 1), ("forbidden", 1), ("error", 2)]
TRUTH = {"ok": "ok", "boilerplate": "ok", "drifted": "drifted", "moved": "moved", "dead404": "dead",
         "dead410": "dead", "home": "soft404", "notfound": "soft404", "challenge": "blocked",
         "forbidden": "blocked", "error": "error", "template": "soft404"}


def make_text(rng: random.Random, vocab: list[str], n: int) -> str:
    """A made-up article: a title line and 5-7 paragraphs of 3-5 sentences."""
    def sentence() -> str:
        words = rng.choices(vocab, k=rng.randint(10, 24))
        return " ".join(words).capitalize() + "."

    title = " ".join(rng.choices(vocab, k=7)).capitalize() + f" {n}"
    paragraphs = [" ".join(sentence() for _ in range(rng.randint(3, 5))) for _ in range(rng.randint(5, 7))]
    return "\n".join([title, *paragraphs])


def padding(rng: random.Random, vocab: list[str]) -> str:
    """Site chrome that makes pages a realistic 20-40 KB: a long menu and an inline script."""
    links = "".join(f'<li><a href="/topic/{w}">{w.capitalize()}</a></li>' for w in rng.choices(vocab, k=300))
    script = "<script>var config = {" + ",".join(f'"{w}{i}": {i}' for i, w in enumerate(rng.choices(vocab, k=600)))
    return f"<ul class='menu'>{links}</ul>{script}}};</script>"


def page(text: str, chrome: str, byline: tuple[str, ...] = ("Published 3 March 2024", "1,204 views"),
         sidebar: str = "<h3>Related</h3><ul><li>One story</li><li>Another story</li></ul>") -> str:
    return article_html(text, sidebar=sidebar + chrome, byline=byline)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency", type=float, default=LATENCY)
    parser.add_argument("--in-process", action="store_true",
                        help="Run the check in this process, with the fake web (they then share one GIL).")
    parser.add_argument("--cold-pool", action="store_true",
                        help="Do not start the extraction pool before the clock: the check starts it, as a fresh "
                             "process does.")
    parser.add_argument("--runs", type=int, default=3, help="Checks to time (the median is reported).")
    args = parser.parse_args()
    compile_package()
    rng = random.Random(42)
    vocab = sorted({w.strip(".,:;").lower() for t in articles().values() for w in t.split() if w.isalpha()})
    config = CONFIG
    truth: dict[str, str] = {}

    with FakeWeb(hosts=HOSTS, latency=args.latency) as web, tempfile.TemporaryDirectory() as tmp:
        kinds = [k for k, n in PLAN for _ in range(n)]
        pages: dict[str, tuple[int, str, str, str, str]] = {}  # url -> (host, path, kind, text, chrome)
        for host in range(HOSTS):
            web.add("/", page(make_text(rng, vocab, -1), padding(rng, vocab)), host=host)
            host_kinds = list(kinds)
            if host == 7:
                host_kinds[:2] = ["template", "template"]
            rng.shuffle(host_kinds)
            for i, kind in enumerate(host_kinds):
                path = f"/articles/p{host}-{i}"
                text, chrome = make_text(rng, vocab, host * 100 + i), padding(rng, vocab)
                html = page(text, chrome)
                url = (web.conditional(path, html, etag=f'"{host}-{i}"', host=host) if host < 4
                       else web.add(path, html, host=host))
                pages[url] = (host, path, kind, text, chrome)
                truth[url] = TRUTH[kind]

        db = Path(tmp) / "bench.db"
        store = Store.open(db)
        start = time.perf_counter()
        report = archive([PreparedSource("/bench/article.md", harvest=harvest_of(list(pages), "/bench/article.md"))],
                         store=store, config=config)
        print(f"archived {len(report.outcomes)} pages in {time.perf_counter() - start:.1f} s "
              f"({sum(o.status.value == 'failed' for o in report.outcomes)} failed)")

        # change the web
        donors = [t for (_, _, _, t, _) in pages.values()]
        web.fallback(TEMPLATE, host=7)  # every missing page of host 7 answers the same 200 template
        for host, path, kind, text, chrome in pages.values():
            if kind == "boilerplate":
                html = page(text, chrome, byline=("Updated 9 May 2025", "88,310 views"),
                            sidebar="<h3>Most read</h3><ul><li>A new story</li><li>Yet another one</li></ul>")
                web.add(path, html, host=host)
            elif kind == "drifted":
                web.add(path, page(rewrite_sentences(text, rng.choice(donors), 0.6), chrome), host=host)
            elif kind == "moved":
                new = path.replace("/articles/", "/moved/")
                web.redirect(path, new, status=301, host=host)
                web.add(new, page(text, chrome), host=host)
            elif kind == "dead404":  # an explicit 404: on host 7 a removed page would answer the template
                web.always(path, status=404, body="<h1>Not Found</h1>", host=host)
            elif kind == "dead410":
                web.always(path, status=410, body="gone", host=host)
            elif kind == "home":
                web.redirect(path, "/", status=302, host=host)
            elif kind == "notfound":
                web.add(path, "<html><head><title>Page not found</title></head><body><h1>Page not found</h1>"
                        "<p>Sorry, the page you are looking for does not exist.</p></body></html>", host=host)
            elif kind == "challenge":
                web.add(path, CHALLENGE.read_text(), status=403, headers={"Server": "cloudflare"}, host=host)
            elif kind == "forbidden":
                web.always(path, status=401, body="login required", host=host)
            elif kind == "error":
                web.always(path, status=500, body="internal error", host=host)
            elif kind == "template":
                web.add(path, TEMPLATE, host=host)
        web.reset_counts()

        store.close()
        runs = []
        for _ in range(args.runs):  # the same check of the same changed web; the median wall time is shown
            web.reset_counts()
            web_cpu = time.process_time()
            if args.in_process:
                if args.cold_pool:
                    os.environ["BENCH_COLD_POOL"] = "1"
                summary, results = run_check(str(db))
            else:  # the check in its own process, as `archiver check` runs: it does not share the fake web's GIL
                env = {**os.environ, "BENCH_COLD_POOL": "1"} if args.cold_pool else None
                # Started with -c, not as this script: the extraction workers then re-import no main
                # module (as with `archiver check`, whose main module is tiny); with the script as
                # main, each worker would load this bench and the fake web first.
                code = f"import sys; sys.path.insert(0, {str(Path(__file__).resolve().parent)!r}); " \
                       f"import bench_check; bench_check.child({str(db)!r})"
                out = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE,
                                     text=True, check=True, env=env).stdout.splitlines()
                summary = json.loads(out[-1])
                results = [json.loads(line) for line in out[:-1]]
            web_cpu = time.process_time() - web_cpu
            # the requests the check made (to each host): every link, the redirects the changed web
            # answers with, and the probes
            requests = web.total() - int(summary["ref_requests"])
            by_host = [web.total(h) - summary["ref_by_host"].get(web.hostport(h), 0) for h in range(HOSTS)]
            runs.append((summary, results, requests, by_host, web_cpu))
        chosen, walls = median_run(runs, lambda r: r[0]["wall"])
        summary, results, requests, by_host, web_cpu = chosen
        command = None if args.in_process else run_command(db)

    wall, extraction_cpu = summary["wall"], summary["extraction_cpu"]
    cores = os.cpu_count() or 1
    politeness = PER_HOST / config.per_host * args.latency
    floor = max(politeness, extraction_cpu / cores)
    n = len(results)
    print(f"checked {n} links in {wall:.2f} s ({'in process' if args.in_process else 'child process'}): "
          f"{n / wall:.0f} links/s, {requests} requests (probes included); "
          f"{summary['examined']} changed bodies examined, {summary['extracted']} extracted")
    if len(walls) > 1:
        print(f"(the median of {len(walls)} checks of the same changed web: " + ", ".join(f"{w:.2f}" for w in walls)
              + " s; the figures below are that run's)")
    print(f"floor = max(politeness {politeness:.2f} s, extraction CPU {extraction_cpu:.2f} s / {cores} cores) "
          f"= {floor:.2f} s; ratio wall / floor = {wall / floor:.2f} (goal < 1.3)")
    needed = max(by_host) / config.per_host * args.latency
    print(f"(the politeness floor counts the {PER_HOST} links per host; with the redirects and probes the changed "
          f"web makes the check send, up to {max(by_host)} requests to a host, the per-host limit alone takes "
          f"{needed:.2f} s: wall / that = {wall / needed:.2f})")
    if summary["pool_start"]:
        print(f"(the extraction pool was started before the clock: {summary['pool_start']:.2f} s, paid once per "
              "process; --cold-pool counts it)")
    else:
        print("(the extraction pool was started on the clock, by the check)")
    if not args.in_process:
        # The fake web served the check and the fetch-alone reference: its CPU is shared out per request.
        web_share = web_cpu * requests / max(requests + int(summary["ref_requests"]), 1)
        run_cpu = summary["check_cpu"] + summary["workers_cpu"] + web_share
        best = max(floor, run_cpu / min(cores, 2))
        print(f"CPU of the check {run_cpu:.2f} s = check process {summary['check_cpu']:.2f} (fetching, judging, "
              f"storing) + extraction workers {summary['workers_cpu']:.2f} + fake web ~{web_share:.2f}; "
              f"lower bound max(floor, CPU / {min(cores, 2)} cores) = {best:.2f} s: best ratio possible here "
              f"{best / floor:.2f}")
    print(f"reference: the same {n} URLs fetched alone (fetch_many, no extraction, no store) take "
          f"{summary['fetch_only']:.2f} s; check / fetch alone = {wall / summary['fetch_only']:.2f}; "
          f"load average {os.getloadavg()[0]:.1f} on {cores} cores")

    if command is not None:
        cmd_wall, cmd_results = command
        right = sum(truth.get(r["url"]) == r["status"] for r in cmd_results)
        print(f"the command: `archiver check --json` on the same archive, a fresh process (Python start-up, "
              f"imports and the extraction pool's start included): {cmd_wall:.2f} s = {cmd_wall / floor:.2f} x "
              f"floor; {right}/{len(cmd_results)} classes right")
        for r in [r for r in cmd_results if truth.get(r["url"]) != r["status"]][:10]:
            print(f"  {r['url']}: truth {truth.get(r['url'])}, found {r['status']} ({r.get('detail')})")

    got = {r["url"]: r["status"] for r in results}
    classes = [s.value for s in LinkStatus if s is not LinkStatus.UNCHECKED]
    matrix = Counter((truth[u], got.get(u, "missing")) for u in truth)
    width = max(len(c) for c in classes) + 2
    print("\nconfusion matrix (rows: truth, columns: found)")
    print(" " * width + "".join(f"{c:>{width}}" for c in classes))
    for t in classes:
        if any(matrix[(t, c)] for c in [*classes, "missing"]):
            print(f"{t:<{width}}" + "".join(f"{matrix[(t, c)] or '.':>{width}}" for c in classes))
    right = sum(matrix[(c, c)] for c in classes)
    print(f"\naccuracy {right}/{len(truth)}")
    wrong = [(u, truth[u], got.get(u)) for u in truth if truth[u] != got.get(u)]
    for url, want, found in wrong[:10]:
        detail = next((r["detail"] for r in results if r["url"] == url), "")
        print(f"  {url}: truth {want}, found {found} ({detail})")


def run_command(db: Path) -> tuple[float, list[dict[str, object]]]:
    """Time ``archiver check --json`` on ``db`` in a fresh process (a second check of the same
    changed web): what a user waits for, start-up included."""
    cmd = [sys.executable, "-m", "archiver", "check", "--db", str(db), "--json", "--allow-private",
           "--retries", "0", "--fail-on", "none"]
    start = time.perf_counter()
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=True).stdout
    wall = time.perf_counter() - start
    return wall, [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def start_pool() -> float:
    """Start the extraction pool and warm trafilatura in its workers; return how long it took.

    A long-lived process pays this once; the figure is printed apart, not counted in the wall time.
    """
    from archiver.extract import extract_job
    from archiver.pipeline import DEFAULT_EXTRACT_WORKERS
    from archiver.pool import process_pool

    start = time.perf_counter()
    pool = process_pool(DEFAULT_EXTRACT_WORKERS, warm_justext=True)  # as check's own Tasks asks
    if pool is not None:
        job = ("text/html", article_html(articles()["bikes"]).encode(), "utf-8", "http://x/", "text/html")
        for future in [pool.submit(extract_job, job) for _ in range(4 * DEFAULT_EXTRACT_WORKERS)]:
            future.result()
    return time.perf_counter() - start


def run_check(db: str) -> tuple[dict[str, float], list[dict[str, object]]]:
    """Check every link of ``db``; return (wall time, extraction CPU, counts) and the results as dicts.

    Every task the check sends to its extraction pool is recorded, then re-run here to
    measure its CPU time.
    """
    tasks: list[tuple] = []  # type: ignore[type-arg]
    submit = archiver.pool.Tasks.submit

    def recording_submit(self, fn, *args, **callbacks):  # type: ignore[no-untyped-def]
        tasks.append((fn, args))
        return submit(self, fn, *args, **callbacks)

    pool_start = 0.0 if os.environ.get("BENCH_COLD_POOL") else start_pool()
    archiver.pool.Tasks.submit = recording_submit  # type: ignore[method-assign]
    if os.environ.get("BENCH_TRACE"):
        _trace()
    before = {proc.pid: _cpu_of([proc]) for proc in _pool_processes()}  # type: ignore[attr-defined]
    with Store.open(db) as store:
        start = time.perf_counter()
        cpu = time.process_time()
        results = list(check(store, config=CONFIG, rng=random.Random(1)))
        wall = time.perf_counter() - start
        check_cpu = time.process_time() - cpu
    # workers started by the check itself (--cold-pool) count whole
    workers_cpu = sum(_cpu_of([proc]) - before.get(proc.pid, 0.0) for proc in _pool_processes())  # type: ignore[attr-defined]
    archiver.pool.Tasks.submit = submit  # type: ignore[method-assign]
    cpu_start = time.process_time()
    extracted = 0
    for fn, fn_args in tasks:
        out = fn(*fn_args)
        extracted += fn is not archiver.check.examine or out[0] is None
    extraction_cpu = time.process_time() - cpu_start
    # reference: the same URLs fetched alone (no extraction, no store), right after
    start = time.perf_counter()
    ref_requests = 0
    ref_by_host: Counter[str] = Counter()
    for fetched in fetch_many([r.url for r in results], config=CONFIG):
        ref_requests += len(fetched.redirects) + 1
        ref_by_host[fetched.url.split("/")[2]] += len(fetched.redirects) + 1
        if fetched.body is not None:
            fetched.body.discard()
    fetch_only = time.perf_counter() - start
    summary = {"wall": wall, "extraction_cpu": extraction_cpu, "examined": len(tasks), "extracted": extracted,
               "fetch_only": fetch_only, "ref_requests": ref_requests, "ref_by_host": ref_by_host,
               "pool_start": pool_start,
               "check_cpu": check_cpu, "workers_cpu": workers_cpu}
    return summary, [{"url": r.url, "status": r.status.value, "detail": r.detail} for r in results]


def _pool_processes() -> list[object]:
    """The extraction pool's worker processes (psutil handles)."""
    import psutil

    from archiver import pool as pool_module

    pool = pool_module._POOL
    procs = []
    for proc in (getattr(pool, "_processes", None) or {}).values():
        with contextlib.suppress(psutil.Error):
            procs.append(psutil.Process(proc.pid))
    return procs


def _cpu_of(procs: list[object]) -> float:
    """User + system CPU seconds of ``procs`` so far."""
    import psutil

    total = 0.0
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            times = proc.cpu_times()  # type: ignore[attr-defined]
            total += times.user + times.system
    return total


def _trace() -> None:
    """Print when each phase of the run ends (BENCH_TRACE=1), to standard error."""
    run = archiver.check._Run
    t0 = time.perf_counter()
    take, drain, late_probes = run.take, run.drain, run.late_probes
    first = []

    def mark(what: str) -> None:
        print(f"  {time.perf_counter() - t0:6.2f} s  {what}", file=sys.stderr)

    def traced_take(self, url, result):  # type: ignore[no-untyped-def]
        if not first:
            first.append(1)
            mark("first fetch result")
        return take(self, url, result)

    def traced_drain(self, block):  # type: ignore[no-untyped-def]
        if block:
            mark("fetch loop done")
        drain(self, block)
        if block:
            mark("examinations drained")

    def traced_late_probes(self):  # type: ignore[no-untyped-def]
        late = len(self.late)
        late_probes(self)
        mark(f"late probes done ({late}; {len(self.probes) - late} probed during the main pass)")

    run.take, run.drain = traced_take, traced_drain  # type: ignore[method-assign]
    run.late_probes = traced_late_probes  # type: ignore[method-assign]
    load = archiver.check.checks_sql.latest_good_snapshots

    def traced_load(store, urls):  # type: ignore[no-untyped-def]
        mark("selected links")
        out = load(store, urls)
        mark("snapshots loaded")
        return out

    archiver.check.checks_sql.latest_good_snapshots = traced_load  # type: ignore[attr-defined]
    workers = archiver.pool.Tasks
    warm = workers.warm
    submitted = workers.submit

    def traced_warm(self):  # type: ignore[no-untyped-def]
        mark("pool starting")
        warm(self)

        def ready() -> None:  # the pool is made by the tasks' own thread
            deadline = time.monotonic() + 10
            while self.pool is None and time.monotonic() < deadline:
                time.sleep(0.002)
            if self.pool is not None:
                self.pool.submit(archiver.pool._ready).add_done_callback(lambda f: mark("pool ready"))

        threading.Thread(target=ready, daemon=True).start()

    def traced_submit(self, fn, *args, done, fallback):  # type: ignore[no-untyped-def]
        n = getattr(self, "_n", 0) + 1
        self._n = n

        def finished(value):  # type: ignore[no-untyped-def]
            self._d = getattr(self, "_d", 0) + 1
            if self._d in (1, 20, 40, 60):
                mark(f"{self._d} pool tasks done ({n} submitted)")
            done(value)

        return submitted(self, fn, *args, done=finished, fallback=fallback)

    workers.warm, workers.submit = traced_warm, traced_submit  # type: ignore[method-assign]


def child(db: str) -> None:
    summary, results = run_check(db)
    for r in results:
        print(json.dumps(r))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
