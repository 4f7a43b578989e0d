"""The Lambda handlers, called with every file in events/ and a local Lambda context, on a real
PostgreSQL, against the fake site and the fake Inference API."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import psycopg2
import pytest

from fakes import FakeSite, Reply, articles
from tests.helpers import MOVED, TOKEN, console_script, drop_connection
from utoday_sentiment.errors import UtodayError
from utoday_sentiment.handlers import runtime
from utoday_sentiment.handlers.events import EventError
from utoday_sentiment.handlers.local import LocalContext, invoke
from utoday_sentiment.records import Title
from utoday_sentiment.store.titles import insert_titles

EVENTS = Path(__file__).resolve().parents[2] / "events"
LISTING = "/latest-cryptocurrency-news"


class _CurrentStdout:
    """Writes to whatever sys.stdout is now (pytest swaps it per test)."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


def event(name: str) -> dict:
    return json.loads((EVENTS / name).read_text())


@pytest.fixture
def lambda_env(monkeypatch, conn, db_url, site, hf, capsys):
    """The functions' environment, against a database the deploy's migration has prepared
    (`conn` is a migrated connection)."""
    from aws_lambda_powertools.metrics.provider.cold_start import reset_cold_start_flag

    from utoday_sentiment.handlers.observability import logger, metrics

    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("UTODAY_BASE_URL", site.url)
    monkeypatch.setenv("UTODAY_PAGE_DELAY", "0")
    monkeypatch.setenv("UTODAY_HTTP_RETRIES", "0")
    monkeypatch.setenv("HF_API_URL", hf.url)
    monkeypatch.setenv("HF_API_TOKEN", TOKEN)
    logger.registered_handler.stream = _CurrentStdout()  # where this test captures stdout
    runtime.reset()
    metrics.clear_metrics()
    reset_cold_start_flag()
    yield
    runtime.reset()
    metrics.clear_metrics()


