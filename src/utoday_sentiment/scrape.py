"""The scrape stage: walk U.Today's listing pages and store each headline once.

Daily mode (no page range): from page 0, go on only while a page brought a URL the database did not
have, up to `max_pages`. Backfill mode (`from_page`..`to_page`, inclusive): fetch the range whatever
is stored, and report the next page to continue from. Every page is committed as it is stored, so
a stop at any point keeps the pages before it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from .deadline import Deadline
from .errors import LayoutError, SiteError, UtodayError
from .records import ParsedPage, ScrapeRequest, ScrapeSummary
from .settings import Settings
from .sources.utoday import SiteClient, page_url, rss_url
from .sources.utoday.read import PagingFault, read_page
from .store.connection import Connection
from .store.raw_pages import prune
from .store.titles import insert_titles, raise_scrape_watermark, scrape_watermark

log = logging.getLogger(__name__)

# A page needs a request, a parse and an insert; don't start one with less time than this left.
MIN_SECONDS_PER_PAGE = 3.0

PageCallback = Callable[[int, ParsedPage, int], None]


def scrape_titles(
    conn: Connection,
    client: SiteClient,
    settings: Settings,
    request: ScrapeRequest,
    deadline: Deadline,
    summary: ScrapeSummary,
    on_page: PageCallback | None = None,
) -> None:
    """Fill `summary` as pages are stored; raise a UtodayError where the run cannot go on (what
    was stored before it stays stored, and `summary` says how far it got)."""
    if request.backfill:
        assert request.from_page is not None and request.to_page is not None  # noqa: S101
        pages = range(request.from_page, request.to_page + 1)
    else:
        pages = range(0, request.max_pages or settings.max_pages)
    try:
        _scrape_pages(conn, client, settings, pages, request.backfill, deadline, summary, on_page)
    except PagingFault as fault:
        if request.backfill:
            raise
        log.warning("%s; stopped with what was stored", fault)  # daily mode: keep what it has
        summary.stopped = f"stopped: {fault}"
        summary.next_page = None
    except UtodayError:
        if summary.pages_fetched:
            log.warning("stopped by an error; stored before it: %s", summary.line())
        raise
    finally:
        _prune_archive(conn, settings)


def _prune_archive(conn: Connection, settings: Settings) -> None:
    try:
        pages, bodies = prune(conn, settings.raw_retention_days)
    except UtodayError as exc:  # the archive's housekeeping never fails a scrape
        log.warning("could not prune the page archive: %s", exc)
        return
    if pages:
        log.info("page archive: pruned %d pages and %d bodies older than %d days", pages, bodies,
                 settings.raw_retention_days)


def _scrape_pages(
    conn: Connection,
    client: SiteClient,
    settings: Settings,
    pages: range,
    backfill: bool,
    deadline: Deadline,
    summary: ScrapeSummary,
    on_page: PageCallback | None,
) -> None:
    first = pages.start
    # Daily mode stops at a page with nothing new only when that page also reaches the watermark
    # (the time down to which everything is stored): then this run has connected to it, and the
    # watermark rises to the newest title it saw.
    watermark, had_titles = (None, False) if backfill else scrape_watermark(conn)
    newest_seen = None
    seen: dict[frozenset[str], int] = {}  # each fetched page's cards -> its number
    for number in pages:
        if not deadline.allows(
            MIN_SECONDS_PER_PAGE + (settings.page_delay if number > first else 0)
        ):
            summary.stopped = "out of time"
            summary.next_page = number
            return
        if number > first and settings.page_delay:
            client.sleep(settings.page_delay)

        url = page_url(settings, number)
        status = 200
        try:
            body = client.fetch(url, kind="html", timeout=deadline.timeout(settings.read_timeout))
        except SiteError as exc:
            if number == 0 or exc.status != 404:
                raise
            # Past the last page, a Drupal listing may answer 404 instead of an empty page.
            log.warning("%s answered 404: taking it as the end of the listing", url)
            body, status = b"", 404
        page, page_id = read_page(conn, settings, url, "listing", number, body, status)
        summary.pages_fetched += 1
        summary.cards_seen += page.cards
        summary.skipped_cards += page.skipped

        if not page.titles:
            if number == 0:
                _fall_back_to_rss(conn, client, settings, url, page, page_id, deadline, summary,
                                  on_page)
                return
            if number == first:
                log.warning("page %d of %s shows no cards: the listing ends before it", number, url)
            summary.stopped = f"end of listing at page {number}"
            summary.next_page = None
            _connect(conn, backfill, newest_seen)
            return
        _check_paging(seen, page, number, url)

        new = _store(conn, page, summary)
        dates = [t.published_at for t in page.titles if t.published_at is not None]
        if dates:
            newest_seen = max(dates) if newest_seen is None else max(newest_seen, *dates)
        log.debug("page %d: %d cards, %d new, %d skipped", number, page.cards, new, page.skipped)
        if on_page:
            on_page(number, page, new)
        if not backfill and new == 0:
            if watermark is not None and dates and min(dates) > watermark:
                # Stored by a run that stopped before it connected: a gap may lie below.
                log.info(
                    "page %d: nothing new, but newer than the covered %s: walking on to close "
                    "the gap an unfinished run left",
                    number,
                    watermark.isoformat(),
                )
                continue
            summary.stopped = f"nothing new on page {number}"
            _connect(conn, backfill, newest_seen)
            return

    last = pages.stop - 1
    if backfill:
        summary.stopped = f"pages {first}-{last} done"
        summary.next_page = pages.stop
        return
    summary.stopped = f"page {last} still had new titles (--max-pages {len(pages)})"
    summary.next_page = pages.stop
    if not had_titles:
        # The first run on an empty database: nothing older is stored, so no gap lies between
        # runs; older history is a backfill's job.
        _connect(conn, backfill, newest_seen)
    log.warning(
        "every page up to %d brought new titles; older ones may be missing: run "
        "`utoday-sentiment scrape --from-page %d --to-page %d` to backfill",
        last,
        pages.stop,
        pages.stop + 4,
    )


def _check_paging(seen: dict[frozenset[str], int], page: ParsedPage, number: int, url: str) -> None:
    """A page that brings exactly the cards of a page this run already fetched means the site
    ignores `?page=N` (the listing may only page by "Load more"): never a silent 'nothing new'."""
    cards = frozenset(t.url for t in page.titles)
    if number >= 1 and cards in seen:
        raise PagingFault(
            f"the site ignored ?page={number}: its paging changed ({url} repeats page "
            f"{seen[cards]}); check the listing in a browser and UTODAY_LISTING_PATH"
        )
    seen.setdefault(cards, number)


def _store(conn: Connection, page: ParsedPage, summary: ScrapeSummary) -> int:
    new = set(insert_titles(conn, page.titles))
    summary.new_titles += len(new)
    summary.sponsored += sum(1 for t in page.titles if t.sponsored and t.url in new)
    return len(new)


def _connect(conn: Connection, backfill: bool, newest_seen: datetime | None) -> None:
    """This daily run reached stored ground: everything down from its newest title is stored."""
    if not backfill and newest_seen is not None:
        raise_scrape_watermark(conn, newest_seen)


def _fall_back_to_rss(
    conn: Connection,
    client: SiteClient,
    settings: Settings,
    listing_url: str,
    listing: ParsedPage,
    listing_id: int,
    deadline: Deadline,
    summary: ScrapeSummary,
    on_page: PageCallback | None,
) -> None:
    """Layout guard: page 0 showed no usable card, so read the RSS feed instead, or fail loudly."""
    feed_url = rss_url(settings)
    keep = f"`utoday-sentiment pages show {listing_id} > page.html` writes the archived page out"
    log.warning(
        "no headline cards found on %s (%d card elements, layout %s; archived page %d); the page "
        "layout may have changed; falling back to the RSS feed %s",
        listing_url,
        listing.cards,
        listing.layout or "unrecognised",
        listing_id,
        feed_url,
    )
    try:
        body = client.fetch(feed_url, kind="xml", timeout=deadline.timeout(settings.read_timeout))
    except UtodayError as exc:
        raise LayoutError(
            f"no headlines found: {listing_url} shows no headline cards and the RSS feed failed "
            f"({exc}); the site's layout may have changed: {keep} to test the parser on it"
        ) from exc
    feed, feed_id = read_page(conn, settings, feed_url, "rss", None, body, 200)
    summary.pages_fetched += 1
    summary.cards_seen += feed.cards
    summary.skipped_cards += feed.skipped
    summary.source = "rss"
    if not feed.titles:
        raise LayoutError(
            f"no headlines found at {listing_url} nor in {feed_url}; the site's layout may have "
            f"changed: {keep} (the feed is page {feed_id}) to test the parser on it"
        )
    new = _store(conn, feed, summary)
    summary.stopped = "listing layout not recognised; used the RSS feed"
    summary.next_page = None
    if on_page:
        on_page(0, feed, new)
