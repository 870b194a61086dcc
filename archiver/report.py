"""The citation report of an article: every citation, its archived copy, its state and what to do.

Contract of :func:`build_report` (reads the store, never the network): the article is
read as it is now (:func:`archiver.verify.load_article`), its citations and quotations
are checked (:func:`archiver.verify.verify_article`) and each citation gets an
:class:`Action`:

- ``ok``: archived, and the last check found nothing wrong (or it was never checked);
- ``replace``: the link moved (``check`` said ``moved``): cite the new URL (``replacement``);
- ``use_archive``: the link is dead, a soft 404, drifted, blocked or failing: point readers
  to the archived copy;
- ``archive``: never archived yet (run ``archiver archive``), also when the last check
  was ``blocked`` or ``error`` (the site refused archiver or could not be judged: the
  page is not known to be gone);
- ``lost``: broken (dead, soft 404, moved without a new URL) and never archived: find
  another source.

Unlike ``verify``, a report is made even when nothing is archived (that is what it says).

Renderers (:func:`render`, one per format) are pure functions of a :class:`Report`:

- ``md``: tables of citations and quotations, and the citations lacking a public copy;
- ``html``: ONE self-contained file. A Content-Security-Policy (``default-src 'none'``)
  and the absence of any script mean opening it contacts no server. Each archived copy's
  extracted text is embedded once, in a ``<details id="snapshot-N">`` the citations link
  to, so every copy can be read offline. Each citation is a Robust Link: an anchor with
  ``href`` and ``data-originalurl`` set to the canonical URL, and ``data-versionurl`` /
  ``data-versiondate`` ONLY where a public archived copy is known (a local snapshot is no
  public address; none is known yet). The report lists the citations still lacking one.
- ``json``: JSON lines: one ``{"kind": "report"}`` summary, one ``{"kind": "citation"}``
  per citation (with ``action``), one ``{"kind": "quote"}`` per quotation;
- ``csv``: one row per citation, header first (:data:`CSV_FIELDS`); a cell that would start
  a spreadsheet formula is prefixed with ``'``.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from archiver.store import reports as queries
from archiver.store.core import Store
from archiver.types import LinkStatus
from archiver.verify import (
    DEFAULT_THRESHOLD,
    CitationCheck,
    QuoteCheck,
    QuoteStatus,
    Verification,
    load_article,
    verify_article,
)

__all__ = [
    "CSV_FIELDS",
    "FORMATS",
    "Action",
    "Report",
    "ReportEntry",
    "build_report",
    "decide",
    "render",
]


class Action(StrEnum):
    """What the writer should do about one citation."""

    OK = "ok"
    REPLACE = "replace"
    USE_ARCHIVE = "use_archive"
    ARCHIVE = "archive"
    LOST = "lost"


ACTION_TEXT: dict[Action, str] = {
    Action.OK: "ok",
    Action.REPLACE: "replace with the new URL",
    Action.USE_ARCHIVE: "use the archived copy",
    Action.ARCHIVE: "not archived yet: run archiver archive",
    Action.LOST: "broken and never archived: find another source",
}

_BROKEN = {LinkStatus.DEAD, LinkStatus.SOFT404, LinkStatus.DRIFTED, LinkStatus.BLOCKED, LinkStatus.ERROR}
#: Classes that say the site refused archiver or could not be judged, not that the page is gone.
_UNKNOWN = {LinkStatus.BLOCKED, LinkStatus.ERROR}


def _is_web_url(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


def decide(citation: CitationCheck) -> tuple[Action, str | None]:
    """The action for one citation and, for ``replace``, the new URL (see module doc)."""
    status = citation.status
    if status is LinkStatus.MOVED and citation.check and citation.check.final_url:
        new = citation.check.final_url
        if new != citation.url and _is_web_url(new):  # never recommend a javascript:/data: "URL"
            return Action.REPLACE, new
    if status in _UNKNOWN and not citation.archived:  # not known to be broken: archive it, do not give up
        return Action.ARCHIVE, None
    if status in _BROKEN or status is LinkStatus.MOVED:
        return (Action.USE_ARCHIVE if citation.archived else Action.LOST), None
    return (Action.OK if citation.archived else Action.ARCHIVE), None


@dataclass(frozen=True)
class ReportEntry:
    """One citation of the report, numbered from 1 in order of appearance."""

    number: int
    citation: CitationCheck
    action: Action
    replacement: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON form: the citation's verify form plus ``number``, ``action``, ``replacement``..."""
        out = self.citation.as_dict()
        out.update(
            number=self.number,
            column=self.citation.citation.column,
            action=str(self.action),
            replacement=self.replacement,
            public_url=self.citation.public_url,
            public_date=self.citation.public_date.isoformat() if self.citation.public_date else None,
        )
        return out


