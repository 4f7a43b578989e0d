"""When the Inference API misbehaves, affected titles stay unlabelled (or are labelled right),
never mislabelled, and the run's summary says what happened."""

from __future__ import annotations

import json
import logging

import pytest

from fakes import Reply, fake_scores
from tests.helpers import TOKEN, label, label_result
from utoday_sentiment.deadline import Deadline
from utoday_sentiment.errors import UtodayError
from utoday_sentiment.labelling.hf_api import HFClient
from utoday_sentiment.records import Title
from utoday_sentiment.settings import load_settings
from utoday_sentiment.store.titles import insert_titles

N = 12


def ok_body(n: int) -> str:
    return json.dumps([fake_scores("Bitcoin Climbs")] * n)


FAULTS = {
    # name: (script, settings, deadline seconds, expect an error?, words in the summary or error)
    "503 until the deadline": (
        [
            Reply(
                '{"error": "Model is currently loading", "estimated_time": 0.4}',
                503,
                "application/json",
            )
        ]
        * 30,
        {"HF_MAX_RETRIES": "50"},
        2.5,
        False,
        "out of time",
    ),
    "429 without Retry-After, then success": (
        [Reply("Too Many Requests", 429, "text/plain")] * 2,
        {},
        None,
        False,
        None,
    ),
    "200 whose body is not JSON": (
        [Reply("<html>upstream error</html>", 200, "text/html")] * 3,
        {"HF_MAX_RETRIES": "2"},
        None,
        True,
        "a 200 whose body is not JSON",
    ),
    "200 holding an error object": (
        [Reply('{"error": "Internal Server Error"}', 200, "application/json")] * 3,
        {"HF_MAX_RETRIES": "2"},
        None,
        True,
        "an error object instead of results",
    ),
    "200 with the wrong number of results": (
        [Reply(ok_body(N - 1), 200, "application/json")] * 3,
        {"HF_MAX_RETRIES": "2"},
        None,
        True,
        f"{N - 1} results for {N} titles",
    ),
    "200 with unknown labels": (
        [Reply(json.dumps([[{"label": "LABEL_0", "score": 0.9}]] * N), 200, "application/json")],
        {},
        None,
        True,
        "the model answered the label 'LABEL_0'",
    ),
    "an answer slower than the time left": (
        [Reply(ok_body(N), 200, "application/json", delay=3.0)],
        {"HF_MAX_RETRIES": "5"},
        1.5,
        False,
        "out of time",
    ),
    "a connection reset, then success": (
        [Reply(reset=True)],
        {},
        None,
        False,
        None,
    ),
}


@pytest.mark.parametrize("name", list(FAULTS))
def test_api_fault(name, conn, hf, query, caplog):
    script, env, seconds, raises, words = FAULTS[name]
    titles = [f"Bitcoin Climbs #{i}" for i in range(N)]
    insert_titles(conn, [Title(t, f"https://u.today/a-{i}") for i, t in enumerate(titles)])
    hf.script.extend(script)
    settings = load_settings({"HF_API_TOKEN": TOKEN, "HF_API_URL": hf.url, **env})
    client = HFClient(settings, sleep=__import__("time").sleep if seconds else (lambda s: None))
    deadline = Deadline(seconds) if seconds else Deadline()
    with caplog.at_level(logging.DEBUG):
        if raises:
            result = label_result(conn, client, settings, batch_size=N, deadline=deadline)
            assert isinstance(result.error, UtodayError)
            summary, told = result.summary, str(result.error)
        else:
            summary = label(conn, client, settings, batch_size=N, deadline=deadline)
            told = summary.line()
    rows = query("SELECT title, sentiment, sentiment_score, label_attempts FROM titles")
    for title, sentiment, score, attempts in rows:
        assert attempts == 0  # an API fault is never held against a title
        if sentiment is not None:  # labelled right, from a whole valid answer
            assert (sentiment, score) == (
                fake_scores(title)[0]["label"],
                pytest.approx(fake_scores(title)[0]["score"]),
            )
    labelled = sum(1 for r in rows if r[1] is not None)
    if words is None:  # recovered
        assert labelled == N and summary.retries >= 1
    else:  # stopped: nothing labelled, everything left for the next run, and it says why
        assert labelled == 0 and summary.remaining == N
        assert words in told
    assert TOKEN not in told and TOKEN not in caplog.text
