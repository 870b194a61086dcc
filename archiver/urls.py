"""URL canonicalization: the one place where "are these two citations the same link?" is decided.

Contract of :func:`canonicalize` (pure, idempotent: ``canonicalize(canonicalize(u)) == canonicalize(u)``):

* only ``http`` and ``https`` URLs are accepted; anything else raises :class:`InvalidURLError`
  (and nothing else is ever raised), as do URLs with no host, a bad port (not 0-65535 digits),
  spaces/illegal characters in the host, or an IPv6 zone id;
* as browsers do (WHATWG URL): leading/trailing C0 control characters and spaces are stripped
  (not NBSP or other Unicode spaces), tabs and newlines inside dropped, ``\\`` before the query
  read as ``/`` (in a relative reference too, before it is resolved), any number of slashes
  after ``http:`` introduce the host (``http:example.com``; but ``http:g`` on an http page is
  the relative ``g``); the host is percent-decoded (``ex%61mple.com``) before IDNA, and a host
  ending in a number is an IPv4 address in any form browsers read (``192.168.257``,
  ``0xC0A80101``), written dotted, or invalid;
* scheme and host are lower-cased, IDN hosts become punycode (full-width forms and ``。`` are
  mapped, UTS #46 non-transitional: ``ß`` stays ``ß``, also in a host IDNA2008 refuses such as
  ``my_site.straße.de``), IPv6 addresses are compressed and lower-cased, a trailing dot on the host is
  dropped, the default port (80/443) and an empty port (``host:``) are removed, leading zeros of a
  port too, an empty path becomes ``/``;
* ``user:password@`` is kept (the fetcher redacts it when printing), with its escapes normalised
  and ``@ / ; : = [ ] \\ ^ |`` inside either part percent-encoded; an empty password or
  userinfo is dropped (``http://:@host`` is ``http://host``);
* dot segments (``.``/``..``) are resolved (RFC 3986 5.2.4); empty segments are kept;
* percent-encoding is normalised: hex digits upper-cased, escapes of *unreserved* characters
  (``A-Z a-z 0-9 - . _ ~``) decoded; characters that may not appear in a URL (non-ASCII,
  space, ``"`` ``<`` ``>`` ...) are percent-encoded as UTF-8;
* the fragment, a trailing ``?`` and tracking parameters (``utm_*``, ``fbclid``, ``gclid``...,
  see :data:`TRACKING_PARAMS`) are removed; except a ``#!`` ("hash-bang") fragment, which
  names the page itself on AJAX sites (``https://twitter.com/#!/jack/status/20``).

It never changes: the case of the path, the order of the remaining query parameters, a
trailing or doubled slash, ``+`` versus ``%20``, an encoded reserved character (``%2F`` stays
``%2F``), a blank parameter (``?a=&b``), ``;params`` in the path, an escape that is already
UTF-8 (never double-encoded); it never merges ``http`` with ``https`` or ``www.``
with the bare host. Merging two different resources loses a citation; a duplicate only
costs a fetch, so every doubtful case keeps URLs apart.

Why hand-rolled on ``urllib.parse`` + ``idna`` rather than a library (checked with
courlan 1.4, w3lib 2.5 and url-normalize): courlan ``normalize_url`` sorts query parameters,
drops blank ones, turns ``%20`` into ``+`` and leaves dot segments; w3lib ``canonicalize_url``
sorts parameters, turns ``%20`` into ``+`` and keeps ``:80``; url-normalize sorts parameters
by default, keeps the fragment and decodes reserved escapes in the query. Each breaks a rule
above, and ``urllib.parse.urljoin`` collapses ``//`` in paths, so relative references are
resolved here too (RFC 3986 5.2.2).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from functools import lru_cache
from urllib.parse import unquote, urlsplit

import idna

from archiver.errors import InvalidURLError

__all__ = [
    "TRACKING_PARAMS",
    "TRACKING_PREFIXES",
    "canonicalize",
    "host_key",
    "is_tracking_param",
    "resolve",
    "scheme_of",
]

#: Query parameter names (compared lower-case) that only track the reader.
TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "yclid",
        "ysclid",
        "_hsenc",
        "_hsmi",
        "__hssc",
        "__hstc",
        "__hsfp",
        "hsctatrk",
        "igshid",
        "igsh",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "_openstat",
        "vero_id",
        "vero_conv",
        "wickedid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "srsltid",
        "rb_clickid",
        "_gl",
        "ncid",
        "cmpid",
        "s_cid",
        "spm",
        "sr_share",
        "ref_src",  # Twitter/X embeds: ?ref_src=twsrc%5Etfw
    }
)
#: Query parameter name prefixes (lower-case) that only track the reader.
TRACKING_PREFIXES: tuple[str, ...] = ("utm_", "pk_campaign", "pk_kwd", "pk_source", "pk_medium", "mtm_")

_HTTP_SCHEMES = {"http": 80, "https": 443}
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
# scheme ":" ["//" authority] path ["?" query] ["#" fragment]  (RFC 3986 appendix B, scheme required)
_ABSOLUTE = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):(//)?([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#(.*))?\Z", re.DOTALL)
_STRIP_INSIDE = re.compile(r"[\t\n\r]")
# WHATWG URL: leading and trailing C0 controls and spaces are stripped (str.strip() keeps NUL...).
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))
# In user and password, these are percent-encoded too (WHATWG userinfo percent-encode set):
# the result then re-parses with any URL parser (urllib rejects a "[" in the netloc).
_USERINFO_QUOTE = re.compile(r"[@/;:=\[\\\]^|]")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Anything outside unreserved + reserved + '%' must be percent-encoded (as UTF-8).
_NEEDS_QUOTING = re.compile(r"[^A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
_PCT = re.compile(r"%([0-9A-Fa-f]{2})")
_ASCII_HOST = re.compile(r"^[a-z0-9_\-]+(?:\.[a-z0-9_\-]+)*$")
_IDEOGRAPHIC_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
_NUMERIC_LABEL = re.compile(r"^(?:0[xX][0-9a-fA-F]*|[0-9]+)$")


def scheme_of(raw: str) -> str | None:
    """The lower-cased scheme written at the start of ``raw`` (``"mailto"``, ``"http"``), or ``None``."""
    match = _SCHEME_RE.match(raw.strip(_C0_AND_SPACE))
    return match.group(1).lower() if match else None


def is_tracking_param(name: str) -> bool:
    """True when a query parameter called ``name`` only tracks the reader (``utm_source``, ``fbclid``...)."""
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def _quote_match(match: re.Match[str]) -> str:
    return "".join(f"%{byte:02X}" for byte in match.group(0).encode("utf-8"))


def _pct_match(match: re.Match[str]) -> str:
    char = chr(int(match.group(1), 16))
    return char if char in _UNRESERVED else "%" + match.group(1).upper()


def _normalize_escapes(part: str) -> str:
    """Percent-encode what must be encoded, upper-case escapes, decode escaped unreserved characters."""
    if not part:
        return part
    part = _NEEDS_QUOTING.sub(_quote_match, part)
    # Decoding can form a new escape ("%4%31" -> "%41"): repeat to a fixed point, so the result
    # is idempotent. Each decoding pass shortens the string, so this ends.
    while "%" in part:
        decoded = _PCT.sub(_pct_match, part)
        if decoded == part:
            break
        part = decoded
    return part


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 5.2.4 for an absolute path; empty segments (``//``) are kept."""
    if "." not in path:
        return path
    segments = path.split("/")[1:]
    if "." not in segments and ".." not in segments:
        return path
    out: list[str] = []
    for segment in segments:
        if segment == ".":
            continue
        if segment == "..":
            if out:
                out.pop()
            continue
        out.append(segment)
    if segments[-1] in (".", ".."):
        out.append("")
    return "/" + "/".join(out)


