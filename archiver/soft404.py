"""Pure detectors for pages that answer 2xx but are not the page: soft 404s and bot walls.

Contract: no I/O, no randomness except through an injected ``random.Random``. Every
detector returns a short human-readable reason (``str``) when it fires and ``None``
otherwise, so :mod:`archiver.check` can put the evidence in the check's ``detail``.

- :func:`not_found_wording`: the title or main text says the page was not found, in
  English, Russian, German, French or Spanish. A *title* match counts anywhere; a *text*
  match counts only on a short text (an error page), never deep inside an article that
  happens to discuss 404 pages.
- :func:`landing_redirect`: a deep URL that now ends on the site's home page, a language
  root (``/en/``), an ``index``/``home`` page, an error page (``/404``), or one of its own
  parent folders (``/blog/2020/post`` -> ``/blog/``). A URL that was already a home page
  never fires.
- :func:`bot_wall`: the answer is a challenge or bot wall rather than the page:
  Cloudflare ("Just a moment...", "Checking your browser", ``cf-mitigated: challenge``),
  captcha pages (reCAPTCHA, hCaptcha, Turnstile), DataDome, PerimeterX, Incapsula,
  Sucuri, DDoS-Guard, Akamai/AWS "Access Denied" pages. Title markers only count on pages
  of at most :data:`SHORT_TEXT_WORDS` words, markup markers (a captcha widget's class, a
  vendor's script host) on pages of at most :data:`WALL_MARKUP_WORDS` (either on a
  401/403/429/503 answer), so an article with a contact form and a reCAPTCHA, or
  headlined "Access Denied: ...", is not a wall.
- :func:`login_wall`: the site asks to sign in or to accept cookies instead of showing
  the page: a deep URL now redirected to a sign-in page (``/login``, ``/signin``,
  ``/authwall``, ``login.php``, an ``accounts.``/``login.``/``sso.`` host) or to a
  consent page (``consent.google.com``, ``guce.yahoo.com``), or a short page titled
  "Log in"/"Sign in" (EN, DE, FR, ES, RU) with a password field. A citation of a sign-in
  page itself never fires.
- :func:`probe_url` / :func:`probe_pattern`: a random sibling of a URL (same scheme,
  host, parent folder and depth; random last segment, extension kept; or, for a URL
  identified by its query, a random value for its last parameter), and the key under
  which its outcome is cached for a run (one probe per host and pattern).
- :func:`probe_matches`: whether a page looks like what the host answers for that
  "certainly missing" sibling (same final URL, same body, or near-identical text).
"""

from __future__ import annotations

import functools
import random
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from archiver.drift import similarity
from archiver.types import ErrorKind

__all__ = [
    "PROBE_SIMILARITY",
    "SHORT_TEXT_WORDS",
    "WALL_MARKUP_WORDS",
    "Probe",
    "bot_wall",
    "is_short",
    "landing_redirect",
    "login_wall",
    "names_not_found",
    "page_wall",
    "not_found_wording",
    "probe_matches",
    "probe_pattern",
    "probe_url",
    "visible_text",
]

#: A text of at most this many words may be an error page; longer texts are articles.
SHORT_TEXT_WORDS = 150
#: Markup markers alone (a captcha widget's class, a vendor's script) make a wall only on a
#: page with at most this many words: a wall shows a sentence or two, while a short article
#: with a reCAPTCHA on its comment form still has a paragraph or more.
WALL_MARKUP_WORDS = 60
#: A page at least this similar to the answer for a random sibling URL is a soft 404.
PROBE_SIMILARITY = 0.85
#: How much of a body the markup detectors read.
HEAD_BYTES = 64 * 1024

# -- not-found wording --------------------------------------------------------------------------

