"""Connections: open one, check it still answers, and turn psycopg2's errors into one line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeAlias

import psycopg2
import psycopg2.errors
import psycopg2.extensions

from ..errors import DatabaseError

Connection: TypeAlias = psycopg2.extensions.connection
Cursor: TypeAlias = psycopg2.extensions.cursor


def fetch_one(cur: Cursor) -> tuple[Any, ...]:
    """The one row a statement that always answers one row returned."""
    row = cur.fetchone()
    if row is None:  # pragma: no cover - aggregates and SELECT without FROM always answer
        raise DatabaseError("the database answered no row where one was certain; run again")
    return row


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
        ) from exc
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
        ) from exc
    except psycopg2.errors.UndefinedTable as exc:
        raise DatabaseError(
            f"the database has no schema yet ({first_line(exc)}); run `utoday-sentiment migrate`"
        ) from exc
    except psycopg2.Error as exc:
        raise DatabaseError(f"database error while {action}: {first_line(exc)}") from exc


def rollback_quietly(conn: Connection) -> None:
    try:
        if not conn.closed:
            conn.rollback()
    except psycopg2.Error:
        pass
