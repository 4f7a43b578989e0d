"""Parsing is a pure function of the markup and the page URL: tested on fixture pages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fakes import articles, fixture, listing_page
from utoday_sentiment.sources.utoday.parse import (
    canonical_url,
    clean_title,
    parse_card_date,
    parse_listing,
    parse_rss,
)

SITE = "https://u.today"
PAGE = "https://u.today/latest-cryptocurrency-news"


@pytest.fixture(scope="module")
def current():
    return parse_listing(fixture("listing_current.html"), PAGE, SITE)


def by_slug(page, slug):
    matches = [t for t in page.titles if t.url == f"{SITE}/{slug}"]
    assert len(matches) == 1, [t.url for t in page.titles]
    return matches[0]


def test_current_layout_counts_cards_skips_and_duplicates(current):
    assert current.layout == "current"
    assert current.cards == 10
    # no title, no link, off-site sponsored link
    assert current.skipped == 3
    # 7 usable cards, one of them the same article as another
    assert len(current.titles) == 6
    assert len({t.url for t in current.titles}) == 6


def test_plain_card_has_every_field(current):
    t = by_slug(current, "dogecoin-cofounder-breaks-silence-on-bitcoin-price-surge-details")
    assert t.title == "Dogecoin Cofounder Breaks Silence on Bitcoin Price Surge: Details"
    assert t.published_at == datetime(2025, 6, 10, 10, 49, tzinfo=UTC)
    assert t.author == "Tomiwabold Olajide"
    assert t.category == "News"


def test_whitespace_relative_link_and_author_first_line(current):
    t = by_slug(
        current, "is-bitcoin-safe-from-quantum-computers-michael-saylor-shares-bullish-take"
    )
    assert t.title == "Is Bitcoin Safe From Quantum Computers? Michael Saylor Shares Bullish Take"
    assert t.author == "Yuri Molchan"
    assert t.category == "News"
    assert t.published_at == datetime(2025, 6, 9, 11, 52, tzinfo=UTC)


def test_entities_decoded_and_url_canonical(current):
    t = by_slug(current, "xrp-holders-lawyer-teases-incoming-big-announcement")
    assert t.title == "XRP Holders' Lawyer Teases Incoming \u2018Big Announcement\u2019 & More"
    assert t.published_at == datetime(2026, 9, 9, 10, 14, tzinfo=UTC)
    assert t.category == "Guides"


def test_non_ascii_emoji_site_suffix_and_www_host(current):
    t = by_slug(current, "stellar-xlm-flips-bitcoin-cash-bch-as-bulls-initiate-13-climb")
    assert (
        t.title
        == "Stellar (XLM) Flips Bitcoin Cash (BCH) as Bulls Initiate 13% Climb 🚀 \u2013 Zürich Café ₿"
    )


def test_missing_and_unparseable_dates_are_null_never_guessed(current):
    assert (
        by_slug(
            current, "cardano-ada-eyes-first-major-golden-cross-of-2026-potential-scenarios"
        ).published_at
        is None
    )
    bitget = by_slug(current, "bitget-expands-ai-trading-with-getagent-playbook")
    assert bitget.published_at is None
    assert bitget.category == "Companies"
    assert bitget.author is None


def test_legacy_layout_is_the_fallback():
    page = parse_listing(fixture("listing_legacy.html"), PAGE, SITE)
    assert page.layout == "legacy"
    assert (page.cards, page.skipped, len(page.titles)) == (4, 1, 3)
    first, second, third = page.titles
    assert (
        first.url
        == f"{SITE}/billions-of-usd-in-doge-held-by-robinhood-quarter-of-circulating-supply"
    )
    assert first.published_at == datetime(2021, 6, 17, 13, 21, tzinfo=UTC)  # month first
    assert second.title == "XRP Holders' Lawyer Teases Incoming 'Big Announcement'"
    assert second.published_at == datetime(2022, 1, 5, 9, 3, tzinfo=UTC)
    assert third.published_at is None


def test_same_article_on_two_pages_gets_one_url(current):
    legacy = parse_listing(fixture("listing_legacy.html"), PAGE + "?page=7", SITE)
    shared = {t.url for t in current.titles} & {t.url for t in legacy.titles}
    assert shared == {f"{SITE}/xrp-holders-lawyer-teases-incoming-big-announcement"}


def test_rss_feed():
    feed = parse_rss(fixture("rss.xml"), f"{SITE}/rss", SITE)
    assert feed.layout == "rss"
    assert (feed.cards, feed.skipped, len(feed.titles)) == (5, 1, 4)
    stellar, shiba, offset, bad_date = feed.titles
    assert stellar.published_at == datetime(2026, 9, 25, 14, 45, 12, tzinfo=UTC)
    assert stellar.author == "Gamza Khanzadaev"
    assert shiba.title == 'Shiba Inu & PEPE: "Whales" Move $40M \u2013 What\'s Next?'
    assert shiba.url == f"{SITE}/shiba-inu-pepe-whales-move-40m-whats-next"
    assert shiba.category == "News"
    assert offset.published_at == datetime(2025, 8, 18, 7, 31, 9, tzinfo=UTC)  # +0300 -> UTC
    assert bad_date.published_at is None


@pytest.mark.parametrize("name", ["garbage.html", "listing_empty.html"])
def test_pages_without_usable_cards_yield_no_titles(name):
    page = parse_listing(fixture(name), PAGE, SITE)
    assert page.titles == []


@pytest.mark.parametrize(
    "markup",
    [
        "",
        "   ",
        "plain text, no markup",
        b"\x00\x01\x02",
        b"\xff\xfe<div>",
        "<html><body>",
        "<?xml ?>",
    ],
)
def test_parsers_never_raise(markup):
    assert parse_listing(markup, PAGE, SITE).titles == []
    assert parse_rss(markup, f"{SITE}/rss", SITE).titles == []


def test_bytes_in_a_declared_legacy_encoding_are_decoded():
    html = (
        listing_page(articles(0, 1))
        .replace("#0", "Café")
        .replace('charset="utf-8"', 'charset="iso-8859-1"')
    )
    page = parse_listing(html.encode("iso-8859-1"), PAGE, SITE)
    assert page.titles[0].title.endswith("Café")


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("/slug", "https://u.today/slug"),
        ("slug", "https://u.today/slug"),
        ("https://u.today/slug/", "https://u.today/slug"),
        ("http://u.today/slug?utm=1#top", "https://u.today/slug"),
        ("https://WWW.U.TODAY/slug", "https://u.today/slug"),
        ("//u.today/slug", "https://u.today/slug"),
        ("https://u.today//a//b/", "https://u.today/a/b"),
        ("https://u.today/", None),
        ("https://elsewhere.com/slug", None),
        ("https://u.today.evil.com/slug", None),
        ("javascript:alert(1)", None),
        ("mailto:news@u.today", None),
        ("#comments", None),
        ("", None),
        (None, None),
        ("http://[::1", None),
    ],
)
def test_canonical_url(href, expected):
    assert (
        canonical_url(href, "https://u.today/latest-cryptocurrency-news?page=2", SITE) == expected
    )


def test_canonical_url_keeps_a_configured_port():
    assert (
        canonical_url("/a", "http://127.0.0.1:8080/list", "http://127.0.0.1:8080")
        == "https://127.0.0.1:8080/a"
    )
    assert (
        canonical_url(
            "http://127.0.0.1:9999/a", "http://127.0.0.1:8080/list", "http://127.0.0.1:8080"
        )
        is None
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jun 10, 2025 - 10:49", datetime(2025, 6, 10, 10, 49, tzinfo=UTC)),
        ("Sep 9, 2026 - 10:14", datetime(2026, 9, 9, 10, 14, tzinfo=UTC)),
        ("  Sept. 09,  2026 -  7:05 ", datetime(2026, 9, 9, 7, 5, tzinfo=UTC)),
        ("06/17/2021 - 13:21", datetime(2021, 6, 17, 13, 21, tzinfo=UTC)),
        ("Feb 30, 2026 - 10:00", None),
        ("Foo 10, 2025 - 10:49", None),
        ("13/13/2021 - 10:00", None),
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_card_dates(text, expected):
    assert parse_card_date(text) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Title - U.Today", "Title"),
        ("Title \u2013 u.today ", "Title"),
        ("  Multi\n\tline\u00a0title ", "Multi line title"),
        ("U.Today Interviews Vitalik", "U.Today Interviews Vitalik"),
        ("Null\x00 byte\x07 and\x1b controls", "Null byte and controls"),
    ],
)
def test_clean_title(raw, expected):
    assert clean_title(raw) == expected


def test_a_card_without_its_link_element_takes_the_titles_own_link():
    card = """<div class="news__item"><div class="news__item-head"><a href="/news">News</a>
      <div class="humble">Nov 20, 2026 - 07:15</div></div>
      <div class="news__item-title"><a href="https://u.today/xrp-lawyer-teases">XRP Lawyer
      Teases 'Big Announcement'</a></div></div>"""
    page = parse_listing(f"<html><body>{card}</body></html>", PAGE, SITE)
    assert page.skipped == 0
    assert [(t.title, t.url, t.category) for t in page.titles] == [
        ("XRP Lawyer Teases 'Big Announcement'", "https://u.today/xrp-lawyer-teases", "News")
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # month first reads Thursday May 8th: it is a Thursday, so that reading stands
        ("Thu, 05/08/2025 - 10:06", datetime(2025, 5, 8, 10, 6, tzinfo=UTC)),
        # month first would be Aug 5th, a Tuesday; day first is May 8th, the Thursday it says
        ("Thu, 8/05/2025 - 10:06", datetime(2025, 5, 8, 10, 6, tzinfo=UTC)),
        # neither reading falls on a Monday: refused, never read month first regardless
        ("Mon, 8/05/2025 - 10:06", None),
        ("Thursday 06/17/2021 - 13:21", datetime(2021, 6, 17, 13, 21, tzinfo=UTC)),
        ("Wednesday 06/17/2021 - 13:21", None),  # June 17th 2021 was a Thursday
        # no weekday: the older listing layout, month first
        ("06/17/2021 - 13:21", datetime(2021, 6, 17, 13, 21, tzinfo=UTC)),
    ],
)
def test_numeric_dates_must_agree_with_their_weekday(text, expected):
    assert parse_card_date(text) == expected


def test_card_dates_are_read_in_the_given_zone():
    from zoneinfo import ZoneInfo

    berlin = ZoneInfo("Europe/Berlin")
    assert parse_card_date("Jan 10, 2026 - 00:30", berlin) == datetime(2026, 1, 9, 23, 30, tzinfo=UTC)
    assert parse_card_date("Jul 10, 2026 - 00:30", berlin) == datetime(2026, 7, 9, 22, 30, tzinfo=UTC)
    assert parse_card_date("Jul 10, 2026 - 00:30") == datetime(2026, 7, 10, 0, 30, tzinfo=UTC)


def test_rss_dates_keep_their_own_offset_whatever_the_zone():
    feed = """<rss><channel><item><title>Bitcoin Climbs</title><link>https://u.today/b</link>
      <pubDate>Mon, 18 Aug 2025 07:31:09 +0200</pubDate></item></channel></rss>"""
    (title,) = parse_rss(feed, "https://u.today/rss", SITE).titles
    assert title.published_at == datetime(2025, 8, 18, 5, 31, 9, tzinfo=UTC)
