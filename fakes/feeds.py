"""An imitation of news outlets' feeds on 127.0.0.1, and feed bodies written in the styles the
outlets use (docs/sources.md): CoinDesk's RSS with CDATA titles, several dc:creator and tag
categories; Cointelegraph's clean guid beside a link with utm_* and "Cointelegraph by NAME";
Decrypt's ?p= guids and entity-laden titles; The Block's US Eastern dates; Blockworks' Atom.

The server honours If-None-Match and If-Modified-Since (304), and a feed can be told to answer
any sequence of replies (403, 429 with Retry-After, 500, a slow one) before its body."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from html import escape
from zoneinfo import ZoneInfo

from fakes import LocalServer, QuietHandler, Reply, Seen, _answer


@dataclass(frozen=True)
class Item:
    title: str
    link: str
    published: datetime
    guid: str | None = None  # default: the link
    authors: tuple[str, ...] = ("Jane Doe",)
    categories: tuple[str, ...] = ("Markets",)
    summary: str = "A short summary."


def rss(items: list[Item], *, title: str = "Outlet", style: str = "plain",
        declaration: str = '<?xml version="1.0" encoding="UTF-8"?>') -> str:
    """RSS 2.0 as outlets write it; `style` picks whose habits: coindesk, cointelegraph,
    decrypt, theblock or plain."""
    zone = ZoneInfo("America/New_York") if style == "theblock" else None
    parts = []
    for item in items:
        when = item.published.astimezone(zone) if zone else item.published
        guid = item.guid or item.link
        permalink = "false" if style in ("coindesk", "decrypt") else "true"
        if style == "coindesk":
            head = f"<title><![CDATA[{item.title}]]></title>"
        else:
            head = f"<title>{escape(item.title, quote=False)}</title>"
        creators = "".join(
            f"<dc:creator><![CDATA[{'Cointelegraph by ' if style == 'cointelegraph' else ''}{a}]]></dc:creator>"
            for a in item.authors)
        cats = "".join(
            f'<category domain="tag"><![CDATA[{c}]]></category>' if style == "coindesk"
            else f"<category><![CDATA[{c}]]></category>" for c in item.categories)
        parts.append(f"""
    <item>
      {head}
      <link>{escape(item.link)}</link>
      <guid isPermaLink="{permalink}">{escape(guid)}</guid>
      <pubDate>{format_datetime(when)}</pubDate>
      {creators}{cats}
      <description><![CDATA[<p>{item.summary}</p><img src="https://img.example/x.jpg">]]></description>
      <content:encoded><![CDATA[]]></content:encoded>
      <media:content url="https://img.example/{abs(hash(item.link)) % 1000}.jpg" medium="image"/>
    </item>""")
    return f"""{declaration}
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:media="http://search.yahoo.com/mrss/" xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>{escape(title)}</title>
    <link>https://outlet.example/</link>
    <description>Latest news</description>
    <ttl>5</ttl>{''.join(parts)}
  </channel>
</rss>
"""


def atom(items: list[Item], *, title: str = "Blockworks") -> str:
    entries = "".join(f"""
  <entry>
    <title type="text">{escape(item.title, quote=False)}</title>
    <link rel="alternate" href="{escape(item.link)}"/>
    <id>{escape(item.guid or item.link)}</id>
    <published>{item.published.isoformat()}</published>
    <updated>{item.published.isoformat()}</updated>
    {''.join(f'<author><name>{escape(a)}</name></author>' for a in item.authors)}
    {''.join(f'<category term="{escape(c)}"/>' for c in item.categories)}
    <summary type="html">&lt;p&gt;{escape(item.summary)}&lt;/p&gt;</summary>
  </entry>""" for item in items)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>{escape(title)}</title>
  <id>https://blockworks.example/feed</id>
  <updated>2026-11-20T12:00:00Z</updated>{entries}
</feed>
"""


@dataclass
class _Route:
    body: bytes
    content_type: str
    etag: str | None
    last_modified: str | None
    script: list[Reply] = field(default_factory=list)


class FakeFeeds(LocalServer):
    """Feeds at paths of one server. `serve(path, body, ...)` sets a feed's body (and its
    validators); `script(path, *replies)` queues replies answered before the body."""

    def __init__(self) -> None:
        self.routes: dict[str, _Route] = {}
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        feeds = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                with feeds._lock:
                    feeds.requests.append(Seen(self.path, dict(self.headers.items())))
                    route = feeds.routes.get(self.path)
                    scripted = route.script.pop(0) if route and route.script else None
                if route is None:
                    _answer(self, Reply("Not Found", 404, "text/plain"))
                    return
                if scripted is not None:
                    _answer(self, scripted)
                    return
                etag_match = route.etag and self.headers.get("If-None-Match") == route.etag
                since_match = (route.last_modified
                               and self.headers.get("If-Modified-Since") == route.last_modified)
                if etag_match or (since_match and not self.headers.get("If-None-Match")):
                    _answer(self, Reply(b"", 304, route.content_type, _validators(route)))
                    return
                _answer(self, Reply(route.body, 200, route.content_type, _validators(route)))

        self._listen(Handler)

    def url(self, path: str) -> str:
        return self.root + path

    def serve(self, path: str, body: str | bytes, *, etag: str | None = '"v1"',
              last_modified: str | None = "Fri, 20 Nov 2026 12:00:00 GMT",
              content_type: str = "application/rss+xml; charset=utf-8") -> None:
        raw = body.encode("utf-8") if isinstance(body, str) else body
        with self._lock:
            old = self.routes.get(path)
            self.routes[path] = _Route(raw, content_type, etag, last_modified,
                                       old.script if old else [])

    def script(self, path: str, *replies: Reply) -> None:
        with self._lock:
            self.routes[path].script.extend(replies)

    def seen(self, path: str) -> list[Seen]:
        return [s for s in self.requests if s.path == path]


def _validators(route: _Route) -> dict[str, str]:
    headers = {}
    if route.etag:
        headers["ETag"] = route.etag
    if route.last_modified:
        headers["Last-Modified"] = route.last_modified
    return headers
