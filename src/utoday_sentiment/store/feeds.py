"""Each feed's state: the validators a conditional GET sends back, and what `sources` shows
(last fetch, last new item, last error, items stored)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .connection import Connection, rollback_quietly, translate_errors


@dataclass(frozen=True)
class FeedState:
    source: str
    url: str
    etag: str | None = None
    last_modified: str | None = None
    last_fetch_at: datetime | None = None
    last_status: int | None = None
    last_new_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    fetches: int = 0
    not_modified: int = 0


_STATE_SQL = ("SELECT source, url, etag, last_modified, last_fetch_at, last_status, last_new_at,"
              " last_error, last_error_at, fetches, not_modified FROM feed_state WHERE source = %s")


def feed_state(conn: Connection, source: str, url: str) -> FeedState:
    """The stored state; the validators only while the feed's URL is the one they came from."""
    with translate_errors("reading a feed's state"), conn.cursor() as cur:
        cur.execute(_STATE_SQL, (source,))
        row = cur.fetchone()
    conn.rollback()
    if row is None:
        return FeedState(source, url)
    state = FeedState(*row)
    if state.url != url:  # a new URL: its validators mean nothing there
        return FeedState(source, url, last_error=state.last_error)
    return state


_SUCCESS_SQL = """
INSERT INTO feed_state AS f (source, url, etag, last_modified, last_fetch_at, last_status,
                             last_new_at, fetches, not_modified)
VALUES (%(source)s, %(url)s, %(etag)s, %(modified)s, now(), %(status)s,
        CASE WHEN %(new)s > 0 THEN now() END, 1, CASE WHEN %(status)s = 304 THEN 1 ELSE 0 END)
ON CONFLICT (source) DO UPDATE SET
    url = EXCLUDED.url, etag = EXCLUDED.etag, last_modified = EXCLUDED.last_modified,
    last_fetch_at = now(), last_status = EXCLUDED.last_status,
    last_new_at = COALESCE(EXCLUDED.last_new_at, f.last_new_at),
    last_error = NULL, fetches = f.fetches + 1,
    not_modified = f.not_modified + EXCLUDED.not_modified
"""
_FAILURE_SQL = """
INSERT INTO feed_state AS f (source, url, last_error, last_error_at, last_status, fetches)
VALUES (%(source)s, %(url)s, %(error)s, now(), %(status)s, 1)
ON CONFLICT (source) DO UPDATE SET
    url = EXCLUDED.url, last_error = EXCLUDED.last_error, last_error_at = now(),
    last_status = EXCLUDED.last_status, fetches = f.fetches + 1
"""


def record_success(conn: Connection, source: str, url: str, *, status: int, etag: str | None,
                   last_modified: str | None, new: int) -> None:
    """After a 2xx or a 304: the new validators (kept only now), and the error cleared."""
    try:
        with translate_errors("recording a feed's state"), conn.cursor() as cur:
            cur.execute(_SUCCESS_SQL, {"source": source, "url": url, "etag": etag,
                                       "modified": last_modified, "status": status, "new": new})
        conn.commit()
    except BaseException:
        rollback_quietly(conn)
        raise


def record_failure(conn: Connection, source: str, url: str, error: str,
                   status: int | None = None) -> None:
    """A failed poll: the error kept on the source, the validators left as they were."""
    try:
        with translate_errors("recording a feed's state"), conn.cursor() as cur:
            cur.execute(_FAILURE_SQL, {"source": source, "url": url, "error": error,
                                       "status": status})
        conn.commit()
    except BaseException:
        rollback_quietly(conn)
        raise


def source_report(conn: Connection) -> list[dict[str, Any]]:
    """Every source that stored a dated title or has a state: items stored (dated, not
    sponsored), the newest item, and the feed's last fetch, status and error (what `sources`
    prints and the overview's freshness panel shows)."""
    with translate_errors("reading the sources"), conn.cursor() as cur:
        cur.execute(
            # counts from the daily rollup (dated, not sponsored), the newest item by the index
            # on publication time: the cost follows the sources, not the titles stored
            "SELECT s.source, f.url,"
            " COALESCE((SELECT sum(r.titles)::bigint FROM daily_rollup AS r"
            "           WHERE r.source = s.source), 0),"
            " (SELECT max(t.published_at) FROM titles AS t WHERE t.source = s.source),"
            " f.last_fetch_at, f.last_status, f.last_new_at, f.last_error, f.last_error_at,"
            " f.fetches, f.not_modified"
            " FROM (SELECT source FROM feed_state UNION SELECT source FROM daily_rollup) AS s"
            " LEFT JOIN feed_state AS f ON f.source = s.source ORDER BY s.source")
        rows = cur.fetchall()
    conn.rollback()
    keys = ("source", "url", "items", "newest_item_at", "last_fetch_at", "last_status",
            "last_new_at", "last_error", "last_error_at", "fetches", "not_modified")
    return [dict(zip(keys, row, strict=True)) for row in rows]
