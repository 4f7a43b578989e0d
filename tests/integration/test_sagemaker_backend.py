"""SENTIMENT_BACKEND=sagemaker: the label job against a SageMaker endpoint, with botocore's
Stubber answering as the service does (the model's answers, cold starts, throttling, a refused
title, a failing model, a missing endpoint) and a real PostgreSQL behind."""

from __future__ import annotations

import io
import json

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from fakes import fake_scores
from tests.helpers import label_result, seed
from utoday_sentiment.deadline import Deadline
from utoday_sentiment.errors import ConfigError
from utoday_sentiment.labelling import ServiceFault, make_labeller
from utoday_sentiment.labelling.sagemaker import SageMakerClient, SageMakerError
from utoday_sentiment.settings import load_settings

ENDPOINT = "utoday-distilroberta"


@pytest.fixture
def sagemaker():
    client = boto3.client("sagemaker-runtime", region_name="eu-west-1",
                          aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    stub.activate()
    settings = load_settings({"SENTIMENT_BACKEND": "sagemaker", "SAGEMAKER_ENDPOINT": ENDPOINT})
    labeller = SageMakerClient(settings, client=client, sleep=lambda s: None, jitter=lambda: 0.5)
    yield settings, labeller, stub
    stub.deactivate()


def answers(stub, *titles_lists):
    for titles in titles_lists:
        raw = json.dumps([fake_scores(t) for t in titles]).encode()
        stub.add_response(
            "invoke_endpoint",
            {"Body": StreamingBody(io.BytesIO(raw), len(raw)), "ContentType": "application/json"},
            {"EndpointName": ENDPOINT, "ContentType": "application/json",
             "Accept": "application/json", "Body": ANY},
        )


def error(stub, code, status, message="", **fields):
    stub.add_client_error("invoke_endpoint", service_error_code=code, http_status_code=status,
                          service_message=message, modeled_fields=fields or None)


def titles_of(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT title FROM titles ORDER BY published_at DESC NULLS LAST, id DESC")
        rows = [r[0] for r in cur.fetchall()]
    conn.rollback()
    return rows


def test_labels_through_the_endpoint_after_a_cold_start_and_throttling(conn, sagemaker, query):
    settings, labeller, stub = sagemaker
    seed(conn, 4)
    error(stub, "ServiceUnavailable", 503, "cold start")
    error(stub, "ThrottlingException", 400, "Rate exceeded")
    answers(stub, titles_of(conn))
    result = label_result(conn, labeller, settings, batch_size=4)
    assert result.error is None and result.summary.labelled == 4
    assert result.summary.retries == 2
    assert query("SELECT count(*) FROM titles WHERE sentiment IS NOT NULL") == [(4,)]


def test_a_refused_title_is_found_among_answering_neighbours(conn, sagemaker, query):
    settings, labeller, stub = sagemaker
    seed(conn, 4)
    titles = titles_of(conn)
    error(stub, "ModelError", 424, "Received client error (400)", OriginalStatusCode=400)
    answers(stub, titles[:2])  # the first half answers ...
    error(stub, "ModelError", 424, "Received client error (400)", OriginalStatusCode=400)
    answers(stub, titles[2:3])  # ... the second is split: one answers, one is refused
    error(stub, "ModelError", 424, "Received client error (400)", OriginalStatusCode=400)
    result = label_result(conn, labeller, settings, batch_size=4)
    assert result.error is None
    assert (result.summary.labelled, result.summary.failed) == (3, 1)
    assert query("SELECT title FROM titles WHERE label_attempts = 1") == [(titles[3],)]


def test_a_model_refusing_everything_is_a_service_fault(conn, sagemaker, query):
    settings, labeller, stub = sagemaker
    seed(conn, 4)
    for _ in range(4):  # the batch, both halves, the control headline
        error(stub, "ModelError", 424, "Received client error (400)", OriginalStatusCode=400)
    result = label_result(conn, labeller, settings, batch_size=4)
    assert isinstance(result.error, ServiceFault)
    assert query("SELECT count(*) FROM titles WHERE label_attempts > 0") == [(0,)]


def test_a_missing_endpoint_stops_the_run_naming_the_setting(conn, sagemaker, query):
    settings, labeller, stub = sagemaker
    seed(conn, 2)
    error(stub, "ValidationError", 400, f"Endpoint {ENDPOINT} of account 123456789012 not found.")
    result = label_result(conn, labeller, settings)
    assert isinstance(result.error, SageMakerError) and result.error.exit_code == 2
    assert str(result.error).startswith(f"SAGEMAKER_ENDPOINT={ENDPOINT} does not exist here")
    assert query("SELECT count(*) FROM titles WHERE label_attempts > 0") == [(0,)]


def test_not_ready_until_the_deadline_leaves_the_titles_waiting(conn, sagemaker, query):
    settings, labeller, stub = sagemaker
    seed(conn, 2)
    for _ in range(3):
        error(stub, "ModelNotReadyException", 429, "model is loading")
    now = [0.0]
    labeller.sleep = lambda s: now.__setitem__(0, now[0] + s)
    result = label_result(conn, labeller, settings, deadline=Deadline(3.5, clock=lambda: now[0]))
    assert result.error is None and "out of time" in result.summary.stopped
    assert result.summary.labelled == 0 and result.summary.remaining == 2


def test_the_backend_needs_its_endpoint_name():
    with pytest.raises(ConfigError, match="SENTIMENT_BACKEND=sagemaker needs SAGEMAKER_ENDPOINT"):
        make_labeller(load_settings({"SENTIMENT_BACKEND": "sagemaker"}))
