"""The read side every front door shares: one function per question, rows back.

The CLI prints these, the web app renders them as HTML, JSON or CSV; none of them writes.
Sponsored titles are left out of every answer, as in the views. Days are UTC calendar days.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .. import clock
from ..errors import ConfigError
from .analysts import daily_report
from .connection import Connection, fetch_one, translate_errors
from .tags import coin_report, top_coins
from .titles import title_status

DAILY_KEYS = ("day", "titles", "labelled", "positive", "neutral", "negative", "net_score")


def status_report(conn: Connection) -> dict[str, Any]:
    """What `status` shows: counts, shares, freshness, leases held, the week's top coins."""
    top = top_coins(conn, days=7, limit=5)
    return {**title_status(conn),
            "top_coins_7_days": ", ".join(f"{coin} {n}" for coin, n in top) or None}


def first_day(conn: Connection) -> date | None:
    """The UTC day of the oldest dated title (for a window of "all")."""
    with translate_errors("reading the first day"), conn.cursor() as cur:
        cur.execute("SELECT min(published_at) FROM titles WHERE NOT sponsored")
        (oldest,) = fetch_one(cur)
    conn.rollback()
    return oldest.astimezone(UTC).date() if oldest else None


_SOURCE_DAILY_SQL = """
WITH span AS (
  SELECT generate_series(%(start)s::date, %(end)s::date, interval '1 day')::date AS day)
SELECT s.day, COALESCE(d.titles, 0), COALESCE(d.labelled, 0), COALESCE(d.positive, 0),
       COALESCE(d.neutral, 0), COALESCE(d.negative, 0), COALESCE(d.unlabelled, 0), d.net_score
FROM span AS s LEFT JOIN source_daily_sentiment AS d ON d.day = s.day AND d.source = %(source)s
ORDER BY s.day
"""


def daily(conn: Connection, start: date, end: date, coin: str | None = None,
          source: str | None = None) -> list[dict[str, Any]]:
    """One row per UTC day from `start` to `end`, oldest first, zeros where nothing was
    published: `report`'s rows (daily_sentiment, or coin_daily_sentiment for a coin), or one
    source's (source_daily_sentiment)."""
    days = (end - start).days + 1
    if source and not coin:
        with translate_errors("reading a source's days"), conn.cursor() as cur:
            cur.execute(_SOURCE_DAILY_SQL, {"start": start, "end": end, "source": source})
            rows = cur.fetchall()
        conn.rollback()
    else:
        rows = coin_report(conn, coin, days, end) if coin else daily_report(conn, days, end)
    return [{"day": r[0], "titles": r[1], "labelled": r[2], "positive": r[3], "neutral": r[4],
             "negative": r[5], "net_score": None if r[-1] is None else float(r[-1])}
            for r in rows]


# ---------------------------------------------------------------------------------------------
# headlines

TITLE_KEYS = ("id", "url", "title", "published_at", "sentiment", "p_positive", "p_neutral",
              "p_negative", "model", "coins", "source", "story_id")


@dataclass(frozen=True)
class TitleQuery:
    """Which headlines: words in the title (all of them, any case), a coin, a sentiment
    (or "unlabelled"), a UTC day range, a model; newest first."""

    q: str | None = None
    coin: str | None = None
    sentiment: str | None = None
    start: date | None = None
    end: date | None = None
    model: str | None = None
    source: str | None = None


_TITLES_SQL = """
SELECT t.id, t.url, t.title, t.published_at, t.sentiment,
       (t.sentiment_scores ->> 'positive')::float8, (t.sentiment_scores ->> 'neutral')::float8,
       (t.sentiment_scores ->> 'negative')::float8, t.sentiment_model,
       ARRAY(SELECT c.coin FROM title_coins AS c WHERE c.title_id = t.id ORDER BY c.coin),
       t.source, COALESCE(t.story_id, t.id)
FROM titles AS t
WHERE NOT t.sponsored
  AND t.title ILIKE ALL(%(words)s::text[])
  AND (%(coin)s::text IS NULL OR EXISTS (
        SELECT 1 FROM title_coins AS c WHERE c.title_id = t.id AND c.coin = %(coin)s))
  AND (%(sentiment)s::text IS NULL
       OR (%(sentiment)s = 'unlabelled' AND t.sentiment IS NULL) OR t.sentiment = %(sentiment)s)
  AND (%(start)s::date IS NULL OR t.published_at >= (%(start)s::date)::timestamp AT TIME ZONE 'UTC')
  AND (%(end)s::date IS NULL
       OR t.published_at < (%(end)s::date + 1)::timestamp AT TIME ZONE 'UTC')
  AND (%(model)s::text IS NULL OR t.sentiment_model = %(model)s)
  AND (%(source)s::text IS NULL OR t.source = %(source)s)
  AND (%(id)s::bigint IS NULL OR t.id = %(id)s)
  AND (%(after_id)s::bigint IS NULL
       OR (COALESCE(t.published_at, '-infinity'::timestamptz), t.id)
          < (COALESCE(%(after_at)s::timestamptz, '-infinity'::timestamptz), %(after_id)s))
ORDER BY COALESCE(t.published_at, '-infinity'::timestamptz) DESC, t.id DESC
LIMIT %(limit)s
"""