# Phrases that mean "not found" wherever they appear in a title or a short text.
_NOT_FOUND_PHRASES = [
    # English
    r"page (?:was |could )?not (?:be )?found",
    r"(?:page|file|document|article|post|content|resource|url) "
    r"(?:(?:that )?you(?: are|['’]re| were)? (?:looking|searching) for |you requested |requested )?"
    r"(?:does(?: not|n['’]t)|did(?: not|n['’]t)|no longer|can(?:not|['’]t| not)|could(?: not|n['’]t)|may no longer) "
    r"(?:exists?|be found|be located)",
    r"(?:we|i) (?:can(?:not|['’]t| not)|could(?: not|n['’]t)|were unable to|are unable to) (?:seem to )?"
    r"find (?:the|that|this|what|it|a page)",
    r"(?:error|http) ?404",
    r"404[ :.\-|–—]+(?:page |file )?not found",
    r"nothing (?:was )?found (?:here|at this (?:location|address))",
    r"(?:page|content) (?:is )?no longer available",
    r"this page (?:is missing|has been removed|has been deleted|is gone)",
    # Russian
    r"страниц[аы] не (?:найден[аы]|существует)",
    r"(?:запрашиваемая|запрошенная|искомая) страница",
    r"ошибка 404",
    r"такой страницы (?:нет|не существует)",
    r"страница (?:была )?удалена",
    r"ничего не найдено",
    # German
    r"seite (?:wurde )?nicht gefunden",
    r"seite (?:existiert nicht|gibt es nicht|ist nicht (?:mehr )?verfügbar)",
    r"(?:die|diese) seite (?:konnte nicht gefunden werden|existiert nicht|gibt es nicht)",
    r"fehler 404",
    r"fehlerseite",
    # French
    r"page (?:introuvable|non trouvée|inexistante|non disponible)",
    r"(?:cette|la) page (?:n['’]existe pas|n['’]existe plus|est introuvable|demandée)",
    r"erreur 404",
    # Spanish
    r"p[áa]gina no (?:encontrada|existe|disponible)",
    r"(?:la|esta) p[áa]gina (?:que buscas|solicitada|que est[áa]s buscando)",
    r"no (?:se )?(?:ha )?(?:podido )?encontr(?:ado|ó|ar) (?:la|esta) p[áa]gina",
    r"error 404",
]
_NOT_FOUND = re.compile(r"(?<!\w)(?:" + "|".join(_NOT_FOUND_PHRASES) + r")(?!\w)", re.IGNORECASE)
# Bare words that mean "not found" only when they make up a whole part of a title
# ("Not Found | Example") or a tiny text.
_NOT_FOUND_WEAK = re.compile(
    r"^(?:oops[!.,]?\s*|sorry[!.,]?\s*)?(?:error\s*)?(?:404\s*[-:–—]?\s*)?(?:page\s+|file\s+)?"
    r"(?:not found|404|не найден[аоы]?|nicht gefunden|introuvable|non trouvée|no encontrad[ao])"
    r"(?:\s*\(?404\)?)?[.!]*$",
    re.IGNORECASE,
)
_TITLE_PARTS = re.compile(r"\s+[|\-–—:·•]\s+|\s*[|–—·•]\s*")
_WORD = re.compile(r"\w+")


@functools.cache
def _at_least_words(n: int) -> re.Pattern[str]:
    # Possessive quantifiers: a word (a maximal run of \w, as _WORD finds it) is never split
    # by backtracking, so this matches exactly when the text holds n words or more.
    return re.compile(r"(?:\W*+\w++){" + str(n) + "}")


def _words_upto(text: str, cap: int) -> int:
    """The number of words of ``text`` (as ``_WORD`` finds them), counted up to ``cap``: only
    "is it short?" is ever asked, and every page checked asks it, so a long text is settled by
    one regular expression match in C instead of a Python loop over its first ``cap`` words."""
    if _at_least_words(cap).match(text):
        return cap
    return len(_WORD.findall(text))


def is_short(text: str | None) -> bool:
    """Whether ``text`` has at most :data:`SHORT_TEXT_WORDS` words (an error page's length)."""
    return _words_upto(text or "", SHORT_TEXT_WORDS + 1) <= SHORT_TEXT_WORDS


