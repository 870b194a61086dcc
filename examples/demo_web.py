"""A tiny local web for trying archiver without the internet (the README's examples use it).

    python examples/demo_web.py            # serves http://127.0.0.1:8765/ until Ctrl-C
    python examples/demo_web.py --changed  # the same site, months later: pages moved, died, changed

It also writes ``examples/demo-article.md``, an article citing the demo pages (with ``--port N``
its links point to that port). Because the
pages live on 127.0.0.1, archiver must be told ``--allow-private`` to fetch them (it refuses
loopback and private addresses by default).
"""

from __future__ import annotations

import argparse
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PORT = 8765

NAV = """<header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/business">Business</a>
<a href="/about">About us</a></nav></header>"""
FOOTER = """<footer><a href="/privacy">Privacy</a> <a href="/contact">Contact</a>
<a href="https://twitter.com/share">Share</a></footer>"""


def page(title: str, paragraphs: list[str], date: str = "2025-04-11", lang: str = "en", charset: str = "utf-8") -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="{charset}"><title>{title}</title>
<meta name="author" content="Staff reporter"><meta property="article:published_time" content="{date}"></head>
<body>{NAV}
<main><article><h1>{title}</h1><p class="date">Published {date}</p>
{body}
</article></main>
<aside><h2>Related</h2><a href="/world/other-story">Another story</a></aside>
{FOOTER}</body></html>"""


FLIGHTS = [
    "Moscow wants clearer answers on its proposal to resume direct flights between Russia and the United States, "
    "the deputy foreign minister said on Tuesday.",
    "“The third round of bilateral consultations on irritants is approaching. It’s too early to talk about a "
    "specific date, but I hope the discussions will take place very soon,” he told the news agency.",
    "Officials from the two countries met in Istanbul on Feb. 27 and April 10 to discuss the work of their "
    "embassies, visas for diplomats and the return of six seized diplomatic properties.",
]
SANCTIONS = [
    "Russia asked the United States to lift sanctions from the national airline Aeroflot as part of the talks, "
    "the foreign minister said on Friday.",
    "He said the request was one of several practical steps discussed in Istanbul, alongside the restoration of "
    "direct air travel and banking services for the embassies.",
    "Washington has not publicly responded to the request, and officials said any easing would depend on progress "
    "toward a ceasefire in Ukraine.",
]
RU_TEXT = [
    "Третий раунд двусторонних консультаций по раздражителям приближается, заявил заместитель министра.",
    "Говорить о конкретной дате пока рано, но он надеется, что обсуждения состоятся очень скоро.",
]


def site(changed: bool, base: str) -> dict[str, tuple[int, dict[str, str], bytes]]:
    html = "text/html; charset=utf-8"
    pages: dict[str, tuple[int, dict[str, str], bytes]] = {
        "/": (200, {"Content-Type": html}, page("Demo News", ["Welcome to the front page."]).encode()),
        "/2025/04/flights": (200, {"Content-Type": html}, page("Russia seeks answers on flights", FLIGHTS).encode()),
        "/2025/04/aeroflot": (
            200,
            {"Content-Type": html},
            page("Russia asked US to lift Aeroflot sanctions", SANCTIONS).encode(),
        ),
        # windows-1251, declared only in <meta>: the HTTP header has no charset.
        "/ru/1030524": (
            200,
            {"Content-Type": "text/html"},
            page("Рябков: третий раунд консультаций", RU_TEXT, lang="ru", charset="windows-1251").encode("cp1251"),
        ),
    }
    if changed:
        rewritten = [p.replace("clearer answers", "a schedule").replace("Tuesday", "Monday") for p in FLIGHTS[:1]] + [
            "The talks were postponed indefinitely, a spokesperson said, without giving a reason.",
            "Neither side has published an agenda, and no date has been proposed for a new meeting.",
        ]
        pages["/2025/04/flights"] = (200, {"Content-Type": html}, page("Talks postponed", rewritten).encode())
        pages["/archive/2025/aeroflot"] = pages["/2025/04/aeroflot"]
        pages["/2025/04/aeroflot"] = (301, {"Location": f"{base}/archive/2025/aeroflot"}, b"")
        del pages["/ru/1030524"]
    return pages


ARTICLE = """# Moscow and Washington prepare a third round of talks

Russia's deputy foreign minister said the next round could come "very soon":
“The third round of bilateral consultations on irritants is approaching. It’s too early to talk about a
specific date, but I hope the discussions will take place very soon,” he said
([report]({base}/2025/04/flights?utm_source=demo)).

Moscow also asked Washington to lift sanctions on its national airline: “Russia asked the United States to lift
sanctions from the national airline Aeroflot as part of the talks” ({base}/2025/04/aeroflot).

The Russian-language report is at <{base}/ru/1030524>.

[report]: {base}/2025/04/flights
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changed", action="store_true", help="serve the site as it is months later")
    parser.add_argument("--port", type=int, default=PORT)
    args = parser.parse_args()
    base = f"http://127.0.0.1:{args.port}"
    pages = site(args.changed, base)
    Path(__file__).with_name("demo-article.md").write_text(ARTICLE.format(base=base), encoding="utf-8")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            missing = (404, {"Content-Type": "text/plain"}, b"not found")
            status, headers, body = pages.get(self.path.split("?")[0], missing)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            sys.stderr.write(f"demo web: {self.command} {self.path} -> {args[1] if len(args) > 1 else ''}\n")

    try:
        server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    except OSError as exc:
        sys.exit(f"demo web: cannot listen on 127.0.0.1:{args.port}: {exc.strerror} (try --port)")
    state = "changed" if args.changed else "original"
    print(f"demo web ({state}) on http://127.0.0.1:{args.port}/ ; article: examples/demo-article.md ; Ctrl-C stops")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
