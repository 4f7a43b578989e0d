"""The backfill state machine in template.yaml, run by moto's Step Functions interpreter with the
real handlers behind its Lambda tasks (against the test database, the imitation of U.Today and
of the Inference API), plus static checks of the definition."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from samtranslator.yaml_helper import yaml_parse

from fakes import articles, listing_page
from tests.helpers import TOKEN
from utoday_sentiment.handlers import runtime

ROOT = Path(__file__).resolve().parents[2]
LISTING = "/latest-cryptocurrency-news"
ARN = "arn:aws:lambda:eu-west-1:123456789012:function:{}"


def definition(pages_per_run: int = 2, workers: int = 2) -> dict:
    machine = yaml_parse((ROOT / "template.yaml").read_text())["Resources"]["BackfillStateMachine"]
    text = json.dumps(machine["Properties"]["Definition"])
    values = {"ScrapeFunctionArn": ARN.format("scrape"), "LabelFunctionArn": ARN.format("label"),
              "PagesPerRun": pages_per_run, "LabelWorkers": workers}
    for name, value in values.items():
        text = text.replace("${" + name + "}", str(value))
    return json.loads(text)


def _targets(state: dict) -> list[str]:
    found = [state.get("Next"), state.get("Default")]
    found += [c.get("Next") for c in state.get("Choices", [])]
    found += [c.get("Next") for c in state.get("Catch", [])]
    return [t for t in found if t]


def _machines(machine: dict):
    yield machine
    for state in machine["States"].values():
        if "ItemProcessor" in state:
            yield from _machines(state["ItemProcessor"])


def test_every_state_is_reachable_and_every_task_retries():
    for machine in _machines(definition()):
        seen, todo = set(), [machine["StartAt"]]
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo += _targets(machine["States"][name])
        assert seen == set(machine["States"]), set(machine["States"]) - seen
        for name, state in machine["States"].items():
            if state["Type"] == "Task":
                retried = {e for r in state["Retry"] for e in r["ErrorEquals"]}
                assert {"Lambda.ServiceException", "Lambda.TooManyRequestsException"} <= retried, name
                assert state["TimeoutSeconds"] > 0


def test_the_loop_ends_on_the_paging_fault_and_on_no_progress():
    states = definition()["States"]
    assert [c["ErrorEquals"] for c in states["Scrape"]["Catch"]] == [["PagingFault"]]
    assert states[states["Scrape"]["Catch"][0]["Next"]]["Type"] == "Fail"
    choices = states["MorePages"]["Choices"]
    assert choices[0] == {"Variable": "$.scrape.next_page", "IsNull": True,
                          "Next": "PlanLabelWorkers"}
    assert states[choices[1]["Next"]]["Type"] == "Fail"  # a next_page that does not advance


class Lambdas:
    """What the Lambda service would do: run the real handler (one at a time, as separate
    containers would not share a connection) and report a raised error by its class name."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self._lock = threading.Lock()

    def __call__(self, parameters: dict, region: str, state_credentials: object) -> dict:
        from utoday_sentiment.handlers.local import invoke

        function = parameters["FunctionName"].rsplit(":", 1)[-1]
        payload = parameters["Payload"]
        event = json.loads(payload) if isinstance(payload, str | bytes) else payload
        with self._lock:
            self.calls.append((function, event))
            try:
                result = invoke(function, event)
            except Exception as exc:
                return {"StatusCode": 200, "FunctionError": "Unhandled", "Payload": {
                    "errorType": type(exc).__name__, "errorMessage": str(exc), "stackTrace": []}}
        return {"StatusCode": 200, "ExecutedVersion": "$LATEST",
                "Payload": json.loads(json.dumps(result, default=str))}


@pytest.fixture
def machine(monkeypatch, conn, db_url, site, hf):
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    for name, value in {"DATABASE_URL": db_url, "UTODAY_BASE_URL": site.url,
                        "UTODAY_PAGE_DELAY": "0", "UTODAY_HTTP_RETRIES": "0",
                        "HF_API_URL": hf.url, "HF_API_TOKEN": TOKEN}.items():
        monkeypatch.setenv(name, value)
    lambdas = Lambdas()
    monkeypatch.setattr(lambda_eval_utils, "_invoke_lambda_function", lambdas)
    runtime.reset()
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        client = boto3.client("stepfunctions", region_name="eu-west-1")

        def run(execution_input: dict, **params: int) -> dict:
            arn = client.create_state_machine(
                name="backfill", definition=json.dumps(definition(**params)),
                roleArn="arn:aws:iam::123456789012:role/backfill",
            )["stateMachineArn"]
            execution = client.start_execution(
                stateMachineArn=arn, name="backfill-all", input=json.dumps(execution_input)
            )["executionArn"]
            deadline = time.monotonic() + 60
            while (found := client.describe_execution(executionArn=execution))["status"] == "RUNNING":
                assert time.monotonic() < deadline, "the execution never ended"
                time.sleep(0.05)
            return {**found, "calls": lambdas.calls}

        yield run
    runtime.reset()


def test_the_whole_archive_in_one_execution(machine, site, hf, query):
    site.serve_listing([articles(i * 5, 5) for i in range(5)])  # pages 0-4, then an empty page
    start = json.loads((ROOT / "events" / "backfill-all.json").read_text())
    done = machine(start, pages_per_run=2, workers=2)
    assert done["status"] == "SUCCEEDED", done
    scrapes = [(e["from_page"], e["to_page"]) for f, e in done["calls"] if f == "scrape"]
    assert scrapes == [(0, 1), (2, 3), (4, 5)]  # following next_page until the listing ended
    assert query("SELECT count(*), count(sentiment) FROM titles") == [(25, 25)]
    assert sorted(hf.inputs()) == sorted({*hf.inputs()})  # each title sent once
    labels = [e for f, e in done["calls"] if f == "label"]
    assert 2 <= len(labels) <= 4 and all(set(e) == {"correlation_id"} for e in labels)


def test_a_site_that_ignores_paging_fails_the_execution_keeping_what_was_stored(
    machine, site, query
):
    body = listing_page(articles(0, 5))
    for path in (LISTING, *(f"{LISTING}?page={n}" for n in range(1, 4))):
        site.serve(path, body)
    done = machine({"from_page": 0}, pages_per_run=3, workers=1)
    assert done["status"] == "FAILED" and done["error"] == "PagingFault"
    assert "the site ignored ?page=1" in done["cause"]
    assert [f for f, _ in done["calls"]] == ["scrape"]  # no retry, no labelling
    assert query("SELECT count(*) FROM titles") == [(5,)]


def test_labelling_stops_when_it_stalls(machine, site, hf, query):
    from fakes import Reply

    site.serve_listing([articles(0, 3)])
    # rate limited for longer than a label run has: the run ends labelling nothing, no error
    hf.script.extend(
        [Reply('{"error": "rate limited"}', 429, "application/json", {"Retry-After": "3000"})] * 5
    )
    done = machine({"from_page": 0}, pages_per_run=5, workers=1)
    assert done["status"] == "SUCCEEDED"
    labels = [e for f, e in done["calls"] if f == "label"]
    assert len(labels) == 1  # it stalled: no second round; the hourly schedule takes it on
    assert query("SELECT count(sentiment) FROM titles") == [(0,)]
