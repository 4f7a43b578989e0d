"""A real PostgreSQL for the bench, and a connection that counts its round trips."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import psycopg2
import psycopg2.extensions
from psycopg2 import sql


class CountingCursor(psycopg2.extensions.cursor):
    def execute(self, query, vars=None):
        self.connection.before_statement()
        return super().execute(query, vars)

    def executemany(self, query, vars_list):
        vars_list = list(vars_list)
        self.connection.before_statement()
        self.connection.round_trips += len(vars_list) - 1
        return super().executemany(query, vars_list)


class CountingConnection(psycopg2.extensions.connection):
    """Counts every message exchange with the server: statements, and the BEGIN and COMMIT
    psycopg2 sends around them."""

    round_trips = 0

    def before_statement(self) -> None:
        if not self.autocommit and self.status == psycopg2.extensions.STATUS_READY:
            self.round_trips += 1  # psycopg2's implicit BEGIN
        self.round_trips += 1

    def cursor(self, *args, **kwargs):
        kwargs.setdefault("cursor_factory", CountingCursor)
        return super().cursor(*args, **kwargs)

    def commit(self) -> None:
        if self.status != psycopg2.extensions.STATUS_READY:
            self.round_trips += 1
        super().commit()

    def rollback(self) -> None:
        if self.status != psycopg2.extensions.STATUS_READY:
            self.round_trips += 1
        super().rollback()


def counting_connect(url: str) -> CountingConnection:
    return psycopg2.connect(url, connection_factory=CountingConnection)


@contextlib.contextmanager
def database(url: str | None = None) -> Iterator[str]:
    """A server URL: the one given, TEST_DATABASE_URL, or an embedded server in a temp dir."""
    url = url or os.environ.get("TEST_DATABASE_URL")
    if url:
        yield url
        return
    from utoday_sentiment.embedded import temporary_server

    with temporary_server(prefix="utoday-bench-pg-") as admin_url:
        yield admin_url


@contextlib.contextmanager
def fresh_schema(server_url: str) -> Iterator[str]:
    """A URL whose connections see a new, migrated schema; dropped afterwards."""
    from utoday_sentiment.store.connection import connect
    from utoday_sentiment.store.migrate import migrate

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(server_url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    separator = "&" if "?" in server_url else "?"
    url = f"{server_url}{separator}options=-csearch_path%3D{schema}"
    conn = connect(url)
    migrate(conn)
    conn.close()
    try:
        yield url
    finally:
        with admin.cursor() as cur:
            cur.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
        admin.close()


def seed(url: str, count: int, *, start: int = 0) -> None:
    """`count` unlabelled titles, inserted in bulk (setup, not measured)."""
    from datetime import UTC, datetime, timedelta

    import psycopg2.extras

    newest = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
    words = ("Bitcoin Price Slips 7%", "XRP Flips Rival as Bulls Climb", "Cardano Publishes Report")
    rows = [
        (f"https://u.today/bench-{i}", f"{words[i % 3]} #{i}", newest - timedelta(minutes=i))
        for i in range(start, start + count)
    ]
    conn = psycopg2.connect(url)
    with conn.cursor() as cur:
        psycopg2.extras.execute_values(
            cur, "INSERT INTO titles (url, title, published_at) VALUES %s", rows, page_size=5000
        )
    conn.commit()
    conn.close()
