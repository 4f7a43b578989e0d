"""Where headlines come from. Every source gives records the same way: what it fetched (bytes,
kept in the raw archive) in, `ParsedPage` out; the stages decide what to store, and a source
knows no database.

- `utoday/`: U.Today's HTML listing, walked page by page (`scrape.py` is its stage), with its RSS
  feed as the fallback when the layout is not recognised.
- `feeds.py`: any RSS 2.0 or Atom feed, polled with a conditional GET (`poll.py` is its stage);
  `catalog.py` lists the built-in ones.
- `stories.py`: which titles of different sources tell one story (pure).
"""

from __future__ import annotations

from typing import Protocol

from ..records import ParsedPage
from ..settings import Settings
from ..store.raw_pages import RawPage


class Source(Protocol):
    """What the stages need of a source: its name (stored with each title) and a reading of a
    body it fetched, the same at fetch time and when the archive is read again."""

    name: str

    def parse(self, body: bytes, headers: dict[str, str]) -> ParsedPage: ...


def read_archived(settings: Settings, page: RawPage, body: bytes) -> tuple[ParsedPage, str]:
    """Today's parser over an archived body, as it was read when fetched: the records and the
    parser version that read them (for `reparse`)."""
    if page.kind == "feed":
        from .catalog import BY_NAME, Feed
        from .feeds import FEED_PARSER_VERSION, parse_feed

        feed = BY_NAME.get(page.source) or Feed(page.source, page.url)
        headers = {"Content-Type": page.content_type} if page.content_type else {}
        return (parse_feed(body, headers, feed, settings.sponsored_categories),
                FEED_PARSER_VERSION)
    from .utoday.parse import PARSER_VERSION
    from .utoday.read import parse_body

    return parse_body(settings, page.url, page.kind, body), PARSER_VERSION
