"""Canonicalization: what merges two citations into one link, and what must never merge."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from archiver.errors import InvalidURLError
from archiver.urls import canonicalize, host_key, is_tracking_param, resolve, scheme_of

MERGED = [
    # (raw, canonical)
    ("HTTP://Example.COM/Path", "http://example.com/Path"),
    ("https://example.com", "https://example.com/"),
    ("https://example.com:443/a", "https://example.com/a"),
    ("http://example.com:80/a", "http://example.com/a"),
    ("http://example.com:0080/a", "http://example.com/a"),
    ("https://example.com:8443/a", "https://example.com:8443/a"),
    ("https://example.com./a", "https://example.com/a"),
    ("https://example.com/a#section-2", "https://example.com/a"),
    ("https://example.com/a?", "https://example.com/a"),
    ("https://example.com/a?#frag", "https://example.com/a"),
    ("https://example.com/a/./b/../c", "https://example.com/a/c"),
    ("https://example.com/a/b/..", "https://example.com/a/"),
    ("https://example.com/../../a", "https://example.com/a"),
    ("https://example.com/%2e%2E/a/%2E/b", "https://example.com/a/b"),
    ("https://example.com/%7euser/%41%62%63", "https://example.com/~user/Abc"),
    ("https://example.com/a%2fb%3a", "https://example.com/a%2Fb%3A"),
    ("https://example.com/caf\u00e9?q=\u00fc", "https://example.com/caf%C3%A9?q=%C3%BC"),
    ("https://example.com/caf%c3%a9", "https://example.com/caf%C3%A9"),
    ("https://example.com/a b", "https://example.com/a%20b"),
    ("https://B\u00fccher.example/x", "https://xn--bcher-kva.example/x"),
    ("http://\u043f\u0440\u0435\u0437\u0438\u0434\u0435\u043d\u0442.\u0440\u0444/", "http://xn--d1abbgf6aiiy.xn--p1ai/"),
    ("  https://example.com/a\n", "https://example.com/a"),
    ("https://exam\nple.com/a", "https://example.com/a"),
    ("http://[2001:DB8::1]:80/x", "http://[2001:db8::1]/x"),
    # tracking parameters
    ("https://example.com/a?utm_source=x&utm_medium=y", "https://example.com/a"),
    ("https://example.com/a?id=1&utm_campaign=c", "https://example.com/a?id=1"),
    ("https://example.com/a?UTM_Source=x&id=1", "https://example.com/a?id=1"),
    ("https://example.com/a?fbclid=1&gclid=2&dclid=3&msclkid=4&id=9", "https://example.com/a?id=9"),
    ("https://example.com/a?mc_cid=1&mc_eid=2&yclid=3&_hsenc=4&_hsmi=5&igshid=6", "https://example.com/a"),
    ("https://example.com/a?utm%5Fsource=x", "https://example.com/a"),
]

KEPT = [
    # MUST NOT rules: these are returned exactly as given.
    "https://example.com/Path/CASE",
    "https://example.com/a?b=2&a=1",
    "https://example.com/a?z=&a=",
    "https://example.com/a?flag&x=1",
    "https://example.com/a?q=a+b",
    "https://example.com/a?q=a%20b",
    "https://example.com/a%2Fb",
    "https://example.com/a?path=%2Fx%2Fy",
    "https://example.com/dir/",
    "https://example.com/dir",
    "https://example.com//double//slash",
    "https://example.com/a?x=1&&y=2",
    "https://example.com/a?source=rss&ref=home",
    "https://user:pw@example.com/",
    "https://en.wikipedia.org/wiki/Mercury_(planet)",
]


@pytest.mark.parametrize(("raw", "canonical"), MERGED)
def test_canonical_form(raw: str, canonical: str) -> None:
    assert canonicalize(raw) == canonical


@pytest.mark.parametrize("url", KEPT)
def test_must_not_change(url: str) -> None:
    assert canonicalize(url) == url


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("http://example.com/a", "https://example.com/a"),
        ("https://www.example.com/a", "https://example.com/a"),
        ("https://example.com/a/", "https://example.com/a"),
        ("https://example.com/a?q=a+b", "https://example.com/a?q=a%20b"),
        ("https://example.com/a%2Fb", "https://example.com/a/b"),
        ("https://example.com/A", "https://example.com/a"),
        ("https://example.com/a?x=&y=", "https://example.com/a?y=&x="),
        ("https://example.com/a?x=", "https://example.com/a"),
        ("https://example.com:8080/a", "https://example.com/a"),
    ],
)
def test_different_resources_stay_apart(a: str, b: str) -> None:
    assert canonicalize(a) != canonicalize(b)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "no scheme"),
        ("example.com/a", "no scheme"),
        ("//example.com/a", "no scheme"),
        ("ftp://example.com/", "unsupported scheme"),
        ("mailto:me@example.com", "unsupported scheme"),
        ("javascript:alert(1)", "unsupported scheme"),
        ("file:///etc/passwd", "unsupported scheme"),
        ("http://", "no host"),
        ("https://:443/", "no host"),
        ("http://example.com:99999/", "bad port"),
        ("http://example.com:8o/", "bad port"),
        ("http://exa mple.com/", "bad host"),
        ("http://..example.com/", "bad host"),
        ("http://example..com/", "bad host"),
        ("http://[::1/", "IPv6"),
        ("http://[zz::1]/", "IPv6"),
    ],
)
def test_invalid(raw: str, message: str) -> None:
    with pytest.raises(InvalidURLError) as info:
        canonicalize(raw)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("raw", "base", "expected"),
    [
        # found by running WHATWG's urltestdata, w3lib's, url-normalize's and courlan's suites
        ("http:example.com", None, "http://example.com/"),  # any number of slashes after http:
        ("http:/example.com/", None, "http://example.com/"),
        ("http:///path", None, "http://path/"),
        ("http:g", "http://a/b/c/d;p?q", "http://a/b/c/g"),  # same scheme, no slashes: relative (RFC 3986 5.4)
        ("http:foo.com", "http://example.org/foo/bar", "http://example.org/foo/foo.com"),
        ("\\x", "http://example.org/foo/bar", "http://example.org/x"),  # "\\" is "/" before resolving
        ("\\\\evil.com\\path", "http://example.org/foo/bar", "http://evil.com/path"),
        ("http://my_site.stra\u00dfe.de/", None, "http://my_site.xn--strae-oqa.de/"),  # never IDNA2003's ss
        ("http://EXAMPLE.COM\u3002/", None, "http://example.com/"),  # a full-width trailing dot
        ("http://192.168.257/", None, "http://192.168.1.1/"),  # IPv4 forms browsers read
        ("http://0xC0A80101/", None, "http://192.168.1.1/"),
        ("http://example.com/a\u00a0", None, "http://example.com/a%C2%A0"),  # only C0 and space are stripped
    ],
)
def test_urls_as_browsers_read_them(raw: str, base: str | None, expected: str) -> None:
    assert canonicalize(raw, base) == expected
    assert canonicalize(expected) == expected


@pytest.mark.parametrize("raw", ["http://192.168.0.257/", "http://1.2.3.4.5/", "http://foo.09/", "http://x.123/"])
def test_hosts_ending_in_a_number_must_be_ipv4_addresses(raw: str) -> None:
    with pytest.raises(InvalidURLError, match="ends in a number"):
        canonicalize(raw)


def test_relative_resolution_keeps_double_slashes() -> None:
    base = "https://example.com/dir/page.html?x=1"
    assert canonicalize("other.html", base) == "https://example.com/dir/other.html"
    assert canonicalize("../up//twice/./x", base) == "https://example.com/up//twice/x"
    assert canonicalize("/root", base) == "https://example.com/root"
    assert canonicalize("//cdn.example.net/a.js", base) == "https://cdn.example.net/a.js"
    assert canonicalize("?y=2", base) == "https://example.com/dir/page.html?y=2"
    assert canonicalize("https://other.org/", base) == "https://other.org/"
    assert resolve("#top", base) == "https://example.com/dir/page.html?x=1#top"


def test_host_key_makes_the_port_explicit() -> None:
    assert host_key("https://Example.com/a?b") == "https://example.com:443"
    assert host_key("http://example.com:80/") == "http://example.com:80"
    assert host_key("http://example.com:8080/x") == "http://example.com:8080"
    assert host_key("https://B\u00fccher.example/") == "https://xn--bcher-kva.example:443"
    with pytest.raises(InvalidURLError):
        host_key("ftp://example.com/")


def test_helpers() -> None:
    assert scheme_of("MAILTO:x@y") == "mailto"
    assert scheme_of("example.com/a") is None
    assert is_tracking_param("utm_content") and is_tracking_param("FBCLID")
    assert not is_tracking_param("id") and not is_tracking_param("utm")


# -- properties ----------------------------------------------------------------------------------

_segment = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="#?/"), max_size=8)
_label = st.text(alphabet="abcXYZ019-_", min_size=1, max_size=6)
_host = st.builds(lambda labels, dot: ".".join(labels) + dot, st.lists(_label, min_size=1, max_size=3),
                  st.sampled_from(["", "."]))


@st.composite
def urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "hTTps"]))
    host = draw(_host | st.sampled_from(["b\u00fccher.de", "\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444"]))
    port = draw(st.sampled_from(["", ":80", ":443", ":8080", ":"]))
    path = "/".join(draw(st.lists(_segment | st.sampled_from([".", "..", "", "%2e", "%2F", "%7e", "%4%31"]),
                                  max_size=5)))
    query = draw(st.one_of(st.none(), st.text(max_size=20).filter(lambda q: "#" not in q)))
    fragment = draw(st.one_of(st.none(), st.text(max_size=5)))
    url = f"{scheme}://{host}{port}/{path}"
    if query is not None:
        url += "?" + query
    if fragment is not None:
        url += "#" + fragment
    return url


@settings(max_examples=250, deadline=None)
@given(urls())
@example("http://a.com/%4%31")
@example("http://a.com/%%341")
@example("http://a.com/?utm_a=1&")
def test_canonicalize_is_idempotent(url: str) -> None:
    try:
        once = canonicalize(url)
    except InvalidURLError:
        return
    assert canonicalize(once) == once


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_canonicalize_never_crashes_on_garbage(text: str) -> None:
    try:
        once = canonicalize("http://example.com/" + text)
    except InvalidURLError:
        return
    assert canonicalize(once) == once
    assert once.startswith("http://example.com/")


# -- edge cases, from browsers' URL parsing (WHATWG) and published normalizer test suites ----------
# url-normalize: niksite/url-normalize tests/test_url_normalize.py, test_normalize_path.py (MIT);
# w3lib: scrapy/w3lib tests/test_url.py canonicalize_url cases (BSD). Only the cases that agree with
# our rules: both sort query parameters in other cases, url-normalize collapses "//" and turns
# "#!" into "?_escaped_fragment_=".
EDGE_MERGED = [
    ("http://example.com:/x", "http://example.com/x"),  # empty port
    ("http://example.com:081/", "http://example.com:81/"),
    # WHATWG web-platform-tests url/resources/urltestdata.json (3-clause BSD)
    ("http://f:00000000000000/c", "http://f:0/c"),
    ("http://f:00000000000000000000080/c", "http://f/c"),
    ("http://f:\n/c", "http://f/c"),
    ("http://&a:foo(b]c@d:2/", "http://&a:foo(b%5Dc@d:2/"),
    ("http://::@c@d:2", "http://:%3A%40c@d:2/"),
    ("http://foo.com/\\@", "http://foo.com//@"),
    ("https://test:@test", "https://test@test/"),
    ("http://example\t.\norg", "http://example.org/"),
    ("http://127.0.0.1:80/", "http://127.0.0.1/"),
    ("http://www.foo.com.:81/foo", "http://www.foo.com:81/foo"),
    ("http://ex%61mple.com/", "http://example.com/"),  # percent-encoded unreserved in the host
    ("http://%E4%BE%8B.com/", "http://xn--fsq.com/"),
    ("http://\uff25\uff38\uff21\uff2d\uff30\uff2c\uff25\u3002com/", "http://example.com/"),  # full-width, 。
    ("http://[::FFFF:192.0.2.1]/", "http://[::ffff:c000:201]/"),
    ("http://[2001:0DB8:0000:0000:0000:0000:0000:0001]:8080/", "http://[2001:db8::1]:8080/"),
    ("http://@example.com/", "http://example.com/"),
    ("http://:@example.com/", "http://example.com/"),
    ("http://USER:pass@www.Example.COM/foo/bar", "http://USER:pass@www.example.com/foo/bar"),
    ("http://User:Pa%7eSS@Example.com/", "http://User:Pa~SS@example.com/"),
    ("http://u:p:w@a.example/", "http://u:p%3Aw@a.example/"),
    ("http://www.foo.com/%7ebar", "http://www.foo.com/~bar"),
    ("http://example.com/?q=%5c", "http://example.com/?q=%5C"),
    ("https://example.com/a?b=%7e%41&c=%2b", "https://example.com/a?b=~A&c=%2B"),
    ("http://www.example.com/caf%e9-con-leche.htm", "http://www.example.com/caf%E9-con-leche.htm"),  # latin-1 kept
    ("http://www.example.com/a%a3do?q=r%c3%a9sum%c3%a9", "http://www.example.com/a%A3do?q=r%C3%A9sum%C3%A9"),
    ("http://www.example.com/r\u00e9sum\u00e9?q=r\u00e9sum\u00e9", "http://www.example.com/r%C3%A9sum%C3%A9?q=r%C3%A9sum%C3%A9"),
    ("https://example.com/a?q=\u20ac&country=\u0420\u043e\u0441\u0441\u0438\u044f",
     "https://example.com/a?q=%E2%82%AC&country=%D0%A0%D0%BE%D1%81%D1%81%D0%B8%D1%8F"),
    ("https://\u043f\u0440\u0438\u043c\u0435\u0440.\u0438\u0441\u043f\u044b\u0442\u0430\u043d\u0438\u0435/"
     "\u0421\u043b\u0443\u0436\u0435\u0431\u043d\u0430\u044f:Search/Test",
     "https://xn--e1afmkfd.xn--80akhbyknj4f/%D0%A1%D0%BB%D1%83%D0%B6%D0%B5%D0%B1%D0%BD%D0%B0%D1%8F:Search/Test"),
    ("http://example.com/foo/bar/../../../../baz", "http://example.com/baz"),
    ("http:\\\\example.com\\a\\b?q=1", "http://example.com/a/b?q=1"),  # browsers read "\" as "/"
    ("\x00 https://example.com/a \x1f", "https://example.com/a"),  # C0 controls around
]

EDGE_KEPT = [
    "http://127.0.0.1/",
    "http://example.com:8080/",
    "http://example.com/?a&b",
    "http://example.com/?b&a",
    "http://example.com/?q=%C3%87",
    "http://example.com/?q=%E2%85%A0",
    "http://example.com/~jane",
    "http://example.com/FOO",
    "http://user:password@example.com/",
    "http://example.com/More+Tea+Vicar%3F/discussion",
    "http://example.com/..foo",
    "http://example.com/.foo",
    "http://example.com/foo..",
    "http://example.com/foo.",
    "https://example.com/caf%C3%A9?q=%E2%82%AC",  # already-encoded UTF-8 is not encoded again
    "https://example.com/path;jsessionid=1?x=1",  # ;params stay
    "https://example.com/a;b=c/d",
    "http://example.com:65535/",
    "http://a.example/%zz%",  # a stray "%" stays as written, as browsers send it
]


@pytest.mark.parametrize(("raw", "canonical"), EDGE_MERGED)
def test_edge_canonical_forms(raw: str, canonical: str) -> None:
    assert canonicalize(raw) == canonical
    assert canonicalize(canonical) == canonical


@pytest.mark.parametrize("url", EDGE_KEPT)
def test_edge_kept(url: str) -> None:
    assert canonicalize(url) == url


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("http://example.com:65536/", "bad port"),
        ("http://f:b/c", "bad port"),
        ("http://f: /c", "bad port"),
        ("http://f:999999/c", "bad port"),
        ("http://example.com:-1/", "bad port"),
        ("http://example.com:\uff18\uff10/", "bad port"),  # full-width digits are not a port
        ("http://ex%zzample.com/", "bad host"),
        ("http://%FF.com/", "bad host"),
        ("http://[fe80::1%25eth0]/", "zone id"),
        ("http://exa\u00a0mple.com/", "bad host"),
    ],
)
def test_edge_invalid(raw: str, message: str) -> None:
    with pytest.raises(InvalidURLError) as info:
        canonicalize(raw)
    assert message in str(info.value)


def test_idempotence_of_w3lib_cases() -> None:
    for url in ("http://www.b\u00fccher.de/r\u00e9sum\u00e9?q=r\u00e9sum\u00e9",
                "http://\u306f\u3058\u3081\u3088\u3046.\u307f\u3093\u306a/?query=\u30b5&maxResults=5"):
        once = canonicalize(url)
        assert once.isascii() and canonicalize(once) == once


_hosts = st.one_of(
    _host,
    st.sampled_from(["b\u00fccher.de", "[2001:DB8::1]", "127.0.0.1", "EX%41MPLE.com", "\uff41.example"]),
    st.text(min_size=1, max_size=12),
)


@st.composite
def messy_urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http://", "https://", "HTTP://", "http:\\\\"]))
    userinfo = draw(st.sampled_from(["", "user@", "u:p@", "@", "a[b]:c@"]))
    port = draw(st.sampled_from(["", ":80", ":8080", ":", ":99999", ":0"]))
    rest = draw(st.text(max_size=20))
    return scheme + userinfo + draw(_hosts) + port + "/" + rest


@settings(max_examples=300, deadline=None)
@given(messy_urls())
def test_canonical_url_reparses_to_the_same_host(url: str) -> None:
    from urllib.parse import urlsplit

    try:
        canonical = canonicalize(url)
    except InvalidURLError:
        return
    assert canonical.isascii() and not any(c.isspace() for c in canonical)
    assert canonicalize(canonical) == canonical
    parts = urlsplit(canonical)  # any URL parser reads it back: scheme, host and port agree
    scheme, _, rest = host_key(canonical).partition("://")
    host, _, port = rest.rpartition(":")
    assert parts.scheme == scheme
    assert parts.hostname == host.strip("[]")
    default = {"http": 80, "https": 443}[scheme]
    assert (parts.port if parts.port is not None else default) == int(port)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["", "http://", "https://", "http://[", "http://a.example:", "http://u@", "HTTP:\\\\"]),
       st.text(max_size=30))
def test_canonicalize_raises_only_invalid_url_error(prefix: str, text: str) -> None:
    try:
        canonicalize(prefix + text)
    except InvalidURLError:
        pass


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://twitter.com/#!/jack/status/20", "https://twitter.com/#!/jack/status/20"),
        ("https://twitter.com/?utm_source=x#!/jack/status/%7e1", "https://twitter.com/#!/jack/status/~1"),
        ("https://example.org/page#!", "https://example.org/page"),
        ("https://example.org/page#section-2", "https://example.org/page"),
    ],
)
def test_hashbang_fragment_names_the_resource(raw: str, expected: str) -> None:
    assert canonicalize(raw) == expected
    assert canonicalize(expected) == expected


def test_two_hashbang_pages_are_not_merged() -> None:
    a = canonicalize("https://twitter.com/#!/jack/status/20")
    b = canonicalize("https://twitter.com/#!/biz/status/21")
    assert a != b and a != canonicalize("https://twitter.com/")


def test_review_cases_of_resolution_and_fragments() -> None:
    # a fragment holding "?" keeps the base query: two topics are two pages
    assert canonicalize("#top?x", "https://forum.example/viewtopic.php?t=1") == "https://forum.example/viewtopic.php?t=1"
    assert canonicalize("HTTP:HTTP:80", "http://a") == "http://a/HTTP:80"  # the scheme is stripped once
    with pytest.raises(InvalidURLError):
        canonicalize("https://x.org/#!a\ud800")  # a lone surrogate in a hash-bang: invalid, never UnicodeError
