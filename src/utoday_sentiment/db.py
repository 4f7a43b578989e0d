"""Connections and every SQL statement the package runs (always parameterised)."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import psycopg2
import psycopg2.errors
import psycopg2.extensions
import psycopg2.extras

from .errors import DatabaseError

if TYPE_CHECKING:
    from .scraper import Title

log = logging.getLogger(__name__)

Connection = psycopg2.extensions.connection


def describe_url(dsn: str) -> str:
    """Where a libpq URL or key=value string points, for messages: user@host:port/dbname, never
    the password."""
    try:
        options = psycopg2.extensions.parse_dsn(dsn)
    except psycopg2.Error:
        return "the configured database"
    host = options.get("host") or "local socket"
    port = f":{options['port']}" if options.get("port") else ""
    user = f"{options['user']}@" if options.get("user") else ""
    return f"{user}{host}{port}/{options.get('dbname', '')}"


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0].strip() if text else exc.__class__.__name__


def connect(url: str, *, application_name: str = "utoday-sentiment") -> Connection:
    """Open a connection, or raise DatabaseError with one line that says where and why."""
    try:
        conn = psycopg2.connect(url, connect_timeout=10, application_name=application_name)
    except psycopg2.Error as exc:
        raise DatabaseError(
            f"cannot connect to the database at {describe_url(url)}: {first_line(exc)}; "
            "check DATABASE_URL and that the server is running"
        ) from None
    return conn


def is_alive(conn: Connection | None) -> bool:
    """A cheap check that a (possibly reused) connection still answers."""
    if conn is None or conn.closed:
        return False
    try:
        if conn.status != psycopg2.extensions.STATUS_READY:
            conn.rollback()
        with conn.cursor() as cur:
            cur.execute("SELECT 1")
        conn.rollback()
    except psycopg2.Error:
        return False
    return True


@contextmanager
def translate_errors(action: str) -> Iterator[None]:
    """Turn a dropped connection or a server error into a one-line DatabaseError."""
    try:
        yield
    except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
        raise DatabaseError(
            f"lost the database connection while {action} ({first_line(exc)}); nothing unfinished "
            "was stored; run again once the database is back"
        ) from None
    except psycopg2.errors.UndefinedTable as exc:
        raise DatabaseError(
            f"the database has no schema yet ({first_line(exc)}); run `utoday-sentiment migrate`"
        ) from None
    except psycopg2.Error as exc:
        raise DatabaseError(f"database error while {action}: {first_line(exc)}") from None


def _rollback_quietly(conn: Connection) -> None:
    try:
        if not conn.closed:
            conn.rollback()
    except psycopg2.Error:
        pass


# ---------------------------------------------------------------------------------------------
# titles


def insert_titles(conn: Connection, titles: Iterable[Title]) -> list[str]:
    """Insert a page of titles in one statement; return the URLs that were new. Commits.

    Existing URLs are left as they are (`ON CONFLICT (url) DO NOTHING`), so the same page stored
    twice, or by two scrapers at once, keeps one row per article.
    """
    rows = [(t.url, t.title, t.published_at, t.author, t.category) for t in titles]
    if not rows:
        return []
    try:
        with translate_errors("storing titles"), conn.cursor() as cur:
            new = psycopg2.extras.execute_values(
                cur,
                "INSERT INTO titles (url, title, published_at, author, category) VALUES %s "
                "ON CONFLICT (url) DO NOTHING RETURNING url",
                rows,
                page_size=max(len(rows), 1),
                fetch=True,
            )
            conn.commit()
    except BaseException:
        _rollback_quietly(conn)
        raise
    return [row[0] for row in new]


def title_status(conn: Connection) -> dict[str, Any]:
    """Counts, sentiment shares and freshness of the `titles` table (read-only)."""
    try:
        with translate_errors("reading the status"), conn.cursor() as cur:
            cur.execute(
                "SELECT count(*),"
                " count(*) FILTER (WHERE sentiment IS NOT NULL),"
                " count(*) FILTER (WHERE sentiment IS NULL AND label_attempts < %(max)s),"
                " count(*) FILTER (WHERE sentiment IS NULL AND label_attempts >= %(max)s),"
                " count(*) FILTER (WHERE sentiment = 'positive'),"
                " count(*) FILTER (WHERE sentiment = 'neutral'),"
                " count(*) FILTER (WHERE sentiment = 'negative'),"
                " max(published_at), max(scraped_at), max(labelled_at)"
                " FROM titles",
                {"max": MAX_LABEL_ATTEMPTS},
            )
            row = cur.fetchone()
        conn.rollback()
    except BaseException:
        _rollback_quietly(conn)
        raise
    total, labelled, unlabelled, failed, positive, neutral, negative = row[:7]

    def share(n: int) -> float | None:
        return round(n / labelled, 4) if labelled else None

    return {
        "titles": total,
        "labelled": labelled,
        "unlabelled": unlabelled,
        "failed": failed,
        "positive_share": share(positive),
        "neutral_share": share(neutral),
        "negative_share": share(negative),
        "newest_published_at": row[7],
        "newest_scraped_at": row[8],
        "newest_labelled_at": row[9],
    }


# ---------------------------------------------------------------------------------------------
# labels

# After this many refusals (HTTP 400) a title is no longer sent; it stays unlabelled with a reason.
MAX_LABEL_ATTEMPTS = 3

# Awaiting a label: not refused too often, not refused earlier in this run, and either without a
# sentiment or (relabel) labelled by another model than the configured one.
_CLAIM_SQL = """
SELECT id, title FROM titles
WHERE label_attempts < %(max)s AND id <> ALL(%(skip)s::bigint[])
  AND CASE WHEN %(relabel)s THEN sentiment_model IS DISTINCT FROM %(model)s
           ELSE sentiment IS NULL END
