"""LabelFunction: after each scrape, hourly, or by hand -> sentiment for titles without one,
stopping before the Lambda timeout and leaving the rest for the next run."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from . import runtime
from .events import parse_label_event
from .observability import finish, log_failures, logger, metrics, tracer


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
@log_failures
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    parsed = parse_label_event(event)
    logger.set_correlation_id(parsed.correlation_id or context.aws_request_id)
    logger.append_keys(trigger=parsed.trigger)
    from ..jobs import run_label

    settings = runtime.load_runtime_settings(need_token=True)
    conn = runtime.connection(settings, application_name="utoday-sentiment-label")
    result = run_label(parsed.request, settings, conn, runtime.deadline(context))
    summary = result.summary
    metrics.add_metric(name="TitlesLabelled", unit=MetricUnit.Count, value=summary.labelled)
    metrics.add_metric(name="LabelFailures", unit=MetricUnit.Count, value=summary.failed)
    metrics.add_metric(name="ApiRequests", unit=MetricUnit.Count, value=summary.requests)
    metrics.add_metric(name="ApiRetries", unit=MetricUnit.Count, value=summary.retries)
    metrics.add_metric(name="UnlabelledBacklog", unit=MetricUnit.Count, value=summary.remaining)
    # 1 when titles waited and none was labelled: LabellingStalledAlarm fires when every run of
    # three hours in a row says so (an API answering 503/429 until each deadline raises no error).
    metrics.add_metric(name="LabelRunStalled", unit=MetricUnit.Count, value=int(summary.stalled))
    if summary.stalled:
        logger.warning(
            "no title labelled while %d wait (%s)",
            summary.remaining,
            summary.stopped or "no reason given",
        )
    return finish("label", summary, result.error)
