"""Connections and every SQL statement the package runs (always parameterised)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import psycopg2
import psycopg2.errors
import psycopg2.extensions
import psycopg2.extras

from .errors import DatabaseError
from .scraper import Title

log = logging.getLogger(__name__)

Connection = psycopg2.extensions.connection


def describe_url(url: str) -> str:
    """Where a libpq URL points, for messages: user@host:port/dbname, never the password."""
    try:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        host = parts.hostname or (query.get("host") or ["local socket"])[0]
        port = f":{parts.port}" if parts.port else ""
        user = f"{parts.username}@" if parts.username else ""
        dbname = parts.path.lstrip("/") or (query.get("dbname") or [""])[0]
    except ValueError:
        return "the configured database"
    return f"{user}{host}{port}/{dbname}"


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
    """Counts and freshness of the `titles` table (read-only)."""
    try:
        with translate_errors("reading the status"), conn.cursor() as cur:
            cur.execute("SELECT count(*), max(published_at), max(scraped_at) FROM titles")
            total, newest_published, newest_scraped = cur.fetchone()
        conn.rollback()
    except BaseException:
        _rollback_quietly(conn)
        raise
    return {
        "titles": total,
        "labelled": 0,
        "unlabelled": total,
        "newest_published_at": newest_published,
        "newest_scraped_at": newest_scraped,
    }