def names_not_found(url: str) -> bool:
    """Whether ``url`` itself names the "not found" topic (``/docs/Web/HTTP/Status/404``,
    ``/wiki/HTTP_404``): a page there says "not found" because that is its subject."""
    path = unquote(urlsplit(url).path).lower()
    return bool(re.search(r"(?<![0-9])404(?![0-9])|not[-_ ]?found", path))


def not_found_wording(title: str | None, text: str | None) -> str | None:
    """A reason when the title or a short text says the page was not found, else ``None``."""
    title = " ".join((title or "").split())
    if title:
        if match := _NOT_FOUND.search(title):
            return f"title says not found: {match.group(0)!r}"
        for part in _TITLE_PARTS.split(title):
            if _NOT_FOUND_WEAK.match(part.strip()):
                return f"title says not found: {part.strip()!r}"
    words = _words_upto(text or "", SHORT_TEXT_WORDS + 1)
    if words and words <= SHORT_TEXT_WORDS:
        flat = " ".join((text or "").split())
        if match := _NOT_FOUND.search(flat):
            return f"text says not found: {match.group(0)!r}"
        if words <= 30 and any(_NOT_FOUND_WEAK.match(line.strip()) for line in (text or "").splitlines()):
            return "text says not found"
    return None


# -- redirects to a home or landing page --------------------------------------------------------

_LANDING_NAMES = {
    "index", "index.html", "index.htm", "index.php", "index.asp", "index.aspx", "index.jsp", "index.shtml",
    "default.asp", "default.aspx", "default.htm", "default.html", "home", "home.html", "home.php", "homepage",
    "start", "main", "welcome", "portal",
}
_ERROR_NAMES = {"404", "404.html", "404.php", "404.aspx", "notfound", "not-found", "not_found", "pagenotfound",
                "page-not-found", "error", "error.html", "errors", "error404", "error-404", "fehler", "erreur"}
_LANGUAGE = re.compile(r"^[a-z]{2}(?:[-_][a-z]{2})?$", re.IGNORECASE)
# The last segment of a page's own versions: its AMP, print, comments or n-th page view.
_VARIANT = re.compile(
    r"^(?:amp|amp\.html|print|printable|comments?|comment-page-\d+|full|all|single|view|embed|preview"
    r"|reviews?|page-?\d{1,3}|\d{1,3})/?$",
    re.IGNORECASE,
)
# Link shorteners: a short link to a home page is what was meant (aka.ms/vscode). Identifier
# resolvers (doi.org, hdl.handle.net) are not here: a DOI that ends on a home page is broken.
_REDIRECTORS = frozenset({
    "t.co", "bit.ly", "bitly.com", "goo.gl", "tinyurl.com", "ow.ly", "buff.ly", "is.gd", "aka.ms", "lnkd.in",
    "rb.gy", "cutt.ly", "shorturl.at", "tiny.cc", "trib.al", "dlvr.it", "fb.me", "amzn.to", "amzn.eu", "w.wiki",
    "wp.me", "apple.co", "spoti.fi", "redd.it", "t.ly", "s.id", "youtu.be", "g.co", "msft.it", "nyti.ms",
    "wapo.st", "reut.rs", "bbc.in", "cnn.it", "on.ft.com",
})


def _segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


def _is_home(segs: list[str]) -> bool:
    """Whether path segments name a home page: none, ``index.html``/``home``, ``en``, ``en/home``."""
    last = segs[-1].lower() if segs else ""
    if not segs:
        return True
    if len(segs) == 1:
        return last in _LANDING_NAMES or bool(_LANGUAGE.match(last))
    return len(segs) == 2 and bool(_LANGUAGE.match(segs[0])) and last in _LANDING_NAMES


def _site(netloc: str) -> str:
    host = netloc.lower().rsplit("@", 1)[-1]
    host = re.sub(r":(80|443)$", "", host)
    return host.removeprefix("www.")


