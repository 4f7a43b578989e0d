"""LabelFunction: after each scrape, hourly, or by hand -> sentiment for titles without one,
stopping before the Lambda timeout and leaving the rest for the next run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .events import LabelEvent, parse_label_event
from .observability import finish, lambda_entry, logger, publish, publish_value

if TYPE_CHECKING:
    from ..deadline import Deadline
    from ..settings import Settings
    from ..store.connection import Connection


# Metric name -> the summary's field (the alarms in template.yaml watch these names).
# LabelRunStalled is 1 when titles waited and none was labelled: LabellingStalledAlarm fires when
# every run of three hours says so (an API answering 503/429 until each deadline raises no error).
METRICS = dict(TitlesLabelled="labelled", LabelFailures="failed", ApiRequests="requests",
               ApiRetries="retries", UnlabelledBacklog="remaining", LabelRunStalled="stalled")
# 1 when the dashboard page could not be written to UTODAY_DASHBOARD_BUCKET (DashboardAlarm).
DASHBOARD_METRIC = "DashboardWriteFailed"
DASHBOARD_DAYS = 30


@lambda_entry(parse_label_event, need_token=True, application="label")
def handler(
    parsed: LabelEvent, settings: Settings, conn: Connection | None, deadline: Deadline
) -> dict[str, Any]:
    from ..jobs import run_label

    if parsed.check or conn is None:  # `sam remote invoke LabelFunction -e events/check.json`
        return _check(settings)
    logger.append_keys(trigger=parsed.trigger)
    result = run_label(parsed.request, settings, conn, deadline)
    summary = result.summary
    publish(METRICS, summary)
    if settings.dashboard_bucket:
        publish_value(DASHBOARD_METRIC, 0 if write_dashboard(settings, conn) else 1)
    if summary.stalled:
        logger.warning(
            "no title labelled while %d wait (%s)",
            summary.remaining,
            summary.stopped or "no reason given",
        )
    return finish("label", summary, result.error)


def _check(settings: Settings) -> dict[str, Any]:
    from ..check import run_checks
    from ..store.connection import connect

    checks = run_checks(settings, lambda: connect(settings.database_url or ""))
    result = {"ok": all(c.ok for c in checks),
              "checks": [{"check": c.name, "ok": c.ok, "detail": c.detail} for c in checks]}
    logger.info("check finished", extra=result)
    return result


def write_dashboard(settings: Settings, conn: Connection) -> bool:
    """The overview of the last 30 days to s3://UTODAY_DASHBOARD_BUCKET/index.html. A failure
    is logged and counted (DashboardAlarm), never a failed labelling run."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from ..errors import UtodayError
    from ..web.static_page import render_overview

    where = f"s3://{settings.dashboard_bucket}/index.html"
    try:
        html = render_overview(conn, settings, DASHBOARD_DAYS)
        boto3.client("s3").put_object(
            Bucket=settings.dashboard_bucket, Key="index.html", Body=html.encode("utf-8"),
            ContentType="text/html; charset=utf-8", CacheControl="no-cache")
    except (BotoCoreError, ClientError, UtodayError, OSError) as exc:
        logger.error("cannot write the dashboard to %s: %s", where, exc)
        return False
    logger.info("dashboard written", extra={"dashboard": where})
    return True
