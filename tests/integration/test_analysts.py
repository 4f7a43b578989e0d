"""For analysts: the views' numbers, every SQL block of docs/analysts.md, the
read-only role, `query` and `report` — on a real PostgreSQL holding known data."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import struct
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest
from psycopg2 import sql

from utoday_sentiment import clock
from utoday_sentiment.cli import main
from utoday_sentiment.store import migrate as migrate_module
from utoday_sentiment.store.analysts import run_read_only
from utoday_sentiment.store.connection import connect

ANALYSTS = Path(__file__).resolve().parents[2] / "docs" / "analysts.md"
TODAY = clock.today()


def at(days_ago: int, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(TODAY - timedelta(days=days_ago), time(hour, minute), UTC)


def scores(p: float, n: float, g: float) -> dict:
    return {"positive": p, "neutral": n, "negative": g}


# key, title, published_at, author, category, sentiment, scores, attempts, error
DATA = [
    (
        "t1",
        "Bitcoin Climbs Past Record",
        at(0, 1),
        "Alice",
        "News",
        "positive",
        scores(0.9, 0.07, 0.03),
    ),
    (
        "t2",
        "Exchange Hack Drains Wallets",
        at(0, 2),
        "Bob",
        "News",
        "negative",
        scores(0.05, 0.15, 0.8),
    ),
    (
        "t3",
        "Cardano Publishes Report",
        at(0, 3),
        "Alice",
        "Guides",
        "neutral",
        scores(0.1, 0.8, 0.1),
    ),
    ("t4", "Unlabelled Today", at(0, 4), "Bob", "News", None, None),
    # late in the UTC day: the next day in Tokyo, still yesterday for the views
    (
        "y1",
        "XRP Flips Rival Late At Night",
        at(1, 23, 30),
        "Bob",
        "Guides",
        "positive",
        scores(0.7, 0.2, 0.1),
    ),
    (
        "y2",
        "Dogecoin Price Slips 7%",
        at(1, 10),
        "Alice",
        "News",
        "negative",
        scores(0.1, 0.1, 0.8),
    ),
    # two days ago: only unlabelled titles; three and four days ago: none at all
    ("u1", "Only Unlabelled A", at(2, 9), "Carol", "News", None, None),
    ("u2", "Only Unlabelled B", at(2, 15), "Carol", "News", None, None),
    (
        "f1",
        "Refused Three Times",
        at(5, 8),
        "Carol",
        "News",
        None,
        None,
        3,
        "Hugging Face refused the input (400): index out of range",
    ),
    (
        "w1",
        "Refused Once",
        at(6, 8),
        "Carol",
        "News",
        None,
        None,
        1,
        "Hugging Face refused the input (400): bad input",
    ),
    (
        "c1",
        "Company Partners Up",
        at(10, 12),
        "Dave",
        "Companies",
        "positive",
        scores(0.6, 0.3, 0.1),
    ),
    ("c2", "Company Cuts Jobs", at(20, 12), "Dave", "Companies", "negative", scores(0.2, 0.2, 0.6)),
    ("n1", "No Publication Time", None, "Alice", "News", "positive", scores(0.9, 0.05, 0.05)),
]
TITLE = {row[0]: row[1] for row in DATA}
WHEN = {row[0]: row[2] for row in DATA}


@pytest.fixture
def known(conn):
    with conn.cursor() as cur:
        for key, title, when, author, category, sentiment, probs, *rest in DATA:
            attempts, error = [*rest, 0, None][:2]
            cur.execute(
                "INSERT INTO titles (url, title, published_at, author, category, sentiment,"
                " sentiment_score, sentiment_scores, sentiment_model, labelled_at, label_attempts,"
                " label_error) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    f"https://u.today/{key}",
                    title,
                    when,
                    author,
                    category,
                    sentiment,
                    probs[sentiment] if sentiment else None,
                    json.dumps(probs) if probs else None,
                    "test-model" if sentiment else None,
                    clock.now() if sentiment else None,
                    attempts,
                    error,
                ),
            )
    conn.commit()
    from utoday_sentiment.store.tags import retag

    retag(conn)  # the coins: t1 BTC, t3 ADA (today), y1 XRP, y2 DOGE (yesterday)
    with conn.cursor() as cur:  # a judge agrees with t1 and t2, and says t3 is positive
        for key, label in (("t1", "positive"), ("t2", "negative"), ("t3", "positive")):
            cur.execute("INSERT INTO judgements (title_id, judge, label) SELECT id, 'ana', %s"
                        " FROM titles WHERE url = %s", (label, f"https://u.today/{key}"))
    conn.commit()
    return conn


def session_url(db_url: str, time_zone: str) -> str:
    return db_url.replace(
        "options=-csearch_path%3D", f"options=-cTimeZone%3D{time_zone}%20-csearch_path%3D"
    )


def D(text: str) -> Decimal:
    return Decimal(text)


def day(days_ago: int) -> date:
    return TODAY - timedelta(days=days_ago)


# What each query of docs/analysts.md must answer, keyed by its first comment line.
EXPECTED = {
    "Today's split (the current UTC day)": [(4, 3, 1, 1, 1, 1, D("0.0400"))],
    "The last 7 days, one row per day that has titles": [
        (day(6), 1, 0, None, None, None, None),
        (day(5), 1, 0, None, None, None, None),
        (day(2), 2, 0, None, None, None, None),
        (day(1), 2, 2, D("0.5000"), D("0.0000"), D("0.5000"), D("-0.0500")),
        (day(0), 4, 3, D("0.3333"), D("0.3333"), D("0.3333"), D("0.0400")),
    ],
    "The 30-day trend, with the net score's moving average over 7 calendar days": [
        (day(20), 1, D("-0.4000"), D("-0.4000")),
        (day(10), 1, D("0.5000"), D("0.5000")),
        (day(6), 1, None, D("0.5000")),
        (day(5), 1, None, D("0.5000")),
        (day(2), 2, None, None),
        (day(1), 2, D("-0.0500"), D("-0.0500")),
        (day(0), 4, D("0.0400"), D("-0.0050")),
    ],
    "The most negative headlines of the last 7 days": [
        (WHEN["t2"], TITLE["t2"], D("0.800")),
        (WHEN["y2"], TITLE["y2"], D("0.800")),
        (WHEN["t3"], TITLE["t3"], D("0.100")),
        (WHEN["y1"], TITLE["y1"], D("0.100")),
        (WHEN["t1"], TITLE["t1"], D("0.030")),
    ],
    "The most positive headlines of the last 7 days": [
        (WHEN["t1"], TITLE["t1"], D("0.900")),
        (WHEN["y1"], TITLE["y1"], D("0.700")),
        (WHEN["t3"], TITLE["t3"], D("0.100")),
        (WHEN["y2"], TITLE["y2"], D("0.100")),
        (WHEN["t2"], TITLE["t2"], D("0.050")),
    ],
    "Sentiment by category, last 30 days": [
        ("News", 3, D("0.333"), D("0.667"), D("-0.193")),
        ("Companies", 2, D("0.500"), D("0.500"), D("0.050")),
        ("Guides", 2, D("0.500"), D("0.000"), D("0.300")),
    ],
    "Sentiment by author, last 30 days (authors with at least 2 labelled titles)": [
        ("Alice", 3, D("0.057")),
        ("Dave", 2, D("0.050")),
        ("Bob", 2, D("-0.075")),
    ],
    "The unlabelled backlog: waiting, or given up after 3 refusals by the API": [
        ("failed", 1),
        ("waiting", 4),
    ],
    "Titles the API refused, with the reason": [
        (WHEN["f1"], TITLE["f1"], 3, "Hugging Face refused the input (400): index out of range"),
        (WHEN["w1"], TITLE["w1"], 1, "Hugging Face refused the input (400): bad input"),
    ],
    "This week's mood for one coin (here XRP)": [(day(1), 1, 1, 1, 0, 0, D("0.6000"))],
    "The coins with the most negative week (labelled titles' net score, last 7 days)": [
        ("DOGE", 1, D("-0.7000")),
        ("ADA", 1, D("0.0000")),
        ("XRP", 1, D("0.6000")),
        ("BTC", 1, D("0.8700")),
    ],
    "A coin's 30-day trend (here BTC)": [(day(0), 1, D("0.8700"))],
    "The most mentioned coins of the last 7 days": [("ADA", 1), ("BTC", 1), ("DOGE", 1), ("XRP", 1)],
    "How right each model is, from people's judgements": [("test-model", 3, D("0.6667"))],
    "Judged titles where the model and the judge disagree": [
        ("Cardano Publishes Report", "neutral", "positive", "ana")
    ],
    "Titles per day over the last 14 days, days without titles included": [
        (day(n), {0: 4, 1: 2, 2: 2, 5: 1, 6: 1, 10: 1}.get(n, 0)) for n in range(13, -1, -1)
    ],
}


def analyst_queries() -> dict[str, str]:
    blocks = re.findall(r"```sql\n(.*?)```", ANALYSTS.read_text(), flags=re.DOTALL)
    return {block.splitlines()[0].removeprefix("-- ").strip(): block for block in blocks}


def test_the_analysts_page_has_at_least_six_queries_and_each_has_a_check():
    queries = analyst_queries()
    assert len(queries) >= 6
    assert set(queries) == set(EXPECTED)  # a new query on the page needs its answer here


@pytest.mark.parametrize("time_zone", ["UTC", "Asia/Tokyo", "America/Los_Angeles"])
def test_every_readme_query_answers_right_whatever_the_session_time_zone(known, db_url, time_zone):
    conn = connect(session_url(db_url, time_zone))
    try:
        for name, statement in analyst_queries().items():
            result = run_read_only(conn, statement)
            assert result.role == "utoday_analyst"
            rows = [tuple(r) for r in result.rows]
            assert rows == EXPECTED[name], name
    finally:
        conn.close()


def test_daily_view_counts_the_utc_day_under_a_tokyo_session(known, db_url):
    conn = psycopg2.connect(session_url(db_url, "Asia/Tokyo"))
    with conn.cursor() as cur:
        cur.execute("SHOW TimeZone")
        assert cur.fetchone()[0] == "Asia/Tokyo"
        cur.execute("SELECT (published_at::date) FROM titles WHERE title = %s", (TITLE["y1"],))
        assert cur.fetchone()[0] == day(0)  # Tokyo's calendar says today ...
        cur.execute("SELECT titles, labelled FROM daily_sentiment WHERE day = %s", (day(1),))
        assert cur.fetchone() == (2, 2)  # ... the view says yesterday, in UTC
        cur.execute("SELECT count(*) FROM daily_sentiment WHERE day IN (%s, %s)", (day(3), day(4)))
        assert cur.fetchone() == (0,)  # days without titles have no row
        cur.execute("SELECT sum(titles) FROM daily_sentiment")
        assert cur.fetchone() == (12,)  # the title without a publication time is left out
    conn.close()


def test_the_analyst_role_reads_but_never_writes(known, db_url):
    conn = psycopg2.connect(db_url)
    with conn.cursor() as cur:
        cur.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = 'utoday_analyst'")
        assert cur.fetchone() == (False,)
        cur.execute("SET ROLE utoday_analyst")
        for relation in ("titles", "daily_sentiment", "labelled_titles"):
            cur.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(relation)))
            assert cur.fetchone()[0] > 0
    conn.commit()
    for statement in (
        "INSERT INTO titles (url, title) VALUES ('https://u.today/x', 'x')",
        "UPDATE titles SET title = 'changed'",
        "DELETE FROM titles",
    ):
        with conn.cursor() as cur, pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute(statement)
        conn.rollback()
    conn.close()
    check = psycopg2.connect(db_url)
    with check.cursor() as cur:
        cur.execute("SELECT count(*), count(*) FILTER (WHERE title = 'changed') FROM titles")
        assert cur.fetchone() == (len(DATA), 0)
    check.close()


def test_grants_are_applied_again_on_every_migrate(known, db_url):
    conn = psycopg2.connect(db_url)
    with conn.cursor() as cur:
        cur.execute("REVOKE SELECT ON titles FROM utoday_analyst")
    conn.commit()
    assert migrate_module.migrate(conn) == []  # nothing to apply, but the grants come back
    with conn.cursor() as cur:
        cur.execute("SELECT has_table_privilege('utoday_analyst', 'titles', 'SELECT')")
        assert cur.fetchone() == (True,)
    conn.close()


def test_a_pipeline_role_without_superuser_or_createrole_migrates_and_says_what_to_do(
    db_url, pg_server_url, monkeypatch, caplog
):
    user, role = f"pipeline_{uuid.uuid4().hex[:8]}", f"analyst_{uuid.uuid4().hex[:8]}"
    schema = re.search(r"search_path%3D(\w+)", db_url).group(1)
    admin = psycopg2.connect(pg_server_url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(
            sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEROLE").format(sql.Identifier(user))
        )
        cur.execute(
            sql.SQL("GRANT ALL ON SCHEMA {} TO {}").format(
                sql.Identifier(schema), sql.Identifier(user)
            )
        )
    monkeypatch.setattr(migrate_module, "ANALYST_ROLE", role)  # a role nobody created yet
    separator = "&"
    conn = connect(f"{db_url}{separator}user={user}")
    try:
        with caplog.at_level(logging.WARNING):
            applied = migrate_module.migrate(conn)
        assert applied == [m.name for m in migrate_module.load_migrations()]
        assert f"cannot create the read-only role {role}" in caplog.text
        assert f"`CREATE ROLE {role} NOLOGIN;`" in caplog.text
        with conn.cursor() as cur:
            cur.execute(
                "SELECT tableowner FROM pg_tables WHERE tablename = 'titles' AND schemaname = %s",
                (schema,),
            )
            assert cur.fetchone() == (user,)
    finally:
        conn.close()
        with admin.cursor() as cur:
            cur.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
            cur.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
            cur.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(user)))
        admin.close()


# ---------------------------------------------------------------------------------------------
# the commands


@pytest.fixture
def cli(monkeypatch, db_url, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)

    def run(*argv):
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_query_prints_an_aligned_table_and_csv(known, cli):
    code, out, _ = cli(
        "query", "SELECT author, count(*) AS titles FROM titles GROUP BY 1 ORDER BY 2 DESC, 1"
    )
    assert code == 0
    assert out.splitlines() == [
        "author  titles",
        "------  ------",
        "Alice        4",
        "Carol        4",
        "Bob          3",
        "Dave         2",
        "(4 rows)",
    ]
    code, out, _ = cli(
        "query", "--csv", "SELECT day, titles FROM daily_sentiment ORDER BY day DESC LIMIT 2"
    )
    assert code == 0
    assert list(csv.reader(io.StringIO(out))) == [
        ["day", "titles"],
        [str(day(0)), "4"],
        [str(day(1)), "2"],
    ]


@pytest.mark.parametrize(
    ("statement", "code", "words"),
    [
        ("SELECT 1; DELETE FROM titles", 2, "exactly one SQL statement; this text holds 2"),
        ("SELECT 1 /* ; */; COMMIT; DELETE FROM titles", 2, "this text holds 3"),
        (
            "DELETE FROM titles",
            2,
            "read-only statements (SELECT, WITH, VALUES, TABLE, EXPLAIN, SHOW), not DELETE",
        ),
        (
            "WITH gone AS (DELETE FROM titles RETURNING 1) SELECT count(*) FROM gone",
            1,
            "cannot change the database",
        ),
        (
            "SELECT nextval('titles_id_seq')",
            1,
            "permission denied for sequence titles_id_seq (queries run read-only as utoday_analyst)",
        ),
        ("", 2, "this text holds 0"),
    ],
)
def test_query_refuses_writes_and_smuggled_statements(known, cli, query, statement, code, words):
    got, _, err = cli("query", statement)
    assert got == code
    assert words in err and len(err.strip().splitlines()) == 1
    assert query("SELECT count(*) FROM titles") == [(len(DATA),)]


def test_query_statement_timeout(known, cli):
    code, _, err = cli("query", "--timeout", "0.2", "SELECT pg_sleep(3)")
    assert code == 1
    assert "ran longer than 0.2 s and was cancelled" in err


def test_report_shows_every_day_with_zeros(known, cli):
    code, out, _ = cli("report", "--days", "5", "--csv")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == [
        "day",
        "titles",
        "labelled",
        "positive",
        "neutral",
        "negative",
        "unlabelled",
        "net_score",
    ]
    assert rows[1:] == [
        [str(day(4)), "0", "0", "0", "0", "0", "0", ""],
        [str(day(3)), "0", "0", "0", "0", "0", "0", ""],
        [str(day(2)), "2", "0", "0", "0", "0", "2", ""],
        [str(day(1)), "2", "2", "1", "0", "1", "0", "-0.0500"],
        [str(day(0)), "4", "3", "1", "1", "1", "1", "0.0400"],
    ]
    code, out, _ = cli("report", "--days", "2", "--until", str(day(10)))
    assert code == 0
    assert out.splitlines()[2].startswith(str(day(11))) and out.splitlines()[3].startswith(
        str(day(10))
    )


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_report_png_is_a_valid_chart_of_readable_size(known, cli, tmp_path):
    chart = tmp_path / "mood.png"
    code, out, err = cli("report", "--days", "30", "--png", str(chart))
    assert code == 0, err
    width, height = png_size(chart)
    assert width >= 800 and height >= 500
    assert f"chart written to {chart}" in err
    assert len(out.splitlines()) == 2 + 30 + 1


def test_report_png_without_matplotlib_says_how_to_install(known, cli, tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    code, _, err = cli("report", "--png", str(tmp_path / "x.png"))
    assert code == 2
    assert 'pip install -e ".[report]"' in err
    assert not (tmp_path / "x.png").exists()