def landing_redirect(requested: str, final: str | None) -> str | None:
    """A reason when the deep URL ``requested`` ended on a home, landing, error or parent page.

    ``None`` when there was no redirect, when ``requested`` is itself a home page, or when
    the final page is a different deep page (that is a move, judged by content).
    """
    if not final or final == requested:
        return None
    req, fin = urlsplit(requested), urlsplit(final)
    req_segs, fin_segs = _segments(req.path), _segments(fin.path)
    if not req.query and _is_home(req_segs):
        return None  # the citation was a home page already (/, /index.html, /en/, /de/home)
    if (req_segs, req.query) == (fin_segs, fin.query) and _site(req.netloc) == _site(fin.netloc):
        return None  # scheme, www. or trailing-slash change only
    same_site = _site(req.netloc) == _site(fin.netloc)
    if (same_site and req_segs and req_segs[-1].lower() in _LANDING_NAMES and fin_segs == req_segs[:-1]
            and req.query == fin.query):
        return None  # /docs/index.html -> /docs/: the same page by its folder's name (index.php?id=1 is not)
    if any(s.lower() in _ERROR_NAMES for s in fin_segs):
        return f"redirects to an error page {final}"
    if not fin_segs or _is_home(fin_segs):
        if not same_site and _site(req.netloc) in _REDIRECTORS:
            return None  # bit.ly/x -> https://www.python.org/: a short link to a home page, as meant
        return f"redirects to the home page {final}"
    # A parent is a section page (/blog/post -> /blog/), unless what was left out only names a
    # version of the page itself (/story/amp -> /story, /p/1/print, /item/5/reviews).
    up = len(req_segs) - len(fin_segs)
    if same_site and up > 0 and req_segs[: len(fin_segs)] == fin_segs:
        if up == 1 and _VARIANT.match(req_segs[-1]):
            return None
        return f"redirects to a parent page {final}"
    return None


# -- bot walls and challenges -------------------------------------------------------------------

_WALL_TITLES = [
    (r"just a moment", "Cloudflare challenge"),
    (r"attention required!? \| cloudflare", "Cloudflare block page"),
    (r"checking (?:your|if the site connection is secure|the site connection)", "browser check"),
    (r"please wait while we verify|verifying (?:you are|that you are) (?:a )?human|verify you are (?:a )?human",
     "human verification"),
    (r"are you a (?:robot|human)|robot check|bot (?:check|verification)|human verification", "robot check"),
    (r"captcha", "captcha page"),
    (r"security check|security verification", "security check"),
    (r"pardon our interruption", "Imperva/Distil bot wall"),
    (r"one more step", "Cloudflare challenge"),
    (r"ddos-guard|ddos protection", "DDoS protection page"),
    (r"access (?:to this page has been )?denied", "access denied page"),
    (r"request unsuccessful", "Incapsula block page"),
    (r"you have been blocked|sorry, you have been blocked", "block page"),
]
_WALL_TITLE = [(re.compile(p, re.IGNORECASE), why) for p, why in _WALL_TITLES]

_WALL_MARKUP = [
    # (not /cdn-cgi/challenge-platform/scripts/jsd/: Cloudflare's bot detection on ordinary pages)
    (r"/cdn-cgi/challenge-platform/(?!scripts/jsd/)|cf-browser-verification|cf_chl_opt|window\._cf_chl",
     "Cloudflare challenge"),
    (r"checking your browser before accessing|enable javascript and cookies to continue", "browser check"),
    (r"captcha-delivery\.com|datadome", "DataDome captcha"),
    (r"px-captcha|perimeterx|_pxappid|press (?:&amp;|&) hold", "PerimeterX (HUMAN) challenge"),
    (r"incapsula incident id|_incapsula_resource", "Incapsula block page"),
    (r"distil_r_captcha|distilcaptcha", "Distil captcha"),
    (r"sucuri website firewall", "Sucuri firewall"),
    (r"ddos-guard", "DDoS-Guard check"),
    (r"awswaf|aws-waf-token|gokuprops", "AWS WAF challenge"),
    (r"class=[\"'][^\"']*\bcf-turnstile\b|challenges\.cloudflare\.com/turnstile", "Turnstile captcha"),
    # (not api.js?render=KEY: reCAPTCHA v3, invisible and loaded site-wide)
    (r"class=[\"'][^\"']*\bg-recaptcha\b|google\.com/recaptcha/(?:api|enterprise)\.js(?!\?render=(?!explicit))",
     "reCAPTCHA"),
    (r"class=[\"'][^\"']*\bh-captcha\b|hcaptcha\.com/1/api", "hCaptcha"),
    (r"errors\.edgesuite\.net|reference #\d+\.[0-9a-f]+", "Akamai access denied"),
]
_WALL_MARK = [(re.compile(p, re.IGNORECASE), why) for p, why in _WALL_MARKUP]


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value
    return None


