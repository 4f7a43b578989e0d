"""What analysts read: one read-only statement at a time, and the daily report."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date

import psycopg2
import psycopg2.errors
from psycopg2 import sql

from .. import clock
from ..errors import DatabaseError
from .connection import Connection, fetch_one, first_line, rollback_quietly, translate_errors
from .migrate import ANALYST_ROLE

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
            (role,) = fetch_one(cur)
        conn.autocommit = False
        with conn.cursor() as cur:
            cur.execute(statement)  # sql-source: the analyst's one read-only statement
            columns = [d.name for d in cur.description] if cur.description else []
            rows = cur.fetchall() if cur.description else []
        conn.rollback()
    except psycopg2.errors.QueryCanceled as exc:
        rollback_quietly(conn)
        raise DatabaseError(
            f"the query ran longer than {timeout_seconds:g} s and was cancelled; narrow it, or "
            "raise --timeout"
        ) from exc
    except psycopg2.errors.ReadOnlySqlTransaction as exc:
        rollback_quietly(conn)
        raise DatabaseError("query is read-only: it cannot change the database") from exc
    except psycopg2.errors.InsufficientPrivilege as exc:
        rollback_quietly(conn)
        raise DatabaseError(
            f"{first_line(exc)} (queries run read-only as {ANALYST_ROLE})"
        ) from exc
    except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
        rollback_quietly(conn)
        raise DatabaseError(
            "lost the database connection while running the query; run it again"
        ) from exc
    except psycopg2.Error as exc:
        rollback_quietly(conn)
        raise DatabaseError(f"the query failed: {first_line(exc)}") from exc
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
            "    %(until)s::date - (%(days)s - 1), %(until)s::date,"
            "    interval '1 day')::date AS day)"
            " SELECT s.day, COALESCE(d.titles, 0), COALESCE(d.labelled, 0),"
            "  COALESCE(d.positive, 0), COALESCE(d.neutral, 0), COALESCE(d.negative, 0),"
            "  COALESCE(d.unlabelled, 0), d.net_score"
            # the day range inside: it reaches the rollup's index below the view's GROUP BY
            " FROM span AS s LEFT JOIN (SELECT * FROM daily_sentiment"
            "  WHERE day BETWEEN %(until)s::date - (%(days)s - 1) AND %(until)s::date) AS d"
            "  ON d.day = s.day"
            " ORDER BY s.day",
            {"days": days, "until": until or clock.today()},
        )
        rows = cur.fetchall()
    conn.rollback()
    return rows
