"""`utoday-sentiment check`: one line per check, against the test database, an imitation of
U.Today, of the Hub's model API (HF_ENDPOINT) and of the Inference API."""

from __future__ import annotations

import json

import pytest

from fakes import FakeSite, Reply, articles
from tests.helpers import TOKEN
from utoday_sentiment.cli import main
from utoday_sentiment.settings import DEFAULT_HF_MODEL

HUB_PATH = f"/api/models/{DEFAULT_HF_MODEL}?expand%5B%5D=inferenceProviderMapping"


@pytest.fixture
def hub():
    fake = FakeSite().start()
    yield fake
    fake.stop()


@pytest.fixture
def env(monkeypatch, conn, db_url, site, hf, hub):
    site.serve_listing([articles(0, 30)])
    hub.serve(HUB_PATH, Reply(json.dumps({"id": DEFAULT_HF_MODEL, "inferenceProviderMapping": {
        "hf-inference": {"status": "live", "providerId": DEFAULT_HF_MODEL}}}), 200,
        "application/json"))
    for name, value in {"DATABASE_URL": db_url, "UTODAY_BASE_URL": site.url,
                        "HF_API_URL": hf.url, "HF_API_TOKEN": TOKEN,
                        "HF_ENDPOINT": hub.url}.items():
        monkeypatch.setenv(name, value)


def run(capsys, *argv):
    code = main(["check", *argv])
    return code, capsys.readouterr().out.strip().splitlines()


def test_a_working_setup_is_all_ok(env, capsys, hub):
    code, lines = run(capsys)
    assert code == 0, lines
    assert [line.split(":")[0] for line in lines] == [
        "ok    database", "ok    site", "ok    model", "ok    labelling"
    ]
    assert "30 headlines on page 0" in lines[1]
    assert lines[2].endswith("is served by hf-inference")
    assert "hf-api: a known headline is positive" in lines[3]
    assert hub.paths() == [HUB_PATH]  # the Hub at HF_ENDPOINT, as huggingface_hub would ask


def test_each_failure_is_named_with_what_to_do(env, capsys, monkeypatch, hub, hf, site):
    hub.serve(HUB_PATH, Reply('{"inferenceProviderMapping": {"together": {}}}', 200,
                              "application/json"))
    site.serve("/latest-cryptocurrency-news", Reply("<html><body>Redesign</body></html>"))
    hf.script.append(Reply('{"error": "Invalid credentials"}', 401, "application/json"))
    code, lines = run(capsys, "--json")
    assert code == 1
    checks = {c["check"]: c for c in json.loads(lines[0])}
    assert checks["database"]["ok"] is True
    assert checks["site"]["ok"] is False and "shows no headline cards" in checks["site"]["detail"]
    assert "not served by hf-inference (providers: together)" in checks["model"]["detail"]
    assert "Hugging Face answered 401: the token was refused" in checks["labelling"]["detail"]
    assert TOKEN not in lines[0]


def test_no_token_and_an_old_schema(capsys, monkeypatch, db_url, site, hub):
    site.serve_listing([articles(0, 3)])
    hub.serve(HUB_PATH, Reply("Not Found", 404, "text/plain"))
    for name, value in {"DATABASE_URL": db_url, "UTODAY_BASE_URL": site.url,
                        "HF_ENDPOINT": hub.url}.items():
        monkeypatch.setenv(name, value)
    code, lines = run(capsys)
    assert code == 1
    assert lines[0].startswith("FAIL  database: no data yet")
    assert lines[2] == f"FAIL  model: the Hub has no model {DEFAULT_HF_MODEL}; check HF_MODEL"
    assert lines[3].startswith("FAIL  token: HF_API_TOKEN is not set")