_TITLE_TAG = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def _page_title(title: str | None, head: str) -> str:
    """``title``, else the ``<title>`` of the page's start ``head``, white space collapsed."""
    if not title and head:
        match = _TITLE_TAG.search(head)
        title = match.group(1) if match else None
    return " ".join((title or "").split())


def bot_wall(
    status: int | None,
    headers: Mapping[str, str] | None,
    title: str | None,
    text: str | None,
    html: str | None,
) -> str | None:
    """A reason when the answer is a bot wall or challenge page rather than the page, else ``None``.

    ``text`` is the extracted main text (may be ``None``), ``html`` the start of the raw
    body decoded (only the first :data:`HEAD_BYTES` are read).
    """
    if (_header(headers, "cf-mitigated") or "").lower() == "challenge":
        return "bot wall: Cloudflare challenge (cf-mitigated: challenge)"
    if any(k.lower().startswith("x-datadome") for k in (headers or {})) and status in (403, 429):
        return "bot wall: DataDome"
    server = (_header(headers, "server") or "").lower()
    if "ddos-guard" in server and status in (403, 503):
        return "bot wall: DDoS-Guard"
    head = (html or "")[:HEAD_BYTES]
    page_title = _page_title(title, head)
    words = _words_upto(text or visible_text(head), SHORT_TEXT_WORDS + 1)
    refused = status is not None and status in (401, 403, 429, 503)
    # A wall has little text: a headline such as "Access Denied: ..." over a long article is no wall.
    if page_title and len(_WORD.findall(page_title)) <= 12 and (words <= SHORT_TEXT_WORDS or refused):
        for pattern, why in _WALL_TITLE:
            if pattern.search(page_title):
                return f"bot wall: {why} ({page_title!r})"
    if words <= WALL_MARKUP_WORDS or refused:
        for pattern, why in _WALL_MARK:
            if pattern.search(head):
                return f"bot wall: {why}"
    return None


# -- sign-in and consent walls ------------------------------------------------------------------

_LOGIN_NAMES = {
    "login", "log-in", "log_in", "logon", "signin", "sign-in", "sign_in", "authwall", "servicelogin", "anmelden",
    "einloggen", "connexion", "se-connecter", "iniciar-sesion", "vhod",
}
_LOGIN_HOSTS = ("login.", "signin.", "sso.", "auth.", "accounts.", "account.", "myaccount.")
_CONSENT_NAMES = {"consent", "collectconsent", "cookie-consent", "cookieconsent", "cookiewall", "cookie-wall"}
_CONSENT_HOSTS = ("consent.", "guce.")
_SCRIPT_EXT = re.compile(r"\.(?:php\d?|aspx?|jsp|html?|do|action|cgi|cfm)$", re.IGNORECASE)
_LOGIN_TITLE = re.compile(
    r"(?<!\w)(?:log ?in(?:to)?|log on|sign ?in|sign on|anmelden|einloggen|anmeldung|connexion|se connecter|"
    r"identifiez-vous|iniciar sesi[oó]n|inicia sesi[oó]n|вход|войти|авторизация)(?!\w)",
    re.IGNORECASE,
)
_PASSWORD_INPUT = re.compile(r"<input\b[^>]*\btype\s*=\s*[\"']?password\b", re.IGNORECASE)


