"""Daily closes from three services, behind one protocol. Each reader is pure (the service's
JSON in, finished UTC days out); `PriceClient` does the HTTP with the project's session
(timeouts, retries honouring Retry-After, our User-Agent) and turns each service's refusals into
one line that says what to do. Only finished days are kept: the newest, still-open point of a
service is dropped."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from .. import clock
from ..errors import ConfigError, SiteError
from ..settings import Settings
from ..sources.utoday.client import SiteClient

# CoinGecko's ids are not tickers: the lexicon's coins that have a price there.
COINGECKO_IDS = {
    "BTC": "bitcoin", "ETH": "ethereum", "USDT": "tether", "XRP": "ripple", "BNB": "binancecoin",
    "SOL": "solana", "USDC": "usd-coin", "DOGE": "dogecoin", "TRX": "tron", "ADA": "cardano",
    "AVAX": "avalanche-2", "SHIB": "shiba-inu", "LINK": "chainlink", "TON": "the-open-network",
    "XLM": "stellar", "DOT": "polkadot", "BCH": "bitcoin-cash", "SUI": "sui",
    "HBAR": "hedera-hashgraph", "LTC": "litecoin", "PEPE": "pepe", "UNI": "uniswap",
    "NEAR": "near", "APT": "aptos", "ICP": "internet-computer", "POL": "polygon-ecosystem-token",
    "ETC": "ethereum-classic",
}
COINBASE_MAX_CANDLES = 300
BINANCE_MAX_ROWS = 1000


@dataclass(frozen=True)
class DailyClose:
    day: date  # the UTC day the close ends
    close: float
    volume: float | None


class PriceSource(Protocol):
    name: str

    def closes(self, coin: str, since: date, until: date) -> list[DailyClose]: ...


def finished(rows: list[DailyClose], today: date) -> list[DailyClose]:
    """Days before today (UTC), one row a day (the last seen wins), oldest first."""
    by_day = {r.day: r for r in rows if r.day < today}
    return [by_day[d] for d in sorted(by_day)]


def read_coingecko(document: Any, today: date) -> list[DailyClose]:
    """`market_chart` with interval=daily: the point stamped D+1 00:00 UTC is day D's close;
    the last point is "now", not a finished day."""
    prices = document.get("prices") if isinstance(document, dict) else None
    if not isinstance(prices, list):
        raise SiteError("CoinGecko answered without a 'prices' list; check COINGECKO_BASE_URL")
    volumes = {int(ms): v for ms, v in document.get("total_volumes") or []}
    rows = []
    for ms, price in prices:
        stamp = datetime.fromtimestamp(int(ms) / 1000, UTC)
        if stamp.hour or stamp.minute:
            continue  # "now", not a daily point
        rows.append(DailyClose(stamp.date() - timedelta(days=1), float(price),
                               volumes.get(int(ms))))
    return finished(rows, today)


def read_coinbase(rows: Any, today: date) -> list[DailyClose]:
    """Candles `[time_s, low, high, open, close, volume]`, newest first, a day without trades
    missing (never filled)."""
    if not isinstance(rows, list):
        raise SiteError("Coinbase answered without a list of candles; check COINBASE_BASE_URL")
    return finished([DailyClose(datetime.fromtimestamp(int(r[0]), UTC).date(), float(r[4]),
                                float(r[5])) for r in rows], today)


def read_binance(rows: Any, today: date) -> list[DailyClose]:
    """Klines `[open_ms, open, high, low, close, volume, close_ms, ...]` (strings); the newest
    row is the still-open day."""
    if not isinstance(rows, list):
        raise SiteError("Binance answered without a list of klines; check BINANCE_BASE_URL")
    return finished([DailyClose(datetime.fromtimestamp(int(r[0]) / 1000, UTC).date(),
                                float(r[4]), float(r[5])) for r in rows], today)


class PriceClient:
    """One session for the price services and the Fear & Greed Index."""

    def __init__(self, settings: Settings, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self.site = SiteClient(settings, sleep=sleep)
        self.site.session.headers["Accept"] = "application/json"

    def close(self) -> None:
        self.site.close()

    @property
    def requests_sent(self) -> int:
        return self.site.requests_sent

    def get_json(self, service: str, url: str, *, params: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> Any:
        with self.site.get(url, who=service, params=params, headers=headers) as response:
            body = self.site.read(response, url)
        try:
            document = json.loads(body)
        except ValueError:
            document = None
        if response.status_code == 451:
            raise SiteError(f"{service} refuses requests from this region (451); use "
                            "PRICES_SOURCE=coinbase or coingecko instead", status=451)
        if response.status_code == 429:
            raise SiteError(f"{service} is rate-limiting this address (429) after "
                            f"{self.settings.http_retries} retries; try again later"
                            + (" or set COINGECKO_API_KEY (a free demo key)"
                               if service == "CoinGecko" else ""), status=429)
        if response.status_code >= 400:
            raise SiteError(f"{service} answered {response.status_code}: "
                            f"{_error_text(document) or response.reason}",
                            status=response.status_code)
        if document is None:
            raise SiteError(f"{service} answered something that is not JSON from {url}")
        return document


def _error_text(document: Any) -> str:
    """The message in CoinGecko's {"error": {"status": {...}}} or {"status": {...}}, or
    Binance's {"code", "msg"}."""
    if not isinstance(document, dict):
        return ""
    error: Any = document.get("error") or document.get("status") or document
    if not isinstance(error, dict):
        return str(error)[:200]
    inner: Any = error.get("status")
    status: dict[str, Any] = inner if isinstance(inner, dict) else error
    code = status.get("error_code")
    text = str(status.get("error_message") or status.get("msg") or "")[:200]
    return f"{text} (error {code})" if code else text


