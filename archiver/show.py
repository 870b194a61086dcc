"""Reading what was archived: show a snapshot, make an offline copy, list a link's history, diff two snapshots.

Contract:

* A URL is looked up by its canonical form (:func:`archiver.urls.canonicalize`), so
  tracking parameters, a fragment or the host's case do not matter; the URL exactly as
  given is tried too. Nothing archived raises :class:`~archiver.errors.NotFoundError`
  (exit 1) with a message saying what *is* there (failed captures, the first capture date).
* "Latest" means the good snapshot with the greatest ``captured_at``; ``at`` picks the
  latest good snapshot captured at or before that moment; a snapshot id must belong to
  the URL given with it.
* :func:`offline_html` never lets the copy reach a server when opened: ``<script>`` elements,
  event-handler attributes and ``javascript:`` URLs are removed (lxml_html_clean, which knows
  the many spellings of script), ``<base>`` is resolved and every link made absolute (so
  links still lead to the live page when clicked), ``<meta http-equiv=refresh>``, resource
  hints (``preconnect``, ``dns-prefetch``, ``prefetch``...) and ``ping`` attributes are
  removed, and a Content-Security-Policy ``<meta>`` (:data:`OFFLINE_CSP`) is inserted first
  in ``<head>``, which blocks every outside request (images, styles, fonts, frames, media),
  with DNS prefetching of link hosts turned off. An SVG snapshot is shown inside ``<img>``
  (where it can neither run scripts nor fetch) in such a page.
  With ``live_resources`` the outside resources are allowed (:data:`LIVE_CSP` still forbids
  scripts, plugins and form submission). The copy is UTF-8 and says so.
* :func:`diff_snapshots` compares extracted texts line by line (``difflib.unified_diff``)
  and scores them with :func:`archiver.drift.similarity` (weighted shingle coverage,
  linear time), the measure ``archiver check`` uses.
* Only reads: nothing here writes to the store or touches the network.
"""

from __future__ import annotations

import contextlib
import difflib
import mimetypes
import os
import re
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from archiver.drift import similarity
from archiver.errors import ArchiverError, InvalidURLError, NotFoundError
from archiver.search import iso_bound, parse_stored_time, parse_time_bound
from archiver.store import queries
from archiver.store.checks import history as check_history
from archiver.types import Snapshot

OFFLINE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; media-src data:; "
    "frame-src 'none'; object-src 'none'; script-src 'none'; connect-src 'none'; "
    "form-action 'none'; base-uri 'none'"
)
LIVE_CSP = "script-src 'none'; object-src 'none'; form-action 'none'; base-uri 'none'"
_HINT_RELS = {"dns-prefetch", "preconnect", "prefetch", "preload", "prerender", "modulepreload", "manifest"}
_ICON_RELS = {"icon", "shortcut", "apple-touch-icon", "apple-touch-icon-precomposed", "mask-icon"}
_HTML_TYPES = {"text/html", "application/xhtml+xml"}
#: Image types that are documents able to run scripts and fetch resources when opened directly.
_ACTIVE_IMAGE_TYPES = {"image/svg+xml"}
_XML_TYPES = {"text/xml", "application/xml", "text/xsl"}


# ---------------------------------------------------------------------------
# Terminal output

#: C0 controls but tab and newline, DEL, and C1 controls -> a visible ``\\xNN``.
_CONTROLS = {c: f"\\x{c:02x}" for c in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]}


def terminal_safe(text: str) -> str:
    """``text`` with its control characters (escape sequences, carriage returns, bells...)
    made visible as ``\\xNN``, so archived content printed on a terminal cannot drive it
    (change the title, write the clipboard, hide lines). Tabs and newlines are kept."""
    return text.translate(_CONTROLS)


# ---------------------------------------------------------------------------
# Finding the link and the snapshot


def resolve_link(store: Any, url: str) -> tuple[int, str]:
    """``(link_id, canonical url)`` of the stored link a raw URL stands for.

    Raises :class:`NotFoundError` when nothing is archived for it, or
    :class:`InvalidURLError` when it is no http(s) URL and not stored as given either.
    """
    from archiver.urls import canonicalize

    candidates = [url, url.strip()]
    invalid: InvalidURLError | None = None
    try:
        candidates.insert(0, canonicalize(url.strip()))
    except InvalidURLError as exc:
        invalid = exc
    found = queries.link_id(queries.database_of(store), list(dict.fromkeys(candidates)))
    if found is not None:
        return found
    if invalid is not None:
        raise invalid
    raise NotFoundError("nothing archived for this URL", target=url)


