"""Exactly once under concurrency, and redelivered events change nothing."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from fakes import articles
from tests.helpers import TOKEN, seed
from tests.reliability.conftest import finish

EVENTS = Path(__file__).resolve().parents[2] / "events"


def test_four_labeller_processes_label_1000_titles_exactly_once(conn, db_url, hf, spawn, query):
    seed(conn, 1000, slug="c")
    hf.latency = 0.03  # long enough for the four to overlap
    env = {"DATABASE_URL": db_url, "HF_API_URL": hf.url, "HF_API_TOKEN": TOKEN}
    processes = [spawn("label", "--batch-size", "16", **env) for _ in range(4)]
    results = [finish(p) for p in processes]
    assert [code for code, _, _ in results] == [0, 0, 0, 0], [err for _, _, err in results]
    sent = Counter(hf.inputs())
    assert len(sent) == 1000 and set(sent.values()) == {1}  # every title sent once, none skipped
    labelled = [int(re.search(r"label: (\d+) labelled", out).group(1)) for _, out, _ in results]
    assert sum(labelled) == 1000
    assert sum(1 for n in labelled if n > 0) >= 2  # they really ran side by side
    assert query("SELECT count(*) FILTER (WHERE sentiment IS NULL), count(*) FROM titles") == [
        (0, 1000)
    ]


def test_two_scrapers_at_the_same_moment_store_each_article_once(db_url, conn, site, spawn, query):
    pages = [articles(n * 30, 30) for n in range(4)]
    site.serve_listing(pages)
    env = {"DATABASE_URL": db_url, "UTODAY_BASE_URL": site.url, "UTODAY_PAGE_DELAY": "0"}
    processes = [spawn("scrape", "--from-page", "0", "--to-page", "3", **env) for _ in range(2)]
    results = [finish(p) for p in processes]
    assert [code for code, _, _ in results] == [0, 0], [err for _, _, err in results]
    new = [int(re.search(r"(\d+) new titles", out).group(1)) for _, out, _ in results]
    assert sum(new) == 120  # each article counted new by exactly one of them
    assert query("SELECT count(*), count(DISTINCT url) FROM titles") == [(120, 120)]


def test_a_scheduled_scrape_delivered_twice_in_a_row_changes_nothing(
    db_url, conn, site, spawn, query
):
    site.serve_listing([articles(0, 30), articles(30, 20)])
    env = {"DATABASE_URL": db_url, "UTODAY_BASE_URL": site.url, "UTODAY_PAGE_DELAY": "0"}
    event = str(EVENTS / "schedule-scrape.json")
    first = finish(spawn("invoke", "scrape", event, **env))
    before = query("SELECT id, url, title, scraped_at FROM titles ORDER BY id")
    second = finish(spawn("invoke", "scrape", event, **env))
    assert first[0] == second[0] == 0
    assert _result(first[1])["new_titles"] == 50 and _result(second[1])["new_titles"] == 0
    assert query("SELECT id, url, title, scraped_at FROM titles ORDER BY id") == before


def test_a_scheduled_scrape_delivered_twice_at_once_stores_each_article_once(
    db_url, conn, site, spawn, query
):
    site.serve_listing([articles(0, 30), articles(30, 20)])
    env = {"DATABASE_URL": db_url, "UTODAY_BASE_URL": site.url, "UTODAY_PAGE_DELAY": "0"}
    event = str(EVENTS / "schedule-scrape.json")
    results = [finish(p) for p in [spawn("invoke", "scrape", event, **env) for _ in range(2)]]
    assert [code for code, _, _ in results] == [0, 0]
    assert sum(_result(out)["new_titles"] for _, out, _ in results) == 50
    assert query("SELECT count(*), count(DISTINCT url) FROM titles") == [(50, 50)]


def test_the_scrapers_success_record_delivered_twice_at_once_labels_each_title_once(
    db_url, conn, hf, spawn, query
):
    seed(conn, 200, slug="c")
    hf.latency = 0.02
    env = {"DATABASE_URL": db_url, "HF_API_URL": hf.url, "HF_API_TOKEN": TOKEN}
    event = str(EVENTS / "label-after-scrape.json")
    results = [finish(p) for p in [spawn("invoke", "label", event, **env) for _ in range(2)]]
    assert [code for code, _, _ in results] == [0, 0], [err for _, _, err in results]
    assert sum(_result(out)["labelled"] for _, out, _ in results) == 200
    assert set(Counter(hf.inputs()).values()) == {1}
    again = finish(spawn("invoke", "label", event, **env))
    assert _result(again[1])["labelled"] == 0  # a third delivery finds nothing to do
    assert query("SELECT count(*) FROM titles WHERE sentiment IS NULL") == [(0,)]


def _result(stdout: str) -> dict:
    """The handler's result: the JSON document `invoke` prints last, after the log lines."""
    start = stdout.rindex("\n{\n") + 1 if "\n{\n" in stdout else stdout.index("{\n")
    return json.loads(stdout[start:])