class CoinGecko:
    name = "coingecko"

    def __init__(self, client: PriceClient) -> None:
        self.client, self.settings = client, client.settings

    def closes(self, coin: str, since: date, until: date) -> list[DailyClose]:
        coin_id = COINGECKO_IDS.get(coin)
        if coin_id is None:
            raise ConfigError(f"CoinGecko has no id known for {coin}; add it to COINGECKO_IDS in "
                              "market/prices.py, or use PRICES_SOURCE=coinbase")
        today = clock.today()
        days = max((today - since).days, 1)  # the point of day D is stamped D+1 00:00
        headers = ({"x-cg-demo-api-key": self.settings.coingecko_api_key}
                   if self.settings.coingecko_api_key else None)
        try:
            document = self.client.get_json(
                "CoinGecko", f"{self.settings.coingecko_base_url}/coins/{coin_id}/market_chart",
                params={"vs_currency": "usd", "days": days, "interval": "daily"}, headers=headers)
        except SiteError as exc:
            if "10012" in str(exc) or "365 days" in str(exc):
                raise SiteError(f"CoinGecko's free plan keeps only the past 365 days of {coin}; "
                                "use --since within them, or PRICES_SOURCE=coinbase for the full "
                                "history", status=exc.status) from exc
            raise
        return [r for r in read_coingecko(document, today) if since <= r.day <= until]


class Coinbase:
    name = "coinbase"

    def __init__(self, client: PriceClient) -> None:
        self.client, self.settings = client, client.settings

    def closes(self, coin: str, since: date, until: date) -> list[DailyClose]:
        today = clock.today()
        until = min(until, today - timedelta(days=1))
        rows: list[DailyClose] = []
        start = since
        while start <= until:  # at most 300 candles a request: page through
            end = min(start + timedelta(days=COINBASE_MAX_CANDLES - 1), until)
            document = self.client.get_json(
                "Coinbase", f"{self.settings.coinbase_base_url}/products/{coin}-USD/candles",
                params={"granularity": 86400, "start": f"{start.isoformat()}T00:00:00Z",
                        "end": f"{end.isoformat()}T23:59:59Z"})
            rows += read_coinbase(document, today)
            start = end + timedelta(days=1)
        return [r for r in finished(rows, today) if since <= r.day <= until]


class Binance:
    name = "binance"

    def __init__(self, client: PriceClient) -> None:
        self.client, self.settings = client, client.settings

    def closes(self, coin: str, since: date, until: date) -> list[DailyClose]:
        today = clock.today()
        rows: list[DailyClose] = []
        start = datetime.combine(since, datetime.min.time(), UTC)
        stop = datetime.combine(min(until, today), datetime.min.time(), UTC)
        while start <= stop:
            document = self.client.get_json(
                "Binance", f"{self.settings.binance_base_url}/api/v3/klines",
                params={"symbol": f"{coin}USDT", "interval": "1d",
                        "startTime": int(start.timestamp() * 1000),
                        "endTime": int(stop.timestamp() * 1000) + 86_399_999,
                        "limit": BINANCE_MAX_ROWS})
            page = read_binance(document, today)
            rows += page
            if len(document) < BINANCE_MAX_ROWS:
                break
            start += timedelta(days=BINANCE_MAX_ROWS)
        return [r for r in finished(rows, today) if since <= r.day <= until]


def make_source(settings: Settings, client: PriceClient, name: str | None = None) -> PriceSource:
    chosen = name or settings.prices_source
    makers: dict[str, type[CoinGecko] | type[Coinbase] | type[Binance]] = {
        "coingecko": CoinGecko, "coinbase": Coinbase, "binance": Binance}
    if chosen not in makers:
        raise ConfigError(f"--source {chosen} is not a price service: use coingecko, coinbase "
                          "or binance")
    return makers[chosen](client)


@dataclass(frozen=True)
class FearGreed:
    day: date
    value: int
    classification: str


def read_fear_greed(document: Any, today: date) -> list[FearGreed]:
    """alternative.me's `data` (strings; older stamps at 05:00 UTC, recent ones at 00:00):
    one value per UTC day, today's (not final) left out."""
    if not isinstance(document, dict) or not isinstance(document.get("data"), list):
        raise SiteError("the Fear & Greed Index answered without a 'data' list; check "
                        "FEAR_GREED_URL")
    error = (document.get("metadata") or {}).get("error")
    if error:
        raise SiteError(f"the Fear & Greed Index answered an error: {str(error)[:200]}")
    by_day: dict[date, FearGreed] = {}
    for row in document["data"]:
        day = datetime.fromtimestamp(int(row["timestamp"]), UTC).date()
        if day < today:
            by_day[day] = FearGreed(day, int(row["value"]), str(row["value_classification"]))
    return [by_day[d] for d in sorted(by_day)]


def fetch_fear_greed(client: PriceClient) -> list[FearGreed]:
    document = client.get_json("the Fear & Greed Index", client.settings.fear_greed_url)
    return read_fear_greed(document, clock.today())


__all__ = [
    "COINGECKO_IDS",
    "Binance",
    "CoinGecko",
    "Coinbase",
    "DailyClose",
    "FearGreed",
    "PriceClient",
    "PriceSource",
    "fetch_fear_greed",
    "make_source",
]
