"""Finding URLs in plain text.

What counts as a link (see :func:`find_urls`):

* ``scheme://...`` (only http/https are harvested; ``ftp://``, ``file://``... are reported as skipped),
  also right after a full stop (``end.https://x.org``) or a CJK character (``详情见https://x.org``);
* ``www.``-prefixed hosts, with or without a path;
* ``host.tld/path`` (also ``host.tld?query``, ``host.tld:port/...``) when ``tld`` is a real top-level
  domain (the IANA list shipped with linkify-it-py), ASCII or Unicode (``пример.рф/путь``);
  a dotted IPv4 address with a path or port (``192.168.1.1/admin``);
* a bare ``host.tld`` or IPv4 address only when ``bare_domains=True`` (``interfax.ru`` in prose is
  usually a name).

E-mail addresses and the domains inside them are never links. URLs stop at white space, control
characters (C0 and C1), zero-width spaces, ``< > " ` `` , an em dash, and CJK/typographic quotes
and brackets. The end of a URL is then trimmed of trailing punctuation (``. , ; : ! ? * ' | \\`` and
non-ASCII punctuation such as ``” » …``, but not ``¡ ¿``), of closing brackets that do not balance an opening one
inside the URL and of a dangling opening bracket, so ``(see https://x.org/a)`` gives
``https://x.org/a`` while ``https://en.wikipedia.org/wiki/Mercury_(planet)`` stays whole; a
quote mark ending the URL closes a quotation when it is unbalanced or when the URL follows that
same quote (``'https://x.org''``). A closing bracket that closes nothing ends the URL only when
it closes the bracket just before the URL or nothing URL-like follows it, so
``search?q=(a))+b`` stays whole as in GitHub's autolinks. What trimming cuts off is searched
again, so ``(https://a.org/)(https://b.org/)`` gives both. In the authority (host and port) of
a ``scheme://`` URL, a character no host holds (``| ' ^ { } ( ) , ; ! *``) ends the URL
(``[http://x.org|label]``, ``href='http://x.org'``), a host loses trailing hyphens and a port
that is not ASCII digits is dropped; userinfo before an ``@`` is left alone. A URL right after
``[`` or ``|`` (wiki link markup) ends at the next ``|`` unless that is in its query.

Why a hand-written regular expression rather than linkify-it-py (measured, see
``bench/bench_harvest.py``): linkify-it-py gets most of its own fixtures right but is far too slow
for long articles. Its ``match()`` re-slices the remaining text after every hit (quadratic), and even
line by line it took 8.2 s on the 5 MB / 20,000-link benchmark against the 2 s goal. This finder is
one compiled regex (behind a cheap prefilter) plus a trimming pass: about 1.2-1.5 s of CPU for the
whole harvest of that article (finding, canonicalizing, positions and contexts).

Measured against published fixtures (cases copied into ``tests/test_harvest_text.py``):
linkify-it's ``links.txt`` (119 cases): the expected link in 94, 19 e-mail cases rejected on
purpose, and 6 deliberate differences: no scheme-relative ``//host`` links in prose (3), ``"``
ends a URL (as in robinst/linkify, the finder lychee uses), a symbol host without a scheme
(``➡.ws``) is not a link, ``ftp://`` is found but skipped. ``not_links.txt``: 15 of 18 rejected
(accepted: ``http://-example.com``, ``http://a.b--c.de/``, ``http://example.com_``, which browsers
open too; ``http://.example.com`` and ``http://##`` are found but reported invalid). robinst/linkify's
``tests/url.rs`` and cmark-gfm's autolink spec agree with this finder on every case copied.
Over 640 cases of eight suites (linkify-it, markdown-it-py, cmark-gfm, robinst/linkify, lychee,
bleach, urlextract, Django's urlize), the remaining differences are the deliberate ones above,
URLs no browser opens, and expectations of HTML-escaped input.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from archiver.harvest._common import Contexts, TextIndex, collect, make_citation
from archiver.types import Citation, Skipped

# Characters that end a URL: white space and controls, characters that are never part of a URL
# in prose, and typographic / CJK quotes and brackets.
_STOP = (
    "\\s<>\"`\\x00-\\x1f\\x7f-\\x9f"
    "\u200b\u2060\ufeff"  # zero-width space, word joiner, BOM: invisible separators
    "\u2014"  # em dash: "the report\u2014https://x.org/a\u2014said" (not seen inside real URLs)
    "\u201c\u201d\u2018\u2019\u00ab\u00bb"  # “ ” ‘ ’ « »
    "\u300c\u300d\u300e\u300f\u3010\u3011\u3008\u3009\u300a\u300b"  # CJK brackets
    "\uff5c\u3001\u3002\uff0c\uff1b\uff01\uff1f\uff08\uff09"  # ｜ 、 。 ， ； ！ ？ （ ）
)
_BODY = f"[^{_STOP}]"

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
# Scripts written without spaces between words (CJK ideographs, kana, Hangul): a URL may follow
# a word directly ("详情见https://example.com").
_CJK = "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff"
_CANDIDATE = re.compile(
    # 1. any scheme followed by ://, not glued to a preceding word ("_http://" is not a link; after
    #    a full stop it is: "end.http://x.org", the scheme is then cut after the dot in find_urls;
    #    after a CJK character too)
    rf"(?:(?<![\w+\-])|(?<=[{_CJK}])|(?<=(?<![\w+.\-])-))(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]{{0,30}})://{_BODY}*"
    # 2. host.tld, not inside an e-mail address, a path or a longer name
    r"|(?<![\w@.\-/:%+=~&?#$])"
    r"(?P<host>(?:[^\W_][\w\-]{0,62}\.)+(?P<tld>[^\W\d_][\w\-]{1,62}))(?![\w@\-]|\.[^\W_])"
    rf"(?P<rest>(?::\d{{1,5}})?[/?#]{_BODY}*)?(?!:\d)"
    # 3. a dotted IPv4 address (each octet 0-255), not part of a longer dotted number
    rf"|(?<![\w@.\-/:%+=~&?#$])(?P<ip>(?:{_OCTET}\.){{3}}{_OCTET})(?![\w@\-]|\.\d)"
    rf"(?P<iprest>(?::\d{{1,5}})?[/?#]{_BODY}*)?(?!:\d)",
)
# Every candidate holds "://", ".letter" or (an IPv4 address) "digit.digit": the cheap prefilter.
_ANCHOR = re.compile(r"[.:](?://|[^\W\d_])|(?<=\d)\.\d{1,3}\.\d{1,3}\.\d")
_SPACE = re.compile(r"\s")
_TRAIL = frozenset(".,;:!?'*|\\")
_OPENING_PUNCTUATION = frozenset("¡¿")  # open a phrase, never end one: "http://x.org/¡" keeps it
_OPEN = {"(": ")", "[": "]", "{": "}"}
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


def _cut_unbalanced(url: str, before: str = "") -> str:
    """Cut the URL before a closing bracket that closes nothing, when it closes the bracket
    just ``before`` the URL or when what follows it does not go on with the URL:
    ``(x.org/a)b`` and ``x.org/a)[b](c`` -> ``x.org/a``, ``(https://a.org/)(https://b.org/)``
    -> ``https://a.org/``; but ``x.org/search?q=(a))+b`` stays whole, as in GitHub's autolinks
    (an unbalanced bracket at the very end is then dropped by :func:`trim`)."""
    for close, open_ in _CLOSE.items():
        if close not in url:
            continue
        depth = 0
        for i, char in enumerate(url):
            if char == open_:
                depth += 1
            elif char == close:
                if depth == 0:
                    if before == open_ or _ends_here(url[i + 1 :]):
                        url = url[:i]
                        break
                    continue
                depth -= 1
    return url


def _ends_here(rest: str) -> bool:
    """Whether ``rest``, after a closing bracket that closes nothing, is not more of the URL:
    it goes on only with an ASCII letter or digit or a character URLs use between their
    parts (``q=(a))+b``); prose glued to the bracket (``(see https://x.org/a)を参照``),
    punctuation, another bracket or quote, or another URL end it."""
    if not rest or "://" in rest:
        return True
    first = rest[0]
    if not (first.isascii() and (first.isalnum() or first in "+/?&=#-_~%")):
        return True
    return all(c in _TRAIL or c in _CLOSE or c in _OPEN for c in rest)


# Characters no host (nor port) holds: in the authority of a URL (after "://", up to the
# first / ? # or \) they end the URL: "[http://example.com|Example]", "href='http://x.org'".
_NOT_IN_AUTHORITY = frozenset("|'^{}(),;!*")


def _cut_authority(url: str) -> str:
    """``url`` (``scheme://...``) cut where its authority holds what no host, userinfo or
    port does: a character of :data:`_NOT_IN_AUTHORITY`, a port that is not ASCII digits
    (``http://x.org:abc`` -> ``http://x.org``), or a host ending in hyphens
    (``https://example.org--`` -> ``https://example.org``)."""
    head = url.find("://") + 3
    end = next((i for i in range(head, len(url)) if url[i] in "/?#\\"), len(url))
    at = url.rfind("@", head, end) + 1 - head if "@" in url[head:end] else 0  # userinfo: left alone
    bracket = False
    for i in range(head + at, end):
        char = url[i]
        if char == "[" and i == head + at:
            bracket = True  # an IPv6 literal: [::1]
        elif char == "]" and bracket:
            bracket = False
        elif char in _NOT_IN_AUTHORITY or (char in "[]" and not bracket):
            return url[:i]
    hostport = url[head + at : end]
    if hostport.startswith("["):
        return url
    colon = hostport.find(":")
    host = hostport if colon < 0 else hostport[:colon]
    if host.endswith("-") and host.rstrip("-"):
        return url[: head + at + len(host.rstrip("-"))]
    if colon >= 0:
        port = hostport[colon + 1 :]
        digits = len(port) - len(port.lstrip("0123456789"))
        if digits < len(port):  # "x.org:8080." keeps its port; "x.org:abc" loses the colon too
            return url[: head + at + colon + (digits + 1 if digits else 0)]
    return url


def trim(url: str, before: str = "") -> str:
    """Drop trailing punctuation and unbalanced brackets from a URL found in prose.

    ``before`` is the character just before the URL: when it is a quote, the URL is quoted and
    every copy of that quote at its end closes the quotation (``'https://x.org''``).
    """
    url = _cut_unbalanced(url, before)
    while url:
        last = url[-1]
        if last in _CLOSE:
            if url.count(_CLOSE[last]) < url.count(last):
                url = url[:-1]
                continue
            break
        if last in _OPEN:  # an opening bracket at the very end opens nothing of the URL
            if url.count(last) > url.count(_OPEN[last]):
                url = url[:-1]
                continue
            break
        if last == "'":
            if before == "'" or url.count("'") % 2 == 1:  # an odd quote closes a quotation around the URL
                url = url[:-1]
                continue
            break
        if last in _TRAIL or (last > "\x7f" and last not in _OPENING_PUNCTUATION
                              and unicodedata.category(last).startswith("P")):
            url = url[:-1]
            continue
        break
    return url


def _tokens(text: str) -> Iterator[tuple[int, int]]:
    """The white-space delimited tokens of ``text`` that may hold a URL, as (start, end) offsets.

    Every URL candidate holds an anchor (``://``, ``.letter`` or an IPv4 address) and never
    white space, so a cheap regex finds anchors and the full one then runs only over the token
    around each. On prose this halves the time.
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
        yield lo, hi
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
    for lo, hi in _tokens(text):
        pos = lo
        while pos < hi:
            match = _CANDIDATE.search(text, pos, hi)
            if match is None:
                break
            found = _found(text, match, bare_domains)
            if found is None:  # "1.http://x.org": "1.http" is no host, but a URL starts inside it
                pos = match.start() + 1
                continue
            yield found
            # What trimming cut off may hold the next URL: "(https://a.org/)(https://b.org/)".
            pos = found.end


def _found(text: str, match: re.Match[str], bare_domains: bool) -> Found | None:
    start = match.start()
    before = text[start - 1] if start > 0 else ""
    scheme = match.group("scheme")
    if scheme is not None:
        dot = scheme.rfind(".")
        if dot >= 0 and scheme[dot + 1 :].lower() in ("http", "https"):
            start += dot + 1  # "end.http://x.org": the sentence's full stop is not part of the scheme
            scheme, before = scheme[dot + 1 :], "."
        candidate = _cut_authority(text[start : match.end()])
        if before in "[|" and before and "|" in candidate and "?" not in candidate[: candidate.index("|")]:
            candidate = candidate[: candidate.index("|")]  # [https://x.org/page|label] (wiki markup)
        raw = trim(candidate, before)
        if len(raw) <= len(scheme) + 3:
            return None
        return Found(start, start + len(raw), raw, raw, "scheme")
    if match.group("ip") is not None:
        host, rest = match.group("ip"), match.group("iprest") or ""
        kind = "path" if rest else "domain"
    else:
        host, rest = match.group("host"), match.group("rest") or ""
        if host[:4].lower() == "www." and host.count(".") >= 2:
            kind = "www"
        elif not is_tld(match.group("tld")):
            return None
        else:
            kind = "path" if rest else "domain"
    raw = trim(host + rest, before)
    if kind == "path" and len(raw) == len(host):
        kind = "domain"  # the "path" was only punctuation: "example.com/." is a bare domain
    if kind == "domain" and not bare_domains:
        return None
    return Found(start, start + len(raw), raw, "http://" + raw, kind)


def harvest_text(
    text: str,
    source: str,
    *,
    bare_domains: bool = False,
    skipped: list[Skipped] | None = None,
) -> list[Citation]:
    """Return the citations of a plain-text article, in order.

    ``text`` must have ``\\n`` newlines (see :func:`archiver.harvest.normalize_newlines`).
    ``paragraph`` counts blank-line separated blocks; ``context`` follows the rule of
    :mod:`archiver.harvest._common`: the sentence holding the link or, for a line holding only
    URLs, the nearest preceding prose sentence. Non-http(s) and invalid URLs are appended to
    ``skipped`` (when given) instead of being returned.
    """
    index = TextIndex(text)
    contexts = Contexts(index)

    def build(found: Found) -> Citation | Skipped:
        line, column = index.line_col(found.start)
        paragraph, _, _ = index.paragraph(found.start)
        context = contexts.around(found.start, found.end)
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
