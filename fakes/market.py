"""An imitation of the price services and of the Fear & Greed Index on 127.0.0.1, answering in
their literal shapes (shared/reference/prices.md): CoinGecko's market_chart (daily points stamped
00:00 UTC for the day before, the last point "now", the 365-day error 10012), Coinbase's candles
(newest first, at most 300 a request, a day without trades missing), Binance's klines (the newest
row still open; 451 from a refused region) and alternative.me's fng (strings)."""

from __future__ import annotations

import json
import math
import threading
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from fakes import LocalServer, QuietHandler, Reply, Seen, _answer


def closes(days: list[date], *, start: float = 60000.0, seed: int = 1) -> dict[date, float]:
    """A made-up but plausible daily close for each day."""
    out, price = {}, start
    for i, day in enumerate(days):
        price *= math.exp(0.02 * math.sin(i * 0.7 + seed))
        out[day] = round(price, 2)
    return out


class FakeMarket(LocalServer):
    """`prices[coin][day]` are the closes it knows; `now` is the instant it answers at;
    `script(path_prefix, *replies)` queues replies before the normal ones."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.prices: dict[str, dict[date, float]] = {}
        self.fear_greed: dict[date, int] = {}
        self.missing: set[tuple[str, date]] = set()  # (coin, day) without trades at Coinbase
        self.requests: list[Seen] = []
        self.scripts: dict[str, list[Reply]] = {}
        self._lock = threading.Lock()
        market = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                with market._lock:
                    market.requests.append(Seen(self.path, dict(self.headers.items())))
                    parts = urlsplit(self.path)
                    prefix = next((p for p in market.scripts if parts.path.startswith(p)
                                   and market.scripts[p]), None)
                    scripted = market.scripts[prefix].pop(0) if prefix else None
                if scripted is not None:
                    _answer(self, scripted)
                    return
                _answer(self, market.reply(parts.path, parse_qs(parts.query)))

        self._listen(Handler)

    def script(self, prefix: str, *replies: Reply) -> None:
        with self._lock:
            self.scripts.setdefault(prefix, []).extend(replies)

    def seen(self, prefix: str) -> list[Seen]:
        return [s for s in self.requests if s.path.startswith(prefix)]

    def reply(self, path: str, query: dict[str, list[str]]) -> Reply:
        today = self.now.date()
        if path.startswith("/coingecko/coins/") and path.endswith("/market_chart"):
            coin_id = path.split("/")[3]
            coin = {"bitcoin": "BTC", "ethereum": "ETH", "ripple": "XRP"}.get(coin_id, "?")
            days = int(query["days"][0])
            if days > 365:
                return _json({"error": {"status": {"timestamp": self.now.isoformat(),
                              "error_code": 10012, "error_message": "Your request exceeds "
                              "the allowed time range. Public API users are limited to querying "
                              "historical data within the past 365 days."}}}, 401)
            points = [[int(datetime.combine(d + timedelta(days=1), datetime.min.time(),
                                            UTC).timestamp() * 1000), c]
                      for d, c in sorted(self.prices.get(coin, {}).items())
                      if today - timedelta(days=days) <= d < today]
            points.append([int(self.now.timestamp() * 1000), 1.0])  # "now": not a finished day
            return _json({"prices": points, "market_caps": points,
                          "total_volumes": [[ms, 1e9] for ms, _ in points]})
        if path.startswith("/coinbase/products/") and path.endswith("/candles"):
            coin = path.split("/")[3].split("-")[0]
            start = datetime.fromisoformat(query["start"][0]).date()
            end = datetime.fromisoformat(query["end"][0]).date()
            if (end - start).days + 1 > 300:
                return _json({"message": "granularity too small for the requested time range"},
                             400)
            rows = [[int(datetime.combine(d, datetime.min.time(), UTC).timestamp()),
                     c * 0.98, c * 1.02, c, c, 1234.5]
                    for d, c in self.prices.get(coin, {}).items()
                    if start <= d <= end and (coin, d) not in self.missing]
            return _json(sorted(rows, reverse=True))
        if path == "/binance/api/v3/klines":
            coin = query["symbol"][0].removesuffix("USDT")
            start = datetime.fromtimestamp(int(query["startTime"][0]) / 1000, UTC).date()
            end = datetime.fromtimestamp(int(query["endTime"][0]) / 1000, UTC).date()
            known = dict(self.prices.get(coin, {}))
            known[today] = 1.0  # the still-open day
            rows = [[int(datetime.combine(d, datetime.min.time(), UTC).timestamp() * 1000),
                     str(c), str(c), str(c), str(c), "10.0",
                     int(datetime.combine(d, datetime.max.time(), UTC).timestamp() * 1000),
                     "1.0", 100, "1.0", "1.0", "0"]
                    for d, c in sorted(known.items()) if start <= d <= end]
            return _json(rows[: int(query.get("limit", ["500"])[0])])
        if path == "/fng/":
            data = [{"value": str(v), "value_classification": "Fear" if v < 50 else "Greed",
                     "timestamp": str(int(datetime.combine(d, datetime.min.time(), UTC)
                                          .timestamp()) + (5 * 3600 if d.year < 2020 else 0))}
                    for d, v in sorted(self.fear_greed.items(), reverse=True)]
            return _json({"name": "Fear and Greed Index", "data": data,
                          "metadata": {"error": None}})
        return Reply("Not Found", 404, "text/plain")


def _json(document: object, status: int = 200) -> Reply:
    return Reply(json.dumps(document), status, "application/json")
