"""Any RSS 2.0 or Atom feed as a source: fetched with requests (the project's timeouts, retries
and User-Agent, conditional GET with the stored ETag and Last-Modified) and read by feedparser
from the bytes (its own HTTP has no timeout, so it never fetches anything itself; its HTML
sanitising stays on). `parse_feed` is pure: bytes and headers in, records out."""

from __future__ import annotations

import calendar
import html
import io
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..errors import LayoutError, SiteError
from ..records import ParsedPage, Title
from ..settings import Settings
from .catalog import BY_NAME, Feed
from .utoday.client import SiteClient
from .utoday.parse import clean_text, clean_title

FEED_PARSER_VERSION = "feed-1"
# Query parameters that only say where a click came from: dropped from an item's identity.
TRACKING = re.compile(r"^(utm_[a-z_]+|fbclid|gclid|dclid|mc_cid|mc_eid|igshid|ref_src|_ga|"
                      r"cmpid|ocid|sr_share|mkt_tok)$", re.I)


def configured_feeds(settings: Settings) -> list[Feed]:
    """The feeds the settings turn on: UTODAY_SOURCES' built-ins, then UTODAY_EXTRA_FEEDS. An
    extra feed with a built-in's name moves that built-in to its URL (a mirror, a test)."""
    moved = dict(settings.extra_feeds)
    feeds = [Feed(name, moved.get(name, BY_NAME[name].url)) for name in settings.sources]
    chosen = {f.name for f in feeds}
    return feeds + [Feed(name, url) for name, url in settings.extra_feeds if name not in chosen]


def canonical_link(raw: str | None) -> str | None:
    """An item's identity: https or http as given, host lower case without `www.` or a default
    port, no fragment, no trailing slash, tracking parameters dropped, the rest sorted."""
    if not raw:
        return None
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower().removeprefix("www.")
    port = parts.port
    if port and (parts.scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                   if not TRACKING.match(k))
    path = re.sub(r"/{2,}", "/", parts.path).rstrip("/") or "/"
    return urlunsplit((parts.scheme, host, path, urlencode(query), ""))


def _when(entry: Mapping[str, Any]) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), UTC)  # feedparser gives UTC
    return None


def _authors(entry: Mapping[str, Any]) -> str | None:
    names = [clean_text(a.get("name")) for a in entry.get("authors") or [] if a.get("name")]
    if not names and entry.get("author"):
        names = [clean_text(entry["author"])]
    names = [re.sub(r"^.+? by (?=\S)", "", n) if " by " in n else n for n in names if n]
    return ", ".join(dict.fromkeys(names)) or None


def parse_feed(body: bytes, headers: Mapping[str, str], feed: Feed,
               sponsored_categories: tuple[str, ...] = ()) -> ParsedPage:
    """A feed body as records: each item's title, canonical link (its guid only when it has no
    link and the guid is a URL), UTC time, authors, categories and the sponsored flag.
    LayoutError when the body holds no feed at all."""
    import feedparser

    parsed = feedparser.parse(io.BytesIO(body), response_headers=dict(headers),
                              sanitize_html=True, resolve_relative_uris=True)
    entries = parsed.get("entries") or []
    if not entries and (parsed.get("bozo") or not parsed.get("feed")):
        problem = parsed.get("bozo_exception")
        raise LayoutError(f"{feed.name}: {feed.url} is not a readable RSS or Atom feed "
                          f"({clean_text(str(problem))[:120] or 'no items'}); check the feed URL")
    page = ParsedPage(cards=len(entries), layout="atom" if "atom" in parsed.get(
        "version", "") else "rss")
    sponsored = {c.lower() for c in (*feed.sponsored, *sponsored_categories)}
    seen: set[str] = set()
    for entry in entries:
        # some outlets encode entities twice ("Buterin&#39;s" after XML decoding): a headline
        # never means an entity literally
        title = clean_title(html.unescape(entry.get("title") or ""))
        guid = entry.get("id") or ""
        url = canonical_link(entry.get("link")) or canonical_link(guid if "://" in guid else None)
        if not title or not url or url in seen:
            page.skipped += 0 if url in seen else 1
            continue
        seen.add(url)
        tags = [clean_text(t.get("term")) for t in entry.get("tags") or []]
        tags = [t for t in dict.fromkeys(tags) if t]
        page.titles.append(Title(
            title=title, url=url, published_at=_when(entry), author=_authors(entry),
            category=", ".join(tags) or None,
            sponsored=any(t.lower() in sponsored for t in tags), source=feed.name))
    return page


@dataclass
class FeedResponse:
    """What one poll got: 200 with a body, or 304 (nothing new), and the validators to keep."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None


class FeedClient:
    """Polls feeds over one session (SiteClient's: timeouts, retries honouring Retry-After,
    the User-Agent that says who we are, the size cap)."""

    def __init__(self, settings: Settings, *, sleep: Callable[[float], None] = time.sleep,
                 backoff_factor: float = 1.0) -> None:
        self.site = SiteClient(settings, sleep=sleep, backoff_factor=backoff_factor)
        self.site.session.headers["Accept"] = (
            "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8")
        self.settings = settings

    @property
    def requests_sent(self) -> int:
        return self.site.requests_sent

    def close(self) -> None:
        self.site.close()

    def fetch(self, feed: Feed, *, etag: str | None, last_modified: str | None,
              timeout: float | None = None) -> FeedResponse:
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        response = self.site.get(feed.url, who=feed.name, headers=headers, timeout=timeout)
        with response:
            status = response.status_code
            if status == 304:
                return FeedResponse(304, etag=etag, last_modified=last_modified)
            if status == 403:
                raise SiteError(f"{feed.name}: {feed.url} answered 403 Forbidden: this outlet "
                                "refuses the project's client; leave it out of UTODAY_SOURCES",
                                status=status)
            if status >= 400:
                raise SiteError(f"{feed.name}: {feed.url} answered {status} {response.reason}; "
                                "the next poll tries again", status=status)
            body = self.site.read(response, feed.url)
            kept = {k: v for k, v in response.headers.items()
                    if k.lower() in ("content-type", "content-location", "content-language")}
            return FeedResponse(status, body, kept, response.headers.get("ETag"),
                                response.headers.get("Last-Modified"))
