"""The pure soft-404 and bot-wall detectors, and probe URLs."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from archiver.soft404 import (
    Probe,
    bot_wall,
    landing_redirect,
    login_wall,
    not_found_wording,
    probe_matches,
    probe_pattern,
    probe_url,
    visible_text,
)

FIX = Path(__file__).parent / "fixtures" / "check"
ARTICLE = (FIX / "article_bikes.txt").read_text(encoding="utf-8")

# -- not-found wording --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    [
        "Page not found",
        "404 Not Found",
        "Error 404 | Example News",
        "Not Found",
        "Oops! The page you are looking for does not exist",
        "Страница не найдена",
        "Ошибка 404 — Новости",
        "Seite nicht gefunden",
        "Fehler 404 - Beispiel GmbH",
        "Page introuvable",
        "Erreur 404 : page non trouvée",
        "Página no encontrada",
        "Error 404 - La página que buscas no existe",
        "File not found",
    ],
)
def test_not_found_titles(title: str) -> None:
    assert not_found_wording(title, None) is not None


@pytest.mark.parametrize(
    "text",
    [
        "Sorry, the page you requested could not be found. Try the search box or go back to the home page.",
        "We can't find the page you're looking for.",
        "К сожалению, запрашиваемая страница не существует или была удалена.",
        "Die Seite konnte nicht gefunden werden. Bitte prüfen Sie die Adresse.",
        "Désolé, cette page n'existe pas ou a été déplacée.",
        "Lo sentimos, no hemos podido encontrar la página que estás buscando.",
        "Not found",
    ],
)
def test_not_found_short_texts(text: str) -> None:
    assert not_found_wording("Example site", text) is not None


@pytest.mark.parametrize(
    "title,text",
    [
        ("City council approves bike lanes", ARTICLE),
        ("Why a good 404 page matters for your site", ARTICLE),
        ("The not found generation: young voters and politics", ARTICLE),
        ("Lost and found", "A short note about things people leave on trains."),
        # a long article that discusses error pages is not an error page
        ("Designing error pages", ARTICLE + "\nA page not found message should help the reader. " * 3),
    ],
)
def test_articles_are_not_not_found(title: str, text: str) -> None:
    assert not_found_wording(title, text) is None


# -- landing redirects --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "requested,final,kind",
    [
        ("https://ex.org/news/2020/05/story", "https://ex.org/", "home page"),
        ("https://ex.org/news/story", "https://www.ex.org/en/", "home page"),
        ("https://ex.org/a/b", "https://ex.org/index.html", "home page"),
        ("https://ex.org/a/b", "https://ex.org/de/home", "home page"),
        ("https://ex.org/a/b", "https://ex.org/errors/404", "error page"),
        ("https://ex.org/docs/v1/install", "https://ex.org/docs/", "parent page"),
        ("https://ex.org/item?id=42", "https://ex.org/", "home page"),
        ("http://old-domain.org/research/paper", "https://parked.example/", "home page"),
    ],
)
def test_landing_redirects(requested: str, final: str, kind: str) -> None:
    reason = landing_redirect(requested, final)
    assert reason is not None and kind in reason and final in reason


@pytest.mark.parametrize(
    "requested,final",
    [
        ("https://ex.org/", "https://ex.org/en/"),  # the citation was a home page already
        ("https://ex.org/index.html", "https://ex.org/"),  # so was this one, by another name
        ("https://ex.org/en/", "https://ex.org/"),
        ("https://ex.org/de/home", "https://www.ex.org/de/"),
        ("https://ex.org/a/b", "https://ex.org/a/b"),
        ("https://ex.org/a/b", None),
        ("http://ex.org/a/b", "https://ex.org/a/b/"),  # scheme + slash only
        ("https://ex.org/a/b", "https://ex.org/c/b-renamed"),  # a move: judged by content
        ("https://ex.org/a/b", "https://other.org/a"),  # another site's folder is not our parent
    ],
)
def test_not_landing_redirects(requested: str, final: str | None) -> None:
    assert landing_redirect(requested, final) is None


def test_not_landing_redirects_from_review() -> None:
    # ordinary redirects that are the page itself, or what a short link meant (found by review)
    for req, fin in [
        ("https://ex.org/docs/index.html", "https://ex.org/docs/"),
        ("https://ex.org/news/story-1/amp", "https://ex.org/news/story-1"),
        ("https://ex.org/p/123/print", "https://ex.org/p/123"),
        ("https://bit.ly/3abcDEF", "https://www.python.org/"),
        ("https://aka.ms/vscode", "https://code.visualstudio.com/"),
    ]:
        assert landing_redirect(req, fin) is None, (req, fin)
    # while a removed post sent to its section folder still is a soft 404
    assert "parent page" in (landing_redirect("https://ex.org/blog/old-post", "https://ex.org/blog/") or "")
    assert "home page" in (landing_redirect("https://other.example/some/post", "https://www.python.org/") or "")


# -- sign-in and consent walls ------------------------------------------------------------------


@pytest.mark.parametrize(
    "requested,final,kind",
    [
        ("https://www.nytimes.com/2020/01/01/us/story.html",
         "https://myaccount.nytimes.com/auth/login?response_type=cookie&redirect_uri=x", "login wall"),
        ("https://www.linkedin.com/posts/someone_activity-1", "https://www.linkedin.com/authwall?trk=gf", "login wall"),
        ("https://www.instagram.com/p/Cx1/", "https://www.instagram.com/accounts/login/?next=/p/Cx1/", "login wall"),
        ("https://www.facebook.com/story.php?story_fbid=1", "https://www.facebook.com/login.php?next=x", "login wall"),
        ("https://medium.com/@a/post-1", "https://medium.com/m/signin?redirect=x", "login wall"),
        ("https://gitlab.example.org/g/p/-/issues/1", "https://gitlab.example.org/users/sign_in", "login wall"),
        ("https://www.wsj.com/articles/x-1", "https://sso.accounts.dowjones.com/login-page?op=x", "login wall"),
        ("https://docs.google.com/document/d/1/edit", "https://accounts.google.com/ServiceLogin?continue=x",
         "login wall"),
        ("https://news.yahoo.com/story-1.html", "https://guce.yahoo.com/consent?brandType=nonEu", "consent wall"),
        ("https://www.youtube.com/watch?v=abc", "https://consent.youtube.com/m?continue=x", "consent wall"),
        ("https://www.example.de/artikel/1", "https://www.example.de/cookie-consent?ref=x", "consent wall"),
    ],
)
def test_redirects_to_sign_in_or_consent_pages_are_walls(requested: str, final: str, kind: str) -> None:
    reason = login_wall(requested, final, None, None, None)
    assert reason is not None and reason.startswith(kind) and final in reason


@pytest.mark.parametrize(
    "requested,final",
    [
        ("https://ex.org/login", "https://ex.org/login/"),  # the citation was a sign-in page itself
        ("https://accounts.ex.org/help/recover", "https://accounts.ex.org/help/recover-account"),
        ("https://ex.org/blog/how-to-login", "https://ex.org/blog/how-to-log-in"),  # words in a slug
        ("https://ex.org/a/b", "https://ex.org/a/b"),
        ("https://ex.org/a/b", None),
        ("https://ex.org/a/b", "https://accounts.ex.org/"),  # a bare accounts host: a portal, not a wall
        ("https://ex.org/papers/1", "https://id.ex.org/papers/1"),  # an identifier host is no sign-in
        ("http://ex.org/a", "https://ex.org/a"),
    ],
)
def test_other_redirects_are_not_walls(requested: str, final: str | None) -> None:
    assert login_wall(requested, final, None, None, None) is None


def test_a_short_page_titled_log_in_with_a_password_field_is_a_wall() -> None:
    html = ('<html><head><title>Log into Facebook</title></head><body><form><input type="email" name="e">'
            "<input type=password name=p></form></body></html>")
    reason = login_wall("https://ex.org/a", "https://ex.org/a", None, None, html)
    assert reason is not None and "Log into Facebook" in reason
    russian = html.replace("Log into Facebook", "Вход — Пример")
    assert login_wall("https://ex.org/a", None, None, None, russian) is not None


def test_a_cited_home_page_that_is_a_sign_in_page_is_no_wall() -> None:
    html = '<title>Facebook \u2013 log in or sign up</title><form><input type="password" name="pass"></form>'
    assert login_wall("https://www.facebook.com/", "https://www.facebook.com/", None, None, html) is None
    assert login_wall("https://www.facebook.com/groups/123/posts/9", None, None, None, html) is not None


def test_site_wide_bot_detection_scripts_on_short_pages_are_no_walls() -> None:
    short = "A photo of the harbour at dawn, by our staff photographer."
    jsd = '<p>photo</p><script src="/cdn-cgi/challenge-platform/scripts/jsd/main.js"></script>'
    assert bot_wall(200, {}, "Harbour at dawn", short, jsd) is None
    v3 = '<p>photo</p><script src="https://www.google.com/recaptcha/api.js?render=6LcKEY"></script>'
    assert bot_wall(200, {}, "Harbour at dawn", short, v3) is None
    v2 = '<form><div class="g-recaptcha" data-sitekey="k"></div></form>'
    assert bot_wall(200, {}, "example.org", "Please confirm.", v2) is not None


def test_articles_about_signing_in_are_not_walls() -> None:
    form = '<form><input type="password" name="p"></form>'
    # a sign-in title without a password field, a password field under another title, a long article
    assert login_wall("https://ex.org/a", None, "How to log in safely", "Tips.", "<p>tips</p>") is None
    assert login_wall("https://ex.org/a", None, "Change your router settings", "Steps.", form) is None
    long_text = " ".join(["word"] * 400)
    assert login_wall("https://ex.org/a", None, "Sign in with passkeys: a guide", long_text, form) is None


# -- bot walls ----------------------------------------------------------------------------------


def test_cloudflare_challenge_page() -> None:
    html = (FIX / "cloudflare_challenge.html").read_text()
    reason = bot_wall(403, {"Server": "cloudflare"}, None, None, html)
    assert reason is not None and "Cloudflare" in reason
    # the same page with a 200 and no title given is still a wall
    assert bot_wall(200, {}, None, None, html) is not None


def test_cf_mitigated_header_alone() -> None:
    assert "cf-mitigated" in (bot_wall(403, {"CF-Mitigated": "challenge"}, None, None, "") or "")


def test_datadome_and_perimeterx() -> None:
    dd = bot_wall(403, {"X-DataDome": "protected"}, None, None, (FIX / "datadome_captcha.html").read_text())
    assert dd is not None and "DataDome" in dd
    px = bot_wall(403, {}, None, None, (FIX / "perimeterx_block.html").read_text())
    assert px is not None
    assert bot_wall(200, {}, None, None, (FIX / "datadome_captcha.html").read_text()) is not None


@pytest.mark.parametrize(
    "title",
    ["Just a moment...", "Attention Required! | Cloudflare", "Are you a robot?", "Pardon Our Interruption",
     "Security check", "DDoS-Guard", "Access denied", "Verify you are human"],
)
def test_wall_titles(title: str) -> None:
    assert bot_wall(200, {}, title, None, None) is not None


def test_article_with_a_recaptcha_form_is_not_a_wall() -> None:
    html = (FIX / "article_with_recaptcha.html").read_text()
    assert len(visible_text(html).split()) > 150
    assert bot_wall(200, {}, "How we restored the old mill | Heritage Trust", None, html) is None


def test_a_captcha_widget_makes_a_wall_only_on_a_page_with_a_sentence_or_two() -> None:
    html = (FIX / "article_with_recaptcha.html").read_text()
    brief = " ".join(["word"] * 100)  # the main text of a short news brief with a comment form
    assert bot_wall(200, {}, "How we restored the old mill", brief, html) is None
    wall = "Please complete the security check to continue to the site."
    assert "reCAPTCHA" in (bot_wall(200, {}, "example.org", wall, html) or "")
    assert "reCAPTCHA" in (bot_wall(403, {}, "example.org", brief, html) or "")  # a refusal: any length


def test_plain_pages_are_not_walls() -> None:
    assert bot_wall(200, {"Server": "cloudflare"}, "City council approves bike lanes", ARTICLE, "<p>hi</p>") is None
    assert bot_wall(403, {}, None, None, "<h1>Forbidden</h1>") is None  # a 403, but no wall markers


# -- probes -------------------------------------------------------------------------------------


def test_probe_url_keeps_parent_depth_and_extension() -> None:
    rng = random.Random(7)
    probe = probe_url("https://ex.org/blog/2020/post.html?utm=1", rng)
    assert probe is not None
    assert probe.startswith("https://ex.org/blog/2020/") and probe.endswith(".html")
    assert probe.count("/") == "https://ex.org/blog/2020/post.html".count("/")
    assert probe != "https://ex.org/blog/2020/post.html"
    slash = probe_url("https://ex.org/wiki/Page/", rng)
    assert slash is not None and slash.startswith("https://ex.org/wiki/") and slash.endswith("/")


def test_probe_url_for_query_ids_and_home() -> None:
    rng = random.Random(1)
    probe = probe_url("https://ex.org/article.php?section=news&id=12345", rng)
    assert probe is not None and probe.startswith("https://ex.org/article.php?section=news&id=")
    assert probe.rsplit("=", 1)[1].isdigit() and not probe.endswith("=12345")
    assert probe_url("https://ex.org/", rng) is None
    assert probe_pattern("https://ex.org/") is None


def test_probe_urls_are_random() -> None:
    rng = random.Random(3)
    assert len({probe_url("https://ex.org/a/b", rng) for _ in range(20)}) == 20


def test_probe_pattern_groups_siblings() -> None:
    assert probe_pattern("https://ex.org/a/x.html") == probe_pattern("https://ex.org/a/y.html")
    assert probe_pattern("https://ex.org/a/x.html") != probe_pattern("https://ex.org/a/x")
    assert probe_pattern("https://ex.org/a/x") != probe_pattern("https://ex.org/b/x")
    assert probe_pattern("https://ex.org/a/x") != probe_pattern("https://other.org/a/x")
    assert probe_pattern("https://ex.org/p?id=1") == probe_pattern("https://ex.org/p?id=2")


TEMPLATE = "Welcome to our shop. Browse our categories: garden, kitchen, tools, toys. Free delivery over 50 euros."


def test_probe_matches_same_template() -> None:
    probe = Probe(url="https://ex.org/a/zzz", pattern="p", status=200, final_url="https://ex.org/a/zzz",
                  text=TEMPLATE, sha256="s1")
    assert probe_matches(probe, final_url="https://ex.org/a/b", title=None, text=TEMPLATE, sha256="s2")
    assert probe_matches(probe, final_url="https://ex.org/a/b", title=None, text=ARTICLE, sha256="s3") is None


def test_probe_matches_same_body_or_redirect_target() -> None:
    probe = Probe(url="https://ex.org/a/zzz", pattern="p", status=200, final_url="https://ex.org/landing",
                  sha256="same")
    assert probe_matches(probe, final_url="https://ex.org/x", title=None, text=None, sha256="same")
    assert probe_matches(probe, final_url="https://ex.org/landing", title=None, text=None, sha256="other")


def test_probe_that_404s_never_matches() -> None:
    probe = Probe(url="https://ex.org/a/zzz", pattern="p", status=404, text=TEMPLATE, sha256="s")
    assert probe_matches(probe, final_url=None, title=None, text=TEMPLATE, sha256="s") is None
    assert probe_matches(None, final_url=None, title=None, text=TEMPLATE, sha256="s") is None


@pytest.mark.parametrize(
    "title",
    ["How CAPTCHA tests became a burden", "Access Denied: inside the voting rights fight",
     "One more step toward peace in the region", "Airport security check lines grow",
     "Just a moment of silence for the victims"],
)
def test_article_headlines_that_sound_like_walls_are_not_walls(title: str) -> None:
    assert len(ARTICLE.split()) > 150
    assert bot_wall(200, {}, title, ARTICLE, f"<title>{title}</title><p>{ARTICLE}</p>") is None


def test_word_count_up_to_a_cap_matches_a_plain_count() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from archiver.soft404 import _WORD, _words_upto

    alphabet = st.sampled_from(list("ab é1_ \n\t-.,!?ßж中") + ["  ", "word", "--"])

    @settings(max_examples=300, deadline=None)
    @given(st.lists(alphabet, max_size=60).map("".join), st.integers(1, 12))
    def check(text: str, cap: int) -> None:
        assert _words_upto(text, cap) == min(len(_WORD.findall(text)), cap)

    check()
    assert _words_upto("abc", 2) == 1  # one word is never split in two
    assert _words_upto("one two three " * 100, 151) == 151


def test_landing_rules_from_the_second_review() -> None:
    # a deleted CMS page (its id in the query) sent to the front page is a soft 404
    assert "home page" in (landing_redirect("https://news.example.com/index.php?id=123",
                                            "https://news.example.com/") or "")
    assert "parent page" in (landing_redirect("https://ex.org/forum/index.php?topic=5", "https://ex.org/forum/") or "")
    # a DOI names one article: ending on a publisher's home page means it is broken
    assert "home page" in (landing_redirect("https://doi.org/10.1234/abcd.5678", "https://www.publisher.example/")
                           or "")
    # one level up is a section page unless the left-out segment names a version of the page
    assert "parent page" in (landing_redirect("https://ex.org/news/story-123", "https://ex.org/news") or "")
    assert landing_redirect("https://ex.org/item/5/reviews", "https://ex.org/item/5") is None


def test_urls_that_name_the_not_found_topic() -> None:
    from archiver.soft404 import names_not_found

    assert names_not_found("https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/404")
    assert names_not_found("https://en.wikipedia.org/wiki/HTTP_404")
    assert not names_not_found("https://ex.org/news/2024/story-14045")
