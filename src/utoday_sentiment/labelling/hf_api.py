"""The Hugging Face Inference API backend: batching, retries, deadline, response validation.

`HFClient.classify()` sends one batch and either returns one Prediction per input, or raises one
of the protocol's errors (see `base`). The token is sent in the Authorization header only and never
appears in a message or a log line.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

import requests

from ..deadline import Deadline
from ..records import Prediction
from ..settings import Settings
from .base import MIN_REQUEST_SECONDS, InputRefused, OutOfTime, StopRun
from .interpret import (
    InvalidResponse,
    UnknownLabel,
    interpret,
    ratelimit_reset_seconds,
    retry_after_seconds,
    snippet,
    truncate,
)

log = logging.getLogger(__name__)

BACKOFF_BASE = 1.0
BACKOFF_CAP = 20.0
MAX_MODEL_WAIT = 60.0  # the longest `estimated_time` we honour before resending
TRANSIENT = (500, 502, 504)
REJECTED = (400, 413, 422)


class ApiError(StopRun):
    """The API cannot be used now: bad token, no credits, model not served, or it keeps failing."""


class ModelNotServed(ApiError):
    """The router answers that hf-inference does not (or no longer) serve the model."""


# The router's answers for a model it does not serve: 400 "Model not supported by provider
# hf-inference", 404 "Model ... does not exist" / "is not served".
NOT_SERVED = re.compile(
    r"not supported by provider|not (?:be )?served|does not exist|model not found", re.IGNORECASE
)
SERVED_MODELS = (
    "https://huggingface.co/models?inference_provider=hf-inference&pipeline_tag=text-classification"
)


class HFClient:
    """Sends batches of titles to the Inference API and reads back their sentiment."""

    def __init__(
        self,
        settings: Settings,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        if not settings.hf_api_token and self.needs_token:
            raise ApiError("HF_API_TOKEN is not set; see `utoday-sentiment label --help`")
        self.settings = settings
        self.model = f"{self.identity}:{settings.hf_model}"  # stored with each label
        self.session = session or requests.Session()
        self.sleep = sleep
        self.jitter = jitter
        self.wait_for_model = False  # set for the rest of the run once a 503 was seen
        self.requests_sent = 0
        self.retries = 0
        self.top_k = len(set(settings.label_map))

    def close(self) -> None:
        self.session.close()

    def _redact(self, text: str) -> str:
        token = self.settings.hf_api_token
        return text.replace(token, "***") if token else text

    url_setting = "HF_MODEL"  # what to change when the service does not serve the model
    identity = "hf-api"
    needs_token = True

    @property
    def url(self) -> str:
        return self.settings.hf_url

    def _body(self, texts: Sequence[str]) -> bytes:
        """The router's (and the Inference Toolkit's) batch: one result list per input."""
        return json.dumps(
            {"inputs": [truncate(t) for t in texts], "parameters": {"top_k": self.top_k}},
            ensure_ascii=False,
        ).encode("utf-8")

    def _headers(self, timeout: float) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.settings.hf_api_token:
            headers["Authorization"] = f"Bearer {self.settings.hf_api_token}"
        if self.wait_for_model:
            headers["x-wait-for-model"] = "true"
        return headers

    def _unavailable(self, error: str) -> str:
        """What a 503 means here."""
        return f"503 ({error}); resending with x-wait-for-model"

    def _refused_shape(self, status: int, error: str) -> bool:
        """Did the service refuse the body's shape (then resend another), not the titles?"""
        return False

    def classify(self, texts: Sequence[str], deadline: Deadline) -> list[Prediction]:
        failures = 0
        while True:
            if not deadline.allows(MIN_REQUEST_SECONDS):
                raise OutOfTime("no time left for another request")
            delay, problem = self._attempt(self._body(texts), len(texts), deadline)
            if delay is None:
                return problem  # the predictions
            failures += 1
            if failures > self.settings.hf_max_retries:
                raise ApiError(
                    f"Hugging Face kept failing ({problem}) after {failures} attempts; the titles "
                    "stay unlabelled for the next run; check https://status.huggingface.co"
                )
            if delay < 0:
                delay = self._backoff(failures)
            if not deadline.allows(delay + MIN_REQUEST_SECONDS):
                raise OutOfTime(f"{problem}; no time left to wait {delay:.1f} s and retry")
            log.info("Hugging Face: %s; retrying in %.1f s", problem, delay)
            self.retries += 1
            self.sleep(delay)

    def _backoff(self, failures: int) -> float:
        ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (failures - 1))
        return ceiling / 2 + self.jitter() * ceiling / 2

    def _attempt(self, payload: bytes, count: int, deadline: Deadline) -> tuple[float | None, Any]:
        """One request. Returns (None, predictions), or (delay, problem) for a retry
        (delay < 0: use the backoff). Raises for everything that must not be retried."""
        timeout = deadline.timeout(self.settings.hf_timeout)
        self.requests_sent += 1
        try:
            response = self.session.post(
                self.url,
                data=payload,
                headers=self._headers(timeout),
                timeout=(min(5.0, timeout), timeout),
            )
        except requests.exceptions.Timeout:
            return -1, f"no answer within {timeout:.1f} s"
        except requests.exceptions.RequestException as exc:
            return -1, f"connection failed ({exc.__class__.__name__})"

        status = response.status_code
        body = self._json(response)
        if status == 200:
            try:
                return None, interpret(body, count, self.settings.label_map)
            except UnknownLabel as exc:
                raise ApiError(str(exc)) from exc
            except InvalidResponse as exc:
                if self._refused_shape(200, str(exc)):
                    return 0.0, f"the endpoint read the batch another way ({exc}); resending"
                if body is None:
                    return -1, f"a 200 whose body is not JSON ({snippet(response.text, 60)!r})"
                return -1, f"an unusable 200 response: {exc}"
        error = self._redact(self._error_text(response, body))
        if status == 503:
            self.wait_for_model = True
            estimated = body.get("estimated_time") if isinstance(body, dict) else None
            wait: float = -1
            if isinstance(estimated, int | float) and not isinstance(estimated, bool):
                wait = min(max(float(estimated), 0.0), MAX_MODEL_WAIT)
            return wait, self._unavailable(error)
        if self._refused_shape(status, error):
            return 0.0, f"the endpoint refused the batch's shape ({status}: {error}); resending"
        if status == 429:
            after = retry_after_seconds(response.headers.get("Retry-After"))
            if after is None:
                after = ratelimit_reset_seconds(response.headers.get("RateLimit"))
            return (-1 if after is None else after), f"429 rate limited ({error})"
        if status in TRANSIENT:
            return -1, f"{status} ({error})"
        if status in (400, 404) and NOT_SERVED.search(error):
            raise ModelNotServed(
                f"Hugging Face does not serve the model {self.settings.hf_model} ({status}: "
                f"{error}); pick a served model with {self.url_setting} (see {SERVED_MODELS}) or "
                "another labelling service (SENTIMENT_BACKEND=endpoint with HF_API_URL). No "
                "title was changed"
            )
        if status in REJECTED:
            raise InputRefused(f"Hugging Face refused the input ({status}): {error}")
        raise ApiError(self._fatal_message(status, error))

    @staticmethod
    def _json(response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            return None

    @staticmethod
    def _error_text(response: requests.Response, body: Any) -> str:
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            return snippet(body["error"])
        return snippet(response.text) or response.reason or "no body"

    def _fatal_message(self, status: int, error: str) -> str:
        s = self.settings
        causes = {
            401: "the token was refused: HF_API_TOKEN is missing, wrong or revoked; create a "
            "fine-grained token with the 'Make calls to Inference Providers' permission at "
            "https://huggingface.co/settings/tokens",
            402: "the account's monthly inference credits are used up; wait for next month, add "
            "credits, or point HF_API_URL at a dedicated endpoint",
            403: "the token lacks the 'Make calls to Inference Providers' permission; edit it at "
            "https://huggingface.co/settings/tokens or create a new fine-grained token",
            404: f"the model {s.hf_model} is not served by hf-inference (or HF_API_URL is wrong); "
            "choose a served model with HF_MODEL or point HF_API_URL at a dedicated endpoint",
            410: f"{s.hf_url} is the retired api-inference endpoint; unset HF_API_URL to use the "
            "router (https://router.huggingface.co/hf-inference/models/<model>)",
        }
        cause = causes.get(status, f"an unexpected answer ({error})")
        return f"Hugging Face answered {status}: {cause}. No title was changed"
