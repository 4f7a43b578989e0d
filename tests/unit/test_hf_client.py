"""The Inference API client against `responses`: retries, headers, fail-fast codes, deadlines."""

from __future__ import annotations

import json
import logging

import pytest
import responses
from responses.registries import OrderedRegistry

from tests.helpers import TOKEN
from utoday_sentiment.deadline import Deadline
from utoday_sentiment.labelling import InputRefused, OutOfTime
from utoday_sentiment.labelling.hf_api import ApiError, HFClient
from utoday_sentiment.settings import load_settings

URL = "https://router.huggingface.co/hf-inference/models/mrm8488/distilroberta-finetuned-financial-news-sentiment-analysis"


def ok(*tops: str) -> list:
    others = {
        "positive": ("neutral", "negative"),
        "neutral": ("positive", "negative"),
        "negative": ("neutral", "positive"),
    }
    return [
        [
            {"label": t, "score": 0.9},
            {"label": others[t][0], "score": 0.07},
            {"label": others[t][1], "score": 0.03},
        ]
        for t in tops
    ]


class Clock:
    """A fake clock: sleeping advances it, so deadlines are exercised without waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def client(clock):
    settings = load_settings({"HF_API_TOKEN": TOKEN, "HF_MAX_RETRIES": "3"})
    return HFClient(settings, sleep=clock.sleep, jitter=lambda: 0.5)


@pytest.fixture
def api():
    with responses.RequestsMock(registry=OrderedRegistry) as mock:
        yield mock


def sent(api, n):
    call = api.calls[n]
    return call.request.headers, json.loads(call.request.body)


def test_request_shape(api, client, clock):
    api.post(URL, json=ok("positive", "negative"))
    predictions = client.classify(["Bitcoin Climbs", "XRP " + "x" * 600], Deadline(60, clock=clock))
    assert [p.sentiment for p in predictions] == ["positive", "negative"]
    headers, body = sent(api, 0)
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["Content-Type"] == "application/json"
    assert "x-wait-for-model" not in headers
    assert body["parameters"] == {"top_k": 3}
    assert body["inputs"][0] == "Bitcoin Climbs"
    assert len(body["inputs"][1].encode()) == 500  # truncated on the client


def test_503_then_200_resends_with_wait_for_model_and_keeps_it(api, client, clock):
    api.post(URL, status=503, json={"error": "Model is currently loading"})
    api.post(URL, json=ok("neutral"))
    api.post(URL, json=ok("positive"))
    deadline = Deadline(60, clock=clock)
    assert client.classify(["a"], deadline)[0].sentiment == "neutral"
    assert client.classify(["b"], deadline)[0].sentiment == "positive"
    assert [c.request.headers.get("x-wait-for-model") for c in api.calls] == [None, "true", "true"]
    assert client.retries == 1 and client.requests_sent == 3
    assert clock.slept and clock.slept[0] > 0  # backed off before resending


def test_503_with_estimated_time_is_honoured(api, client, clock):
    api.post(URL, status=503, json={"error": "Model x is currently loading", "estimated_time": 7.5})
    api.post(URL, json=ok("neutral"))
    client.classify(["a"], Deadline(60, clock=clock))
    assert clock.slept == [7.5]


def test_503_longer_than_the_deadline_stops_without_waiting(api, client, clock):
    api.post(URL, status=503, json={"error": "loading", "estimated_time": 20.0})
    with pytest.raises(OutOfTime):
        client.classify(["a"], Deadline(10, clock=clock))
    assert clock.slept == [] and len(api.calls) == 1


def test_429_waits_retry_after(api, client, clock):
    api.post(URL, status=429, body="Too Many Requests", headers={"Retry-After": "4"})
    api.post(URL, json=ok("neutral"))
    client.classify(["a"], Deadline(60, clock=clock))
    assert clock.slept == [4.0]


def test_429_waits_the_ietf_ratelimit_reset(api, client, clock):
    api.post(URL, status=429, body="Too Many Requests",
             headers={"RateLimit": '"api";r=0;t=7', "RateLimit-Policy": '"api";q=1000;w=300'})
    api.post(URL, json=ok("neutral"))
    client.classify(["a"], Deadline(60, clock=clock))
    assert clock.slept == [7.0]


def test_429_whose_reset_is_beyond_the_deadline_stops_in_time(api, client, clock):
    api.post(URL, status=429, body="Too Many Requests", headers={"RateLimit": '"api";r=0;t=300'})
    with pytest.raises(OutOfTime):
        client.classify(["a"], Deadline(60, clock=clock))
    assert clock.slept == []


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, '{"error": "Model not supported by provider hf-inference"}'),
        (404, '{"error": "Model mrm8488/gone does not exist"}'),
    ],
)
def test_a_model_that_is_not_served_stops_the_run(api, client, clock, status, body):
    from utoday_sentiment.labelling.hf_api import ModelNotServed

    api.post(URL, status=status, body=body, content_type="application/json")
    with pytest.raises(ModelNotServed, match="does not serve the model"):
        client.classify(["a", "b"], Deadline(60, clock=clock))
    assert len(api.calls) == 1


def test_429_without_retry_after_backs_off_exponentially(api, client, clock):
    api.post(URL, status=429, body="Too Many Requests")
    api.post(URL, status=429, body="Too Many Requests")
    api.post(URL, status=429, body="Too Many Requests")
    api.post(URL, json=ok("neutral"))
    client.classify(["a"], Deadline(120, clock=clock))
    assert clock.slept == [0.75, 1.5, 3.0]  # 1, 2, 4 s ceilings with jitter 0.5


@pytest.mark.parametrize("status", [500, 502, 504])
def test_server_errors_then_success(api, client, clock, status):
    api.post(URL, status=status, body="Bad Gateway")
    api.post(URL, status=status, body="Bad Gateway")
    api.post(URL, json=ok("negative"))
    assert client.classify(["a"], Deadline(60, clock=clock))[0].sentiment == "negative"
    assert client.retries == 2


def test_persistent_server_errors_give_up_after_bounded_attempts(api, client, clock):
    for _ in range(4):
        api.post(URL, status=502, body="<html>Bad Gateway</html>")
    with pytest.raises(ApiError, match=r"kept failing \(502 .*\) after 4 attempts"):
        client.classify(["a"], Deadline(600, clock=clock))
    assert len(api.calls) == 4


def test_400_is_a_rejected_input(api, client, clock):
    api.post(URL, status=400, json={"error": "index out of range in self"})
    with pytest.raises(InputRefused, match="refused the input \\(400\\): index out of range"):
        client.classify(["a", "b"], Deadline(60, clock=clock))
    assert len(api.calls) == 1


@pytest.mark.parametrize(
    ("status", "body", "words"),
    [
        (
            401,
            '{"error": "Invalid credentials in Authorization header"}',
            "HF_API_TOKEN is missing, wrong or revoked",
        ),
        (
            402,
            '{"error": "You have exceeded your monthly included credits"}',
            "monthly inference credits are used up",
        ),
        (
            403,
            '{"error": "This authentication method does not have sufficient permissions"}',
            "lacks the 'Make calls to Inference Providers' permission",
        ),
        (404, "Not Found", "is not served by hf-inference"),
        (
            410,
            '{"error": "https://api-inference.huggingface.co is no longer supported"}',
            "retired api-inference endpoint",
        ),
    ],
)
def test_fail_fast_codes_name_the_cause(api, client, clock, status, body, words, caplog):
    api.post(URL, status=status, body=body)
    with caplog.at_level(logging.DEBUG), pytest.raises(ApiError) as info:
        client.classify(["a"], Deadline(60, clock=clock))
    message = str(info.value)
    assert message.startswith(f"Hugging Face answered {status}: ")
    assert words in message and message.endswith("No title was changed")
    assert len(api.calls) == 1 and clock.slept == []
    assert TOKEN not in message and TOKEN not in caplog.text


def test_token_echoed_by_the_service_is_redacted(api, client, clock):
    api.post(URL, status=418, json={"error": f"teapot refuses Bearer {TOKEN}"})
    with pytest.raises(ApiError) as info:
        client.classify(["a"], Deadline(60, clock=clock))
    assert TOKEN not in str(info.value) and "***" in str(info.value)


def test_wrong_length_response_is_retried_then_fails(api, client, clock):
    for _ in range(4):
        api.post(URL, json=ok("positive"))
    with pytest.raises(ApiError, match="1 results for 2 titles"):
        client.classify(["a", "b"], Deadline(600, clock=clock))


def test_non_json_200_is_retried(api, client, clock):
    api.post(URL, body="<html>upstream hiccup</html>", content_type="text/html")
    api.post(URL, json=ok("neutral"))
    assert client.classify(["a"], Deadline(60, clock=clock))[0].sentiment == "neutral"
    assert client.retries == 1


def test_unknown_label_stops_at_once(api, client, clock):
    api.post(URL, json=[[{"label": "LABEL_2", "score": 0.8}, {"label": "LABEL_0", "score": 0.2}]])
    with pytest.raises(ApiError, match="'LABEL_2'.*HF_LABEL_MAP"):
        client.classify(["a"], Deadline(60, clock=clock))
    assert len(api.calls) == 1


def test_no_request_without_time_left(api, client, clock):
    with pytest.raises(OutOfTime):
        client.classify(["a"], Deadline(0.5, clock=clock))
    assert len(api.calls) == 0


def test_custom_endpoint_and_label_map(api, clock):
    settings = load_settings(
        {
            "HF_API_TOKEN": TOKEN,
            "HF_API_URL": "https://xyz.endpoints.huggingface.cloud",
            "HF_LABEL_MAP": "Bullish=positive,Bearish=negative,Neutral=neutral",
        }
    )
    api.post(
        "https://xyz.endpoints.huggingface.cloud",
        json=[
            [
                {"label": "Bullish", "score": 0.8},
                {"label": "Bearish", "score": 0.1},
                {"label": "Neutral", "score": 0.1},
            ]
        ],
    )
    prediction = HFClient(settings, sleep=clock.sleep).classify(["a"], Deadline(60, clock=clock))[0]
    assert prediction.sentiment == "positive"


def test_timeout_uses_the_time_left(hf, clock):
    from fakes import Reply

    hf.script.append(Reply("[]", 200, "application/json", delay=2.0))
    settings = load_settings({"HF_API_TOKEN": TOKEN, "HF_API_URL": hf.url, "HF_MAX_RETRIES": "0"})
    client = HFClient(settings)
    with pytest.raises(
        ApiError, match=r"kept failing \(no answer within 1\.\d s\) after 1 attempts"
    ):
        client.classify(["a"], Deadline(1.3))  # the 30 s HF_TIMEOUT is cut to the time left
    assert len(hf.batches) == 1