def select_snapshot(
    store: Any, url: str | None = None, *, at: datetime | None = None, snapshot_id: int | None = None
) -> Snapshot:
    """The snapshot to show: ``snapshot_id``, else the latest good one of ``url`` at or before ``at``.

    Raises :class:`NotFoundError` when there is none (the message says why), or when
    ``snapshot_id`` belongs to another URL than ``url``.
    """
    db = queries.database_of(store)
    if snapshot_id is not None:
        owner = queries.link_of_snapshot(db, snapshot_id)
        if owner is None:
            raise NotFoundError(f"no snapshot with id {snapshot_id}", target=str(snapshot_id))
        if url is not None:
            link, canonical = resolve_link(store, url)
            if owner[0] != link:
                raise NotFoundError(f"snapshot {snapshot_id} is a capture of {owner[1]}, not of {canonical}")
        return store.snapshot(snapshot_id)
    if url is None:
        raise NotFoundError("give a URL or a snapshot id")
    link, canonical = resolve_link(store, url)
    # at or before ``at``, to the second: captured_at < at + 1 s
    bound = iso_bound(at + timedelta(seconds=1)) if at is not None else None
    chosen = queries.good_snapshot_id(db, link, at_or_before=bound)
    if chosen is not None:
        return store.snapshot(chosen)
    rows = queries.snapshots_for(db, link)
    good = [r for r in rows if r["ok"]]
    if at is not None and good:
        raise NotFoundError(
            f"no good snapshot at or before {at.isoformat()} (the first was captured {good[0]['captured_at']})",
            target=canonical,
        )
    if rows:
        last = rows[-1]
        why = last["error_kind"] or (f"HTTP {last['http_status']}" if last["http_status"] else "failed")
        raise NotFoundError(
            f"no good snapshot: {len(rows)} failed capture(s), the last on {last['captured_at']} ({why})",
            target=canonical,
        )
    raise NotFoundError("the link is known but was never captured", target=canonical)


def parse_at(text: str) -> datetime:
    """A ``--at`` value: a date means the end of that day (23:59:59 UTC); else as :func:`parse_time_bound`."""
    if re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", text):
        return parse_time_bound(text, end=True) - timedelta(seconds=1)
    return parse_time_bound(text)


# ---------------------------------------------------------------------------
# Bodies


def raw_body(store: Any, snap: Snapshot) -> bytes:
    """The exact bytes received for ``snap``. Raises :class:`NotFoundError` when none were stored."""
    if not snap.sha256:
        raise NotFoundError(f"snapshot {snap.id} has no stored body", target=snap.url)
    return store.read_blob(snap.sha256)


def is_text(snap: Snapshot) -> bool:
    """Whether the body is text that can be decoded (an encoding was decided when it was fetched)."""
    return snap.encoding is not None or (snap.content_type or "").startswith("text/")


