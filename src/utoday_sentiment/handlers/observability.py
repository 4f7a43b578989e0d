"""The one Logger, Metrics and Tracer every handler shares (Powertools), how a handler is entered
(`lambda_entry`) and how it ends (`finish`)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..deadline import Deadline
from ..errors import UtodayError
from ..settings import read_setting
from . import runtime

if TYPE_CHECKING:
    from ..settings import Settings
    from ..store.connection import Connection

# The template sets the service to the stack's name, so two stacks' alarms read their own metrics.
SERVICE = read_setting("POWERTOOLS_SERVICE_NAME")
NAMESPACE = read_setting("POWERTOOLS_METRICS_NAMESPACE")

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
tracer = Tracer(service=SERVICE)

# The pipeline logs through the standard `utoday_sentiment.*` loggers, most of them imported only
# when a handler first runs. Configure their common parent now (it must exist to be copied to):
# the children propagate to it, so every line is JSON with the correlation id.
logging.getLogger("utoday_sentiment")
copy_config_to_registered_loggers(source_logger=logger, include={"utoday_sentiment"})

Body = Callable[[Any, "Settings", "Connection | None", Deadline], dict[str, Any]]


def lambda_entry(
    parse: Callable[[Any], Any], *, need_token: bool, application: str
) -> Callable[[Body], Callable[[dict[str, Any], LambdaContext], dict[str, Any]]]:
    """Make a Lambda handler of `body(parsed_event, settings, conn, deadline)`: logs with the
    context and a correlation id, tracing, metrics flushed on every exit, the event validated
    before any work, settings and secrets resolved, the container's connection, and a failure
    logged once with its causes then raised as its one-line message."""

    def wrap(body: Body) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
        @logger.inject_lambda_context(clear_state=True)
        @tracer.capture_lambda_handler(capture_response=False)
        @metrics.log_metrics(capture_cold_start_metric=True)
        @functools.wraps(body)
        def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
            try:
                parsed = parse(event)
                logger.set_correlation_id(parsed.correlation_id or context.aws_request_id)
                settings = runtime.load_runtime_settings(need_token=need_token)
                # a check event judges the database itself: no connection is taken for it
                conn = None if getattr(parsed, "check", False) else runtime.connection(
                    settings, application_name=f"utoday-sentiment-{application}"
                )
                return body(parsed, settings, conn, runtime.deadline(context))
            except UtodayError as exc:
                logger.error(str(exc), exc_info=exc)
                raise

        return handler

    return wrap


def publish(names: Mapping[str, str], summary: Any) -> None:
    """One Count metric per entry: metric name -> the summary's field (a flag counts 0 or 1)."""
    for name, field in names.items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=int(getattr(summary, field)))


def publish_value(name: str, value: int) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def publish_per_source(name: str, source: str) -> None:
    """One metric of 1 with the service and a `source` dimension (its own EMF record)."""
    from aws_lambda_powertools.metrics import single_metric

    with single_metric(name=name, unit=MetricUnit.Count, value=1,
                       namespace=metrics.namespace) as metric:
        metric.add_dimension(name="service", value=metrics.service or "utoday-sentiment")
        metric.add_dimension(name="source", value=source)


def finish(job: str, summary: Any, error: UtodayError | None) -> dict[str, Any]:
    """The handler's answer from a job's outcome: raise its error, or return its summary."""
    if error is not None:
        raise error
    result = {"ok": True, "summary": summary.line(), **summary.as_dict()}
    logger.info(f"{job} finished", extra=result)
    return result
