"""`utoday-sentiment aws smoke`: the stack, both functions and every alarm, checked through the
AWS APIs (botocore's Stubber stands in for AWS)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from utoday_sentiment.aws_smoke import schedule_event, smoke
from utoday_sentiment.errors import ConfigError

EVENTS = Path(__file__).resolve().parents[2] / "events"
STACK = "utoday-prod"


def _body(document: object) -> StreamingBody:
    raw = json.dumps(document).encode()
    return StreamingBody(io.BytesIO(raw), len(raw))


@pytest.fixture
def aws():
    clients = {n: boto3.client(n, region_name="eu-west-1",
                               aws_access_key_id="x", aws_secret_access_key="x")
               for n in ("cloudformation", "lambda", "cloudwatch")}
    stubs = {n: Stubber(c) for n, c in clients.items()}
    for stub in stubs.values():
        stub.activate()
    yield clients, stubs
    for stub in stubs.values():
        stub.assert_no_pending_responses()


def _stack(stubs, status="UPDATE_COMPLETE"):
    stubs["cloudformation"].add_response(
        "describe_stacks",
        {"Stacks": [{"StackName": STACK, "StackStatus": status,
                     "CreationTime": "2026-11-20T00:00:00Z",
                     "Outputs": [{"OutputKey": "ScrapeFunctionName", "OutputValue": "prod-scrape"},
                                 {"OutputKey": "LabelFunctionName", "OutputValue": "prod-label"}]}]},
        {"StackName": STACK},
    )


def _invoked(stubs, function, answer, error=None):
    response = {"StatusCode": 200, "Payload": _body(answer)}
    if error:
        response["FunctionError"] = error
    stubs["lambda"].add_response(
        "invoke", response,
        {"FunctionName": function, "InvocationType": "RequestResponse", "Payload": ANY},
    )


def _alarms(stubs, states):
    stubs["cloudwatch"].add_response(
        "describe_alarms",
        {"MetricAlarms": [{"AlarmName": f"{STACK}-{n}-ABC", "StateValue": s}
                          for n, s in states.items()]},
        {"AlarmNamePrefix": f"{STACK}-"},
    )


def test_a_healthy_stack_is_all_ok(aws):
    clients, stubs = aws
    _stack(stubs)
    _invoked(stubs, "prod-scrape", {"ok": True, "summary": "scrape (daily): 1 page fetched"})
    _invoked(stubs, "prod-label", {"ok": True, "summary": "label: 3 labelled", "stalled": False})
    _alarms(stubs, {"ScrapeErrorsAlarm": "OK", "BacklogAlarm": "INSUFFICIENT_DATA"})
    checks = smoke(STACK, clients["cloudformation"], clients["lambda"], clients["cloudwatch"])
    assert [c.line() for c in checks] == [
        "ok    stack: utoday-prod is UPDATE_COMPLETE",
        "ok    scrape: prod-scrape: scrape (daily): 1 page fetched",
        "ok    label: prod-label: label: 3 labelled",
        "ok    alarms: 2 alarms, none in ALARM",
    ]


def test_a_failing_function_and_a_firing_alarm_are_named(aws):
    clients, stubs = aws
    _stack(stubs)
    _invoked(stubs, "prod-scrape", {"errorType": "LayoutError", "errorMessage": "no headlines"},
             error="Unhandled")
    _invoked(stubs, "prod-label", {"ok": True, "summary": "label: 0 labelled", "stalled": True})
    _alarms(stubs, {"ScrapeErrorsAlarm": "ALARM", "BacklogAlarm": "OK"})
    checks = smoke(STACK, clients["cloudformation"], clients["lambda"], clients["cloudwatch"])
    assert [c.ok for c in checks] == [True, False, False, False]
    assert checks[1].detail == "prod-scrape failed: LayoutError no headlines; see its logs"
    assert "stalled" in checks[2].detail
    assert checks[3].detail == f"1 of 2 in ALARM: {STACK}-ScrapeErrorsAlarm-ABC"


def test_an_unknown_stack_is_one_line(aws):
    clients, stubs = aws
    stubs["cloudformation"].add_client_error(
        "describe_stacks", "ValidationError", "Stack with id nope does not exist"
    )
    with pytest.raises(ConfigError, match="cannot read the stack nope .*does not exist.*--stack"):
        smoke("nope", clients["cloudformation"], clients["lambda"], clients["cloudwatch"])


def test_the_smoke_events_are_the_schedules_events():
    for name in ("schedule-scrape.json", "schedule-label.json"):
        assert set(json.loads((EVENTS / name).read_text())) == set(schedule_event())
    from utoday_sentiment.handlers.events import parse_label_event, parse_scrape_event

    assert parse_scrape_event(schedule_event()).correlation_id.startswith("smoke-")
    assert parse_label_event(schedule_event()).trigger == "schedule"


def test_the_command_exits_1_when_a_check_fails(monkeypatch, capsys):
    from utoday_sentiment import aws_smoke
    from utoday_sentiment.cli import main

    monkeypatch.setattr(aws_smoke, "smoke", lambda *a: [aws_smoke.Check("stack", False, "gone")])
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    assert main(["aws", "smoke", "--stack", STACK, "--region", "eu-west-1"]) == 1
    assert capsys.readouterr().out.strip() == "FAIL  stack: gone"