def decoded_body(store: Any, snap: Snapshot) -> str:
    """The body decoded with the encoding decided at fetch time (UTF-8 when none; bad bytes replaced)."""
    if not is_text(snap):
        raise NotFoundError(
            f"snapshot {snap.id} is not a text document ({snap.content_type or 'unknown type'}); use --raw",
            target=snap.url,
        )
    data = raw_body(store, snap)
    try:
        return data.decode(snap.encoding or "utf-8", errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


# ---------------------------------------------------------------------------
# Offline copy


def _absolute_srcset(value: str, base: str) -> str:
    from urllib.parse import urljoin

    out = []
    for candidate in value.split(","):
        parts = candidate.strip().split(None, 1)
        if not parts:
            continue
        parts[0] = urljoin(base, parts[0])
        out.append(" ".join(parts))
    return ", ".join(out)


def offline_html(html: str, base_url: str, *, live_resources: bool = False, banner: str | None = None) -> str:
    """An HTML document made safe to open offline (see the module docstring). Returns the new document."""
    import lxml.html
    from lxml import etree
    from lxml_html_clean import Cleaner

    html = re.sub(r"^\s*<\?xml[^>]*\?>", "", html)  # lxml refuses str input with an encoding declaration
    try:
        doc = lxml.html.document_fromstring(html or "<html></html>")
    except etree.ParserError:
        doc = lxml.html.document_fromstring("<html><body></body></html>")
    from urllib.parse import urljoin

    base_href = doc.xpath("//base/@href")
    effective_base = urljoin(base_url, str(base_href[0]).strip()) if base_href else base_url
    doc.make_links_absolute(base_url, resolve_base_href=True, handle_failures="ignore")
    for el in doc.xpath("//*[@srcset]"):  # lxml does not rewrite srcset
        el.set("srcset", _absolute_srcset(el.get("srcset", ""), effective_base))
    # lxml_html_clean drops stylesheet <link>s when removing JavaScript (old browsers ran
    # script from CSS); modern browsers do not, and the CSP forbids scripts anyway, so
    # hide them from the cleaner under a private tag and restore them afterwards.
    for el in doc.iter("link"):
        if "stylesheet" in (el.get("rel") or "").lower():
            el.tag = "archiver-stylesheet"
    Cleaner(
        scripts=True,
        javascript=True,
        comments=False,
        style=False,
        inline_style=False,
        links=False,
        meta=False,
        page_structure=False,
        processing_instructions=True,
        embedded=False,
        frames=False,
        forms=False,
        annoying_tags=False,
        remove_unknown_tags=False,
        safe_attrs_only=False,
        add_nofollow=False,
    )(doc)
    for el in doc.iter("archiver-stylesheet"):
        el.tag = "link"
    for el in list(doc.iter("base")):
        el.drop_tree()
    for el in list(doc.iter("noscript")):  # scripts are gone, so their fallback content is what to show
        el.drop_tag()
    for el in list(doc.iter("meta")):
        equiv = (el.get("http-equiv") or "").lower()
        if el.get("charset") is not None or equiv in {"refresh", "content-type", "x-dns-prefetch-control"}:
            el.drop_tree()
    for el in list(doc.iter("link")):
        rels = set((el.get("rel") or "").lower().split())
        if rels & _HINT_RELS or (not live_resources and rels & _ICON_RELS):
            el.drop_tree()
    for el in doc.xpath("//*[@ping]"):
        del el.attrib["ping"]
    _secure_head(doc, live_resources=live_resources, banner=banner)
    return lxml.html.tostring(doc, doctype="<!DOCTYPE html>", encoding="unicode", method="html")


def _secure_head(doc: Any, *, live_resources: bool, banner: str | None) -> None:
    """Insert the CSP, charset, referrer and DNS-prefetch ``<meta>`` first in ``doc``'s head."""
    from lxml import etree

    head = doc.find("head")
    if head is None:
        head = etree.Element("head")
        doc.insert(0, head)
    metas = [
        ("http-equiv", "Content-Security-Policy", LIVE_CSP if live_resources else OFFLINE_CSP),
        ("charset", "utf-8", None),
        ("name", "referrer", "no-referrer"),
        # browsers may resolve the host names of links in advance: a lookup is a request too
        ("http-equiv", "x-dns-prefetch-control", "off"),
    ]
    for k, (attr, value, content) in enumerate(metas):
        meta = etree.Element("meta")
        meta.set(attr, value)
        if content is not None:
            meta.set("content", content)
        head.insert(k, meta)
    if banner:
        inert = banner.replace("<", "%3C").replace(">", "%3E").replace("--", "- -")
        head.insert(len(metas), etree.Comment(" " + inert + " "))


def svg_page(svg: bytes, *, banner: str | None = None) -> str:
    """An HTML page showing ``svg`` as an ``<img>`` (data: URI of its exact bytes), with the offline CSP.

    Inside ``<img>`` an SVG can neither run scripts nor fetch anything; opened directly, it could.
    """
    import base64

    import lxml.html

    doc = lxml.html.document_fromstring("<html><head></head><body></body></html>")
    img = lxml.html.Element("img", alt="archived image")
    img.set("src", "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii"))
    doc.find("body").append(img)
    _secure_head(doc, live_resources=False, banner=banner)
    return lxml.html.tostring(doc, doctype="<!DOCTYPE html>", encoding="unicode", method="html")


@dataclass(frozen=True)
class OfflineCopy:
    """Where :func:`write_offline_copy` wrote a snapshot, and what it was."""

    path: Path
    url: str
    snapshot_id: int
    captured_at: datetime
    content_type: str | None
    sanitized: bool
    live_resources: bool


