"""The feeds shipped with the project: each outlet's short name and feed URL (as known from
other people's code and captured feeds; see docs/sources.md). `UTODAY_SOURCES` turns them on by
name, `UTODAY_EXTRA_FEEDS` adds others."""

from __future__ import annotations

from dataclasses import dataclass

# Feed categories that mark paid or press-release posts (compared in lower case): stored and
# flagged sponsored, never labelled, left out of the views, as U.Today's sponsored cards are.
SPONSORED = ("sponsored", "sponsored content", "press release", "press releases",
             "partner content", "paid content", "paid post", "pr", "advertorial")


@dataclass(frozen=True)
class Feed:
    name: str  # the source's short name, stored with each title
    url: str
    sponsored: tuple[str, ...] = SPONSORED


BUILT_IN: tuple[Feed, ...] = (
    Feed("coindesk", "https://www.coindesk.com/arc/outboundfeeds/rss/"),
    Feed("cointelegraph", "https://cointelegraph.com/rss"),
    Feed("decrypt", "https://decrypt.co/feed"),
    Feed("theblock", "https://www.theblock.co/rss.xml"),
    Feed("bitcoinmagazine", "https://bitcoinmagazine.com/.rss/full/"),
    Feed("cryptoslate", "https://cryptoslate.com/feed/"),
    Feed("newsbtc", "https://www.newsbtc.com/feed/"),
    Feed("bitcoinist", "https://bitcoinist.com/feed/"),
    Feed("dailyhodl", "https://dailyhodl.com/feed/"),
    Feed("dlnews", "https://www.dlnews.com/arc/outboundfeeds/rss/"),
    Feed("blockworks", "https://blockworks.com/feed"),
    Feed("utoday-rss", "https://u.today/rss"),
)
BY_NAME = {feed.name: feed for feed in BUILT_IN}
