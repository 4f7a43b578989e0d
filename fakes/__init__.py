"""Local stand-ins for the outside world, shared by tests/ and bench/: U.Today and the Hugging Face
Inference API on 127.0.0.1, and page builders.

The fake site serves realistic bodies (the same markup as the fixture pages) over real HTTP, so the
client's timeouts, retries, size cap and content-type checks run for real. Each server stops within
milliseconds (a short poll interval), so a test that uses one pays nothing for it at teardown.
"""

from __future__ import annotations

import html
import json
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
# How often a server looks for a stop request: shutdown() waits up to this long.
POLL_SECONDS = 0.01


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@dataclass
class Reply:
    body: bytes | str = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering
    reset: bool = False  # drop the connection with a TCP reset instead of answering

    def encoded(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


def _answer(handler: BaseHTTPRequestHandler, reply: Reply) -> None:
    """After the reply's delay, send it (headers and body in one segment), or reset the
    connection when it says so."""
    if reply.delay:
        time.sleep(reply.delay)
    if reply.reset:
        _reset(handler)
        return
    body = reply.encoded()
    try:
        handler.send_response(reply.status)
        handler.send_header("Content-Type", reply.content_type)
        handler.send_header("Content-Length", str(len(body)))
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)
    except (BrokenPipeError, ConnectionResetError):
        pass


def _reset(handler: BaseHTTPRequestHandler) -> None:
    """Close the client's connection with a TCP reset (SO_LINGER 0), as a crashed server would."""
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.close_connection = True
    handler.connection.close()


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive, headers and body in one segment without Nagle (like a real
    server: otherwise a kept-alive client waits out a 40 ms delayed ACK on every response), and
    no access log."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    wbufsize = 65536

    def log_message(self, *args: object) -> None:
        pass


class LocalServer:
    """An HTTP server on 127.0.0.1 in a thread of its own, at a free port."""

    def _listen(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, daemon=True
        )

    @property
    def root(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):  # type: ignore[no-untyped-def]
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


class FakeSite(LocalServer):
    """Routes are exact paths with query (`/latest-cryptocurrency-news?page=1`).

    `serve(path, *replies)`: the replies are given in order, the last one repeats. Unknown paths
    answer 404 with a plain-text body, like a real web server. `zone`: the zone its cards show
    times in (the real site's is unproven; see UTODAY_TIMEZONE).
    """

    def __init__(self, zone: tzinfo = UTC) -> None:
        self.zone = zone
        self.routes: dict[str, list[Reply]] = {}
        self.requests: list[Seen] = []
        self.on_request: Callable[[str], None] | None = (
            None  # called with the path, before replying
        )
        self._lock = threading.Lock()
        site = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                with site._lock:
                    site.requests.append(Seen(self.path, dict(self.headers.items())))
                    queue = site.routes.get(self.path)
                    reply = (queue.pop(0) if len(queue) > 1 else queue[0]) if queue else None
                if reply is None:
                    reply = Reply("Not Found", 404, "text/plain")
                if site.on_request:
                    site.on_request(self.path)
                _answer(self, reply)

        self._listen(Handler)

    @property
    def url(self) -> str:
        return self.root

    def serve(self, path: str, *replies: Reply | bytes | str) -> None:
        with self._lock:
            self.routes[path] = [r if isinstance(r, Reply) else Reply(r) for r in replies]

    def paths(self) -> list[str]:
        return [seen.path for seen in self.requests]

    def serve_listing(
        self, pages: list[list[Article]], listing_path: str = "/latest-cryptocurrency-news"
    ) -> None:
        """Serve `pages` as the listing (page 0 at the bare path), and an empty page after them."""
        for number, articles in enumerate([*pages, []]):
            path = listing_path if number == 0 else f"{listing_path}?page={number}"
            self.serve(path, listing_page(articles, zone=self.zone))


@dataclass(frozen=True)
class Article:
    slug: str
    title: str
    published: datetime
    author: str = "Yuri Molchan"
    category: str = "News"


_TOPICS = (
    "Bitcoin",
    "XRP",
    "Cardano (ADA)",
    "Dogecoin",
    "Shiba Inu",
    "Ethereum",
    "Solana",
    "Stellar (XLM)",
)
_EVENTS = (
    "Eyes Golden Cross",
    "Flips Rival as Bulls Climb",
    "Whales Move Millions",
    "Price Slips 7%: Details",
)


def articles(start: int, count: int, *, newest: datetime | None = None) -> list[Article]:
    """`count` distinct articles numbered from `start`, newest first, an hour apart."""
    newest = newest or datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
    made = []
    for number in range(start, start + count):
        topic = _TOPICS[number % len(_TOPICS)]
        event = _EVENTS[number % len(_EVENTS)]
        title = f"{topic} {event} #{number}"
        slug = "-".join("".join(ch for ch in title.lower() if ch.isalnum() or ch == " ").split())
        made.append(Article(slug, title, newest - timedelta(hours=number)))
    return made