def write_offline_copy(
    store: Any, snap: Snapshot, *, path: Path | None = None, live_resources: bool = False
) -> OfflineCopy:
    """Write ``snap``'s body to ``path`` (default: a new temporary file) for reading offline.

    HTML is rewritten by :func:`offline_html`; an SVG (a document that can run scripts) is
    shown as an ``<img>`` of its exact bytes in such a page; XML (which browsers render
    actively) is written byte for byte as ``.txt``; other types (PDF, plain text...) byte
    for byte under a matching extension.
    """
    content_type = (snap.content_type or "").lower()
    sanitized = content_type in _HTML_TYPES or content_type in _ACTIVE_IMAGE_TYPES
    banner = f"archived copy of {snap.final_url or snap.url}, captured {snap.captured_at.isoformat()}, " \
             f"snapshot {snap.id}"
    if content_type in _HTML_TYPES:
        html = offline_html(
            decoded_body(store, snap), snap.final_url or snap.url, live_resources=live_resources, banner=banner
        )
        data, suffix = html.encode("utf-8"), ".html"
    elif content_type in _ACTIVE_IMAGE_TYPES:
        # An SVG opened as a document runs its scripts and loads what it links to; inside an
        # <img> it can do neither, so it is shown as an image in a page with the same CSP.
        data, suffix = svg_page(raw_body(store, snap), banner=banner).encode("utf-8"), ".html"
    elif content_type in _XML_TYPES or content_type.endswith("+xml"):
        # A browser renders XML actively (XHTML-namespaced scripts run, xml-stylesheet is
        # fetched): the exact bytes go under .txt, which it shows as text.
        data, suffix = raw_body(store, snap), ".txt"
    else:
        data = raw_body(store, snap)
        suffix = mimetypes.guess_extension(snap.content_type or "") or ".bin"
    if path is None:
        fd, name = tempfile.mkstemp(prefix=f"archiver-{snap.id}-", suffix=suffix, dir=_copies_dir())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        path = Path(name)
    else:
        path.write_bytes(data)
    return OfflineCopy(path, snap.url, snap.id, snap.captured_at, snap.content_type, sanitized, live_resources)


#: Copies written without ``-o`` are removed by a later ``open`` once they are this old.
COPY_MAX_AGE = 24 * 3600


def _copies_dir() -> str | None:
    """The folder for copies written without a path: this user's ``archiver-copies`` in the
    temporary folder (copies older than :data:`COPY_MAX_AGE` are removed from it first, so
    the browser still finds today's file but they do not pile up). ``None`` (the temporary
    folder itself) when that folder cannot be made or belongs to someone else."""
    uid = os.getuid() if hasattr(os, "getuid") else None
    folder = Path(tempfile.gettempdir()) / (f"archiver-copies-{uid}" if uid is not None else "archiver-copies")
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        if uid is not None and (folder.is_symlink() or folder.stat().st_uid != uid):
            return None
        cutoff = time.time() - COPY_MAX_AGE
        for old in folder.glob("archiver-*"):
            with contextlib.suppress(OSError):
                if old.stat().st_mtime < cutoff:
                    old.unlink()
    except OSError:
        return None
    return str(folder)


# ---------------------------------------------------------------------------
# History


@dataclass(frozen=True)
class HistoryEvent:
    """One capture (``kind="snapshot"``) or re-check (``kind="check"``) of a link.

    ``status`` is ``ok`` or the error kind (``failed`` when unknown) for a snapshot, the
    :class:`~archiver.types.LinkStatus` value for a check. ``snapshot_id`` is the capture
    itself, or the snapshot a check compared against. ``streak`` (checks only) counts the
    consecutive checks, this one included, with the same status.
    """

    kind: str
    at: datetime
    status: str
    url: str
    snapshot_id: int | None = None
    http_status: int | None = None
    final_url: str | None = None
    title: str | None = None
    sha256: str | None = None
    size: int | None = None
    similarity: float | None = None
    detail: str | None = None
    streak: int | None = None


def history(store: Any, url: str) -> list[HistoryEvent]:
    """Every snapshot and check of the link ``url`` stands for, oldest first (a capture before a
    check made at the same instant). Raises :class:`NotFoundError` for an unknown link."""
    db = queries.database_of(store)
    link, canonical = resolve_link(store, url)
    events: list[tuple[datetime, int, int, HistoryEvent]] = []
    for row in queries.snapshots_for(db, link):
        when = parse_stored_time(row["captured_at"])
        status = "ok" if row["ok"] else (row["error_kind"] or "failed")
        event = HistoryEvent(
            kind="snapshot",
            at=when,
            status=status,
            url=canonical,
            snapshot_id=row["id"],
            http_status=row["http_status"],
            final_url=row["final_url"],
            title=row["title"],
            sha256=row["sha256"],
            size=row["size"],
            detail=row["error_message"] or row["extract_error"],
        )
        events.append((when, 0, len(events), event))
    for check in check_history(store, canonical):
        event = HistoryEvent(
            kind="check",
            at=check.checked_at,
            status=str(check.status),
            url=canonical,
            snapshot_id=check.snapshot_id,
            http_status=check.http_status,
            final_url=check.final_url,
            similarity=check.similarity,
            detail=check.detail or (str(check.error_kind) if check.error_kind else None),
            streak=check.streak,
        )
        events.append((event.at, 1, len(events), event))
    events.sort(key=lambda e: e[:3])
    return [e[3] for e in events]


