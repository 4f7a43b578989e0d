"""Coin and topic tags: written with each new title, re-written by `utoday-sentiment tag`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import psycopg2.extras

from .. import clock
from ..coins import Lexicon, coins_in, load_lexicon, topics_in
from .connection import Connection, Cursor, rollback_quietly, translate_errors

_UNTAG_COINS_SQL = "DELETE FROM title_coins WHERE title_id = ANY(%s::bigint[])"
_UNTAG_TOPICS_SQL = "DELETE FROM title_topics WHERE title_id = ANY(%s::bigint[])"
_COINS_SQL = "INSERT INTO title_coins (title_id, coin) VALUES %s ON CONFLICT DO NOTHING"
_TOPICS_SQL = "INSERT INTO title_topics (title_id, topic) VALUES %s ON CONFLICT DO NOTHING"
_MARK_SQL = "UPDATE titles SET tagged_with = %s WHERE id = ANY(%s::bigint[])"
# The next batch to re-tag: titles an older lexicon tagged (or none), or every title with --all;
# rows a running scrape or another tagger holds are left for the next batch.
_NEXT_SQL = """
SELECT id, title FROM titles
WHERE id > %(after)s AND (%(all)s OR tagged_with IS DISTINCT FROM %(version)s)
ORDER BY id LIMIT %(size)s
FOR UPDATE SKIP LOCKED
"""


def tag_rows(cur: Cursor, rows: Sequence[tuple[int, str]], lexicon: Lexicon | None = None,
             *, fresh: bool = False) -> int:
    """Within the caller's transaction: replace these titles' coin and topic tags and mark them
    with the lexicon's version. `fresh`: titles just inserted (already marked, nothing to
    delete). Returns the number of coin tags written."""
    if not rows:
        return 0
    lexicon = lexicon or load_lexicon()
    ids = [row_id for row_id, _ in rows]
    coins = [(row_id, coin) for row_id, title in rows for coin in coins_in(title, lexicon)]
    topics = [(row_id, topic) for row_id, title in rows for topic in topics_in(title, lexicon)]
    if not fresh:
        cur.execute(_UNTAG_COINS_SQL, (ids,))
        cur.execute(_UNTAG_TOPICS_SQL, (ids,))
    if coins:
        psycopg2.extras.execute_values(cur, _COINS_SQL, coins, page_size=len(coins))
    if topics:
        psycopg2.extras.execute_values(cur, _TOPICS_SQL, topics, page_size=len(topics))
    if not fresh:
        cur.execute(_MARK_SQL, (lexicon.version, ids))
    return len(coins)


def retag(conn: Connection, *, everything: bool = False, batch: int = 1000,
          lexicon: Lexicon | None = None) -> tuple[int, int]:
    """Re-tag titles tagged by an older lexicon (or all), one committed batch at a time.
    Idempotent; safe beside a running scrape. Returns (titles, coin tags) written."""
    lexicon = lexicon or load_lexicon()
    after, titles, tags = 0, 0, 0
    while True:
        try:
            with translate_errors("tagging titles"), conn.cursor() as cur:
                cur.execute(_NEXT_SQL, {"after": after, "all": everything,
                                        "version": lexicon.version, "size": batch})
                rows = cur.fetchall()
                tags += tag_rows(cur, rows, lexicon)
            conn.commit()
        except BaseException:
            rollback_quietly(conn)
            raise
        if not rows:
            return titles, tags
        titles += len(rows)
        after = rows[-1][0]


_TOP_SQL = """
SELECT coin, sum(titles)::int AS titles FROM coin_daily_sentiment
WHERE day > %(today)s::date - %(days)s
GROUP BY coin ORDER BY 2 DESC, coin LIMIT %(limit)s
"""
_COIN_REPORT_SQL = """
WITH span AS (
  SELECT generate_series(
    %(until)s::date - (%(days)s - 1), %(until)s::date,
    interval '1 day')::date AS day)
SELECT s.day, COALESCE(d.titles, 0), COALESCE(d.labelled, 0), COALESCE(d.positive, 0),
       COALESCE(d.neutral, 0), COALESCE(d.negative, 0),
       COALESCE(d.titles, 0) - COALESCE(d.labelled, 0), d.net_score
FROM span AS s LEFT JOIN coin_daily_sentiment AS d ON d.day = s.day AND d.coin = %(coin)s
ORDER BY s.day
"""


def top_coins(conn: Connection, *, days: int = 7, limit: int = 5) -> list[tuple[str, int]]:
    with translate_errors("reading the most mentioned coins"), conn.cursor() as cur:
        cur.execute(_TOP_SQL, {"days": days, "limit": limit, "today": clock.today()})
        rows = cur.fetchall()
    conn.rollback()
    return rows


def coin_report(conn: Connection, coin: str, days: int, until: date | None = None
                ) -> list[tuple[Any, ...]]:
    """daily_report's rows for one coin."""
    with translate_errors("reading the coin report"), conn.cursor() as cur:
        cur.execute(_COIN_REPORT_SQL, {"coin": coin, "days": days, "until": until or clock.today()})
        rows = cur.fetchall()
    conn.rollback()
    return rows