def _merge_paths(base_path: str, ref_path: str, base_has_authority: bool) -> str:
    if base_has_authority and not base_path:
        return "/" + ref_path
    return base_path[: base_path.rfind("/") + 1] + ref_path


def resolve(raw: str, base: str | None) -> str:
    """Resolve the reference ``raw`` against ``base`` (RFC 3986 5.2.2), keeping ``//`` in paths.

    Returns ``raw`` unchanged when it has a scheme or when there is no base.
    """
    raw = raw.strip(_C0_AND_SPACE)
    if base is None or _SCHEME_RE.match(raw):
        return raw
    try:
        b = urlsplit(base.strip(_C0_AND_SPACE))
        r = urlsplit(raw)
    except ValueError as exc:
        raise InvalidURLError(f"cannot resolve: {exc}", raw) from exc
    if r.netloc or raw.startswith("//"):
        scheme, netloc, path, query = b.scheme, r.netloc, r.path, r.query
    elif not r.path:
        scheme, netloc, path = b.scheme, b.netloc, b.path
        query = r.query if ("?" in raw.partition("#")[0]) else b.query  # "#top?x" keeps the base query
    else:
        scheme, netloc, query = b.scheme, b.netloc, r.query
        path = r.path if r.path.startswith("/") else _merge_paths(b.path, r.path, bool(b.netloc))
    url = f"{scheme}://{netloc}{path}" if scheme else f"//{netloc}{path}"
    if query or "?" in raw.partition("#")[0]:
        url += "?" + query
    if r.fragment:
        url += "#" + r.fragment
    return url


