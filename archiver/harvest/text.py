"""Finding URLs in plain text.

What counts as a link (see :func:`find_urls`):

* ``scheme://...`` (only http/https are harvested; ``ftp://``, ``file://``... are reported as skipped);
* ``www.``-prefixed hosts, with or without a path;
* ``host.tld/path`` (also ``host.tld?query``, ``host.tld:port/...``) when ``tld`` is a real top-level
  domain (the IANA list shipped with linkify-it-py);
* a bare ``host.tld`` only when ``bare_domains=True`` (``interfax.ru`` in prose is usually a name).

E-mail addresses and the domains inside them are never links. The end of a URL is trimmed of
trailing punctuation (``. , ; : ! ? '`` and non-ASCII punctuation such as ``” » …``) and of closing
brackets that do not balance an opening one inside the URL, so ``(see https://x.org/a)`` gives
``https://x.org/a`` while ``https://en.wikipedia.org/wiki/Mercury_(planet)`` stays whole. URLs stop at
white space, ``< > " `` and CJK/typographic quotes and brackets.

Why a hand-written regular expression rather than linkify-it-py (measured, see
``bench/bench_harvest.py``): linkify-it-py gets most of its own fixtures right but is far too slow
for long articles. Its ``match()`` re-slices the remaining text after every hit (quadratic), and even
line by line it took 8.2 s on the 5 MB / 20,000-link benchmark against the 2 s goal. This finder is
one compiled regex (behind a cheap prefilter) plus a trimming pass: about 1 s of CPU for the whole
harvest of that article, finding being about 0.3 s of it. On linkify-it's fixtures (links.txt, 119
cases) it finds the expected link in 92 cases and rejects 19 e-mail cases on purpose; the other
8 are deliberate choices: no scheme-relative ``//host`` links, no bare IPs without a scheme, ``"``
ends a URL (not a legal URL character; it ends quoted URLs in prose), a symbol host (``➡.ws``) is
not a link, and ``ftp://`` is found but skipped. It rejects 15 of the 18 not_links.txt cases
(accepted: ``http://-example.com``, ``http://a.b--c.de/``, ``http://example.com_``, which browsers
open too). Bare domains need ``--bare-domains``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from archiver.harvest._common import TextIndex, collapse, collect, make_citation, sentence_around
from archiver.types import Citation, Skipped

# Characters that end a URL: white space and controls, characters that are never part of a URL
# in prose, and typographic / CJK quotes and brackets.
_STOP = (
    "\\s<>\"`\\x00-\\x1f\\x7f"
    "\u201c\u201d\u2018\u2019\u00ab\u00bb"  # “ ” ‘ ’ « »
    "\u300c\u300d\u300e\u300f\u3010\u3011\u3008\u3009\u300a\u300b"  # CJK brackets
    "\uff5c\u3001\u3002\uff0c\uff1b\uff01\uff1f\uff08\uff09"  # ｜ 、 。 ， ； ！ ？ （ ）
)
_BODY = f"[^{_STOP}]"

_CANDIDATE = re.compile(
    # 1. any scheme followed by ://, not glued to a preceding word ("_http://" is not a link)
    rf"(?<![\w+.\-])(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]{{0,30}})://{_BODY}*"
    # 2. host.tld, not inside an e-mail address, a path or a longer name
    r"|(?<![\w@.\-/:%+=~&?#$])"
    r"(?P<host>(?:[^\W_][\w\-]{0,62}\.)+(?P<tld>[^\W\d_][\w\-]{1,62}))(?![\w@\-]|\.[^\W_])"
    rf"(?P<rest>(?::\d{{1,5}})?[/?#]{_BODY}*)?(?!:\d)",
)
_ANCHOR = re.compile(r"[.:](?://|[^\W\d_])")
_SPACE = re.compile(r"\s")
_TRAIL = frozenset(".,;:!?'*")
_CLOSE = {")": "(", "]": "[", "}": "{"}


@lru_cache(maxsize=1)
def _tlds() -> frozenset[str]:
    """Lower-case IANA top-level domains, ASCII and Unicode forms."""
    import idna
    from linkify_it.tlds import TLDS

    names = set()
    for tld in TLDS:
        lowered = tld.lower()
        names.add(lowered)
        if lowered.startswith("xn--"):
            try:
                names.add(idna.decode(lowered))
            except (idna.IDNAError, UnicodeError):
                pass
    return frozenset(names)


def is_tld(label: str) -> bool:
    """True when ``label`` (any case, ASCII or Unicode) is a real top-level domain."""
    return label.lower() in _tlds()


def _cut_unbalanced(url: str) -> str:
    """Cut the URL before the first closing bracket that closes nothing: ``x.org/a)[b](c`` -> ``x.org/a``."""
    for close, open_ in _CLOSE.items():
        if close not in url:
            continue
        depth = 0
        for i, char in enumerate(url):
            if char == open_:
                depth += 1
            elif char == close:
                if depth == 0:
                    url = url[:i]
                    break
                depth -= 1
    return url


def trim(url: str) -> str:
    """Drop trailing punctuation and unbalanced closing brackets from a URL found in prose."""
    url = _cut_unbalanced(url)
    while url:
        last = url[-1]
        if last in _CLOSE:
            if url.count(_CLOSE[last]) < url.count(last):
                url = url[:-1]
                continue
            break
        if last == "'":
            if url.count("'") % 2 == 1:  # an odd quote closes a quotation around the URL
                url = url[:-1]
                continue
            break
        if last in _TRAIL or (last > "\x7f" and unicodedata.category(last).startswith("P")):
            url = url[:-1]
            continue
        break
    return url


def _candidates(text: str) -> Iterator[re.Match[str]]:
    """``_CANDIDATE`` matches, found fast: every candidate holds ``://`` or ``.letter`` (an anchor).

    A cheap regex finds anchors; the full one then runs only over the white-space delimited
    token around each anchor (a URL never holds white space). On prose this halves the time.
    """
    pos = 0
    length = len(text)
    while True:
        anchor = _ANCHOR.search(text, pos)
        if anchor is None:
            return
        at = anchor.start()
        # rfind bounded by pos: the ranges never overlap, so the whole scan stays linear.
        lo = max(pos, text.rfind(" ", pos, at) + 1, text.rfind("\n", pos, at) + 1, text.rfind("\t", pos, at) + 1)
        space = _SPACE.search(text, anchor.end())
        hi = space.start() if space else length
        yield from _CANDIDATE.finditer(text, lo, hi)
        pos = hi


@dataclass(frozen=True)
class Found:
    """A URL found in text: its offsets, the text as written, and the URL to canonicalize."""

    start: int
    end: int
    raw: str
    url: str
    kind: str  # "scheme", "www", "path" (host.tld/path) or "domain" (bare host.tld)


def find_urls(text: str, *, bare_domains: bool = False) -> Iterator[Found]:
    """Yield every URL-like span of ``text`` in order (rules in the module docstring).

    Spans with a scheme other than http(s) are yielded too (``kind == "scheme"``), so the caller
    can count them as skipped.
    """
    for match in _candidates(text):
        start = match.start()
        if match.group("scheme") is not None:
            raw = trim(match.group(0))
            if len(raw) <= len(match.group("scheme")) + 3:
                continue
            yield Found(start, start + len(raw), raw, raw, "scheme")
            continue
        host = match.group("host")
        rest = match.group("rest") or ""
        if host[:4].lower() == "www." and host.count(".") >= 2:
            kind = "www"
        elif not is_tld(match.group("tld")):
            continue
        else:
            kind = "path" if rest else "domain"
        raw = trim(host + rest)
        if kind == "path" and len(raw) == len(host):
            kind = "domain"  # the "path" was only punctuation: "example.com/." is a bare domain
        if kind == "domain" and not bare_domains:
            continue
        yield Found(start, start + len(raw), raw, "http://" + raw, kind)


def _is_alone_on_line(text: str, start: int, end: int, line_start: int, line_end: int) -> bool:
    """True when the line holds nothing but the link (and maybe brackets, quotes or a bullet)."""
    rest = text[line_start:start] + text[end:line_end]
    return not rest.strip(" \t-*\u2022<>()[]\"'\u201c\u201d\u00ab\u00bb.,;:")


def harvest_text(
    text: str,
    source: str,
    *,
    bare_domains: bool = False,
    skipped: list[Skipped] | None = None,
) -> list[Citation]:
    """Return the citations of a plain-text article, in order.

    ``text`` must have ``\\n`` newlines (see :func:`archiver.harvest.normalize_newlines`).
    ``paragraph`` counts blank-line separated blocks; ``context`` is the sentence holding the link
    or, for a link standing alone on its line, that line. Non-http(s) and invalid URLs are appended
    to ``skipped`` (when given) instead of being returned.
    """
    index = TextIndex(text)

    def build(found: Found) -> Citation | Skipped:
        line, column = index.line_col(found.start)
        paragraph, p_lo, p_hi = index.paragraph(found.start)
        l_lo, l_hi = index.line_bounds(line)
        if _is_alone_on_line(text, found.start, found.end, l_lo, l_hi):
            context = collapse(text[l_lo:l_hi])
        else:
            context = sentence_around(text, found.start, found.end, p_lo, p_hi)
        return make_citation(
            found.raw,
            url_text=found.url,
            source=source,
            line=line,
            column=column,
            paragraph=paragraph,
            context=context,
        )

    return collect((build(found) for found in find_urls(text, bare_domains=bare_domains)), skipped)