def emitted(capsys) -> tuple[dict[str, float], list[dict]]:
    """Metrics (EMF) and log records the handlers printed, as Lambda would ship them."""
    values: dict[str, float] = {}
    logs = []
    for line in capsys.readouterr().out.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if "_aws" in record:
            for definition in record["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
                value = record[definition["Name"]]
                values[definition["Name"]] = sum(value) if isinstance(value, list) else value
        else:
            logs.append(record)
    return values, logs


def seed(db_url, n):
    conn = psycopg2.connect(db_url)
    try:
        from utoday_sentiment.store.migrate import migrate

        migrate(conn)
        insert_titles(
            conn, [Title(f"Bitcoin Climbs #{i}", f"https://u.today/b-{i}") for i in range(n)]
        )
    finally:
        conn.close()


def test_scheduled_scrape_stores_titles_and_reports(lambda_env, site, query, capsys):
    site.serve_listing([articles(0, 30), articles(30, 10)])
    result = invoke("scrape", event("schedule-scrape.json"))
    assert result["ok"] and result["mode"] == "daily" and result["new_titles"] == 40
    assert query("SELECT count(*) FROM titles") == [(40,)]  # migrated at cold start, then filled
    metrics, logs = emitted(capsys)
    assert metrics["TitlesInserted"] == 40 and metrics["TitlesScraped"] == 40
    assert metrics["PagesFetched"] == 3
    assert any("ColdStart" in json.dumps(log) for log in logs) or "ColdStart" in metrics
    finished = [log for log in logs if log.get("message") == "scrape finished"]
    assert finished and finished[0]["correlation_id"] == "5f8a7c2e-1b3d-4e6f-9a0b-2c4d6e8f0a1b"


def test_a_day_with_nothing_new_still_reports_zero_inserted(lambda_env, site, capsys):
    site.serve_listing([articles(0, 5)])
    invoke("scrape", event("schedule-scrape.json"))
    capsys.readouterr()
    invoke("scrape", event("schedule-scrape.json"))
    metrics, _ = emitted(capsys)
    assert metrics["TitlesInserted"] == 0  # the no-new-titles alarm needs a 0, not silence


def test_backfill_event_and_its_next_page(lambda_env, site, query):
    pages = [articles(n * 30, 30) for n in range(8)]
    site.serve_listing(pages)
    result = invoke("scrape", {**event("backfill.json"), "to_page": 6})
    assert result["mode"] == "backfill" and result["new_titles"] == 60
    assert result["next_page"] == 7
    assert site.paths() == [f"{LISTING}?page={n}" for n in (5, 6)]


def test_backfill_that_runs_out_of_time_says_where_to_continue(lambda_env, site, query):
    site.serve_listing([articles(n * 30, 30) for n in range(8)])
    # 4 s left: the 3 s safety margin leaves no room for a page (each needs 3 s of budget)
    result = invoke("scrape", event("backfill.json"), timeout=4)
    assert result["stopped"] == "out of time" and result["next_page"] == 5
    assert site.requests == []


@pytest.mark.parametrize(
    "name", ["schedule-label.json", "label-after-scrape.json", "label-large.json"]
)
def test_label_events_label_the_backlog(lambda_env, db_url, hf, query, capsys, name):
    seed(db_url, 45)
    result = invoke("label", event(name))
    assert result["ok"] and result["labelled"] == 45 and result["remaining"] == 0
    assert query("SELECT count(*) FROM titles WHERE sentiment = 'positive'") == [(45,)]
    metrics, logs = emitted(capsys)
    assert metrics["TitlesLabelled"] == 45 and metrics["UnlabelledBacklog"] == 0
    assert metrics["ApiRequests"] == 2  # 32 + 13
    trigger = {
        "schedule-label.json": "schedule",
        "label-after-scrape.json": "scrape",
        "label-large.json": "manual",
    }[name]
    finished = next(log for log in logs if log.get("message") == "label finished")
    assert finished["trigger"] == trigger
    if name == "label-after-scrape.json":  # the scrape's correlation id carries on
        assert finished["correlation_id"] == "5f8a7c2e-1b3d-4e6f-9a0b-2c4d6e8f0a1b"
    assert TOKEN not in json.dumps(logs)


def test_relabel_event(lambda_env, db_url, hf, query, monkeypatch):
    seed(db_url, 5)
    invoke("label", event("label-large.json"))
    monkeypatch.setenv("HF_MODEL", "ProsusAI/finbert")
    result = invoke("label", event("relabel.json"))
    assert result["labelled"] == 5
    assert query("SELECT DISTINCT sentiment_model FROM titles") == [("hf-api:ProsusAI/finbert",)]


def test_labeller_with_5_seconds_left_stops_in_time(lambda_env, db_url, hf, query):
    seed(db_url, 200)
    hf.latency = 0.8
    context = LocalContext("label", 5.0)
    from utoday_sentiment.handlers.label import handler

    result = handler(event("label-large.json") | {"batch_size": 10}, context)
    assert context.get_remaining_time_in_millis() > 0  # returned before Lambda would kill it
    assert result["stopped"].startswith("out of time")
    assert 0 < result["labelled"] < 200 and result["remaining"] == 200 - result["labelled"]
    assert query("SELECT count(*) FROM titles WHERE sentiment IS NOT NULL") == [
        (result["labelled"],)
    ]


def test_a_run_that_labels_nothing_while_titles_wait_says_it_stalled(
    lambda_env, db_url, hf, capsys, monkeypatch
):
    """503 until the deadline raises no error, so the run publishes LabelRunStalled=1 for the
    LabellingStalledAlarm; a run that labels publishes 0."""
    seed(db_url, 6)
    monkeypatch.setenv("HF_MAX_RETRIES", "50")
    loading = Reply(
        '{"error": "Model is currently loading", "estimated_time": 0.4}', 503, "application/json"
    )
    hf.script.extend([loading] * 30)
    from utoday_sentiment.handlers.label import handler

    result = handler(event("schedule-label.json"), LocalContext("label", 5.5))
    assert result["ok"] and result["stopped"].startswith("out of time")
    assert result["labelled"] == 0 and result["remaining"] == 6 and result["stalled"] is True
    metrics, logs = emitted(capsys)
    assert metrics["LabelRunStalled"] == 1 and metrics["UnlabelledBacklog"] == 6
    assert any(
        log["level"] == "WARNING" and "no title labelled while 6 wait" in log["message"]
        for log in logs
    )

    hf.script.clear()
    result = invoke("label", event("schedule-label.json"))
    assert result["labelled"] == 6 and result["stalled"] is False
    metrics, _ = emitted(capsys)
    assert metrics["LabelRunStalled"] == 0


def test_a_dropped_connection_between_invocations_is_reopened(
    lambda_env, db_url, site, pg_server_url, query
):
    site.serve_listing([articles(0, 3)])
    invoke("scrape", event("schedule-scrape.json"))
    cached = runtime._connection
    drop_connection(pg_server_url, cached)
    time.sleep(0.1)
    site.serve_listing([articles(0, 6)])
    result = invoke("scrape", event("schedule-scrape.json"))
    assert result["new_titles"] == 3
    assert runtime._connection is not cached
    assert query("SELECT count(*) FROM titles") == [(6,)]


def test_the_connection_is_reused_while_it_answers(lambda_env, site):
    site.serve_listing([articles(0, 3)])
    invoke("scrape", event("schedule-scrape.json"))
    first = runtime._connection
    invoke("scrape", event("schedule-scrape.json"))
    assert runtime._connection is first


@pytest.mark.parametrize(
    ("function", "bad", "message"),
    [
        (
            "scrape",
            {"form_page": 1},
            "unknown field 'form_page' in the scrape event; allowed: correlation_id, from_page, max_pages, scheduled_time, to_page",
        ),
        (
            "scrape",
            {"from_page": "5", "to_page": 9},
            "field 'from_page' of the scrape event must be a whole number >= 0, not '5'",
        ),
        ("scrape", {"from_page": 5}, "a backfill event needs both 'from_page' and 'to_page'"),
        (
            "scrape",
            {"from_page": 9, "to_page": 5},
            "'to_page' (5) must not be below 'from_page' (9)",
        ),
        (
            "scrape",
            {"scheduled_time": "tomorrow"},
            "field 'scheduled_time' of the scrape event must be an ISO 8601 time",
        ),
        ("scrape", [1, 2], "the scrape event must be a JSON object, not list"),
        (
            "label",
            {"limit": 0},
            "field 'limit' of the label event must be a whole number >= 1, not 0",
        ),
        (
            "label",
            {"relabel": "yes"},
            "field 'relabel' of the label event must be true or false, not 'yes'",
        ),
        (
            "label",
            {"batch_size": 1000},
            "field 'batch_size' of the label event must be a whole number from 1 to 256",
        ),
        (
            "label",
            {"requestContext": {"condition": "RetriesExhausted"}, "responsePayload": {}},
            "on-success record only",
        ),
    ],
)
def test_bad_events_are_rejected_before_any_work(lambda_env, site, hf, function, bad, message):
    with pytest.raises(EventError) as info:
        invoke(function, bad)
    assert message in str(info.value)
    assert "\n" not in str(info.value)
    assert site.requests == [] and hf.batches == []


def test_label_failure_raises_with_metrics_and_without_the_token(
    lambda_env, db_url, hf, capsys, query
):
    seed(db_url, 4)
    hf.script.append(Reply('{"error": "Invalid credentials"}', 401, "application/json"))
    from utoday_sentiment.errors import UtodayError

    with pytest.raises(UtodayError, match="Hugging Face answered 401"):
        invoke("label", event("schedule-label.json"))
    metrics, logs = emitted(capsys)
    assert metrics["TitlesLabelled"] == 0 and metrics["UnlabelledBacklog"] == 4
    assert TOKEN not in json.dumps(logs)
    assert query("SELECT count(*) FROM titles WHERE sentiment IS NOT NULL") == [(0,)]


def test_missing_token_is_a_clear_error(lambda_env, monkeypatch):
    monkeypatch.delenv("HF_API_TOKEN")
    from utoday_sentiment.errors import ConfigError

    with pytest.raises(
        ConfigError, match="no Hugging Face token configured: set the HfTokenSecretArn"
    ):
        invoke("label", event("schedule-label.json"))


def test_every_event_file_is_exercised():
    names = {p.name for p in EVENTS.glob("*.json")}
    assert names == {
        "schedule-scrape.json",
        "backfill.json",
        "schedule-label.json",
        "label-after-scrape.json",
        "label-large.json",
        "relabel.json",
        "backfill-all.json",  # the state machine's input: test_backfill_state_machine.py
        "check.json",
        "schedule-feeds.json",  # test_feeds.py: the feeds function
        "schedule-prices.json",  # test_prices.py: the prices function
    }


def test_invoke_command_runs_a_handler_with_an_event_file(lambda_env, site, capsys, query):
    from utoday_sentiment.cli import main

    site.serve_listing([articles(0, 4)])
    code = main(["invoke", "scrape", str(EVENTS / "schedule-scrape.json")])
    out = capsys.readouterr().out
    assert code == 0
    result = json.loads(out)  # stdout holds the result alone: logs and metrics are on stderr
    assert result["new_titles"] == 4
    assert query("SELECT count(*) FROM titles") == [(4,)]


def test_invoke_command_with_a_bad_event_file(lambda_env, tmp_path, capsys):
    from utoday_sentiment.cli import main

    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert main(["invoke", "scrape", str(broken)]) == 2
    assert "broken.json is not valid JSON" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text('{"from_page": -1, "to_page": 2}')
    assert main(["invoke", "scrape", str(bad)]) == 2
    assert (
        "field 'from_page' of the scrape event must be a whole number >= 0, not -1"
        in capsys.readouterr().err
    )


def test_a_failure_is_one_line_for_the_caller_and_its_root_cause_in_the_log(
    lambda_env, monkeypatch, capsys
):
    monkeypatch.setenv("DATABASE_URL", "postgresql://utoday:pw-hidden@127.0.0.1:9/utoday")
    with pytest.raises(UtodayError) as info:
        invoke("scrape", event("schedule-scrape.json"))
    message = str(info.value)
    assert "\n" not in message and message.startswith("cannot connect to the database")
    _, logs = emitted(capsys)
    errors = [record for record in logs if record["level"] == "ERROR"]
    assert len(errors) == 1 and errors[0]["message"] == message
    # the chain: our one line, caused by psycopg2's own error, kept for the 06:00 reader
    assert "psycopg2.OperationalError" in errors[0]["exception"]
    assert "The above exception was the direct cause" in errors[0]["exception"]
    assert "pw-hidden" not in json.dumps(logs)


def test_invoke_prints_no_powertools_warning_for_a_refused_event(db_url, tmp_path):
    """As a person runs it: the installed command, warnings shown as Python shows them."""
    import os
    import subprocess

    path = tmp_path / "bad.json"
    path.write_text('{"from_page": 5}')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UTODAY_", "HF_", "AWS_"))}
    done = subprocess.run(
        [console_script(), "invoke", "scrape", str(path)],
        env={**env, **MOVED, "DATABASE_URL": db_url, "PYTHONWARNINGS": "default"},
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )
    assert done.returncode == 2, done.stderr
    assert "a backfill event needs both 'from_page' and 'to_page'" in done.stderr
    assert "No application metrics to publish" not in done.stderr + done.stdout


def test_a_check_event_runs_the_checks_in_lambda(lambda_env, site, hf, monkeypatch):
    site.serve_listing([articles(0, 5)])
    hub = FakeSite().start()
    try:
        from utoday_sentiment.settings import DEFAULT_HF_MODEL

        hub.serve(f"/api/models/{DEFAULT_HF_MODEL}?expand%5B%5D=inferenceProviderMapping",
                  Reply('{"inferenceProviderMapping": {"hf-inference": {}}}', 200,
                        "application/json"))
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        result = invoke("label", event("check.json"))
    finally:
        hub.stop()
    assert result["ok"] is True, result
    assert [c["check"] for c in result["checks"]] == ["database", "site", "model", "labelling"]