def _canonical_host(host: str, raw: str) -> str:
    if "%" in host:  # WHATWG: the host is percent-decoded (as UTF-8) before IDNA: ex%61mple.com
        try:
            host = unquote(host, errors="strict")
        except UnicodeDecodeError as exc:
            raise InvalidURLError(f"bad host {host!r}", raw) from exc
    if not host:
        raise InvalidURLError("no host", raw)
    if host.startswith("["):
        if not host.endswith("]"):
            raise InvalidURLError("bad IPv6 address", raw)
        if "%" in host:  # a zone id ("fe80::1%25eth0") names an interface of this machine only
            raise InvalidURLError("bad IPv6 address (zone id)", raw)
        try:
            return "[" + ipaddress.IPv6Address(host[1:-1]).compressed + "]"
        except ValueError as exc:
            raise InvalidURLError("bad IPv6 address", raw) from exc
    host = host.translate(_IDEOGRAPHIC_DOTS)  # "example.com。" ends in a dot too
    if host.endswith("."):
        host = host[:-1]
    if host.isascii():
        host = host.lower()
        if not _ASCII_HOST.match(host):
            raise InvalidURLError(f"bad host {host!r}", raw)
        return _numeric_host(host, raw)
    try:
        encoded = idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        # IDNA2008 refuses labels browsers still resolve (http://✪df.ws, my_site.straße.de): as
        # WHATWG's domain to ASCII does, map with UTS #46 (non-transitional: ß stays ß) and
        # punycode each non-ASCII label on its own, never through IDNA2003 (which turns ß into
        # ss in every label: another domain).
        try:
            mapped = idna.uts46_remap(host, std3_rules=False, transitional=False)
            encoded = ".".join(
                label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
                for label in mapped.split(".")
            ).lower()
        except (idna.IDNAError, UnicodeError) as exc:
            raise InvalidURLError(f"bad host {host!r}", raw) from exc
    if not _ASCII_HOST.match(encoded):
        raise InvalidURLError(f"bad host {host!r}", raw)
    return _numeric_host(encoded, raw)


def _numeric_host(host: str, raw: str) -> str:
    """WHATWG: a host whose last label is a number is an IPv4 address, in any form browsers
    read (``192.168.257``, ``0xC0A80101``, octal ``0300.0250.1.1``), written dotted; or invalid."""
    last = host.rsplit(".", 1)[-1]
    if not _NUMERIC_LABEL.match(last):
        return host
    try:
        return socket.inet_ntoa(socket.inet_aton(host))
    except OSError:
        raise InvalidURLError(f"bad host {host!r} (ends in a number but is no IPv4 address)", raw) from None


def _quote_userinfo_char(match: re.Match[str]) -> str:
    return f"%{ord(match.group(0)):02X}"


def _canonical_userinfo(userinfo: str) -> str:
    """``user[:password]`` kept as written, escapes normalised, delimiters inside each part encoded.

    As in WHATWG URL serialisation, an empty password drops its ``:`` and an empty userinfo
    (``http://@host``, ``http://:@host``) is dropped.
    """
    if not userinfo:
        return ""
    user, _, password = userinfo.partition(":")
    user = _USERINFO_QUOTE.sub(_quote_userinfo_char, _normalize_escapes(user))
    password = _USERINFO_QUOTE.sub(_quote_userinfo_char, _normalize_escapes(password))
    return user + (":" + password if password else "")


def _split_netloc(netloc: str, raw: str) -> tuple[str, str, str]:
    """Split ``userinfo@host:port`` into its three parts (``userinfo``/``port`` may be empty)."""
    userinfo, _, hostport = netloc.rpartition("@")
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            raise InvalidURLError("bad IPv6 address", raw)
        host, rest = hostport[: end + 1], hostport[end + 1 :]
        if rest and not rest.startswith(":"):
            raise InvalidURLError("bad port", raw)
        port = rest[1:]
    else:
        host, _, port = hostport.partition(":")
    return userinfo, host, port


