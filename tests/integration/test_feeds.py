"""Feeds beside U.Today, read from local imitations: conditional GET, one failing source among
others, each item stored once (utm_* or not), stories counted once, reparse of feed bodies,
sponsored items never labelled, and the readings of real feeds' habits (Atom, a BOM, an encoding
named only in the header, entities, a reused guid, a malformed feed)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from fakes import Reply, articles
from fakes.feeds import FakeFeeds, Item, atom, rss
from tests.helpers import TOKEN
from tests.integration.test_handlers import lambda_env  # noqa: F401 - a fixture
from utoday_sentiment import clock
from utoday_sentiment.cli import main

NOW = clock.now().replace(microsecond=0)
COINDESK = [
    Item("Crypto Firm Tether Says It Wants to Take Over Italian Football Club Juventus",
         "https://www.coindesk.com/business/2026/11/20/tether-juventus", NOW - timedelta(hours=2),
         guid="6f1c2a3e-9b8d-4c7e-a1f0-2b3c4d5e6f70", authors=("Jane Doe", "Omar Ali"),
         categories=("Business", "Tether")),
    Item("Bitcoin Climbs Past $120K as ETF Demand Builds",
         "https://www.coindesk.com/markets/2026/11/20/bitcoin-climbs", NOW - timedelta(hours=3),
         guid="7a2b3c4d-1e2f-4a5b-8c9d-0e1f2a3b4c5d"),
    Item("Sponsored: Earn 20% on Your Stablecoins", "https://www.coindesk.com/sponsored/earn",
         NOW - timedelta(hours=4), categories=("Sponsored Content",)),
]
COINTELEGRAPH = [
    Item("Crypto giant Tether offers to buy famous Italian football club Juventus",
         "https://cointelegraph.com/news/tether-juventus-bid?utm_source=rss_feed&utm_medium=rss",
         NOW - timedelta(hours=1, minutes=30),
         guid="https://cointelegraph.com/news/tether-juventus-bid", authors=("Sam Lee",)),
    Item("XRP Whales Move $300M Ahead of ETF Decision",
         "https://cointelegraph.com/news/xrp-whales?utm_source=rss_feed",
         NOW - timedelta(hours=5), guid="https://cointelegraph.com/news/xrp-whales"),
]


@pytest.fixture
def feeds():
    server = FakeFeeds().start()
    server.serve("/coindesk/rss/", rss(COINDESK, style="coindesk"))
    server.serve("/cointelegraph/rss", rss(COINTELEGRAPH, style="cointelegraph"))
    yield server
    server.stop()


@pytest.fixture
def env(monkeypatch, db_url, site, feeds, hf):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("UTODAY_BASE_URL", site.url)
    monkeypatch.setenv("UTODAY_PAGE_DELAY", "0")
    monkeypatch.setenv("UTODAY_HTTP_RETRIES", "0")
    monkeypatch.setenv("UTODAY_SOURCES", "coindesk,cointelegraph")
    monkeypatch.setenv("UTODAY_EXTRA_FEEDS", f"coindesk={feeds.url('/coindesk/rss/')},"
                       f"cointelegraph={feeds.url('/cointelegraph/rss')}")
    monkeypatch.setenv("HF_API_URL", hf.url)
    monkeypatch.setenv("HF_API_TOKEN", TOKEN)
    site.serve_listing([articles(0, 3, newest=NOW - timedelta(hours=1))])


def cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_run_reads_every_source_and_labels_each_item_once(env, capsys, query, feeds):
    code, out, err = cli(capsys, "run")
    assert code == 0, err
    assert "feeds: 2 feeds read (0 not modified), 5 new titles (1 sponsored), 1 joined a story" in out
    assert query("SELECT source, count(*) FROM titles GROUP BY 1 ORDER BY 1") == [
        ("coindesk", 3), ("cointelegraph", 2), ("utoday", 3)]
    # labelled, every non-sponsored title once; the sponsored item never
    assert query("SELECT count(*) FROM titles WHERE sentiment IS NOT NULL") == [(7,)]
    assert query("SELECT sponsored, sentiment FROM titles WHERE url LIKE '%%/sponsored/%%'") == [
        (True, None)]
    assert "label: 7 labelled" in out
    # the same story at two outlets: one story_id, counted once
    assert query("SELECT count(DISTINCT story_id) FROM titles WHERE title ILIKE '%%juventus%%'"
                 ) == [(1,)]
    assert query("SELECT sum(stories)::int, sum(titles)::int, sum(told_by_several)::int"
                 " FROM daily_story_sentiment") == [(6, 7, 1)]
    # authors joined, "Cointelegraph by" dropped, categories kept, the link without utm_*
    assert query("SELECT author, category FROM titles WHERE url LIKE '%%coindesk.com/business%%'"
                 ) == [("Jane Doe, Omar Ali", "Business, Tether")]
    assert query("SELECT url, author FROM titles WHERE source = 'cointelegraph' ORDER BY 1") == [
        ("https://cointelegraph.com/news/tether-juventus-bid", "Sam Lee"),
        ("https://cointelegraph.com/news/xrp-whales", "Jane Doe")]
    code, out, _ = cli(capsys, "sources", "--json")
    shown = {row["source"]: row for row in json.loads(out)}
    assert shown["coindesk"]["items"] == 2 and shown["coindesk"]["last_status"] == 200  # not the sponsored one
    assert shown["utoday"]["items"] == 3 and shown["cointelegraph"]["last_error"] is None


def test_a_second_poll_sends_the_validators_and_stores_nothing(env, capsys, query, feeds):
    assert cli(capsys, "feeds")[0] == 0
    before = query("SELECT count(*) FROM titles")
    code, out, _ = cli(capsys, "feeds")
    assert code == 0
    assert out.startswith("feeds: 2 feeds read (2 not modified), 0 new titles")
    second = feeds.seen("/coindesk/rss/")[-1].headers
    assert second["If-None-Match"] == '"v1"'
    assert second["If-Modified-Since"] == "Fri, 20 Nov 2026 12:00:00 GMT"
    assert query("SELECT count(*) FROM titles") == before
    assert query("SELECT not_modified, last_status FROM feed_state WHERE source = 'coindesk'") == [
        (1, 304)]
    assert query("SELECT count(*) FROM raw_pages WHERE kind = 'feed'") == [(2,)]  # no 304 body


def test_one_failing_source_does_not_stop_the_others_and_is_reported(env, capsys, query, feeds):
    feeds.script("/coindesk/rss/", Reply("Forbidden", 403, "text/plain"))
    code, out, err = cli(capsys, "feeds")
    assert code == 1
    assert "1 failed: coindesk" in out
    assert err.strip().splitlines()[-1].startswith(
        "utoday-sentiment: error: 1 of 2 feeds failed (coindesk): coindesk: ")
    assert "answered 403 Forbidden: this outlet refuses the project's client" in err
    assert query("SELECT source, count(*) FROM titles GROUP BY 1") == [("cointelegraph", 2)]
    code, out, _ = cli(capsys, "sources")
    assert "403 Forbidden" in out.split("coindesk", 1)[1].splitlines()[0]
    # its validators were never stored: the next poll asks for the whole feed again
    assert cli(capsys, "feeds")[0] == 0
    assert "If-None-Match" not in feeds.seen("/coindesk/rss/")[-1].headers
    assert query("SELECT last_error FROM feed_state WHERE source = 'coindesk'") == [(None,)]


@pytest.mark.parametrize(("reply", "words"), [
    (Reply("busy", 500, "text/plain"), "answered 500"),
    (Reply("<html>not a feed</html>", 200, "text/html"), "is not a readable RSS or Atom feed"),
    (Reply(b"\x00\x01 garbage", 200, "application/rss+xml"), "is not a readable RSS or Atom feed"),
    (Reply(rss(COINDESK)[:300], 200, "application/rss+xml"), "is not a readable RSS or Atom feed"),
])
def test_a_bad_answer_is_that_sources_error(env, capsys, query, feeds, reply, words):
    feeds.script("/coindesk/rss/", reply)
    code, _, err = cli(capsys, "feeds")
    assert code == 1 and words in err
    assert query("SELECT last_error IS NOT NULL FROM feed_state WHERE source = 'coindesk'") == [
        (True,)]
    assert query("SELECT count(*) FROM titles WHERE source = 'coindesk'") == [(0,)]


def test_a_slow_feed_times_out_and_a_429_is_waited_for(env, capsys, query, feeds, monkeypatch):
    monkeypatch.setenv("UTODAY_READ_TIMEOUT", "0.3")
    feeds.script("/coindesk/rss/", Reply(rss(COINDESK), delay=1.0))
    code, _, err = cli(capsys, "feeds")
    assert code == 1 and "coindesk: cannot read" in err
    monkeypatch.setenv("UTODAY_HTTP_RETRIES", "1")
    monkeypatch.setenv("UTODAY_READ_TIMEOUT", "5")
    feeds.script("/coindesk/rss/", Reply("slow down", 429, "text/plain", {"Retry-After": "0"}))
    assert cli(capsys, "feeds")[0] == 0
    assert query("SELECT count(*) FROM titles WHERE source = 'coindesk'") == [(3,)]


def test_utm_only_differences_and_a_reused_guid_are_one_title(env, capsys, query, feeds):
    roundup = "https://cointelegraph.com/news/what-happened-in-crypto-today"
    feeds.serve("/cointelegraph/rss", rss([
        Item("What happened in crypto today, Nov 19", roundup + "?utm_source=rss",
             NOW - timedelta(days=1), guid=roundup),
        Item("What happened in crypto today, Nov 20", roundup + "?utm_source=rss&utm_medium=x",
             NOW - timedelta(hours=1), guid=roundup),
        Item("XRP Whales Move $300M Ahead of ETF Decision",
             "https://cointelegraph.com/news/xrp-whales?utm_campaign=a#top", NOW, guid="x1"),
        Item("XRP Whales Move $300M Ahead of ETF Decision",
             "https://www.cointelegraph.com/news/xrp-whales/?utm_campaign=b", NOW, guid="x2"),
    ], style="cointelegraph"), etag='"v2"')
    assert cli(capsys, "feeds")[0] == 0
    assert query("SELECT url, title FROM titles WHERE source = 'cointelegraph' ORDER BY 1") == [
        (roundup, "What happened in crypto today, Nov 19"),  # the first seen: see docs/sources.md
        ("https://cointelegraph.com/news/xrp-whales", "XRP Whales Move $300M Ahead of ETF Decision"),
    ]


def test_the_habits_of_real_feeds_are_read_right(env, capsys, query, feeds, monkeypatch):
    eastern = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    feeds.serve("/theblock/rss.xml", rss([Item("Bitcoin ETFs Log $500M Inflows",
                                                "https://www.theblock.co/post/382435/etf?utm_source=rss&utm_medium=rss",
                                                eastern)], style="theblock"))
    feeds.serve("/decrypt/feed", rss([Item("Vitalik Buterin&#39;s Plan &amp; Ethereum&#8217;s Future",
                                           "https://decrypt.co/352201/vitalik-plan", NOW,
                                           guid="https://decrypt.co/?p=352201")], style="decrypt"))
    feeds.serve("/blockworks/feed", atom([Item("Solana Hits 100,000 TPS in Stress Test",
                                               "https://blockworks.com/news/solana-tps", NOW,
                                               authors=("Ana Paz", "Li Wei"))]),
                content_type="application/atom+xml")
    feeds.serve("/bom/feed", b"\xef\xbb\xbf" + rss([Item("Cardano Hard Fork Date Set",
                                                         "https://bom.example/cardano", NOW)]).encode())
    latin = rss([Item("Caf\xe9 Owner Accepts Bitcoin", "https://latin.example/cafe", NOW)],
                declaration="<?xml version=\"1.0\"?>").encode("latin-1")
    feeds.serve("/latin/feed", latin, content_type="application/rss+xml; charset=iso-8859-1")
    monkeypatch.setenv("UTODAY_SOURCES", "")
    monkeypatch.setenv("UTODAY_EXTRA_FEEDS", ",".join(
        f"{n}={feeds.url(p)}" for n, p in (("theblock", "/theblock/rss.xml"),
                                           ("decrypt", "/decrypt/feed"),
                                           ("blockworks", "/blockworks/feed"),
                                           ("bomfeed", "/bom/feed"), ("latin", "/latin/feed"))))
    code, _out, err = cli(capsys, "feeds")
    assert code == 0, err
    rows = dict(query("SELECT source, title FROM titles"))
    assert rows["decrypt"] == "Vitalik Buterin's Plan & Ethereum\u2019s Future"
    assert rows["bomfeed"] == "Cardano Hard Fork Date Set"
    assert rows["latin"] == "Caf\xe9 Owner Accepts Bitcoin"
    assert rows["blockworks"] == "Solana Hits 100,000 TPS in Stress Test"
    assert query("SELECT url, published_at FROM titles WHERE source = 'theblock'") == [
        ("https://theblock.co/post/382435/etf", eastern)]  # -0500 read as UTC
    assert query("SELECT author FROM titles WHERE source = 'blockworks'") == [("Ana Paz, Li Wei",)]
    assert query("SELECT url FROM titles WHERE source = 'decrypt'") == [
        ("https://decrypt.co/352201/vitalik-plan",)]  # the link, not the ?p= guid


def test_reparse_of_archived_feed_bodies_adds_nothing_twice(env, capsys, query, conn, feeds):
    assert cli(capsys, "feeds")[0] == 0
    before = query("SELECT url, title, author, category, sponsored, source FROM titles ORDER BY url")
    with conn.cursor() as cur:  # as if an earlier parser had missed one item of a feed
        cur.execute("DELETE FROM titles WHERE url = 'https://cointelegraph.com/news/xrp-whales'")
    conn.commit()
    code, out, _ = cli(capsys, "reparse")
    assert code == 0 and "2 archived pages re-read, 5 titles seen, 1 added, 0 completed" in out
    assert query("SELECT url, title, author, category, sponsored, source FROM titles"
                 " ORDER BY url") == before
    code, out, _ = cli(capsys, "reparse")
    assert "0 added, 0 completed, 5 unchanged" in out
    assert query("SELECT count(*) FROM titles") == [(len(before),)]
    assert query("SELECT DISTINCT parser_version FROM raw_pages WHERE kind = 'feed'") == [
        ("feed-1",)]


def test_unknown_sources_and_bad_feed_settings_are_one_line(monkeypatch, capsys, db_url):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("UTODAY_SOURCES", "coindesk,nosuchoutlet")
    code, _, err = cli(capsys, "feeds")
    assert code == 2 and len(err.splitlines()) == 1
    assert "UTODAY_SOURCES='coindesk,nosuchoutlet' is not valid: use short names" in err
    monkeypatch.setenv("UTODAY_SOURCES", "")
    monkeypatch.setenv("UTODAY_EXTRA_FEEDS", "myfeed=ftp://example.com/feed")
    code, _, err = cli(capsys, "feeds")
    assert code == 2 and "UTODAY_EXTRA_FEEDS=" in err
    monkeypatch.setenv("UTODAY_EXTRA_FEEDS", "")
    code, _, err = cli(capsys, "feeds")
    assert code == 2 and "no feed is configured: set UTODAY_SOURCES" in err


def test_the_feeds_function_polls_and_counts_a_failing_source(env, lambda_env, capsys, query,  # noqa: F811
                                                              feeds):
    from tests.integration.test_handlers import emitted, event
    from utoday_sentiment.errors import SiteError
    from utoday_sentiment.handlers.local import invoke

    result = invoke("feeds", event("schedule-feeds.json"))
    assert result["ok"] and result["new_titles"] == 5 and result["failed_count"] == 0
    metrics, logs = emitted(capsys)
    assert (metrics["FeedsRead"], metrics["FeedTitlesInserted"], metrics["FeedsFailed"]) == (2, 5, 0)
    finished = next(log for log in logs if log.get("message") == "feeds finished")
    assert finished["correlation_id"] == "9c2b7d1e-4f3a-4b5c-8d6e-7f8091a2b3c4"
    feeds.script("/cointelegraph/rss", Reply("down", 503, "text/plain"))
    with pytest.raises(SiteError, match=r"1 of 2 feeds failed \(cointelegraph\)"):
        invoke("feeds", event("schedule-feeds.json"))
    out = capsys.readouterr().out
    records = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    per_source = [r for r in records if "FeedFailed" in r]
    assert len(per_source) == 1 and per_source[0]["source"] == "cointelegraph"
    assert per_source[0]["FeedFailed"] == 1.0 or per_source[0]["FeedFailed"] == [1.0]
    assert any(r.get("FeedsFailed") in (1.0, [1.0]) for r in records)


def test_the_page_and_the_api_filter_by_source(env, capsys, db_url, feeds):
    from fastapi.testclient import TestClient

    from utoday_sentiment.settings import load_settings
    from utoday_sentiment.web.app import create_app

    assert cli(capsys, "run")[0] == 0
    with TestClient(create_app(load_settings(), db_url)) as web:
        items = web.get("/api/v1/titles?source=cointelegraph").json()["items"]
        assert {i["source"] for i in items} == {"cointelegraph"} and len(items) == 2
        days = web.get("/api/v1/daily?days=3&source=coindesk").json()
        assert sum(d["titles"] for d in days) == 2  # the sponsored one is not counted
        bad = web.get("/api/v1/titles?source=nosuch")
        assert bad.status_code == 400 and "send one of coindesk, cointelegraph, utoday" in bad.text
        both = web.get("/api/v1/daily?source=coindesk&coin=BTC")
        assert both.status_code == 400 and "not both" in both.text
        page = web.get("/?source=coindesk").text
        assert "coindesk only" in page and '<table class="sources">' in page
        assert "cointelegraph" in page.split('<table class="sources">')[1]
        headlines = web.get("/titles?source=coindesk").text
        assert headlines.count('<span class="source">coindesk</span>') == 2
