"""`prices fetch` against local imitations of CoinGecko, Coinbase, Binance and alternative.me:
finished days only, each day once, a second run asks only for new days, every refusal one line."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from fakes import Reply
from fakes.market import FakeMarket, closes
from tests.integration.test_handlers import lambda_env  # noqa: F401 - a fixture
from utoday_sentiment import clock
from utoday_sentiment.cli import main

NOW = clock.now().replace(microsecond=0)
TODAY = NOW.date()
DAYS = [TODAY - timedelta(days=n) for n in range(400, -1, -1)]  # today too: never stored


@pytest.fixture
def market():
    server = FakeMarket(NOW)
    server.prices = {"BTC": closes(DAYS), "ETH": closes(DAYS, start=3000, seed=2)}
    server.fear_greed = {d: 20 + i % 60 for i, d in enumerate(DAYS)}
    server.start()
    yield server
    server.stop()


@pytest.fixture
def env(monkeypatch, db_url, market):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("UTODAY_HTTP_RETRIES", "0")
    monkeypatch.setenv("COINGECKO_BASE_URL", market.root + "/coingecko")
    monkeypatch.setenv("COINBASE_BASE_URL", market.root + "/coinbase")
    monkeypatch.setenv("BINANCE_BASE_URL", market.root + "/binance")
    monkeypatch.setenv("FEAR_GREED_URL", market.root + "/fng/?limit=0&format=json")


def cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("source", ["coingecko", "coinbase", "binance"])
def test_each_service_gives_the_finished_days_once(env, capsys, query, market, source):
    code, out, err = cli(capsys, "prices", "fetch", "--coin", "btc", "--source", source)
    assert code == 0, err
    assert out.startswith(f"prices ({source}): 1 coin, 365 new days of closes (0 up to date), "
                          "400 new Fear & Greed days")
    rows = query("SELECT day, close FROM prices WHERE coin = 'BTC' ORDER BY day")
    assert [d for d, _ in rows] == DAYS[-366:-1]  # the last 365 finished days, not today
    assert all(close == market.prices["BTC"][day] for day, close in rows)
    assert query("SELECT DISTINCT source FROM prices") == [(source,)]


def test_a_second_run_asks_only_for_new_days(env, capsys, query, market):
    assert cli(capsys, "prices", "fetch", "--coin", "BTC", "--source", "coinbase")[0] == 0
    asked = len(market.seen("/coinbase"))
    assert asked == 2  # 365 days: two pages of at most 300 candles
    code, out, _ = cli(capsys, "prices", "fetch", "--coin", "BTC", "--source", "coinbase")
    assert code == 0 and "0 new days of closes (1 up to date), 0 new Fear & Greed days" in out
    assert len(market.seen("/coinbase")) == asked and len(market.seen("/fng/")) == 1
    assert query("SELECT count(*), count(DISTINCT day) FROM prices") == [(365, 365)]
    assert query("SELECT count(*) FROM fear_greed") == [(400,)]


def test_a_day_without_trades_stays_missing_and_the_view_does_not_bridge_it(env, capsys, query,
                                                                          market):
    gap = TODAY - timedelta(days=10)
    market.missing.add(("BTC", gap))
    assert cli(capsys, "prices", "fetch", "--coin", "BTC", "--source", "coinbase",
               "--since", str(TODAY - timedelta(days=20)))[0] == 0
    assert query("SELECT count(*) FROM prices") == [(19,)]
    returns = dict(query("SELECT day, log_return FROM coin_daily_market WHERE coin = 'BTC'"))
    assert returns[gap + timedelta(days=1)] is None  # no return across the missing day
    day = gap + timedelta(days=2)
    expected = market.prices["BTC"][day] / market.prices["BTC"][day - timedelta(days=1)]
    assert returns[day] == pytest.approx(math.log(expected))
    assert query("SELECT fear_greed FROM coin_daily_market WHERE day = %s", (day,)) == [
        (market.fear_greed[day],)]


@pytest.mark.parametrize(("source", "reply", "words"), [
    ("binance", Reply('{"code":0,"msg":"Service unavailable from a restricted location"}', 451,
                      "application/json"),
     "Binance refuses requests from this region (451); use PRICES_SOURCE=coinbase or coingecko"),
    ("coingecko", Reply('{"status":{"error_code":429,"error_message":"You\'ve exceeded the Rate '
                        'Limit"}}', 429, "application/json", {"retry-after": "119"}),
     "CoinGecko is rate-limiting this address (429)"),
    ("coinbase", Reply("<html>busy</html>", 502, "text/html"), "Coinbase answered 502"),
])
def test_a_refusal_is_one_line_and_the_fear_greed_days_still_come(env, capsys, query, market,
                                                                  source, reply, words):
    market.script(f"/{source}", reply)
    code, out, err = cli(capsys, "prices", "fetch", "--coin", "BTC", "--source", source)
    assert code == 1
    assert words in err and len(err.strip().splitlines()) == 1
    assert "1 failed: BTC" in out
    assert query("SELECT count(*) FROM prices") == [(0,)]
    assert query("SELECT count(*) FROM fear_greed") == [(400,)]


def test_coingecko_beyond_its_365_days_says_what_to_do(env, capsys, market):
    code, _, err = cli(capsys, "prices", "fetch", "--coin", "BTC", "--source", "coingecko",
                       "--since", str(TODAY - timedelta(days=390)))
    assert code == 1
    assert "CoinGecko's free plan keeps only the past 365 days of BTC" in err
    assert "PRICES_SOURCE=coinbase" in err


def test_the_demo_key_is_sent_and_never_shown(env, capsys, market, monkeypatch):
    monkeypatch.setenv("COINGECKO_API_KEY", "CG-secret-demo-key-123")
    market.script("/coingecko", Reply('{"status":{"error_code":10011,"error_message":"bad key"}}',
                                      401, "application/json"))
    code, out, err = cli(capsys, "prices", "fetch", "--coin", "BTC", "--source", "coingecko")
    assert code == 1 and "CoinGecko answered 401: bad key (error 10011)" in err
    assert market.seen("/coingecko")[0].headers["x-cg-demo-api-key"] == "CG-secret-demo-key-123"
    assert "CG-secret-demo-key-123" not in out + err


def test_default_coins_are_btc_eth_and_the_most_mentioned(env, capsys, query, conn, market):
    from utoday_sentiment.records import Title
    from utoday_sentiment.store.titles import insert_titles

    insert_titles(conn, [Title(f"XRP Climbs #{i}", f"https://u.today/x{i}", NOW - timedelta(days=1))
                         for i in range(3)])
    market.prices["XRP"] = closes(DAYS, start=2, seed=3)
    code, out, _ = cli(capsys, "prices", "fetch", "--source", "coingecko")
    assert code == 0 and out.startswith("prices (coingecko): 3 coins, 1095 new days")
    assert query("SELECT coin, count(*) FROM prices GROUP BY 1 ORDER BY 1") == [
        ("BTC", 365), ("ETH", 365), ("XRP", 365)]


def test_the_prices_function_fetches_daily_and_fails_loudly(env, market, query, capsys, monkeypatch,
                                                             lambda_env):  # noqa: F811
    from tests.integration.test_handlers import emitted, event
    from utoday_sentiment.errors import SiteError
    from utoday_sentiment.handlers.local import invoke

    monkeypatch.setenv("PRICES_SOURCE", "coinbase")
    monkeypatch.setenv("PRICES_COINS", "BTC,ETH")
    result = invoke("prices", event("schedule-prices.json"))
    assert result["ok"] and result["days_added"] == 730 and result["failed_count"] == 0
    metrics, _ = emitted(capsys)
    assert metrics["PriceDaysAdded"] == 730 and metrics["PriceFetchesFailed"] == 0
    monkeypatch.setenv("PRICES_COINS", "BTC,XRP")  # XRP: the imitation knows no XRP-USD
    market.script("/coinbase/products/XRP", Reply("not found", 404, "text/plain"))
    with pytest.raises(SiteError, match="XRP"):
        invoke("prices", event("schedule-prices.json"))
    assert query("SELECT count(*) FROM prices WHERE coin = 'BTC'") == [(365,)]
