"""The prices stage: each coin's missing daily closes from the chosen service, and the Fear &
Greed Index's missing days; a coin that fails is recorded and the others go on. Idempotent: a
second run asks only for the days after the last one stored."""

from __future__ import annotations

from datetime import date, timedelta

from . import clock
from .errors import SiteError
from .market.prices import PriceClient, fetch_fear_greed, make_source
from .records import PricesSummary
from .settings import Settings
from .store.connection import Connection
from .store.market import (
    last_close_day,
    last_fear_greed_day,
    store_closes,
    store_fear_greed,
)
from .store.tags import top_coins

FIRST_FETCH_DAYS = 365  # how far back a coin with no stored close starts (CoinGecko's free reach)


def default_coins(conn: Connection, settings: Settings) -> list[str]:
    """PRICES_COINS, or BTC, ETH and the ten coins most mentioned in the last 90 days."""
    if settings.prices_coins:
        return list(settings.prices_coins)
    mentioned = [coin for coin, _ in top_coins(conn, days=90, limit=12)]
    return list(dict.fromkeys(["BTC", "ETH", *mentioned]))[:12]


def fetch_prices(conn: Connection, client: PriceClient, settings: Settings, coins: list[str],
                 since: date | None, source_name: str | None, summary: PricesSummary) -> None:
    source = make_source(settings, client, source_name)
    summary.source = source.name
    yesterday = clock.today() - timedelta(days=1)
    for coin in coins:
        summary.coins += 1
        last = last_close_day(conn, coin)
        start = since or yesterday - timedelta(days=FIRST_FETCH_DAYS - 1)
        if last is not None:
            start = max(start, last + timedelta(days=1))
        if start > yesterday:
            summary.up_to_date += 1
            continue
        try:
            rows = source.closes(coin, start, yesterday)
        except SiteError as exc:
            summary.failed[coin] = str(exc)
            continue
        summary.days_added += store_closes(conn, coin, source.name, rows)
    last = last_fear_greed_day(conn)
    if last is None or last < yesterday:
        summary.fear_greed_asked = True
        try:
            index = fetch_fear_greed(client)
        except SiteError as exc:
            summary.failed["fear_greed"] = str(exc)
        else:
            summary.fear_greed_added = store_fear_greed(conn, index)
    summary.requests = client.requests_sent