def _pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _params(query: TitleQuery, **extra: Any) -> dict[str, Any]:
    words = (query.q or "").split()
    return {"words": [_pattern(w) for w in words], "coin": query.coin,
            "sentiment": query.sentiment, "start": query.start, "end": query.end,
            "model": query.model, "source": query.source, "id": None, "after_at": None,
            "after_id": None, **extra}


def _item(row: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(TITLE_KEYS, row, strict=True)) | {"coins": list(row[9])}


def encode_cursor(item: dict[str, Any]) -> str:
    """Where the next page starts: after this item (its time and id), opaque to clients."""
    at = item["published_at"]
    text = f"{at.isoformat() if at else '-'}|{item['id']}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime | None, int]:
    """A cursor from `next_cursor`; ConfigError for anything else."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, sep, row_id = text.partition("|")
        if not sep:
            raise ValueError(text)
        when = None if at == "-" else datetime.fromisoformat(at)
        if when is not None and when.tzinfo is None:
            raise ValueError(at)
        return when, int(row_id)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ConfigError("cursor is not one this API gave: use next_cursor as it came, "
                          "or leave it out for the first page") from exc


def search_titles(conn: Connection, query: TitleQuery, *, limit: int = 50,
                  cursor: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """One page of headlines, newest first, by keyset (never OFFSET), and the cursor of the
    next page (None on the last)."""
    after_at, after_id = decode_cursor(cursor) if cursor else (None, None)
    with translate_errors("searching headlines"), conn.cursor() as cur:
        cur.execute(_TITLES_SQL, _params(query, limit=limit + 1, after_at=after_at,
                                         after_id=after_id))
        rows = cur.fetchall()
    conn.rollback()
    items = [_item(r) for r in rows[:limit]]
    return items, (encode_cursor(items[-1]) if len(rows) > limit else None)


CSV_PAGE = 1000  # titles a CSV download reads at a time


def iter_titles(conn: Connection, query: TitleQuery) -> Iterator[dict[str, Any]]:
    """Every headline the query selects, newest first, a page at a time (for CSV)."""
    cursor: str | None = None
    while True:
        items, cursor = search_titles(conn, query, limit=CSV_PAGE, cursor=cursor)
        yield from items
        if cursor is None:
            return


def get_title(conn: Connection, title_id: int) -> dict[str, Any] | None:
    with translate_errors("reading a headline"), conn.cursor() as cur:
        cur.execute(_TITLES_SQL, _params(TitleQuery(), id=title_id, limit=1))
        row = cur.fetchone()
    conn.rollback()
    return _item(row) if row else None


def sources(conn: Connection) -> list[str]:
    """Every source with a dated title or a feed state (for the source filter), read from the
    rollup and the feeds' state, not from every title."""
    with translate_errors("reading the sources"), conn.cursor() as cur:
        cur.execute("SELECT source FROM daily_rollup WHERE titles > 0"
                    " UNION SELECT source FROM feed_state ORDER BY 1")
        rows = [r[0] for r in cur.fetchall()]
    conn.rollback()
    return rows


def models(conn: Connection) -> list[str]:
    """Every model that labelled a stored title (for the model filter)."""
    with translate_errors("reading the models"), conn.cursor() as cur:
        cur.execute("SELECT DISTINCT sentiment_model FROM titles"
                    " WHERE sentiment_model IS NOT NULL ORDER BY 1")
        rows = [r[0] for r in cur.fetchall()]
    conn.rollback()
    return rows


# ---------------------------------------------------------------------------------------------
# coins

_COINS_SQL = """
SELECT coin, sum(titles) FILTER (WHERE day >= %(start)s),
       sum(net_sum) FILTER (WHERE day >= %(start)s)
         / NULLIF(sum(labelled) FILTER (WHERE day >= %(start)s), 0),
       sum(net_sum) FILTER (WHERE day < %(start)s)
         / NULLIF(sum(labelled) FILTER (WHERE day < %(start)s), 0)
FROM coin_daily_rollup
WHERE day >= %(previous)s AND day <= %(end)s
GROUP BY coin
HAVING sum(titles) FILTER (WHERE day >= %(start)s) > 0
ORDER BY 2 DESC, coin
"""


def coins(conn: Connection, days: int, *, today: date | None = None) -> list[dict[str, Any]]:
    """Every coin mentioned in the last `days` UTC days: its mentions and net score there (the
    mean over its labelled titles), and its net score over the `days` before (None where it had
    no labelled title). Read from the daily coin rollup: the cost follows the days, not the
    titles stored."""
    from ..coins import load_lexicon

    end = today or clock.today()
    start = end - timedelta(days=days - 1)
    params = {"start": start, "previous": start - timedelta(days=days), "end": end}
    with translate_errors("reading the coins"), conn.cursor() as cur:
        cur.execute(_COINS_SQL, params)
        rows = cur.fetchall()
    conn.rollback()
    names = {c.symbol: c.name for c in load_lexicon().coins}
    return [{"symbol": coin, "name": names.get(coin, coin), "mentions": int(n),
             "net_score": None if now is None else float(now),
             "previous_net_score": None if before is None else float(before)}
            for coin, n, now, before in rows]
