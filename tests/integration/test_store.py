"""Storing titles: one row per article, whatever is inserted twice or at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from tests.helpers import drop_connection
from utoday_sentiment.errors import DatabaseError
from utoday_sentiment.records import Title
from utoday_sentiment.store.connection import connect
from utoday_sentiment.store.titles import insert_titles, title_status


def make(n: int, **kw) -> Title:
    return Title(title=kw.pop("title", f"Headline {n}"), url=f"https://u.today/headline-{n}", **kw)


def test_insert_counts_only_new_rows(conn, query):
    assert len(insert_titles(conn, [make(1), make(2)])) == 2
    assert insert_titles(conn, [make(2), make(3)]) == ["https://u.today/headline-3"]
    assert query("SELECT count(*) FROM titles") == [(3,)]


def test_existing_row_is_never_overwritten(conn, query):
    insert_titles(conn, [make(1, title="First wording", author="A")])
    insert_titles(conn, [make(1, title="Edited wording", author="B")])
    assert query("SELECT title, author FROM titles") == [("First wording", "A")]


def test_fields_round_trip_verbatim(conn, query):
    hostile = "Robert'); DROP TABLE titles;-- <script>alert('x')</script> 🚀 Zürich"
    when = datetime(2026, 9, 25, 14, 45, tzinfo=UTC)
    insert_titles(conn, [make(1, title=hostile, published_at=when, author="Yuri", category="News")])
    assert query("SELECT title, published_at, author, category FROM titles") == [
        (hostile, when, "Yuri", "News")
    ]


def test_two_writers_at_once_store_each_url_once(db_url, conn, query):
    batch = [make(n) for n in range(200)]
    counts, errors = [], []
    barrier = threading.Barrier(4)

    def writer() -> None:
        c = connect(db_url)
        try:
            barrier.wait()
            counts.append(len(insert_titles(c, batch)))
        except Exception as exc:
            errors.append(exc)
        finally:
            c.close()

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(counts) == 200  # every row counted new by exactly one writer
    assert query("SELECT count(*), count(DISTINCT url) FROM titles") == [(200, 200)]


def test_status(conn):
    insert_titles(conn, [make(1, published_at=datetime(2026, 1, 2, tzinfo=UTC)), make(2)])
    status = title_status(conn)
    assert status["titles"] == 2
    assert status["unlabelled"] == 2
    assert status["newest_published_at"] == datetime(2026, 1, 2, tzinfo=UTC)
    assert status["newest_scraped_at"] is not None


def test_dropped_connection_is_a_clear_error_and_stores_nothing(conn, query, pg_server_url):
    drop_connection(pg_server_url, conn)
    with pytest.raises(DatabaseError, match="lost the database connection while storing titles"):
        insert_titles(conn, [make(1)])
    assert query("SELECT count(*) FROM titles") == [(0,)]


def test_unreachable_database_message_hides_the_password():
    with pytest.raises(DatabaseError) as info:
        connect("postgresql://someone:hunter2-secret@127.0.0.1:1/nothing")
    message = str(info.value)
    assert "hunter2-secret" not in message
    assert message.startswith("cannot connect to the database at someone@127.0.0.1:1/nothing:")
    assert "check DATABASE_URL" in message
