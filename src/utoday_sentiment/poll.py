"""The feeds stage: each configured feed polled once with a conditional GET, its new items
stored once (raw body archived), its state recorded; a feed that fails is recorded on that
source and the others go on. Then new titles are grouped into stories."""

from __future__ import annotations

import logging

from .deadline import Deadline
from .errors import SiteError
from .records import FeedsSummary
from .settings import Settings
from .sources.catalog import Feed
from .sources.feeds import FEED_PARSER_VERSION, FeedClient, parse_feed
from .store.connection import Connection
from .store.feeds import feed_state, record_failure, record_success
from .store.raw_pages import archive_page
from .store.stories import group_stories
from .store.titles import insert_titles

log = logging.getLogger(__name__)
MIN_FETCH_SECONDS = 2.0


def poll_feeds(conn: Connection, client: FeedClient, settings: Settings, feeds: list[Feed],
               deadline: Deadline, summary: FeedsSummary) -> None:
    for feed in feeds:
        if not deadline.allows(MIN_FETCH_SECONDS):
            summary.stopped = "out of time; the next poll reads the rest"
            break
        summary.feeds += 1
        state = feed_state(conn, feed.name, feed.url)
        try:
            answer = client.fetch(feed, etag=state.etag, last_modified=state.last_modified,
                                  timeout=deadline.remaining())
            if answer.status == 304:
                summary.not_modified += 1
                record_success(conn, feed.name, feed.url, status=304, etag=state.etag,
                               last_modified=state.last_modified, new=0)
                continue
            page = parse_feed(answer.body, answer.headers, feed, settings.sponsored_categories)
        except SiteError as exc:  # a layout fault too: this source only
            summary.failed[feed.name] = str(exc)
            record_failure(conn, feed.name, feed.url, str(exc), exc.status)
            log.warning("%s", exc)
            continue
        archive_page(conn, url=feed.url, kind="feed", page_number=None, status=answer.status,
                     body=answer.body, parser_version=FEED_PARSER_VERSION, cards=page.cards,
                     titles=len(page.titles), source=feed.name,
                     content_type=answer.headers.get("Content-Type"))
        new = set(insert_titles(conn, page.titles))
        summary.new_titles += len(new)
        summary.sponsored += sum(1 for t in page.titles if t.url in new and t.sponsored)
        summary.new_by_source[feed.name] = len(new)
        # the validators are kept only now, after the body was read and stored
        record_success(conn, feed.name, feed.url, status=answer.status, etag=answer.etag,
                       last_modified=answer.last_modified, new=len(new))
    summary.stories_joined = group_stories(conn)