def listing_page(
    items: list[Article], *, relative_links: bool = True, zone: tzinfo | None = None
) -> str:
    """A listing page in U.Today's current layout, its card times shown in `zone` (UTC by
    default; a scraper configured with UTODAY_TIMEZONE reads them in that zone)."""
    zone = zone or UTC
    cards = []
    for article in items:
        href = f"/{article.slug}" if relative_links else f"https://u.today/{article.slug}"
        shown = article.published.astimezone(zone)
        date = f"{shown:%b} {shown.day}, {shown:%Y - %H:%M}"
        cards.append(
            f"""
    <div class="news__item">
      <div class="news__item-head humble__row">
        <a href="/{article.category.lower()}">{html.escape(article.category)}</a>
        <div class="humble">{date}</div>
      </div>
      <a class="news__item-body" href="{href}">
        <img class="humble__img" src="/sites/default/files/{article.slug}.jpg" alt="" loading="lazy" />
        <div class="news__item-title">{html.escape(article.title)}</div>
      </a>
      <div class="news__item-tags"><a href="/tags/crypto">Crypto</a></div>
      <div class="news__item-footer">
        <a class="humble humble--author" href="/users/author">{html.escape(article.author)}</a>
      </div>
    </div>"""
        )
    return f"""<!DOCTYPE html>
<html lang="en" dir="ltr">
<head><meta charset="utf-8" /><title>Latest Cryptocurrency News - U.Today</title></head>
<body>
<header class="header"><a class="header__logo" href="/">U.Today</a></header>
<main class="main">
  <h1 class="page-title">Latest Cryptocurrency News</h1>
  <div class="news">{"".join(cards)}
  </div>
  <nav class="pag-nav"><ul><li class="pag-nav__item"><a href="?page=1">2</a></li></ul></nav>
</main>
</body>
</html>
"""


# ---------------------------------------------------------------------------------------------
# Hugging Face Inference API


def fake_scores(text: str) -> list[dict[str, float | str]]:
    """Deterministic, plausible scores for a title, sorted highest first like the real API."""
    lowered = text.lower()
    if any(w in lowered for w in ("slips", "crash", "plunge", "hack", "drop")):
        top = "negative"
    elif any(w in lowered for w in ("climb", "surge", "bull", "golden cross", "flips")):
        top = "positive"
    else:
        top = "neutral"
    others = [name for name in ("negative", "neutral", "positive") if name != top]
    spread = (sum(map(ord, text)) % 50) / 1000  # 0.000 .. 0.049
    return [
        {"label": top, "score": round(0.90 + spread, 4)},
        {"label": others[0], "score": round(0.07 - spread, 4)},
        {"label": others[1], "score": 0.03},
    ]


class FakeHF(LocalServer):
    """An imitation of the Inference API on 127.0.0.1.

    Answers each batch with one result list per input (fake_scores). `script` queues raw replies
    (Reply objects) served before the default behaviour; `reject` makes any batch holding a title
    that contains that text answer 400, as the service does when the backend fails on an input.
    `latency` and `per_input` (seconds) simulate the service's speed.
    """

    def __init__(
        self, *, latency: float = 0.0, per_input: float = 0.0, engine: str = "toolkit"
    ) -> None:
        self.latency, self.per_input = latency, per_input
        self.engine = engine  # "toolkit" (the router's answers) or "tei" (/predict)
        self.script: list[Reply] = []
        self.reject: str | None = None
        self.batches: list[list[str]] = []  # the inputs of every request, in arrival order
        self.headers: list[dict[str, str]] = []
        self.on_request: Callable[[int, list[str]], None] | None = None  # (request number, inputs)
        self._lock = threading.Lock()
        fake = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                try:
                    sent = json.loads(raw)["inputs"]
                    sent = sent if isinstance(sent, list) else [sent]
                except (ValueError, KeyError, TypeError):
                    sent = []
                # TEI's batch is a list of one-text lists; record the texts either way
                inputs = [item[0] if isinstance(item, list) and item else item for item in sent]
                with fake._lock:
                    fake.batches.append(inputs)
                    fake.headers.append(dict(self.headers.items()))
                    number = len(fake.batches)
                    reply = fake.script.pop(0) if fake.script else None
                    reject = fake.reject
                if fake.on_request:
                    fake.on_request(number, inputs)
                if reply is None and fake.engine == "tei":
                    reply = fake.tei_reply(sent)
                if reply is None:
                    if reject and any(reject in text for text in inputs):
                        reply = Reply(
                            '{"error": "backend failed on an input"}', 400, "application/json"
                        )
                    else:
                        body = json.dumps([fake_scores(text) for text in inputs])
                        reply = Reply(
                            body,
                            200,
                            "application/json",
                            delay=fake.latency + fake.per_input * len(inputs),
                        )
                _answer(self, reply)

        self._listen(Handler)

    @property
    def url(self) -> str:
        return f"{self.root}/models/fake-model"

    def inputs(self) -> list[str]:
        return [text for batch in self.batches for text in batch]

    def tei_reply(self, sent: list) -> Reply:
        """Text Embeddings Inference's /predict: a list of one-text lists gives one ranking per
        input; a flat list of two texts is read as one sentence pair (one ranking); another flat
        list is refused."""
        if sent and all(isinstance(item, list) for item in sent):
            body = json.dumps([fake_scores(item[0]) for item in sent])
        elif len(sent) == 2:
            body = json.dumps(fake_scores(f"{sent[0]} {sent[1]}"))
        elif len(sent) == 1:
            body = json.dumps(fake_scores(sent[0]))
        else:
            return Reply('{"error": "Input validation error: `inputs` must be a list of lists",'
                         ' "error_type": "Validation"}', 422, "application/json")
        return Reply(body, 200, "application/json", delay=self.latency)

