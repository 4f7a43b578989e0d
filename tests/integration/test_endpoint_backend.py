"""SENTIMENT_BACKEND=endpoint: a dedicated Inference Endpoint, Inference Toolkit or Text
Embeddings Inference, imitated on 127.0.0.1."""

from __future__ import annotations

import pytest

from fakes import FakeHF, Reply
from tests.helpers import label_result, seed
from utoday_sentiment.errors import ConfigError
from utoday_sentiment.labelling import make_labeller
from utoday_sentiment.labelling.endpoint import EndpointClient
from utoday_sentiment.settings import load_settings


@pytest.fixture
def tei():
    fake = FakeHF(engine="tei").start()
    yield fake
    fake.stop()


def run(conn, url, **env):
    settings = load_settings({"SENTIMENT_BACKEND": "endpoint", "HF_API_URL": url, **env})
    client = make_labeller(settings)
    assert isinstance(client, EndpointClient)
    client.sleep = lambda s: None  # type: ignore[attr-defined]
    try:
        return label_result(conn, client, settings, batch_size=8)
    finally:
        client.close()


def test_a_toolkit_endpoint_labels_like_the_router_and_waits_for_scale_up(conn, hf, query):
    seed(conn, 10)
    hf.script.append(Reply('{"error": "Service Unavailable"}', 503, "application/json"))
    result = run(conn, hf.url)
    assert result.error is None and result.summary.labelled == 10
    assert query("SELECT count(*) FROM titles WHERE sentiment IS NOT NULL") == [(10,)]
    assert all("X-Scale-Up-Timeout" in h for h in hf.headers)  # hold on while a replica starts
    assert int(hf.headers[0]["X-Scale-Up-Timeout"]) <= 30  # never past the request's timeout
    assert "Authorization" not in hf.headers[0]  # no token set: a public endpoint


def test_tei_predict_urls_get_one_text_lists(conn, tei, query):
    seed(conn, 10)
    result = run(conn, tei.root + "/predict")
    assert result.error is None and result.summary.labelled == 10
    assert result.summary.requests == 2  # batches of 8 and 2, no retry
    assert query("SELECT count(*) FROM titles WHERE sentiment IS NOT NULL") == [(10,)]


def test_auto_tells_tei_apart_by_its_refusal_of_a_flat_list(conn, tei, query):
    seed(conn, 10)
    result = run(conn, tei.root + "/")
    assert result.error is None and result.summary.labelled == 10
    assert result.summary.retries == 1  # one refused flat list, then TEI's batches
    assert query("SELECT count(*) FROM titles WHERE label_attempts > 0") == [(0,)]


def test_auto_tells_tei_apart_when_it_reads_two_titles_as_a_pair(conn, tei, query):
    seed(conn, 2)
    result = run(conn, tei.root + "/")
    assert result.error is None and result.summary.labelled == 2
    assert query("SELECT count(*) FROM titles WHERE sentiment IS NOT NULL") == [(2,)]


def test_an_endpoint_scaling_up_past_the_deadline_says_so(conn, hf, query):
    from utoday_sentiment.deadline import Deadline

    seed(conn, 3)
    hf.script.extend([Reply('{"error": "Service Unavailable"}', 503, "application/json")] * 20)
    settings = load_settings({"SENTIMENT_BACKEND": "endpoint", "HF_API_URL": hf.url})
    client = make_labeller(settings)
    client.sleep = lambda s: None  # type: ignore[attr-defined]
    now = [0.0]
    client.jitter = lambda: 1.0  # type: ignore[attr-defined]
    result = label_result(conn, client, settings, deadline=Deadline(4, clock=lambda: now[0]))
    assert result.error is None and result.summary.labelled == 0
    assert "endpoint is scaling up" in result.summary.stopped
    assert query("SELECT count(*) FROM titles WHERE label_attempts > 0") == [(0,)]


def test_the_endpoint_backend_needs_its_url():
    with pytest.raises(ConfigError, match="SENTIMENT_BACKEND=endpoint needs HF_API_URL"):
        make_labeller(load_settings({"SENTIMENT_BACKEND": "endpoint"}))


def test_an_unknown_backend_is_one_line():
    with pytest.raises(ConfigError) as info:
        load_settings({"SENTIMENT_BACKEND": "magic"})
    assert str(info.value) == (
        "SENTIMENT_BACKEND='magic' is not valid: use one of hf-api, endpoint, sagemaker, onnx, "
        "such as hf-api"
    )


def test_a_refused_title_among_answering_neighbours_on_an_endpoint(conn, hf, query):
    from utoday_sentiment.records import Title
    from utoday_sentiment.store.titles import insert_titles

    seed(conn, 4)
    insert_titles(conn, [Title("Poison headline", "https://u.today/poison")])
    hf.reject = "Poison"
    result = run(conn, hf.url)
    assert result.error is None
    assert (result.summary.labelled, result.summary.failed) == (4, 1)
    assert query("SELECT label_attempts FROM titles WHERE url = 'https://u.today/poison'") == [(1,)]
