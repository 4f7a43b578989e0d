"""When U.Today misbehaves: retried, refused clearly, or stored verbatim; never half-stored."""

from __future__ import annotations

import pytest

from fakes import Article, Reply, articles, fixture, listing_page
from tests.helpers import scrape as scrape_job
from utoday_sentiment.errors import LayoutError, SiteError
from utoday_sentiment.settings import load_settings
from utoday_sentiment.sources.utoday import SiteClient

LISTING = "/latest-cryptocurrency-news"


@pytest.fixture
def scrape(conn, site):
    def run(**env):
        settings = load_settings({"UTODAY_BASE_URL": site.url, "UTODAY_PAGE_DELAY": "0", **env})
        client = SiteClient(settings, backoff_factor=0)
        try:
            return scrape_job(conn, client, settings, max_pages=3)
        finally:
            client.close()

    return run


def count(query) -> int:
    return query("SELECT count(*) FROM titles")[0][0]


def test_a_500_then_200_is_retried_and_stored(site, scrape, query):
    site.serve_listing([articles(0, 30)])
    site.serve(
        LISTING, Reply("Internal Server Error", 500, "text/plain"), listing_page(articles(0, 30))
    )
    assert scrape().new_titles == 30
    assert site.paths()[:2] == [LISTING, LISTING]


def test_a_page_that_times_out_is_a_clear_error_and_keeps_earlier_pages(site, scrape, query):
    site.serve_listing([articles(0, 30), articles(30, 30)])
    site.serve(f"{LISTING}?page=1", Reply(listing_page(articles(30, 30)), delay=2.0))
    with pytest.raises(SiteError, match=r"\?page=1 did not answer within 0.5 s"):
        scrape(UTODAY_READ_TIMEOUT="0.5", UTODAY_HTTP_RETRIES="0")
    assert count(query) == 30


def test_a_page_of_garbage_fails_loudly_and_stores_nothing(site, scrape, query):
    site.serve(LISTING, Reply(fixture("garbage.html"), 200, "text/html"))
    with pytest.raises(LayoutError, match="no headline cards"):
        scrape()
    assert count(query) == 0


def test_a_page_far_larger_than_any_real_one_is_cut_off(site, scrape, query):
    site.serve_listing([articles(0, 30)])
    huge = listing_page(articles(30, 30)).encode() + b"<!-- padding -->" * 400_000  # ~6.4 MB
    site.serve(f"{LISTING}?page=1", Reply(huge))
    with pytest.raises(SiteError, match="sent more than 5000000 bytes"):
        scrape()
    assert count(query) == 30


def test_bytes_that_are_not_utf8_are_stored_as_text(site, scrape, query):
    page = listing_page(articles(0, 3)).encode("utf-8").replace(b"#1", b"\xff\xfe Caf\xe9 #1")
    site.serve(LISTING, Reply(page, 200, "text/html; charset=utf-8"))
    assert scrape().new_titles == 3
    titles = [t for (t,) in query("SELECT title FROM titles ORDER BY id")]
    assert len(titles) == 3 and all(titles)
    assert any("Caf" in t and t.endswith("#1") for t in titles)


def test_script_and_sql_in_a_title_are_stored_verbatim(site, scrape, query):
    hostile = [
        Article(
            "script-title", "<script>alert('u.today')</script> Bitcoin", articles(0, 1)[0].published
        ),
        Article("sql-title", "Robert'); DROP TABLE titles; -- XRP", articles(1, 1)[0].published),
    ]
    site.serve_listing([hostile])
    assert scrape().new_titles == 2
    assert sorted(t for (t,) in query("SELECT title FROM titles")) == sorted(
        a.title for a in hostile
    )
    assert query("SELECT to_regclass('titles') IS NOT NULL") == [(True,)]
