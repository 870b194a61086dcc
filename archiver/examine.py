"""What ``check`` does in its extraction workers: is a changed page still the archived text?

Kept apart from :mod:`archiver.check` so the extraction forkserver can preload it: a worker
that unpickles ``archiver.check.examine`` would first import the whole check stack (the
store, sqlite-utils...) at its first task. Light on purpose: :mod:`archiver.extract`,
:mod:`archiver.drift` and :mod:`archiver.soft404` only. Everything here is re-exported by
:mod:`archiver.check`.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from archiver.drift import containment, similarity
from archiver.extract import HTML_TYPES, extract_job
from archiver.soft404 import visible_text
from archiver.types import Extracted, FetchResult, Snapshot

__all__ = [
    "FAST_PATH_CONTAINMENT",
    "FAST_PATH_GROWTH",
    "FAST_PATH_MAX_BYTES",
    "FAST_PATH_MIN_WORDS",
    "examine",
    "fast_path_score",
    "unchanged_text",
]

#: The fast path (see :func:`fast_path_score`): the share of the archived main text that must
#: be found in today's page, the most it may have grown, the fewest words it must have, and
#: the largest page it applies to.
FAST_PATH_CONTAINMENT = 0.98
FAST_PATH_GROWTH = 1.5
FAST_PATH_MIN_WORDS = 50
FAST_PATH_MAX_BYTES = 5_000_000


def fast_path_score(old_text: str | None, old_size: int | None, data: bytes, encoding: str | None) -> float | None:
    """The fast path: the containment of the archived main text ``old_text`` in the visible text
    of today's HTML ``data``, when at least :data:`FAST_PATH_CONTAINMENT`; else ``None``.

    Only when the archived text has at least :data:`FAST_PATH_MIN_WORDS` words and the page
    is not much larger than the archived body (at most :data:`FAST_PATH_GROWTH` times
    ``old_size``). Then the archived main text is found whole in the page, date lines and
    counters aside, so the page is ``ok`` (or ``moved``) without running the extractor:
    pages whose bytes change on every visit (ads, tokens, counters) are the common case,
    and extraction is the CPU cost of a check.
    """
    if not old_text or len(old_text.split()) < FAST_PATH_MIN_WORDS or len(data) > FAST_PATH_MAX_BYTES:
        return None
    if old_size and len(data) > FAST_PATH_GROWTH * old_size:
        return None
    page = html.unescape(visible_text(data.decode(encoding or "utf-8", errors="replace")))
    score = containment(old_text, page)
    return score if score >= FAST_PATH_CONTAINMENT else None


def unchanged_text(snapshot: Snapshot | None, result: FetchResult) -> float | None:
    """:func:`fast_path_score` of an HTML fetch result against a snapshot (``None`` when not applicable)."""
    if snapshot is None or result.body is None or not result.is_html:
        return None
    return fast_path_score(snapshot.text, snapshot.size, result.body.read(), result.encoding)


def examine(job: tuple[Any, ...], old_text: str | None, old_size: int | None,
            metadata: bool = True) -> tuple[float | None, Extracted, float | None]:
    """Worker-process task for a changed body: ``(score, Extracted(), None)`` when the fast
    path holds, else ``(None, extraction, similarity)`` where ``similarity`` is
    :func:`~archiver.drift.similarity` of ``old_text`` and the extracted text (``None`` when
    either is empty). ``job`` comes from :func:`archiver.extract.job_for`. Never raises.

    The similarity is measured here, in the worker process, rather than when the page is
    judged: the judging thread shares one interpreter lock with the download threads, and
    shingling two articles is the largest part of a judgement.
    ``metadata=False`` extracts the text, title and language only (enough to judge the page;
    a page that becomes a new snapshot needs the rest)."""
    kind, payload, encoding = job[0], job[1], job[2]
    if old_text and kind in HTML_TYPES:
        try:
            data = payload if isinstance(payload, bytes) else Path(payload).read_bytes()
            score = fast_path_score(old_text, old_size, data, encoding)
        except (OSError, TypeError, ValueError):
            score = None
        if score is not None:
            return score, Extracted(), None
    extracted = extract_job(job, metadata)  # type: ignore[arg-type]
    sim = similarity(old_text, extracted.text) if old_text and extracted.text else None
    return None, extracted, sim
