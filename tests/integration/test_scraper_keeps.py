"""The scraper keeps what it saw: sponsored cards apart, paging faults caught, card times in the
configured zone, every fetched page archived, and today's parser replayed over the archive."""

from __future__ import annotations

import gzip
import html
from datetime import UTC, datetime

import pytest

from fakes import Article, Reply, articles, listing_page
from tests.helpers import TOKEN
from utoday_sentiment.cli import main

LISTING = "/latest-cryptocurrency-news"


@pytest.fixture
def env(monkeypatch, db_url, site, hf):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("UTODAY_BASE_URL", site.url)
    monkeypatch.setenv("UTODAY_PAGE_DELAY", "0")
    monkeypatch.setenv("UTODAY_HTTP_RETRIES", "0")
    monkeypatch.setenv("HF_API_URL", hf.url)
    monkeypatch.setenv("HF_API_TOKEN", TOKEN)


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    """Run the command; its output without the JSON log lines a Lambda handler test earlier in
    the session may have routed to stdout."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    out = "".join(line for line in out.splitlines(keepends=True) if not line.startswith("{"))
    return code, out, err


def mixed_page() -> list[Article]:
    """Six cards a listing page may hold: news, and sponsored content in three spellings."""
    news = articles(0, 6)
    categories = ["News", "Partners", "News", "press releases", "Airdrops", "Price Analysis"]
    return [
        Article(a.slug, a.title, a.published, a.author, c) for a, c in zip(news, categories, strict=True)
    ]


def test_sponsored_cards_are_stored_flagged_never_labelled_nor_counted(env, site, hf, capsys, query):
    site.serve_listing([mixed_page()])
    code, out, _ = cli(capsys, "run")
    assert code == 0
    assert "6 new titles (3 sponsored)" in out
    assert query("SELECT count(*) FROM titles WHERE sponsored") == [(3,)]
    assert query("SELECT category FROM titles WHERE sponsored ORDER BY category") == [
        ("Airdrops",), ("Partners",), ("press releases",)
    ]
    sent = hf.inputs()
    assert len(sent) == 3 and not any("#1" in t or "#3" in t or "#4" in t for t in sent)
    assert query("SELECT count(*) FROM titles WHERE sponsored AND sentiment IS NOT NULL") == [(0,)]
    assert query("SELECT sum(titles), sum(labelled) FROM daily_sentiment") == [(3, 3)]
    assert query("SELECT count(*) FROM labelled_titles") == [(3,)]
    code, out, _ = cli(capsys, "status", "--json")
    assert '"sponsored": 3' in out and '"unlabelled": 0' in out


def test_the_sponsored_categories_are_a_setting(env, site, capsys, query, monkeypatch):
    monkeypatch.setenv("UTODAY_SPONSORED_CATEGORIES", "price analysis")
    site.serve_listing([mixed_page()])
    assert cli(capsys, "scrape")[0] == 0
    assert query("SELECT category FROM titles WHERE sponsored") == [("Price Analysis",)]


def _ignore_paging(site, page):
    body = listing_page(page, zone=site.zone)
    site.serve(LISTING, body)
    for number in range(1, 6):
        site.serve(f"{LISTING}?page={number}", body)  # the server ignores ?page=N


def test_a_site_that_ignores_paging_stops_a_daily_run_with_a_warning(env, site, capsys, query):
    _ignore_paging(site, articles(0, 30))
    code = main(["scrape", "--max-pages", "5"])
    out, err = capsys.readouterr()
    assert code == 0
    assert "the site ignored ?page=1: its paging changed" in out
    # the warning (on stderr; as JSON on stdout once a Lambda handler configured the loggers)
    assert "stopped with what was stored" in out + err
    assert query("SELECT count(*) FROM titles") == [(30,)]
    assert site.paths() == [LISTING, f"{LISTING}?page=1"]


def test_a_site_that_ignores_paging_fails_a_backfill_naming_the_url(env, site, capsys, query):
    _ignore_paging(site, articles(0, 30))
    code, _, err = cli(capsys, "scrape", "--from-page", "0", "--to-page", "4")
    assert code == 1
    line = err.strip().splitlines()[-1]
    assert line.startswith("utoday-sentiment: error: the site ignored ?page=1: its paging changed")
    assert f"{site.url}{LISTING}?page=1 repeats page 0" in line
    assert query("SELECT count(*) FROM titles") == [(30,)]  # the pages before it are kept


def test_card_times_are_read_in_the_configured_zone(env, site, capsys, query, monkeypatch):
    monkeypatch.setenv("UTODAY_TIMEZONE", "Europe/Berlin")
    site.zone = UTC  # the cards show 23:30, whatever zone this run moved to
    site.serve_listing([articles(0, 2, newest=datetime(2026, 7, 1, 23, 30, tzinfo=UTC))])
    assert cli(capsys, "scrape")[0] == 0
    # 23:30 on the card is Berlin summer time (UTC+2): 21:30 UTC, still July 1st
    assert query("SELECT min(published_at), max(published_at) FROM titles") == [
        (datetime(2026, 7, 1, 20, 30, tzinfo=UTC), datetime(2026, 7, 1, 21, 30, tzinfo=UTC))
    ]


def test_an_unknown_time_zone_is_one_line(env, capsys, monkeypatch):
    monkeypatch.setenv("UTODAY_TIMEZONE", "Europe/Atlantis")
    code, _, err = cli(capsys, "scrape")
    assert code == 2
    assert err.strip() == (
        "utoday-sentiment: error: UTODAY_TIMEZONE='Europe/Atlantis' is not valid: use an IANA "
        "time zone name, such as Europe/Berlin"
    )


def test_every_fetched_page_is_archived_once_per_body(env, site, capsys, query):
    site.serve_listing([articles(0, 30), articles(30, 5)])
    assert cli(capsys, "scrape")[0] == 0
    assert cli(capsys, "scrape", "--from-page", "0", "--to-page", "0")[0] == 0
    pages = query(
        "SELECT url, kind, page_number, status, parser_version, cards, titles, content_hash"
        " FROM raw_pages ORDER BY id"
    )
    assert [(p[0].removeprefix(site.url), p[2], p[3], p[5]) for p in pages] == [
        (LISTING, 0, 200, 30), (f"{LISTING}?page=1", 1, 200, 5), (f"{LISTING}?page=2", 2, 200, 0),
        (LISTING, 0, 200, 30),
    ]
    assert {p[4] for p in pages} == {"2"}
    assert pages[0][7] == pages[3][7]  # the same body twice ...
    assert query("SELECT count(*) FROM raw_bodies") == [(3,)]  # ... is stored once
    (body,) = query("SELECT body FROM raw_bodies WHERE content_hash = %s", (pages[1][7],))[0]
    assert gzip.decompress(bytes(body)).decode() == listing_page(articles(30, 5), zone=site.zone)


def test_pages_older_than_the_retention_are_pruned_by_the_scraper(env, site, capsys, query,
                                                                   monkeypatch, conn):
    site.serve_listing([articles(0, 3)])
    assert cli(capsys, "scrape")[0] == 0
    with conn.cursor() as cur:
        cur.execute("UPDATE raw_pages SET fetched_at = now() - interval '8 days'")
    conn.commit()
    monkeypatch.setenv("UTODAY_RAW_RETENTION_DAYS", "7")
    site.serve_listing([articles(0, 4)])
    assert cli(capsys, "scrape")[0] == 0
    assert query("SELECT count(*), min(fetched_at) > now() - interval '1 day' FROM raw_pages") == [
        (2, True)
    ]
    assert query("SELECT count(*) FROM raw_bodies") == [(2,)]  # the old bodies went with them


def test_a_layout_failure_names_the_archived_page_and_pages_show_writes_it(
    env, site, capsysbinary
):
    garbage = b"<html><body><div class='new-design'>Hello \xff</div></body></html>"
    site.serve(LISTING, Reply(garbage, 200, "text/html"))
    site.serve("/rss", Reply("<rss><channel><title>U.Today</title></channel></rss>", 200,
                             "application/rss+xml"))
    assert main(["scrape"]) == 1
    err = capsysbinary.readouterr().err.decode()
    assert "`utoday-sentiment pages show 1 > page.html` writes the archived page out" in err
    assert "(the feed is page 2)" in err
    assert main(["pages", "show", "1"]) == 0
    assert capsysbinary.readouterr().out == garbage  # byte for byte, as the site sent it
    assert main(["pages", "list"]) == 0
    listed = capsysbinary.readouterr().out.decode()
    assert f"{site.url}{LISTING}" in listed and f"{site.url}/rss" in listed and "(2 rows)" in listed
    assert main(["pages", "show", "99"]) == 1
    assert "no archived page 99" in capsysbinary.readouterr().err.decode()


TOLERANT_CARD = """
    <div class="news__item">
      <div class="news__item-head humble__row"><a href="/news">News</a>
        <div class="humble">Nov 20, 2026 - 07:15</div></div>
      <div class="news__item-title"><a href="/xrp-holders-lawyer-teases-big-announcement">
        XRP Holders' Lawyer Teases Incoming 'Big Announcement'</a></div>
      <div class="news__item-footer"><a class="humble humble--author" href="/u">Alex Dovbnya</a></div>
    </div>"""


def test_reparse_adds_the_card_an_earlier_parser_missed_and_changes_nothing_else(
    env, site, capsys, query, conn
):
    from utoday_sentiment.records import Title
    from utoday_sentiment.store.raw_pages import archive_page
    from utoday_sentiment.store.titles import insert_titles

    page = listing_page(articles(0, 3), zone=site.zone).replace('<div class="news">', '<div class="news">' + TOLERANT_CARD)
    # What an earlier parser (no title-link fallback) stored from this page: three of its four
    # cards, the first without its author; the fourth card was missed. (Stored URLs are https on
    # the configured host, as the parser makes them.)
    host = site.url.removeprefix("http://")
    insert_titles(conn, [
        Title(a.title, f"https://{host}/{a.slug}", a.published,
              None if i == 0 else "Someone Else", "News")
        for i, a in enumerate(articles(0, 3))
    ])
    archive_page(conn, url=site.url + LISTING, kind="listing", page_number=0, status=200,
                 body=page.encode(), parser_version="1", cards=4, titles=3)
    before = query("SELECT id, url, title, published_at, author, category, sponsored, scraped_at"
                   " FROM titles ORDER BY id")

    code, out, _ = cli(capsys, "reparse", "--dry-run")
    assert code == 0
    assert out.strip() == ("reparse: 1 archived page re-read, 4 titles seen, 1 added, 1 completed, "
                           "2 unchanged; dry run: nothing was changed")
    assert query("SELECT count(*) FROM titles") == [(3,)]

    code, out, _ = cli(capsys, "reparse")
    assert code == 0 and "1 added, 1 completed, 2 unchanged" in out
    after = query("SELECT id, url, title, published_at, author, category, sponsored, scraped_at"
                  " FROM titles ORDER BY id")
    assert after[1:3] == before[1:3]  # untouched: a filled author is never replaced
    assert after[0][:4] == before[0][:4] and after[0][4] == "Yuri Molchan"  # only the gap filled
    added = after[3]
    assert added[2] == "XRP Holders' Lawyer Teases Incoming 'Big Announcement'"
    assert added[1].endswith("/xrp-holders-lawyer-teases-big-announcement")
    # the card says 07:15, read in the zone the scraper is configured with
    assert added[3] == datetime(2026, 11, 20, 7, 15, tzinfo=site.zone) and added[4] == "Alex Dovbnya"
    assert query("SELECT parser_version, cards, titles FROM raw_pages") == [("2", 4, 4)]
    # a second reparse finds nothing left to do
    assert "0 added, 0 completed, 4 unchanged" in cli(capsys, "reparse")[1]


def test_an_archived_body_that_no_longer_decompresses_stops_reparse_with_nothing_changed(
    env, site, capsys, query, conn
):
    site.serve_listing([articles(0, 2)])
    assert cli(capsys, "scrape")[0] == 0
    site.serve_listing([articles(0, 3)])
    assert cli(capsys, "scrape")[0] == 0
    with conn.cursor() as cur:
        cur.execute("DELETE FROM titles WHERE url LIKE '%%-2'")  # something reparse would add
        cur.execute("UPDATE raw_bodies SET body = 'garbage'::bytea WHERE content_hash ="
                    " (SELECT content_hash FROM raw_pages WHERE id = 3)")
    conn.commit()
    code, _, err = cli(capsys, "reparse")
    assert code == 1
    assert err.strip().splitlines()[-1].startswith(
        "utoday-sentiment: error: archived page 3 no longer decompresses"
    )
    assert query("SELECT count(*) FROM titles") == [(2,)]  # page 1 was re-read, then rolled back
    assert query("SELECT DISTINCT parser_version FROM raw_pages") == [("2",)]


def test_titles_on_the_page_are_escaped_and_kept_verbatim(env, site, capsys, query):
    odd = Article("odd", "<b>Bitcoin</b> & 'Ether'", datetime(2026, 11, 20, tzinfo=UTC))
    site.serve_listing([[odd]])
    assert cli(capsys, "scrape")[0] == 0
    assert query("SELECT title FROM titles") == [(html.unescape("<b>Bitcoin</b> & 'Ether'"),)]