def _wall_kind(url: str) -> str | None:
    """``"login"`` or ``"consent"`` when ``url`` names a sign-in or cookie-consent page."""
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    names = {_SCRIPT_EXT.sub("", s).lower() for s in _segments(parts.path)}
    if host.startswith(_CONSENT_HOSTS) or names & _CONSENT_NAMES:
        return "consent"
    if names & _LOGIN_NAMES:
        return "login"
    # A sign-in host only counts with a path (accounts.example.org/ alone may be a portal).
    if host.startswith(_LOGIN_HOSTS) and names:
        return "login"
    return None


def login_wall(
    requested: str,
    final: str | None,
    title: str | None,
    text: str | None,
    html: str | None,
) -> str | None:
    """A reason when the site shows a sign-in or cookie-consent wall instead of the page, else ``None``.

    Such a page says the site refuses an anonymous reader, not that the page is gone
    (``blocked``). Fires for a redirect from ``requested`` to a sign-in or consent page,
    or for a short page (at most :data:`SHORT_TEXT_WORDS` words of ``text``) titled
    "Log in"/"Sign in" whose markup (``html``, the start of the body) has a password
    field; the last only for a deep link (a home page such as ``facebook.com/`` may be its
    sign-in page). Never fires when ``requested`` is itself a sign-in or consent page: a
    citation of a login page that still shows it is fine.
    """
    if _wall_kind(requested) is not None:
        return None
    if final and final != requested:
        kind = _wall_kind(final)
        if kind == "consent":
            return f"consent wall: redirects to a cookie-consent page {final}; the page may be fine"
        if kind == "login":
            return f"login wall: redirects to the sign-in page {final}; the page may be fine for signed-in readers"
    parts = urlsplit(requested)
    if not parts.query and _is_home(_segments(parts.path)):
        return None  # facebook.com/ or accounts.google.com/ *is* a sign-in page: that was cited
    head = (html or "")[:HEAD_BYTES]
    page_title = _page_title(title, head)
    if (page_title and len(_WORD.findall(page_title)) <= 12 and _LOGIN_TITLE.search(page_title)
            and _PASSWORD_INPUT.search(head) and is_short(text or visible_text(head))):
        return f"login wall: the page asks to sign in ({page_title!r}); it may be fine for signed-in readers"
    return None


def page_wall(
    status: int | None,
    headers: Mapping[str, str] | None,
    requested: str,
    final: str | None,
    title: str | None,
    text: str | None,
    html: str | None,
) -> str | None:
    """:func:`bot_wall`, else :func:`login_wall`, for a 2xx page: the reason the page shown
    is a wall rather than the page, or ``None``. ``text`` may be ``None`` (the visible text
    of ``html`` stands in); ``html`` is the start of the body decoded."""
    page_text = text or visible_text((html or "")[:HEAD_BYTES]) or None
    return bot_wall(status, headers, title, page_text, html) or login_wall(requested, final, title, page_text, html)


_TAGS = re.compile(r"<(script|style|noscript)\b.*?</\1\s*>|<!--.*?-->|<[^>]+>", re.IGNORECASE | re.DOTALL)


def visible_text(html: str | None) -> str:
    """Rough visible text of an HTML fragment (tags, scripts and styles dropped), for short pages."""
    if not html:
        return ""
    return " ".join(_TAGS.sub(" ", html).split())


# -- probes -------------------------------------------------------------------------------------

_EXT = re.compile(r"(\.[A-Za-z0-9]{1,5})$")
_SCRIPT = re.compile(r"\.(?:php\d?|aspx?|jsp|cgi|pl|py|do|action|cfm)$", re.IGNORECASE)
_ID_PARAMS = {"id", "p", "page_id", "pid", "aid", "v", "article", "articleid", "story", "storyid", "item", "doc",
              "docid", "post", "postid", "nid", "uid", "t", "topic", "title", "page", "q"}