# ---------------------------------------------------------------------------
# Diff


@dataclass(frozen=True)
class SnapshotDiff:
    """A unified diff of two snapshots' extracted texts, with their similarity (0..1)."""

    url: str
    old: Snapshot
    new: Snapshot
    similarity: float
    method: str
    lines: tuple[str, ...]

    @property
    def identical(self) -> bool:
        return not self.lines

    def as_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "from": {"snapshot_id": self.old.id, "captured_at": self.old.captured_at.isoformat(),
                     "sha256": self.old.sha256},
            "to": {"snapshot_id": self.new.id, "captured_at": self.new.captured_at.isoformat(),
                   "sha256": self.new.sha256},
            "similarity": self.similarity,
            "similarity_method": self.method,
            "identical": self.identical,
            "diff": "\n".join(self.lines),
        }


def diff_snapshots(
    store: Any, url: str, *, from_id: int | None = None, to_id: int | None = None, context: int = 3
) -> SnapshotDiff:
    """Diff the extracted text of two snapshots of ``url``: by default its first and latest good ones.

    Raises :class:`NotFoundError` for an unknown URL, no good snapshot, or an id of another link.
    """
    db = queries.database_of(store)
    link, canonical = resolve_link(store, url)
    if from_id is None:
        from_id = queries.good_snapshot_id(db, link, first=True)
    if to_id is None:
        to_id = queries.good_snapshot_id(db, link)
    if from_id is None or to_id is None:
        select_snapshot(store, url)  # raises with the reason
        raise NotFoundError("no good snapshot to compare", target=canonical)  # pragma: no cover
    old = select_snapshot(store, url, snapshot_id=from_id)
    new = select_snapshot(store, url, snapshot_id=to_id)
    for snap in (old, new):
        if not snap.ok and not snap.text:  # nothing was captured: a diff against "" would say "all changed"
            why = snap.error_message or (snap.error_kind.value if snap.error_kind else "no answer")
            raise ArchiverError(f"snapshot {snap.id} is a failed capture ({why}): it has no text to compare",
                                target=canonical)
    old_text, new_text = old.text or "", new.text or ""
    lines = tuple(
        line.rstrip("\n")
        for line in difflib.unified_diff(
            old_text.splitlines(),
            new_text.splitlines(),
            fromfile=f"snapshot {old.id} ({old.captured_at.isoformat()})",
            tofile=f"snapshot {new.id} ({new.captured_at.isoformat()})",
            n=context,
            lineterm="",
        )
    )
    # the drift measure of `archiver check`, named for people rather than after the module
    return SnapshotDiff(canonical, old, new, float(similarity(old_text, new_text)), "weighted shingle coverage", lines)


# ---------------------------------------------------------------------------
# JSON


def snapshot_json(snap: Snapshot, *, text: bool = True) -> dict[str, Any]:
    """The metadata (and extracted text) of a snapshot as a JSON-ready dict."""
    out: dict[str, Any] = {
        "snapshot_id": snap.id,
        "url": snap.url,
        "requested_url": snap.requested_url,
        "final_url": snap.final_url,
        "captured_at": snap.captured_at.isoformat(),
        "ok": snap.ok,
        "http_status": snap.http_status,
        "content_type": snap.content_type,
        "encoding": snap.encoding,
        "size": snap.size,
        "truncated": snap.truncated,
        "sha256": snap.sha256,
        "title": snap.title,
        "author": snap.author,
        "published": snap.published,
        "sitename": snap.sitename,
        "language": snap.language,
        "description": snap.description,
        "redirects": [{"url": h.url, "status": h.status} for h in snap.redirects],
        "headers": dict(snap.headers),
        "extract_error": snap.extract_error,
    }
    if text:
        out["text"] = snap.text
    return out