def canonicalize(raw: str, base: str | None = None) -> str:
    """Return the canonical form of the http(s) URL ``raw`` (resolved against ``base`` if relative).

    Pure and idempotent; the rules are in the module docstring.
    Raises :class:`InvalidURLError` for a non-http(s) scheme, a missing host, a bad port or host.
    """
    text = _STRIP_INSIDE.sub("", raw.strip(_C0_AND_SPACE))
    if base is not None:
        base = _STRIP_INSIDE.sub("", base.strip(_C0_AND_SPACE))
        base_scheme, ref_scheme = scheme_of(base), scheme_of(text)
        if base_scheme in _HTTP_SCHEMES and (ref_scheme is None or ref_scheme in _HTTP_SCHEMES):
            text = _backslashes(text)  # "\\x" on an http page is "/x", before it is resolved
            if ref_scheme == base_scheme and not text[len(ref_scheme) + 1 :].startswith("//"):
                text = text[len(ref_scheme) + 1 :]  # "http:g" on an http page is the relative "g"
                if _SCHEME_RE.match(text):  # "http:HTTP:80" is the path "HTTP:80", not another URL
                    text = "./" + text
        text = resolve(text, base)
    scheme = scheme_of(text) or ""
    if scheme in _HTTP_SCHEMES:
        text = _backslashes(text)
        # WHATWG: any number of slashes after "http:" introduce the host (http:example.com, http:///x.org)
        rest = text[len(scheme) + 1 :]
        if not rest.startswith("//") or rest.startswith("///"):
            text = f"{text[: len(scheme) + 1]}//{rest.lstrip('/')}"
    return _canonicalize(text)


def _backslashes(text: str) -> str:
    """Browsers read "\\" as "/" before the query in http(s) URLs: http:\\\\host\\path is http://host/path."""
    if "\\" not in text:
        return text
    cut = min((i for i in (text.find("?"), text.find("#")) if i >= 0), default=len(text))
    return text[:cut].replace("\\", "/") + text[cut:]


@lru_cache(maxsize=8192)
def _canonicalize(text: str) -> str:
    match = _ABSOLUTE.match(text)
    if match is None:
        raise InvalidURLError("not an absolute URL (no scheme)", text)
    scheme = match.group(1).lower()
    if scheme not in _HTTP_SCHEMES:
        raise InvalidURLError(f"unsupported scheme {scheme}:", text)
    if match.group(2) is None:
        raise InvalidURLError("no host", text)
    userinfo, host, port = _split_netloc(match.group(3), text)
    host = _canonical_host(host, text)
    if port:
        # leading zeros are allowed (WHATWG: http://f:00000000000000/c is port 0)
        if not port.isascii() or not port.isdigit() or len(port.lstrip("0")) > 5 or int(port) > 65535:
            raise InvalidURLError(f"bad port {port!r}", text)
        port = "" if int(port) == _HTTP_SCHEMES[scheme] else str(int(port))
    fragment = match.group(6) or ""
    try:
        path = _remove_dot_segments(_normalize_escapes(match.group(4)) or "/")
        query = _normalize_escapes(match.group(5) or "")
        userinfo = _canonical_userinfo(userinfo)
        # A "#!" fragment (AJAX-crawlable "hash-bang" URLs: https://twitter.com/#!/user/status/1) names
        # the resource itself: dropping it would merge every such citation into the home page.
        hashbang = "#" + _normalize_escapes(fragment) if fragment.startswith("!") and len(fragment) > 1 else ""
    except UnicodeEncodeError as exc:  # lone surrogates cannot be encoded as UTF-8
        raise InvalidURLError("characters that cannot be encoded", text) from exc
    if query:
        kept = [p for p in query.split("&") if not is_tracking_param(p.partition("=")[0])]
        query = "&".join(kept) if kept != [""] else ""
    netloc = (userinfo + "@" if userinfo else "") + host + (":" + port if port else "")
    return f"{scheme}://{netloc}{path}" + ("?" + query if query else "") + hashbang


def host_key(url: str) -> str:
    """The politeness key of ``url``: ``scheme://host:port`` with the port always explicit.

    Two URLs share a key when requests to them hit the same server endpoint
    (``https://Example.com/a`` and ``https://example.com:443/b`` both give ``https://example.com:443``).
    Raises :class:`InvalidURLError` like :func:`canonicalize`.
    """
    canonical = canonicalize(url)
    scheme, _, rest = canonical.partition("://")
    netloc = rest.split("/", 1)[0]
    _, host, port = _split_netloc(netloc, url)
    return f"{scheme}://{host}:{port or _HTTP_SCHEMES[scheme]}"