@dataclass(frozen=True)
class Report:
    """A citation report: the entries, the quotation checks and the archived texts to embed.

    ``texts`` maps snapshot id -> extracted text of every archived copy the entries cite.
    """

    source: str
    generated_at: datetime
    entries: tuple[ReportEntry, ...]
    quotes: tuple[QuoteCheck, ...]
    texts: Mapping[int, str]
    notes: tuple[str, ...] = ()

    @property
    def without_public_copy(self) -> list[str]:
        """Distinct URLs of the citations that still lack a public archived copy."""
        return list(dict.fromkeys(e.citation.url for e in self.entries if not e.citation.public_url))

    def summary(self) -> dict[str, Any]:
        urls = {e.citation.url for e in self.entries}
        return {
            "kind": "report",
            "source": self.source,
            "generated_at": self.generated_at.isoformat(timespec="seconds"),
            "citations": len(self.entries),
            "links": len(urls),
            "archived": sum(1 for e in self.entries if e.citation.archived),
            "needs_action": sum(1 for e in self.entries if e.action is not Action.OK),
            "quotations": len(self.quotes),
            "quotations_not_found": sum(1 for q in self.quotes if q.status is QuoteStatus.NOT_FOUND),
            "possibly_misattributed": sum(1 for q in self.quotes if q.misattributed),
            "without_public_copy": self.without_public_copy,
        }


def report_from(verification: Verification, texts: Mapping[int, str], *, now: datetime | None = None) -> Report:
    """Assemble a :class:`Report` from a verification and the archived texts (pure)."""
    entries = []
    for n, cit in enumerate(verification.citations, start=1):
        action, replacement = decide(cit)
        entries.append(ReportEntry(number=n, citation=cit, action=action, replacement=replacement))
    return Report(
        source=verification.article.locator,
        generated_at=now or datetime.now(UTC),
        entries=tuple(entries),
        quotes=verification.quotes,
        texts=dict(texts),
        notes=verification.notes,
    )


def build_report(
    store: Store,
    spec: str | Path,
    *,
    anywhere: bool = False,
    threshold: float = DEFAULT_THRESHOLD,
    now: datetime | None = None,
) -> Report:
    """Read the article ``spec`` as it is now and build its citation report (see module doc).

    Raises :class:`~archiver.errors.SourceError` when the article cannot be read (or is a
    URL never archived).
    """
    article = load_article(store, str(spec))
    verification = verify_article(store, article, anywhere=anywhere, threshold=threshold)
    ids = {c.snapshot.id for c in verification.citations if c.snapshot}
    texts = {i: s.text or "" for i, s in queries.snapshots_by_id(store, ids).items()}
    return report_from(verification, texts, now=now)


# -- renderers ---------------------------------------------------------------------------


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def render_json(report: Report) -> str:
    """JSON lines: the summary, then one object per citation, then one per quotation."""
    lines = [report.summary()]
    lines += [e.as_dict() for e in report.entries]
    lines += [q.as_dict() for q in report.quotes]
    return "".join(json.dumps(obj, ensure_ascii=False) + "\n" for obj in lines)


#: Columns of the CSV report, in order.
CSV_FIELDS = (
    "number", "line", "column", "raw", "url", "archived", "snapshot_id", "captured_at", "sha256", "title",
    "check", "checked_at", "action", "replacement", "public_url", "last_error",
)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    """A CSV cell a spreadsheet will not run: text starting like a formula gets a leading ``'``
    (OWASP's advice against CSV injection; page titles are written by strangers)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def render_csv(report: Report) -> str:
    """One row per citation (columns :data:`CSV_FIELDS`), header first; booleans as ``yes``/``no``;
    text that a spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@``...) starts with ``'``."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for entry in report.entries:
        row = entry.as_dict()
        row["archived"] = "yes" if row["archived"] else "no"
        writer.writerow({k: "" if row.get(k) is None else _cell(row[k]) for k in CSV_FIELDS})
    return out.getvalue()


