"""In every failure path, the logs, exception texts and command output hold neither the
Hugging Face token nor the database password."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import psycopg2
import pytest
from psycopg2.extensions import make_dsn

from fakes import Reply, fixture
from tests.helpers import TOKEN, seed, terminate_backend
from utoday_sentiment.cli import main

PASSWORD = "pw-CANARY-5e8f1a"
EVENTS = Path(__file__).resolve().parents[2] / "events"


@pytest.fixture
def password_url(db_url):
    """The test database's URL with a password in it (the embedded server trusts local sockets,
    so any password connects; elsewhere the real URL is used and only the unreachable case
    carries the canary)."""
    url = make_dsn(db_url, password=PASSWORD)
    try:
        psycopg2.connect(url).close()
    except psycopg2.Error:
        return db_url
    return url


@pytest.fixture
def run(monkeypatch, password_url, site, hf, capsys, caplog):
    monkeypatch.setenv("DATABASE_URL", password_url)
    monkeypatch.setenv("UTODAY_BASE_URL", site.url)
    monkeypatch.setenv("UTODAY_PAGE_DELAY", "0")
    monkeypatch.setenv("UTODAY_HTTP_RETRIES", "0")
    monkeypatch.setenv("HF_API_URL", hf.url)
    monkeypatch.setenv("HF_API_TOKEN", TOKEN)
    monkeypatch.setenv("HF_MAX_RETRIES", "1")

    def go(*argv: str) -> tuple[int, str]:
        with caplog.at_level(logging.DEBUG):
            try:
                code = main(list(argv))
                raised = ""
            except BaseException as exc:  # whatever escapes counts as output too
                code, raised = -1, repr(exc)
        out, err = capsys.readouterr()
        return code, "\n".join([out, err, caplog.text, raised])

    return go


def scenario_site_unreachable(run, monkeypatch, **_):
    monkeypatch.setenv("UTODAY_BASE_URL", "http://127.0.0.1:9")
    return run("run")


def scenario_layout_changed(run, site, **_):
    site.serve("/latest-cryptocurrency-news", Reply(fixture("garbage.html"), 200, "text/html"))
    return run("run")


def scenario_api_refuses_the_token(run, conn, hf, **_):
    seed(conn, 3, slug="s")
    hf.script.append(
        Reply(
            json.dumps({"error": f"Invalid credentials in Authorization header: Bearer {TOKEN}"}),
            401,
            "application/json",
        )
    )
    return run("label")


def scenario_api_loading_until_the_deadline(run, conn, hf, **_):
    seed(conn, 3, slug="s")
    hf.script.extend(
        [Reply('{"error": "loading", "estimated_time": 0.3}', 503, "application/json")] * 20
    )
    return run("label", "--max-seconds", "1.5")


def scenario_api_answers_unknown_labels(run, conn, hf, **_):
    seed(conn, 3, slug="s")
    hf.script.append(
        Reply(json.dumps([[{"label": "LABEL_1", "score": 1.0}]] * 3), 200, "application/json")
    )
    return run("label")


def scenario_api_refuses_a_title(run, conn, hf, **_):
    seed(conn, 3, slug="s", title="Poison")
    hf.reject = "Poison"
    return run("label")


def scenario_api_resets_the_connection(run, conn, hf, **_):
    seed(conn, 3, slug="s")
    hf.script.extend([Reply(reset=True)] * 3)
    return run("label")


def scenario_database_unreachable(run, monkeypatch, **_):
    monkeypatch.setenv("DATABASE_URL", f"postgresql://pipeline:{PASSWORD}@127.0.0.1:9/utoday")
    return run("run")


def scenario_connection_killed_mid_label(run, conn, hf, pg_server_url, **_):
    seed(conn, 40, slug="s")

    def kill(number, _):
        if number == 2:
            terminate_backend(pg_server_url, application="utoday-sentiment")

    hf.on_request = kill
    return run("label", "--batch-size", "10")


def scenario_handler_with_a_refused_token(run, conn, hf, **_):
    seed(conn, 3, slug="s")
    hf.script.append(Reply('{"error": "Invalid credentials"}', 401, "application/json"))
    return run("invoke", "label", str(EVENTS / "schedule-label.json"))


def scenario_bad_setting_next_to_the_secrets(run, monkeypatch, **_):
    monkeypatch.setenv("HF_BATCH_SIZE", "0")
    return run("label")


SCENARIOS = {
    name.removeprefix("scenario_"): fn
    for name, fn in dict(globals()).items()
    if name.startswith("scenario_")
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_no_secret_in_any_output(name, run, conn, site, hf, monkeypatch, pg_server_url):
    code, output = SCENARIOS[name](
        run=run, conn=conn, site=site, hf=hf, monkeypatch=monkeypatch, pg_server_url=pg_server_url
    )
    assert code != 0 or name == "api_refuses_a_title", output  # each is a failure the user sees
    assert "error" in output.lower() or "refused" in output
    assert TOKEN not in output
    assert PASSWORD not in output
