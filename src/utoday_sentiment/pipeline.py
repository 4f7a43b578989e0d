"""The orchestration both front doors (CLI and Lambda handlers) call."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime

from .config import Settings
from .db import (
    Connection,
    claim_batch,
    count_pending,
    insert_titles,
    raise_scrape_watermark,
    release,
    scrape_watermark,
    store_labels,
)
from .deadline import Deadline
from .errors import ConfigError, LayoutError, SiteError, UtodayError
from .scraper import ParsedPage, SiteClient, page_url, parse_listing, parse_rss, rss_url
from .sentiment import MIN_REQUEST_SECONDS, DeadlineReached, HFClient, RejectedInput

log = logging.getLogger(__name__)

# A page needs a request, a parse and an insert; don't start one with less time than this left.
MIN_SECONDS_PER_PAGE = 3.0


@dataclass
class ScrapeSummary:
    mode: str  # "daily" or "backfill"
    pages_fetched: int = 0
    cards_seen: int = 0
    new_titles: int = 0
    skipped_cards: int = 0
    source: str = "listing"  # "listing", or "rss" when the layout guard fell back to the feed
    stopped: str = ""  # why the run stopped
    next_page: int | None = None  # where a later run (or a backfill) should continue; None = done

    def as_dict(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        def n(count: int, word: str) -> str:
            return f"{count} {word}{'' if count == 1 else 's'}"

        text = (
            f"scrape ({self.mode}): {n(self.pages_fetched, 'page')} fetched, "
            f"{n(self.cards_seen, 'card')} seen, {n(self.new_titles, 'new title')}, "
            f"{n(self.skipped_cards, 'card')} skipped"
        )
        if self.source != "listing":
            text += f", source {self.source}"
        if self.stopped:
            text += f"; {self.stopped}"
        if self.next_page is not None:
            text += f"; next page {self.next_page}"
        return text


PageCallback = Callable[[int, ParsedPage, int], None]


def scrape_titles(
    conn: Connection,
    client: SiteClient,
    settings: Settings,
    *,
    from_page: int | None = None,
    to_page: int | None = None,
    max_pages: int | None = None,
    deadline: Deadline | None = None,
    on_page: PageCallback | None = None,
) -> ScrapeSummary:
    """Fetch listing pages and store their titles once each.

    Daily mode (no page range): from page 0, go on only while a page brought a URL the database
    did not have, up to `max_pages`. Backfill mode (`from_page`..`to_page`, inclusive): fetch the
    range whatever is stored, and report the next page to continue from.
    """
    deadline = deadline or Deadline()
    backfill = from_page is not None or to_page is not None
    if backfill:
        if from_page is None or to_page is None:
            raise ConfigError("a backfill needs both --from-page and --to-page")
        if from_page < 0 or to_page < from_page:
            raise ConfigError(
                f"page range {from_page}..{to_page} is empty or negative; "
                "use 0 <= --from-page <= --to-page"
            )
        pages = range(from_page, to_page + 1)
    else:
        limit = settings.max_pages if max_pages is None else max_pages
        if limit < 1:
            raise ConfigError(f"--max-pages must be at least 1, not {limit}")
        pages = range(0, limit)

    summary = ScrapeSummary(mode="backfill" if backfill else "daily")
    try:
        _scrape_pages(conn, client, settings, pages, backfill, deadline, summary, on_page)
    except UtodayError:
        if summary.pages_fetched:
            log.warning("stopped by an error; stored before it: %s", summary.line())
        raise
    return summary


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
        try:
            body = client.fetch(url, kind="html", timeout=deadline.timeout(settings.read_timeout))
        except SiteError as exc:
            if number == 0 or exc.status != 404:
                raise
            # Past the last page, a Drupal listing may answer 404 instead of an empty page.
            log.warning("%s answered 404: taking it as the end of the listing", url)
            body = b""
        page = parse_listing(body, url, settings.base_url)
        summary.pages_fetched += 1
        summary.cards_seen += page.cards
        summary.skipped_cards += page.skipped

        if not page.titles:
            if number == 0:
                _fall_back_to_rss(conn, client, settings, url, page, deadline, summary, on_page)
                return
            if number == first:
                log.warning("page %d of %s shows no cards: the listing ends before it", number, url)
            summary.stopped = f"end of listing at page {number}"
            summary.next_page = None
            _connect(conn, backfill, newest_seen)
            return

        new = len(insert_titles(conn, page.titles))
        summary.new_titles += new
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
    deadline: Deadline,
    summary: ScrapeSummary,
    on_page: PageCallback | None,
) -> None:
    """Layout guard: page 0 showed no usable card, so read the RSS feed instead, or fail loudly."""
    feed_url = rss_url(settings)
    log.warning(
        "no headline cards found on %s (%d card elements, layout %s); the page layout may have "
        "changed; falling back to the RSS feed %s",
        listing_url,
        listing.cards,
        listing.layout or "unrecognised",
        feed_url,
    )
    try:
        body = client.fetch(feed_url, kind="xml", timeout=deadline.timeout(settings.read_timeout))
    except UtodayError as exc:
        raise LayoutError(
            f"no headlines found: {listing_url} shows no headline cards and the RSS feed failed "
            f"({exc}); the site's layout may have changed: check the parser against the live page"
        ) from None
    feed = parse_rss(body, feed_url, settings.base_url)
    summary.pages_fetched += 1
    summary.cards_seen += feed.cards
    summary.skipped_cards += feed.skipped
    summary.source = "rss"
    if not feed.titles:
        raise LayoutError(
            f"no headlines found at {listing_url} nor in {feed_url}; the site's layout may have "
            "changed: check the parser against the live page"
        )
    new = len(insert_titles(conn, feed.titles))
    summary.new_titles += new
    summary.stopped = "listing layout not recognised; used the RSS feed"
    summary.next_page = None
    if on_page:
        on_page(0, feed, new)


# ---------------------------------------------------------------------------------------------
# labelling


@dataclass
class LabelSummary:
    labelled: int = 0
    failed: int = 0  # titles the API refused in this run (each has its error recorded)
    remaining: int = 0  # titles still awaiting a label after this run
    requests: int = 0
    retries: int = 0
    stopped: str = ""

    @property
    def stalled(self) -> bool:
        """Titles wait, yet this run neither labelled nor retired one: the API gave nothing usable
        (503, 429 or timeouts until the deadline, or an error). One such run is weather; every
        run for hours is an outage that no error reports, so the Lambda publishes it."""
        return self.remaining > 0 and self.labelled == 0 and self.failed == 0

    def as_dict(self) -> dict:
        return {**asdict(self), "stalled": self.stalled}

    def line(self) -> str:
        def n(count: int, word: str, plural: str | None = None) -> str:
            return f"{count} {word if count == 1 else plural or word + 's'}"

        text = (
            f"label: {self.labelled} labelled, {self.failed} failed, {self.remaining} remaining, "
            f"{n(self.requests, 'request')}, {n(self.retries, 'retry', 'retries')}"
        )
        return f"{text}; {self.stopped}" if self.stopped else text


BatchCallback = Callable[[int], None]


def label_titles(
    conn: Connection,
    client: HFClient,
    settings: Settings,
    *,
    limit: int | None = None,
    batch_size: int | None = None,
    relabel: bool = False,
    deadline: Deadline | None = None,
    on_batch: BatchCallback | None = None,
) -> LabelSummary:
    """Label titles awaiting a sentiment, newest first, one claimed batch at a time.

    Each batch is claimed with FOR UPDATE SKIP LOCKED, sent in one request, written in one
    statement and committed, so concurrent labellers never label a row twice and a stop at any
    point loses no answered batch. Memory holds one batch, whatever the backlog.
    """
    deadline = deadline or Deadline()
    size = batch_size or settings.hf_batch_size
    model = settings.hf_model
    summary = LabelSummary()
    refused_ids: set[int] = set()  # only the refused ones: small, and keeps one run from resending
    try:
        while limit is None or summary.labelled + summary.failed < limit:
            if not deadline.allows(MIN_REQUEST_SECONDS):
                summary.stopped = "out of time"
                break
            room = size if limit is None else min(size, limit - summary.labelled - summary.failed)
            rows = claim_batch(conn, room, model=model, relabel=relabel, skip=refused_ids)
            if not rows:
                break
            labels: list[tuple[int, str, float, dict[str, float]]] = []
            refused: list[tuple[int, str]] = []
            try:
                _classify(client, rows, deadline, labels, refused)
            except DeadlineReached as exc:
                summary.stopped = f"out of time ({exc})"
            except BaseException:
                release(conn)  # a fatal API answer: this batch changes nothing
                raise
            if labels or refused:
                store_labels(conn, labels, refused, model=model)
            else:
                release(conn)
            summary.labelled += len(labels)
            summary.failed += len(refused)
            refused_ids.update(row_id for row_id, _ in refused)
            for row_id, reason in refused:
                log.warning("title %d refused by the API: %s", row_id, reason)
            if on_batch:
                on_batch(len(labels) + len(refused))
            if summary.stopped:
                break
        else:
            summary.stopped = f"limit of {limit} reached"
    except UtodayError as exc:
        summary.stopped = "stopped by the error below"
        exc.summary = summary  # type: ignore[attr-defined]  # completed by the finally below
        raise
    finally:
        summary.requests, summary.retries = client.requests_sent, client.retries
        with contextlib.suppress(UtodayError):
            summary.remaining = count_pending(conn, model=model, relabel=relabel)
    return summary


def _classify(
    client: HFClient,
    rows: list[tuple[int, str]],
    deadline: Deadline,
    labels: list[tuple[int, str, float, dict[str, float]]],
    refused: list[tuple[int, str]],
) -> None:
    """Label `rows`, splitting a refused batch in halves until the refused titles are isolated."""
    try:
        predictions = client.classify([title for _, title in rows], deadline)
    except RejectedInput as exc:
        if len(rows) == 1:
            refused.append((rows[0][0], exc.reason))
            return
        middle = len(rows) // 2
        _classify(client, rows[:middle], deadline, labels, refused)
        _classify(client, rows[middle:], deadline, labels, refused)
        return
    labels.extend(
        (row_id, p.sentiment, p.score, p.scores)
        for (row_id, _), p in zip(rows, predictions, strict=True)
    )
