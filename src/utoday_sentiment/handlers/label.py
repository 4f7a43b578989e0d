"""LabelFunction: after each scrape, hourly, or by hand -> sentiment for titles without one,
stopping before the Lambda timeout and leaving the rest for the next run."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from ..errors import UtodayError
from . import runtime
from .events import parse_label_event
from .observability import logger, metrics, tracer


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = parse_label_event(event)
    logger.set_correlation_id(request.correlation_id or context.aws_request_id)
    logger.append_keys(trigger=request.trigger)
    from ..pipeline import label_titles
    from ..sentiment import HFClient

    settings = runtime.load_runtime_settings(need_token=True)
    conn = runtime.connection(settings, application_name="utoday-sentiment-label")
    client = HFClient(settings)
    try:
        summary = label_titles(
            conn,
            client,
            settings,
            limit=request.limit,
            batch_size=request.batch_size,
            relabel=request.relabel,
            deadline=runtime.deadline(context),
        )
    except UtodayError as exc:
        partial = getattr(exc, "summary", None)
        if partial is not None:
            _record(partial)
        raise
    finally:
        client.close()
    _record(summary)
    result = {"ok": True, "summary": summary.line(), **summary.as_dict()}
    logger.info("label finished", extra=result)
    return result


def _record(summary: Any) -> None:
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
