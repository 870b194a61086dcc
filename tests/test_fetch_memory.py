"""Memory stays bounded: a 200 MB body and a gzip bomb are fetched with peak RSS under 150 MB.

Measured in a subprocess (a test process's peak covers its whole life) as its VmHWM, the
peak of its own address space (``ru_maxrss`` would include the spawning test process's peak);
the fake web runs in this process, so the subprocess's peak is the fetcher's alone.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from fakeweb import FakeWeb

PEAK_LIMIT_MB = 150

SCRIPT = r"""
import json, resource, sys
from archiver.config import FetchConfig
from archiver.fetch import fetch_one
config = FetchConfig(allow_private=True, max_bytes=int(sys.argv[2]), retries=0)
result = fetch_one(sys.argv[1], config=config)
size = result.body.size if result.body else None
spilled = bool(result.body and result.body.path)
if result.body:
    result.body.discard()
# VmHWM: the peak RSS of this process's own address space. ru_maxrss is not enough on
# Linux: it also keeps the high-water mark of the address space replaced by exec, i.e.
# the (possibly large) test process that spawned this one.
try:
    with open("/proc/self/status") as fh:
        peak_kb = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"peak_mb": peak_kb / 1024, "error": result.error, "size": size, "spilled": spilled}))
"""


def fetch_in_subprocess(url: str, max_bytes: int) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, url, str(max_bytes)], capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def web() -> FakeWeb:
    with FakeWeb() as fake:
        fake.huge("/big", size=200_000_000)
        fake.gzip_bomb("/bomb", size=10_000_000_000)
        yield fake


def test_200_mb_body_with_default_cap(web: FakeWeb) -> None:
    report = fetch_in_subprocess(web.url("/big"), 50_000_000)
    assert report["error"] == "too_large" and report["size"] == 50_000_000 and report["spilled"]
    assert report["peak_mb"] < PEAK_LIMIT_MB, report


def test_200_mb_body_read_whole_spills_to_disk(web: FakeWeb) -> None:
    report = fetch_in_subprocess(web.url("/big"), 300_000_000)
    assert report["error"] is None and report["size"] == 200_000_000 and report["spilled"]
    assert report["peak_mb"] < PEAK_LIMIT_MB, report


def test_gzip_bomb(web: FakeWeb) -> None:
    report = fetch_in_subprocess(web.url("/bomb"), 50_000_000)
    assert report["error"] == "too_large" and report["size"] == 50_000_000
    assert report["peak_mb"] < PEAK_LIMIT_MB, report
