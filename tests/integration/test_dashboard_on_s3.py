"""DashboardBucket: the label function writes the overview page to S3 after each run (moto
stands in for S3), a failure to write is a metric and an error log, never a failed run; and
`aws dashboard` signs a link to it valid for 7 days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from tests.integration.test_handlers import emitted, event, lambda_env  # noqa: F401 - fixture
from utoday_sentiment import clock
from utoday_sentiment.aws_smoke import DASHBOARD_SECONDS, dashboard_link
from utoday_sentiment.errors import ConfigError
from utoday_sentiment.handlers.local import invoke
from utoday_sentiment.records import Title
from utoday_sentiment.store.titles import insert_titles

BUCKET = "utoday-dashboard-test"


@pytest.fixture
def s3(monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "eu-west-1"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("s3", region_name="eu-west-1")
        client.create_bucket(Bucket=BUCKET,
                             CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        yield client


def test_each_label_run_writes_the_overview_page(lambda_env, conn, s3, monkeypatch, capsys):  # noqa: F811
    now = clock.now()
    insert_titles(conn, [Title("Bitcoin Climbs", "https://u.today/d-1", now - timedelta(hours=1)),
                         Title("XRP Slips", "https://u.today/d-2", now - timedelta(days=3))])
    monkeypatch.setenv("UTODAY_DASHBOARD_BUCKET", BUCKET)
    assert invoke("label", event("schedule-label.json"))["labelled"] == 2
    page = s3.get_object(Bucket=BUCKET, Key="index.html")
    assert page["ContentType"] == "text/html; charset=utf-8"
    html = page["Body"].read().decode()
    assert html.count('class="point') == 2 and "<script" not in html
    hour_ago = (now - timedelta(hours=1)).date()  # today, or just after midnight yesterday
    assert f"<td>{hour_ago}</td><td>1</td><td>1</td>" in html  # that day's row, labelled
    metrics, _ = emitted(capsys)
    assert metrics["DashboardWriteFailed"] == 0


def test_a_page_that_cannot_be_written_is_counted_and_the_run_still_succeeds(
    lambda_env, conn, s3, monkeypatch, capsys  # noqa: F811
):
    insert_titles(conn, [Title("Bitcoin Climbs", "https://u.today/d-1", clock.now())])
    monkeypatch.setenv("UTODAY_DASHBOARD_BUCKET", "no-such-bucket-here")
    result = invoke("label", event("schedule-label.json"))
    assert result["ok"] and result["labelled"] == 1
    metrics, logs = emitted(capsys)
    assert metrics["DashboardWriteFailed"] == 1
    assert any(log["level"] == "ERROR" and "s3://no-such-bucket-here/index.html" in log["message"]
               for log in logs)


def test_aws_dashboard_signs_a_link_valid_for_seven_days():
    cloudformation = boto3.client("cloudformation", region_name="eu-west-1",
                                  aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="x")
    s3 = boto3.client("s3", region_name="eu-west-1", aws_access_key_id="AKIDEXAMPLE",
                      aws_secret_access_key="x",
                      config=boto3.session.Config(signature_version="s3v4"))
    stub = Stubber(cloudformation)
    described = {"StackName": "prod", "StackStatus": "UPDATE_COMPLETE",
                 "CreationTime": datetime(2026, 1, 1, tzinfo=UTC)}
    stub.add_response("describe_stacks", {"Stacks": [{**described, "Outputs": [
        {"OutputKey": "DashboardUrl", "OutputValue": f"s3://{BUCKET}/index.html"}]}]})
    stub.add_response("describe_stacks", {"Stacks": [described]})
    with stub:
        link = dashboard_link("prod", cloudformation, s3)
        with pytest.raises(ConfigError, match="deploy it with the parameter DashboardBucket"):
            dashboard_link("prod", cloudformation, s3)
    parts = urlsplit(link)
    assert BUCKET in parts.netloc + parts.path and parts.path.endswith("/index.html")
    assert parse_qs(parts.query)["X-Amz-Expires"] == [str(DASHBOARD_SECONDS)] == ["604800"]
