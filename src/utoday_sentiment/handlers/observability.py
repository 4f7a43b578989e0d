"""The one Logger, Metrics and Tracer every handler shares (Powertools), and how a handler ends."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

from ..errors import UtodayError

SERVICE = "utoday-sentiment"
NAMESPACE = "UTodaySentiment"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
tracer = Tracer(service=SERVICE)

# The pipeline logs through the standard `utoday_sentiment.*` loggers, most of them imported only
# when a handler first runs. Configure their common parent now (it must exist to be copied to):
# the children propagate to it, so every line is JSON with the correlation id.
logging.getLogger("utoday_sentiment")
copy_config_to_registered_loggers(source_logger=logger, include={"utoday_sentiment"})

F = TypeVar("F", bound=Callable[..., Any])


def log_failures(handler: F) -> F:
    """An expected failure leaves the invocation as its one-line message (what the caller and the
    error alarm see), after one log line that carries the whole chain of causes."""

    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        except UtodayError as exc:
            logger.error(str(exc), exc_info=exc)
            raise

    return wrapper  # type: ignore[return-value]


def finish(job: str, summary: Any, error: UtodayError | None) -> dict[str, Any]:
    """The handler's answer from a job's outcome: raise its error, or return its summary."""
    if error is not None:
        raise error
    result = {"ok": True, "summary": summary.line(), **summary.as_dict()}
    logger.info(f"{job} finished", extra=result)
    return result