ORDER BY published_at DESC NULLS LAST, id DESC
LIMIT %(size)s
FOR UPDATE SKIP LOCKED
"""
_COUNT_PENDING_SQL = """
SELECT count(*) FROM titles
WHERE label_attempts < %(max)s AND id <> ALL(%(skip)s::bigint[])
  AND CASE WHEN %(relabel)s THEN sentiment_model IS DISTINCT FROM %(model)s
           ELSE sentiment IS NULL END
"""


def _pending_params(model: str, relabel: bool, skip: Iterable[int]) -> dict[str, Any]:
    return {"max": MAX_LABEL_ATTEMPTS, "skip": list(skip), "relabel": relabel, "model": model}


def claim_batch(
    conn: Connection, size: int, *, model: str, relabel: bool = False, skip: Iterable[int] = ()
) -> list[tuple[int, str]]:
    """Lock up to `size` titles awaiting a label, newest first, and return (id, title) pairs.

    Opens a transaction that holds the row locks until `store_labels` commits it (or a rollback);
    other labellers skip the locked rows, so no row is labelled twice and none is skipped.
    `relabel`: titles labelled by another model than `model` (or not at all).
    `skip`: ids this run already saw refused, so one run does not send them again.
    """
    with translate_errors("claiming titles to label"), conn.cursor() as cur:
        cur.execute(_CLAIM_SQL, {**_pending_params(model, relabel, skip), "size": size})
        return cur.fetchall()


def store_labels(
    conn: Connection,
    labels: Iterable[tuple[int, str, float, dict[str, float]]],
    refused: Iterable[tuple[int, str]],
    *,
    model: str,
) -> None:
    """Write a claimed batch's labels in one statement, record refusals, and commit."""
    label_rows = [(i, s, score, json.dumps(scores), model) for i, s, score, scores in labels]
    refused_rows = list(refused)
    try:
        with translate_errors("storing labels"), conn.cursor() as cur:
            if label_rows:
                psycopg2.extras.execute_values(
                    cur,
                    "UPDATE titles AS t SET sentiment = v.sentiment, sentiment_score = v.score,"
                    " sentiment_scores = v.scores, sentiment_model = v.model,"
                    " labelled_at = now(), label_attempts = 0, label_error = NULL"
                    " FROM (VALUES %s) AS v(id, sentiment, score, scores, model)"
                    " WHERE t.id = v.id",
                    label_rows,
                    template="(%s::bigint, %s::text, %s::float8, %s::jsonb, %s::text)",
                    page_size=max(len(label_rows), 1),
                )
            if refused_rows:
                psycopg2.extras.execute_values(
                    cur,
                    "UPDATE titles AS t SET label_attempts = t.label_attempts + 1,"
                    " label_error = v.error"
                    " FROM (VALUES %s) AS v(id, error) WHERE t.id = v.id",
                    refused_rows,
                    template="(%s::bigint, %s::text)",
                    page_size=max(len(refused_rows), 1),
                )
            conn.commit()
    except BaseException:
        _rollback_quietly(conn)
        raise


def release(conn: Connection) -> None:
    """Give back a claimed batch unchanged."""
    _rollback_quietly(conn)


def count_pending(
    conn: Connection, *, model: str, relabel: bool = False, skip: Iterable[int] = ()
) -> int:
    with translate_errors("counting titles to label"), conn.cursor() as cur:
        cur.execute(_COUNT_PENDING_SQL, _pending_params(model, relabel, skip))
        (count,) = cur.fetchone()
    conn.rollback()
    return count


# ---------------------------------------------------------------------------------------------
# analysts


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[tuple]
    role: str  # the role the statement ran as