def _not_archived(c: CitationCheck) -> str:
    """"not archived", with why the last capture failed (or that none was made)."""
    if c.last_error and c.failure is not None:
        return f"not archived (last capture failed: {c.last_error}, {_when(c.failure.captured_at)})"
    return "not archived (never captured)"


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\|<>[]`"})


def _md(text: object) -> str:
    """Text for a Markdown table cell or line: one line; ``\\ | < > [ ] ` `` backslash-escaped, so
    archived text (a page title...) never becomes raw HTML, a link or a code span in a renderer."""
    value = " ".join(str(text if text is not None else "").split())
    return value.translate(_MD_SPECIAL)


def _quote_where(q: QuoteCheck) -> str:
    if q.status is QuoteStatus.NOT_FOUND:
        return "not found in the archived sources"
    where = f"{q.scope}: {q.url}"
    if q.misattributed:
        where += " (POSSIBLY MISATTRIBUTED: found only in a source cited elsewhere in the article)"
    return where


def render_markdown(report: Report) -> str:
    """A Markdown document: summary, citations table, quotations table, citations lacking a public copy."""
    s = report.summary()
    out = [
        f"# Citation report: {_md(report.source)}",
        "",
        f"Generated {_when(report.generated_at)}. {s['citations']} citations of {s['links']} links;"
        f" {s['archived']} archived; {s['needs_action']} need action.",
        "",
    ]
    out += [f"> {_md(note)}" for note in report.notes]
    if report.notes:
        out.append("")
    out += [
        "## Citations",
        "",
        "| # | Line | Cited as | Canonical URL | Archived copy | Last check | Action |",
        "|---|---|---|---|---|---|---|",
    ]
    for e in report.entries:
        c = e.citation
        snap = c.snapshot
        archived = (
            f"{_when(snap.captured_at)}, snapshot {snap.id}, sha256 {(snap.sha256 or '')[:12]}, “{snap.title or ''}”"
            if snap
            else _not_archived(c)
        )
        check = f"{c.status}" + (f" ({_when(c.check.checked_at)})" if c.check else "")
        action = ACTION_TEXT[e.action] + (f": {e.replacement}" if e.replacement else "")
        out.append(
            f"| {e.number} | {c.citation.line} | {_md(c.citation.raw)} | {_md(c.url)} | {_md(archived)}"
            f" | {_md(check)} | {_md(action)} |"
        )
    if not report.entries:
        out += ["", "No link is cited in this article."]
    out += ["", "## Quotations", ""]
    if report.quotes:
        out += ["| Line | Quotation | Status | Similarity | Where |", "|---|---|---|---|---|"]
        for q in report.quotes:
            out.append(
                f"| {q.line} | “{_md(q.quote)}” | {q.status} | {q.similarity:.2f} | {_md(_quote_where(q))} |"
            )
    else:
        out.append("No quotation of six words or more.")
    missing = report.without_public_copy
    out += ["", "## Citations without a public archived copy", ""]
    if missing:
        out.append(f"{len(missing)} of {s['links']} links have no public archived copy yet (only the local one):")
        out.append("")
        out += [f"- {_md(url)}" for url in missing]
    else:
        out.append("Every citation has a public archived copy.")
    return "\n".join(out) + "\n"


_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border:1px solid #ccc;padding:.3rem .5rem;
vertical-align:top;text-align:left}th{background:#f3f3f3}code{font-size:90%;word-break:break-all}
.action-ok{color:#176b2c}.action-replace,.action-use_archive{color:#8a5a00}.action-archive,.action-lost{color:#b00020}
.flag{color:#b00020;font-weight:bold}details{margin:.6rem 0;border:1px solid #ddd;padding:.4rem .8rem}
summary{cursor:pointer}.copy p{margin:.4rem 0}
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def robust_link(entry: ReportEntry) -> str:
    """The citation as a Robust Link anchor: ``data-versionurl``/``-versiondate`` only for a public copy."""
    c = entry.citation
    attrs = [("href", c.url), ("data-originalurl", c.url)] if _is_web_url(c.url) else [("data-originalurl", c.url)]
    if c.public_url and _is_web_url(c.public_url):
        attrs.append(("data-versionurl", c.public_url))
        if c.public_date:
            attrs.append(("data-versiondate", c.public_date.strftime("%Y-%m-%d")))
    text = c.citation.anchor or c.citation.raw
    joined = " ".join(f'{k}="{_e(v)}"' for k, v in attrs)
    return f"<a {joined}>{_e(text)}</a>"


def render_html(report: Report) -> str:
    """One self-contained HTML file (see module doc): no script, no outside request, copies embedded."""
    s = report.summary()
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="referrer" content="no-referrer">',
        '<meta http-equiv="x-dns-prefetch-control" content="off">',
        f"<title>Citation report: {_e(report.source)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>Citation report: {_e(report.source)}</h1>",
        f"<p>Generated {_e(_when(report.generated_at))}. {s['citations']} citations of {s['links']} links;"
        f" {s['archived']} archived; {s['needs_action']} need action. Archived copies are embedded below"
        " and readable offline; opening this file contacts no server.</p>",
    ]
    parts += [f"<p><em>{_e(note)}</em></p>" for note in report.notes]
    parts += [
        '<h2 id="citations">Citations</h2>',
        "<table><thead><tr><th>#</th><th>Line</th><th>Citation (Robust Link)</th><th>Archived copy</th>"
        "<th>Last check</th><th>Action</th></tr></thead><tbody>",
    ]
    for e in report.entries:
        c = e.citation
        snap = c.snapshot
        link = robust_link(e)
        cell = f"{link}<br><code>{_e(c.url)}</code>"
        if c.citation.raw != c.url:
            cell += f"<br>cited as <code>{_e(c.citation.raw)}</code>"
        cell += f"<details><summary>Robust Link HTML</summary><code>{_e(link)}</code></details>"
        if snap:
            archived = (
                f"{_e(_when(snap.captured_at))}<br>“{_e(snap.title or '')}”<br>sha256 <code>{_e(snap.sha256)}</code>"
                f'<br><a href="#snapshot-{snap.id}">read the archived copy (snapshot {snap.id})</a>'
            )
        else:
            archived = _e(_not_archived(c))
        check = _e(c.status) + (f"<br>{_e(_when(c.check.checked_at))}" if c.check else "")
        action = _e(ACTION_TEXT[e.action])
        if e.replacement and _is_web_url(e.replacement):
            action += f': <a href="{_e(e.replacement)}">{_e(e.replacement)}</a>'
        elif e.replacement:
            action += f": <code>{_e(e.replacement)}</code>"
        parts.append(
            f'<tr id="citation-{e.number}"><td>{e.number}</td><td>{c.citation.line}</td><td>{cell}</td>'
            f'<td>{archived}</td><td>{check}</td><td class="action-{e.action}">{action}</td></tr>'
        )
    parts.append("</tbody></table>")
    parts.append('<h2 id="quotations">Quotations</h2>')
    if report.quotes:
        parts.append(
            "<table><thead><tr><th>Line</th><th>Quotation</th><th>Status</th><th>Similarity</th>"
            "<th>Where</th></tr></thead><tbody>"
        )
        for q in report.quotes:
            if q.status is QuoteStatus.NOT_FOUND:
                where = "not found in the archived sources"
            else:
                anchor = f'<a href="#snapshot-{q.snapshot_id}">' if q.snapshot_id in report.texts else ""
                where = f"{_e(q.scope)}: {anchor}{_e(q.url)}{'</a>' if anchor else ''}"
                if q.misattributed:
                    where += (
                        '<br><span class="flag">possibly misattributed: found only in a source cited'
                        " elsewhere in the article</span>"
                    )
                where += f"<br><small>“{_e(q.passage)}”</small>"
            parts.append(
                f"<tr><td>{q.line}</td><td>“{_e(q.quote)}”</td><td>{_e(q.status)}</td>"
                f"<td>{q.similarity:.2f}</td><td>{where}</td></tr>"
            )
        parts.append("</tbody></table>")
    else:
        parts.append("<p>No quotation of six words or more.</p>")
    missing = report.without_public_copy
    parts.append('<h2 id="public-copies">Citations without a public archived copy</h2>')
    if missing:
        parts.append(
            f"<p>{len(missing)} of {s['links']} links have no public archived copy yet: their Robust Links"
            " carry no <code>data-versionurl</code>. The local snapshot below is not a public address.</p><ul>"
        )
        parts += [f"<li><code>{_e(url)}</code></li>" for url in missing]
        parts.append("</ul>")
    else:
        parts.append("<p>Every citation has a public archived copy.</p>")
    parts.append('<h2 id="copies">Archived copies</h2>')
    shown: set[int] = set()
    for e in report.entries:
        snap = e.citation.snapshot
        if snap is None or snap.id in shown:
            continue
        shown.add(snap.id)
        text = report.texts.get(snap.id, "")
        paragraphs = [p for p in text.split("\n") if p.strip()] or ["(no text was extracted from this page)"]
        body = "".join(f"<p>{_e(p)}</p>" for p in paragraphs)
        parts.append(
            f'<details id="snapshot-{snap.id}"><summary>{_e(snap.title or snap.url)} — {_e(snap.url)}'
            f" — captured {_e(_when(snap.captured_at))}</summary>"
            f"<p><small>snapshot {snap.id}, sha256 <code>{_e(snap.sha256)}</code>, final URL"
            f" <code>{_e(snap.final_url or snap.url)}</code></small></p>"
            f'<div class="copy">{body}</div></details>'
        )
    if not shown:
        parts.append("<p>No archived copy.</p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


_RENDERERS: dict[str, Callable[[Report], str]] = {
    "md": render_markdown,
    "html": render_html,
    "json": render_json,
    "csv": render_csv,
}
#: The formats :func:`render` knows.
FORMATS = tuple(_RENDERERS)


def render(report: Report, fmt: str = "md") -> str:
    """The report as text in format ``fmt`` (one of :data:`FORMATS`)."""
    try:
        renderer = _RENDERERS[fmt]
    except KeyError:
        from archiver.errors import ArchiverError

        raise ArchiverError(f"unknown report format {fmt!r} (choose one of {', '.join(FORMATS)})") from None
    return renderer(report)
