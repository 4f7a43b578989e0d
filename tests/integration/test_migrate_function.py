"""Migrations at deploy: the MigrateFunction answers CloudFormation exactly once on create,
update, delete, failure and timeout; the scrape and label functions never run DDL."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler

import pytest

from fakes import LocalServer
from utoday_sentiment.handlers import runtime
from utoday_sentiment.handlers.local import LocalContext


class ResponseBucket(LocalServer):
    """Where CloudFormation's pre-signed ResponseURL points: records every PUT."""

    def __init__(self) -> None:
        self.answers: list[dict] = []
        self.headers: list[dict] = []
        bucket = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                bucket.answers.append(json.loads(body))
                bucket.headers.append(dict(self.headers.items()))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._listen(Handler)


@pytest.fixture
def bucket():
    server = ResponseBucket().start()
    yield server
    server.stop()


def request(bucket, kind: str) -> dict:
    return {
        "RequestType": kind,
        "ResponseURL": f"{bucket.root}/cfn-response?X-Amz-Signature=abc",
        "StackId": "arn:aws:cloudformation:eu-west-1:123456789012:stack/utoday/1",
        "RequestId": f"req-{kind}",
        "LogicalResourceId": "MigrateRun",
        "ResourceType": "AWS::CloudFormation::CustomResource",
        "ResourceProperties": {"ServiceToken": "arn:...", "CodeVersion": "3"},
        **({"PhysicalResourceId": "utoday-sentiment-schema"} if kind != "Create" else {}),
    }


@pytest.fixture
def migrate_env(monkeypatch, db_url):
    monkeypatch.setenv("DATABASE_URL", db_url)
    runtime.reset()
    yield
    runtime.reset()


def call(event: dict, seconds: float = 300.0) -> dict:
    from utoday_sentiment.handlers.migrate import handler

    return handler(event, LocalContext("utoday-sentiment-migrate", seconds))


def test_create_and_update_apply_migrations_and_answer_once(migrate_env, bucket, query):
    call(request(bucket, "Create"))
    assert len(bucket.answers) == 1
    first = bucket.answers[0]
    assert first["Status"] == "SUCCESS" and first["Reason"].startswith("applied 0001_titles.sql")
    assert first["PhysicalResourceId"] == "utoday-sentiment-schema"
    assert (first["StackId"], first["RequestId"], first["LogicalResourceId"]) == (
        "arn:aws:cloudformation:eu-west-1:123456789012:stack/utoday/1", "req-Create", "MigrateRun"
    )
    assert bucket.headers[0]["Content-Type"] == ""  # what the pre-signed URL was signed for
    assert query("SELECT count(*) FROM schema_migrations")[0][0] >= 6

    call(request(bucket, "Update"))
    assert len(bucket.answers) == 2
    assert bucket.answers[1]["Status"] == "SUCCESS"
    assert bucket.answers[1]["Reason"] == "schema up to date"
    assert bucket.answers[1]["PhysicalResourceId"] == first["PhysicalResourceId"]  # no replacement


def test_delete_answers_success_and_keeps_the_data(migrate_env, bucket, conn, query):
    call(request(bucket, "Delete"))
    assert [a["Status"] for a in bucket.answers] == ["SUCCESS"]
    assert query("SELECT count(*) > 0 FROM schema_migrations") == [(True,)]


def test_a_failure_answers_failed_with_the_one_line_reason(monkeypatch, bucket):
    monkeypatch.setenv("DATABASE_URL", "postgresql://utoday:pw-secret@127.0.0.1:9/utoday")
    runtime.reset()
    call(request(bucket, "Update"))
    assert len(bucket.answers) == 1
    answer = bucket.answers[0]
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith("cannot connect to the database at utoday@127.0.0.1:9/utoday")
    assert "pw-secret" not in json.dumps(answer)


def test_a_migration_slower_than_the_function_answers_failed_before_the_deadline(
    migrate_env, bucket, monkeypatch
):
    from utoday_sentiment.handlers import migrate as module

    release = threading.Event()
    monkeypatch.setattr(module, "ANSWER_MARGIN_SECONDS", 0.0)
    monkeypatch.setattr(module, "migrate", lambda: release.wait(10) and [])
    started = time.monotonic()
    worker = threading.Thread(target=call, args=(request(bucket, "Create"), 1.2))
    worker.start()
    while not bucket.answers and time.monotonic() - started < 5:
        time.sleep(0.02)
    assert bucket.answers and bucket.answers[0]["Status"] == "FAILED"
    assert "did not finish before the timeout" in bucket.answers[0]["Reason"]
    release.set()
    worker.join(5)
    assert len(bucket.answers) == 1  # the late success is never sent


def test_a_direct_invocation_migrates_and_says_what(migrate_env):
    result = call({})
    assert result["ok"] and result["applied"][0] == "0001_titles.sql"
    assert call({}) == {"ok": True, "applied": []}


def test_the_functions_never_run_ddl_and_fail_at_once_on_an_old_schema(monkeypatch, db_url, query):
    from utoday_sentiment.errors import DatabaseError
    from utoday_sentiment.handlers.local import invoke

    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("HF_API_TOKEN", "hf_x")
    runtime.reset()
    try:
        for function in ("scrape", "label"):
            with pytest.raises(DatabaseError) as info:
                invoke(function, {})
            assert str(info.value).startswith(
                "schema is behind this version: the deploy's migration did not run (0001_titles.sql"
            )
        assert query("SELECT to_regclass('schema_migrations') IS NULL") == [(True,)]  # no DDL
    finally:
        runtime.reset()
