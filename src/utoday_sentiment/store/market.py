"""Prices and the Fear & Greed Index in the database: stored once per coin and day, and what is
missing (where a fetch should start)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import psycopg2.extras

from ..market.leadlag import MarketDay
from ..market.prices import DailyClose, FearGreed
from .connection import Connection, fetch_one, rollback_quietly, translate_errors

_PRICES_SQL = (
    "INSERT INTO prices (coin, day, close, volume, source) VALUES %s"
    " ON CONFLICT (coin, day) DO NOTHING RETURNING day")
_FEAR_GREED_SQL = (
    "INSERT INTO fear_greed (day, value, classification) VALUES %s"
    " ON CONFLICT (day) DO NOTHING RETURNING day")


def store_closes(conn: Connection, coin: str, source: str, rows: Iterable[DailyClose]) -> int:
    """Each day once (a day stored already is kept as it is); returns the days added."""
    values = [(coin, r.day, r.close, r.volume, source) for r in rows]
    if not values:
        return 0
    try:
        with translate_errors("storing prices"), conn.cursor() as cur:
            added = psycopg2.extras.execute_values(cur, _PRICES_SQL, values,
                                                   page_size=len(values), fetch=True)
        conn.commit()
    except BaseException:
        rollback_quietly(conn)
        raise
    return len(added)


def store_fear_greed(conn: Connection, rows: Iterable[FearGreed]) -> int:
    values = [(r.day, r.value, r.classification) for r in rows]
    if not values:
        return 0
    try:
        with translate_errors("storing the Fear & Greed Index"), conn.cursor() as cur:
            added = psycopg2.extras.execute_values(cur, _FEAR_GREED_SQL, values,
                                                   page_size=len(values), fetch=True)
        conn.commit()
    except BaseException:
        rollback_quietly(conn)
        raise
    return len(added)


def last_close_day(conn: Connection, coin: str) -> date | None:
    with translate_errors("reading the stored prices"), conn.cursor() as cur:
        cur.execute("SELECT max(day) FROM prices WHERE coin = %s", (coin,))
        (day,) = fetch_one(cur)
    conn.rollback()
    return day


def last_fear_greed_day(conn: Connection) -> date | None:
    with translate_errors("reading the Fear & Greed Index"), conn.cursor() as cur:
        cur.execute("SELECT max(day) FROM fear_greed")
        (day,) = fetch_one(cur)
    conn.rollback()
    return day


def market_days(conn: Connection, coin: str, days: int, until: date) -> list[MarketDay]:
    """coin_daily_market's days for `coin` over the `days` UTC days up to `until`."""
    with translate_errors("reading the market days"), conn.cursor() as cur:
        cur.execute("SELECT day, log_return, net_score, titles, fear_greed, close"
                    " FROM coin_daily_market"
                    " WHERE coin = %s AND day > %s::date - %s AND day <= %s ORDER BY day",
                    (coin, until, days, until))
        rows = cur.fetchall()
    conn.rollback()
    return [MarketDay(r[0], r[1], None if r[2] is None else float(r[2]), r[3], r[4], r[5])
            for r in rows]