def _query_param(url: str) -> int | None:
    """Index of the query parameter that identifies the page, or ``None`` when the path does."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if not pairs:
        return None
    segs = _segments(parts.path)
    for i in range(len(pairs) - 1, -1, -1):
        if pairs[i][0].lower() in _ID_PARAMS:
            return i
    if not segs or _SCRIPT.search(segs[-1]):
        return len(pairs) - 1
    return None


def probe_pattern(url: str) -> str | None:
    """The cache key of ``url``'s probe: scheme, host, parent folder and the shape of its last part.

    ``None`` when ``url`` has no last segment nor identifying query to vary (a home page).
    """
    parts = urlsplit(url)
    index = _query_param(url)
    if index is not None:
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        names = "&".join(k if i != index else f"{k}=*" for i, (k, _) in enumerate(pairs))
        return f"{parts.scheme}://{parts.netloc}{parts.path}?{names}"
    if not _segments(parts.path):
        return None
    segs = parts.path.split("/")
    trailing = parts.path.endswith("/")
    last = segs[-2] if trailing else segs[-1]
    parent = "/".join(segs[:-2] if trailing else segs[:-1])
    ext = _EXT.search(last)
    return f"{parts.scheme}://{parts.netloc}{parent}/*{ext.group(1) if ext else ''}{'/' if trailing else ''}"


def _token(rng: random.Random, like: str) -> str:
    if like.isdigit():
        return "9" + "".join(rng.choice(string.digits) for _ in range(max(8, len(like)) - 1))
    return "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(16))


def probe_url(url: str, rng: random.Random | None = None) -> str | None:
    """A random sibling of ``url`` that certainly does not exist, or ``None`` for a home page.

    Same scheme, host, parent folder and depth; a random last segment (its extension and
    any trailing slash kept; the query dropped). For a page identified by its query
    (``?id=123``, or any query on a script such as ``/article.php``), the value of that
    parameter is randomized instead (digits stay digits).
    """
    rng = rng or random.Random()
    parts = urlsplit(url)
    index = _query_param(url)
    if index is not None:
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        name, value = pairs[index]
        pairs[index] = (name, _token(rng, value))
        return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(pairs), ""))
    if not _segments(parts.path):
        return None
    segs = parts.path.split("/")
    trailing = parts.path.endswith("/")
    at = -2 if trailing else -1
    ext = _EXT.search(segs[at])
    segs[at] = _token(rng, "") + (ext.group(1) if ext else "")
    return urlunsplit((parts.scheme, parts.netloc, "/".join(segs), "", ""))


@dataclass(frozen=True)
class Probe:
    """What a host answered for a random sibling URL (see :func:`probe_url`).

    ``text`` is the extracted main text (or the visible text when extraction found none).
    """

    url: str
    pattern: str
    status: int | None = None
    final_url: str | None = None
    title: str | None = None
    text: str | None = None
    sha256: str | None = None
    error: ErrorKind | None = None

    @property
    def answered_2xx(self) -> bool:
        """True when the "certainly missing" URL answered 2xx: the host hides missing pages."""
        return self.error is None and self.status is not None and 200 <= self.status < 300


def probe_matches(
    probe: Probe | None,
    *,
    final_url: str | None,
    title: str | None,
    text: str | None,
    sha256: str | None,
) -> str | None:
    """A reason when a page looks like the host's answer for a missing sibling, else ``None``.

    Fires only when the probe answered 2xx and: both ended on the same redirect target,
    or the bodies are identical, or the texts are at least :data:`PROBE_SIMILARITY`
    similar, or (no text on either side) the titles are equal.
    """
    if probe is None or not probe.answered_2xx:
        return None
    why = f"a random sibling URL ({probe.url}) answers {probe.status} with the same page"
    if final_url and probe.final_url and probe.final_url != probe.url and probe.final_url == final_url:
        return f"a random sibling URL ({probe.url}) redirects to the same page {final_url}"
    if sha256 and probe.sha256 == sha256:
        return why
    if text and probe.text:
        score = similarity(text, probe.text)
        return f"{why} (similarity {score:.2f})" if score >= PROBE_SIMILARITY else None
    if not text and not probe.text and title and probe.title == title:
        return why
    return None
