"""An Amazon SageMaker (serverless) endpoint running the Hugging Face inference container
(SENTIMENT_BACKEND=sagemaker, SAGEMAKER_ENDPOINT its name): `invoke_endpoint` with the toolkit's
body, the answer read like the router's. AWS errors map onto the protocol's rules:
- ModelError whose model answered 4xx: the input is refused (narrowed down on evidence, as ever);
- throttling, a model not ready, ServiceUnavailable (a cold start), internal failures and a
  model's 5xx: retried with backoff within the deadline;
- an endpoint that does not exist, or access denied: the run stops, naming the setting.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from ..deadline import Deadline
from ..records import Prediction
from ..settings import Settings
from .base import MIN_REQUEST_SECONDS, InputRefused, OutOfTime, StopRun
from .interpret import InvalidResponse, UnknownLabel, interpret, snippet, truncate

RETRIED = {"ThrottlingException", "ModelNotReadyException", "ServiceUnavailable",
           "InternalFailure", "InternalDependencyException"}
BACKOFF_CAP = 20.0


class SageMakerError(StopRun):
    """The endpoint cannot be used now."""


class EndpointNotFound(SageMakerError):
    """SAGEMAKER_ENDPOINT names no endpoint here: a setting to fix."""

    exit_code = 2


class SageMakerClient:
    def __init__(
        self,
        settings: Settings,
        *,
        client: Any = None,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        from ..errors import ConfigError

        if not settings.sagemaker_endpoint:
            raise ConfigError(
                "SENTIMENT_BACKEND=sagemaker needs SAGEMAKER_ENDPOINT: the endpoint's name "
                "(see docs/labelling.md, choosing the labelling service)"
            )
        self.settings = settings
        self.endpoint = settings.sagemaker_endpoint
        self.model = f"sagemaker:{settings.sagemaker_endpoint}"
        self.sleep, self.jitter = sleep, jitter
        self.requests_sent = 0
        self.retries = 0
        self.top_k = len(set(settings.label_map))
        if client is None:
            import boto3
            from botocore.config import Config

            # the deadline decides retries; botocore must not retry behind its back
            client = boto3.client("sagemaker-runtime", config=Config(
                retries={"total_max_attempts": 1}, read_timeout=settings.hf_timeout))
        self.client = client

    def close(self) -> None:
        pass

    def classify(self, texts: Sequence[str], deadline: Deadline) -> list[Prediction]:
        body = json.dumps(
            {"inputs": [truncate(t) for t in texts], "parameters": {"top_k": self.top_k}},
            ensure_ascii=False,
        ).encode("utf-8")
        failures = 0
        while True:
            if not deadline.allows(MIN_REQUEST_SECONDS):
                raise OutOfTime("no time left for another request")
            outcome = self._attempt(body, len(texts))
            if isinstance(outcome, list):
                return outcome
            failures += 1
            if failures > self.settings.hf_max_retries:
                raise SageMakerError(
                    f"SageMaker endpoint {self.endpoint} kept failing ({outcome}) after "
                    f"{failures} attempts; the titles stay unlabelled for the next run"
                )
            ceiling = min(BACKOFF_CAP, 2.0 ** (failures - 1))
            delay = ceiling / 2 + self.jitter() * ceiling / 2
            if not deadline.allows(delay + MIN_REQUEST_SECONDS):
                raise OutOfTime(f"{outcome}; no time left to wait {delay:.1f} s and retry")
            self.retries += 1
            self.sleep(delay)

    def _attempt(self, body: bytes, count: int) -> list[Prediction] | str:
        """Predictions, or why a retry is worth it; raises for the rest."""
        from botocore.exceptions import BotoCoreError, ClientError

        self.requests_sent += 1
        try:
            answer = self.client.invoke_endpoint(
                EndpointName=self.endpoint, ContentType="application/json",
                Accept="application/json", Body=body,
            )
            raw = answer["Body"].read()
        except ClientError as exc:
            return self._client_error(exc)
        except BotoCoreError as exc:
            return f"no answer ({exc.__class__.__name__})"
        try:
            return interpret(json.loads(raw), count, self.settings.label_map)
        except UnknownLabel as exc:
            raise SageMakerError(str(exc)) from exc
        except (InvalidResponse, ValueError) as exc:
            return f"an unusable answer ({snippet(str(exc), 80)})"

    def _client_error(self, exc: Any) -> str:
        error = exc.response.get("Error", {})
        code, message = error.get("Code", ""), snippet(error.get("Message", str(exc)))
        if code in RETRIED:
            return f"{code} ({message})"
        if code == "ModelError":
            original = exc.response.get("OriginalStatusCode")
            if isinstance(original, int) and 400 <= original < 500:
                raise InputRefused(f"the model refused the input ({original}): {message}")
            return f"the model failed ({original}: {message})"
        if code == "ValidationError" and "not found" in message.lower():
            raise EndpointNotFound(
                f"SAGEMAKER_ENDPOINT={self.endpoint} does not exist here ({message}); check the "
                "name and the region (AWS_REGION)"
            )
        if code == "ValidationError":
            raise InputRefused(f"SageMaker refused the input: {message}")
        raise SageMakerError(
            f"SageMaker answered {code or 'an error'} ({message}); check that the function's "
            "role may sagemaker:InvokeEndpoint on this endpoint. No title was changed"
        )
