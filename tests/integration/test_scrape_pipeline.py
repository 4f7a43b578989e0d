"""scrape() against a fake U.Today on 127.0.0.1 and a real PostgreSQL."""

from __future__ import annotations

import logging

import pytest

from fakes import Reply, articles, fixture
from tests.helpers import scrape as scrape_job
from utoday_sentiment.deadline import Deadline
from utoday_sentiment.errors import LayoutError, SiteError
from utoday_sentiment.settings import load_settings
from utoday_sentiment.sources.utoday import SiteClient

LISTING = "/latest-cryptocurrency-news"


@pytest.fixture
def settings(site):
    return load_settings(
        {"UTODAY_BASE_URL": site.url, "UTODAY_PAGE_DELAY": "0", "UTODAY_HTTP_RETRIES": "1"}
    )


@pytest.fixture
def scrape(conn, settings):
    def run(**kwargs):
        client = SiteClient(settings, backoff_factor=0)
        try:
            return scrape_job(conn, client, settings, **kwargs)
        finally:
            client.close()

    return run


def count(query) -> int:
    return query("SELECT count(*) FROM titles")[0][0]


def test_daily_run_walks_pages_until_the_listing_ends(site, scrape, query):
    site.serve_listing([articles(0, 30), articles(30, 30), articles(60, 30)])
    summary = scrape()
    assert (summary.pages_fetched, summary.cards_seen, summary.new_titles) == (4, 90, 90)
    assert summary.stopped == "end of listing at page 3"
    assert site.paths() == [LISTING, f"{LISTING}?page=1", f"{LISTING}?page=2", f"{LISTING}?page=3"]
    assert count(query) == 90
    newest = query("SELECT title, author, category FROM titles ORDER BY published_at DESC LIMIT 1")
    assert newest == [("Bitcoin Eyes Golden Cross #0", "Yuri Molchan", "News")]


def test_a_day_with_nothing_new_costs_one_request(site, scrape, query):
    site.serve_listing([articles(0, 30), articles(30, 30)])
    scrape()
    site.requests.clear()
    summary = scrape()
    assert site.paths() == [LISTING]
    assert (summary.new_titles, summary.stopped) == (0, "nothing new on page 0")
    assert count(query) == 60


def test_new_articles_are_added_and_paging_stops_at_known_ones(site, scrape, query):
    old = articles(10, 60)
    site.serve_listing([old[:30], old[30:]])
    scrape()
    site.requests.clear()
    fresh = articles(0, 10)
    shifted = fresh + old
    site.serve_listing([shifted[:30], shifted[30:60], shifted[60:]])
    summary = scrape()
    assert summary.new_titles == 10
    assert site.paths() == [LISTING, f"{LISTING}?page=1"]  # page 0 had news, page 1 had none
    assert count(query) == 70


def test_max_pages_stops_and_says_where_to_continue(site, scrape, caplog):
    site.serve_listing([articles(n * 30, 30) for n in range(4)])
    with caplog.at_level(logging.WARNING):
        summary = scrape(max_pages=2)
    assert summary.pages_fetched == 2 and summary.next_page == 2
    assert "scrape --from-page 2" in caplog.text


def test_backfill_fetches_the_range_whatever_is_stored(site, scrape, query):
    site.serve_listing([articles(n * 30, 30) for n in range(5)])
    scrape(max_pages=1)
    site.requests.clear()
    summary = scrape(from_page=0, to_page=2)
    assert site.paths() == [LISTING, f"{LISTING}?page=1", f"{LISTING}?page=2"]
    assert (summary.new_titles, summary.next_page) == (60, 3)
    assert summary.line().endswith("pages 0-2 done; next page 3")
    assert count(query) == 90


def test_backfill_past_the_end(site, scrape, caplog):
    site.serve_listing([articles(0, 30)])
    with caplog.at_level(logging.WARNING):
        summary = scrape(from_page=3, to_page=5)
    assert summary.next_page is None and summary.new_titles == 0
    assert "page 3" in caplog.text and "listing ends before it" in caplog.text


def test_layout_guard_falls_back_to_rss(site, scrape, query, caplog):
    site.serve(LISTING, fixture("listing_empty.html"))
    rss = fixture("rss.xml").replace(b"https://u.today", site.url.encode())
    site.serve("/rss", Reply(rss, 200, "application/rss+xml; charset=utf-8"))
    with caplog.at_level(logging.WARNING):
        summary = scrape()
    assert summary.source == "rss" and summary.new_titles == 4 and summary.skipped_cards == 1
    assert "falling back to the RSS feed" in caplog.text
    assert site.paths() == [LISTING, "/rss"]
    assert count(query) == 4


def test_layout_guard_fails_loudly_when_the_feed_is_empty_too(site, scrape, query):
    site.serve(LISTING, fixture("listing_empty.html"))
    site.serve("/rss", Reply("<rss><channel></channel></rss>", 200, "application/rss+xml"))
    with pytest.raises(LayoutError) as info:
        scrape()
    assert f"{site.url}{LISTING}" in str(info.value) and f"{site.url}/rss" in str(info.value)
    assert count(query) == 0


def test_layout_guard_when_the_feed_is_missing(site, scrape):
    site.serve(LISTING, fixture("garbage.html"))
    with pytest.raises(LayoutError, match="RSS feed failed .*answered 404"):
        scrape()


def test_bad_cards_are_skipped_and_counted(site, scrape, query):
    page = fixture("listing_current.html").replace(b"www.u.today", b"u.today")
    page = page.replace(b"https://u.today", site.url.encode())
    site.serve(LISTING, page)
    summary = scrape(max_pages=1)
    assert (summary.cards_seen, summary.skipped_cards, summary.new_titles) == (10, 3, 6)
    assert count(query) == 6


def test_a_failing_later_page_keeps_what_was_stored(site, scrape, query):
    site.serve_listing([articles(0, 30), articles(30, 30)])
    site.serve(f"{LISTING}?page=1", Reply("down", 500, "text/plain"))
    with pytest.raises(SiteError, match="answered 500"):
        scrape()
    assert count(query) == 30


def test_deadline_stops_before_the_next_page(site, scrape):
    site.serve_listing([articles(0, 30)])
    summary = scrape(from_page=4, to_page=9, deadline=Deadline(1.0))
    assert summary.stopped == "out of time" and summary.next_page == 4
    assert site.requests == []


def test_the_page_delay_is_observed_between_pages(site, conn):
    settings = load_settings({"UTODAY_BASE_URL": site.url, "UTODAY_PAGE_DELAY": "2.5"})
    slept = []
    client = SiteClient(settings, sleep=slept.append)
    site.serve_listing([articles(0, 30), articles(30, 30)])
    scrape_job(conn, client, settings)
    assert slept == [2.5, 2.5]  # before page 1 and page 2, never before page 0
