"""What many tests share: the token canary, seeding titles, killing a backend, the installed
command, and the jobs called the way the tests call them (summary back, error raised)."""

from __future__ import annotations

import shutil
import sys
from datetime import datetime, timedelta
from pathlib import Path

import psycopg2

from utoday_sentiment.deadline import Deadline
from utoday_sentiment.jobs import JobResult, run_label, run_scrape
from utoday_sentiment.records import LabelRequest, LabelSummary, ScrapeRequest, ScrapeSummary, Title
from utoday_sentiment.store.titles import insert_titles

# A token that must never appear in any output, log line, trace or message.
TOKEN = "hf_test_SECRET_token_canary_7f3a"

# The settings `--clock` and `--zone` moved for the whole run (conftest.py fills it): a child
# process whose environment is built from scratch gets them too.
MOVED: dict[str, str] = {}


def console_script() -> str:
    """The installed `utoday-sentiment` command of the running interpreter."""
    found = Path(sys.executable).with_name("utoday-sentiment")
    return str(found) if found.exists() else shutil.which("utoday-sentiment") or "utoday-sentiment"


def seed(
    conn,
    n: int,
    *,
    title: str = "Bitcoin Climbs",
    slug: str = "t",
    start: int = 0,
    newest: datetime | None = None,
) -> list[Title]:
    """Store n titles `{title} #{i}` at https://u.today/{slug}-{i}; with `newest`, title i is
    published i hours before it."""
    titles = [
        Title(
            f"{title} #{i}",
            f"https://u.today/{slug}-{i}",
            published_at=None if newest is None else newest - timedelta(hours=i),
        )
        for i in range(start, start + n)
    ]
    insert_titles(conn, titles)
    return titles


def backend_pid(conn) -> int:
    with conn.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        (pid,) = cur.fetchone()
    conn.rollback()
    return pid


def terminate_backend(pg_server_url: str, pid: int | None = None, *, application: str = "") -> None:
    """Kill one server process (or every one of an application_name), as a restart or a network
    cut would."""
    killer = psycopg2.connect(pg_server_url)
    killer.autocommit = True
    with killer.cursor() as cur:
        if pid is not None:
            cur.execute("SELECT pg_terminate_backend(%s)", (pid,))
        else:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = %s",
                (application,),
            )
    killer.close()


def drop_connection(pg_server_url: str, conn) -> None:
    """Kill the server process behind `conn`."""
    terminate_backend(pg_server_url, backend_pid(conn))


def label_result(
    conn,
    client,
    settings,
    *,
    limit=None,
    batch_size=None,
    relabel=False,
    deadline: Deadline | None = None,
) -> JobResult[LabelSummary]:
    return run_label(
        LabelRequest(limit, batch_size, relabel), settings, conn, deadline, labeller=client
    )


def label(conn, client, settings, **kwargs) -> LabelSummary:
    result = label_result(conn, client, settings, **kwargs)
    result.raise_error()
    return result.summary


def scrape(
    conn,
    client,
    settings,
    *,
    from_page=None,
    to_page=None,
    max_pages=None,
    deadline: Deadline | None = None,
    on_page=None,
) -> ScrapeSummary:
    result = run_scrape(
        ScrapeRequest(from_page, to_page, max_pages),
        settings,
        conn,
        deadline,
        client=client,
        on_page=on_page,
    )
    result.raise_error()
    return result.summary
