"""Run a handler on this machine as Lambda would, with a stand-in for the Lambda context:
what `utoday-sentiment invoke` and the handler tests use (`sam local invoke` needs Docker)."""

from __future__ import annotations

import time
import uuid
import warnings
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

# The timeouts template.yaml gives each function.
TIMEOUTS = {"scrape": 300.0, "label": 60.0, "migrate": 300.0, "feeds": 120.0, "prices": 120.0}


class LocalContext(LambdaContext):
    """Powertools' LambdaContext with the values Lambda would give, and a clock for time left."""

    def __init__(
        self,
        function_name: str,
        timeout_seconds: float,
        *,
        memory_limit_in_mb: int = 512,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._function_name = function_name
        self._function_version = "$LATEST"
        self._invoked_function_arn = f"arn:aws:lambda:local:000000000000:function:{function_name}"
        self._memory_limit_in_mb = memory_limit_in_mb
        self._aws_request_id = str(uuid.uuid4())
        self._log_group_name = f"/aws/lambda/{function_name}"
        self._log_stream_name = "local"
        self._clock = clock
        self._end = clock() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:  # type: ignore[override]
        return max(0, int((self._end - self._clock()) * 1000))


def invoke(function: str, event: Any, *, timeout: float | None = None) -> dict[str, Any]:
    """Call a handler (scrape, label, feeds, migrate) with `event` and a fresh local context."""
    if function == "scrape":
        from .scrape import handler
    elif function == "label":
        from .label import handler
    elif function == "migrate":
        from .migrate import handler
    elif function == "feeds":
        from .feeds import handler
    elif function == "prices":
        from .prices import handler
    else:
        raise ValueError(f"no handler named {function!r}; use scrape, label, feeds, prices or "
                         "migrate")
    context = LocalContext(f"utoday-sentiment-{function}", timeout or TIMEOUTS[function])
    with warnings.catch_warnings():
        # Powertools warns when a run published no metric (a refused event): not news on a terminal.
        warnings.filterwarnings("ignore", "No application metrics to publish")
        return handler(event, context)
