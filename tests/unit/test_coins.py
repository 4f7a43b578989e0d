"""Which coins a headline is about: the lexicon, the matching rules, and their quality measured
on 176 hand-labelled headlines in U.Today's style."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from utoday_sentiment.coins import LexiconError, coins_in, load_lexicon, topics_in
from utoday_sentiment.coins.lexicon import parse_lexicon

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "coin_headlines.csv"
HEADER = "symbol,name,aliases,ticker_is_word\n"


@pytest.fixture(scope="module")
def lexicon():
    return load_lexicon()


@pytest.mark.parametrize(
    ("title", "coins"),
    [
        ("Cardano (ADA) Eyes First Major Golden Cross", ["ADA"]),
        ("XRP Holders' Lawyer Teases Incoming 'Big Announcement'", ["XRP"]),
        ("Shiba Inu (SHIB) Burn Rate Skyrockets", ["SHIB"]),
        ("$PEPE Whales Return", ["PEPE"]),
        ("$pepe Whales Return", ["PEPE"]),
        ("Bitcoin's Hashrate Hits Record", ["BTC"]),
        ("Bitcoins Leave Exchanges", ["BTC"]),
        ("BTC, ETH Slide as Fed Speaks", ["BTC", "ETH"]),
        ("Dogecoin Cofounder Breaks Silence", ["DOGE"]),
        ("Bitcoin Cash Upgrade Goes Live", ["BCH"]),  # the longest name wins
        ("Ethereal Vibes Meet a SOLution", []),  # never inside another word
        ("Btc Is Not a Ticker in Title Case", []),  # tickers count in upper case
        ("NEAR Protocol Unveils Roadmap", ["NEAR"]),
        ("Crypto Market NEAR Breakout", []),  # a ticker that is a word needs $, () or its name
        ("$NEAR Jumps", ["NEAR"]),
        ("Harmony (ONE) Bridge Reopens", ["ONE"]),
        ("Market Maker Moves Funds", []),  # an ordinary-word name needs its ticker
        ("Market Maker Dumps MKR", ["MKR"]),
        ("Ripple CEO Slams SEC", []),  # companies are not coins ...
        ("Ripple Unlocks 1 Billion XRP", ["XRP"]),  # ... their coins are
        ("Binance Lists New Pairs", []),
        ("Binance Coin (BNB) Hits Record", ["BNB"]),
        ("Tether CEO Denies Rumors", []),
        ("Tether Mints 1 Billion USDT", ["USDT"]),
        ("Top Meme Coins in September: Guide", []),
    ],
)
def test_matching_rules(lexicon, title, coins):
    assert coins_in(title, lexicon) == coins


def test_the_lexicon_holds_at_least_the_100_largest_coins(lexicon):
    symbols = {c.symbol for c in lexicon.coins}
    assert len(symbols) >= 100
    assert {"BTC", "ETH", "XRP", "SOL", "DOGE", "ADA", "SHIB", "PEPE", "TON", "TRX"} <= symbols
    assert lexicon.version.startswith("lexicon-")


@pytest.mark.parametrize(
    ("rows", "words"),
    [
        (",Nameless,,\n", "line 2: the symbol '' is missing"),
        ("BTC,Bitcoin,,\nXBT,Bitcoin Classic,Bitcoin,\n", "line 3: 'Bitcoin' maps to XBT, but line 2 maps it to BTC"),
        ("BTC,Bitcoin,,\nBTC,Bitcoin Again,,\n", "line 3: BTC appears twice"),
        ("BTC,Bitcoin,,maybe\n", "line 2: ticker_is_word is 'yes' or empty"),
        ("BTC,,,\n", "line 2: BTC has no name"),
    ],
)
def test_a_malformed_lexicon_row_fails_loudly_naming_it(rows, words):
    with pytest.raises(LexiconError) as info:
        parse_lexicon(HEADER + rows)
    assert words in str(info.value) and str(info.value).startswith("lexicon.csv line")


def test_topics_by_keyword(lexicon):
    assert topics_in("SEC Sues Exchange Over Unregistered Securities", lexicon) == [
        "regulation & legal"
    ]
    assert topics_in("Exchange Hacked for $300 Million", lexicon) == ["security incident"]
    assert topics_in("BlackRock Bitcoin ETF Sees Record Inflows", lexicon) == [
        "etf & institutional"
    ]
    assert topics_in("Dogecoin Price Slips 7%", lexicon) == ["price analysis"]
    assert topics_in("Visa Partners With Solana for Payments", lexicon) == [
        "partnership & adoption"
    ]
    assert topics_in("Cardano Founder Speaks", lexicon) == []


def test_quality_on_176_hand_labelled_headlines(lexicon, capsys):
    rows = list(csv.DictReader(FIXTURE.open(encoding="utf-8")))
    assert len(rows) >= 150
    tp = fp = fn = 0
    misses = []
    for row in rows:
        want = set(filter(None, row["coins"].split(";")))
        got = set(coins_in(row["title"], lexicon))
        tp, fp, fn = tp + len(want & got), fp + len(got - want), fn + len(want - got)
        if want != got:
            misses.append(f"{row['title']}: want {sorted(want)}, got {sorted(got)}")
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    with capsys.disabled():
        print(f"\ncoin tagging on {len(rows)} headlines: precision {precision:.3f}, "
              f"recall {recall:.3f} ({tp} right, {fp} wrong, {fn} missed)")
    assert precision >= 0.97 and recall >= 0.95, misses