def run_read_only(
    conn: Connection, statement: str, *, timeout_seconds: float = 30.0
) -> QueryResult:
    """Run one analyst statement: read-only transaction, statement timeout, and as the
    `utoday_analyst` role when this connection may take it. The caller checks it is one statement.
    The connection is left in that state: use a connection of its own."""
    from psycopg2 import sql

    from .migrate import ANALYST_ROLE

    conn.rollback()
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            # Not a member, or no such role: the read-only transaction still holds.
            with contextlib.suppress(
                psycopg2.errors.InsufficientPrivilege, psycopg2.errors.InvalidParameterValue
            ):
                cur.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(ANALYST_ROLE)))
            cur.execute("SET default_transaction_read_only = on")
            cur.execute("SET statement_timeout = %s", (int(timeout_seconds * 1000),))
            cur.execute("SELECT current_user")
            (role,) = cur.fetchone()
        conn.autocommit = False
        with conn.cursor() as cur:
            cur.execute(statement)  # sql-source: the analyst's one read-only statement
            columns = [d.name for d in cur.description] if cur.description else []
            rows = cur.fetchall() if cur.description else []
        conn.rollback()
    except psycopg2.errors.QueryCanceled:
        _rollback_quietly(conn)
        raise DatabaseError(
            f"the query ran longer than {timeout_seconds:g} s and was cancelled; narrow it, or "
            "raise --timeout"
        ) from None
    except psycopg2.errors.ReadOnlySqlTransaction:
        _rollback_quietly(conn)
        raise DatabaseError("query is read-only: it cannot change the database") from None
    except psycopg2.errors.InsufficientPrivilege as exc:
        _rollback_quietly(conn)
        raise DatabaseError(
            f"{first_line(exc)} (queries run read-only as {ANALYST_ROLE})"
        ) from None
    except (psycopg2.OperationalError, psycopg2.InterfaceError):
        _rollback_quietly(conn)
        raise DatabaseError(
            "lost the database connection while running the query; run it again"
        ) from None
    except psycopg2.Error as exc:
        _rollback_quietly(conn)
        raise DatabaseError(f"the query failed: {first_line(exc)}") from None
    return QueryResult(columns, rows, role)


REPORT_COLUMNS = (
    "day",
    "titles",
    "labelled",
    "positive",
    "neutral",
    "negative",
    "unlabelled",
    "net_score",
)


def daily_report(conn: Connection, days: int, until: date | None = None) -> list[tuple]:
    """One row per UTC day, the last `days` days up to `until` (default: today in UTC), with
    zeros for days without titles."""
    with translate_errors("reading the daily report"), conn.cursor() as cur:
        cur.execute(
            "WITH span AS ("
            "  SELECT generate_series("
            "    COALESCE(%(until)s::date, (now() AT TIME ZONE 'UTC')::date) - (%(days)s - 1),"
            "    COALESCE(%(until)s::date, (now() AT TIME ZONE 'UTC')::date),"
            "    interval '1 day')::date AS day)"
            " SELECT s.day, COALESCE(d.titles, 0), COALESCE(d.labelled, 0),"
            "  COALESCE(d.positive, 0), COALESCE(d.neutral, 0), COALESCE(d.negative, 0),"
            "  COALESCE(d.unlabelled, 0), d.net_score"
            " FROM span AS s LEFT JOIN daily_sentiment AS d ON d.day = s.day"
            " ORDER BY s.day",
            {"days": days, "until": until},
        )
        rows = cur.fetchall()
    conn.rollback()
    return rows


# ---------------------------------------------------------------------------------------------
# scrape watermark


def scrape_watermark(conn: Connection) -> tuple[datetime | None, bool]:
    """(covered_until, whether any title is stored): where a daily scrape may stop."""
    with translate_errors("reading the scrape watermark"), conn.cursor() as cur:
        cur.execute(
            "SELECT (SELECT covered_until FROM scrape_watermark), EXISTS (SELECT 1 FROM titles)"
        )
        covered_until, has_titles = cur.fetchone()
    conn.rollback()
    return covered_until, has_titles


def raise_scrape_watermark(conn: Connection, covered_until: datetime) -> None:
    """Everything down from `covered_until` is stored: never lowers it (concurrent runs)."""
    try:
        with translate_errors("raising the scrape watermark"), conn.cursor() as cur:
            cur.execute(
                "INSERT INTO scrape_watermark (covered_until) VALUES (%s)"
                " ON CONFLICT (id) DO UPDATE SET covered_until ="
                " GREATEST(scrape_watermark.covered_until, EXCLUDED.covered_until),"
                " updated_at = now()",
                (covered_until,),
            )
            conn.commit()
    except BaseException:
        _rollback_quietly(conn)
        raise
