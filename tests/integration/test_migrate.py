"""Migrations on a real PostgreSQL: once each, in order, checksummed, serialised."""

from __future__ import annotations

import threading

import pytest

from utoday_sentiment.errors import MigrationError
from utoday_sentiment.store.connection import connect
from utoday_sentiment.store.migrate import Migration, load_migrations, migrate


def test_fresh_database_gets_every_migration_once(db_url, query):
    conn = connect(db_url)
    try:
        names = [m.name for m in load_migrations()]
        assert migrate(conn) == names
        assert migrate(conn) == []
    finally:
        conn.close()
    assert [r[0] for r in query("SELECT name FROM schema_migrations ORDER BY name")] == names
    columns = {
        r[0]
        for r in query(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'titles' AND table_schema = current_schema()"
        )
    }
    assert {"id", "url", "title", "published_at", "author", "category", "scraped_at"} <= columns


def test_edited_shipped_migration_is_refused(db_url):
    conn = connect(db_url)
    try:
        original = load_migrations()
        migrate(conn, original)
        edited = [Migration(original[0].name, original[0].sql + "\n-- edited\n"), *original[1:]]
        with pytest.raises(
            MigrationError, match="changed after it was applied.*new numbered migration"
        ):
            migrate(conn, edited)
    finally:
        conn.close()


def test_failing_migration_rolls_back_and_is_not_recorded(db_url, query):
    conn = connect(db_url)
    try:
        bad = [
            *load_migrations(),
            Migration("9998_ok.sql", "CREATE TABLE half (x int);"),
            Migration("9999_bad.sql", "CREATE TABLE partly (x int); SELECT nonsense_fn();"),
        ]
        with pytest.raises(MigrationError, match="9999_bad.sql failed and was rolled back"):
            migrate(conn, bad)
    finally:
        conn.close()
    names = {r[0] for r in query("SELECT name FROM schema_migrations")}
    assert "9998_ok.sql" in names and "9999_bad.sql" not in names
    tables = {
        r[0]
        for r in query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
    }
    assert "half" in tables and "partly" not in tables


def test_concurrent_runners_apply_each_migration_once(db_url, query):
    slow = [
        *load_migrations(),
        Migration("9999_slow.sql", "SELECT pg_sleep(0.5); CREATE TABLE once (x int);"),
    ]
    results, errors = [], []

    def run() -> None:
        conn = connect(db_url)
        try:
            results.append(migrate(conn, slow))
        except Exception as exc:
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    applied = [name for result in results for name in result]
    assert sorted(applied) == sorted(m.name for m in slow)  # each applied by exactly one runner
    assert query("SELECT count(*) FROM schema_migrations WHERE name = '9999_slow.sql'") == [(1,)]


def test_badly_named_migration_file_is_refused(tmp_path):
    (tmp_path / "0001_ok.sql").write_text("SELECT 1;")
    (tmp_path / "two.sql").write_text("SELECT 2;")
    with pytest.raises(MigrationError, match="two.sql .* not named NNNN_description.sql"):
        load_migrations(tmp_path)


def test_labels_stored_before_model_identities_get_the_inference_apis_name(db_url, query):
    from utoday_sentiment.store.connection import connect
    from utoday_sentiment.store.migrate import load_migrations, migrate

    conn = connect(db_url)
    migrations = load_migrations()
    before = [m for m in migrations if m.name < "0008"]
    migrate(conn, before)
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO titles (url, title, sentiment, sentiment_score, sentiment_model,"
            " labelled_at) VALUES ('https://u.today/a', 'A', 'neutral', 0.9, 'org/model', now()),"
            " ('https://u.today/b', 'B', 'neutral', 0.9, 'onnx:tiny@abc', now()),"
            " ('https://u.today/c', 'C', NULL, NULL, NULL, NULL)"
        )
    conn.commit()
    migrate(conn, migrations)
    conn.close()
    assert query("SELECT url, sentiment_model FROM titles ORDER BY url") == [
        ("https://u.today/a", "hf-api:org/model"),
        ("https://u.today/b", "onnx:tiny@abc"),
        ("https://u.today/c", None),
    ]
