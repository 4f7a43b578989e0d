"""What the app holds between requests: the settings, the database, the templates, the labelling
backend `/try` asks, and that backend's rate limit."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from fastapi.templating import Jinja2Templates

from ..deadline import Deadline
from ..errors import ConfigError, UtodayError
from ..records import Prediction
from ..settings import Settings
from .db import Database
from .errors import TooMany, Unavailable

MAX_TEXT = 512
TOKEN_COOKIE = "utoday_token"  # noqa: S105 - the cookie's name, not a token


class RateLimit:
    """At most `per_minute` calls in any 60 seconds (for the whole app: it spends the user's
    credit, whoever asks)."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute, self.clock = per_minute, clock
        self._calls: deque[float] = deque()
        self._lock = threading.Lock()

    def take(self) -> float | None:
        """None when the call may go ahead, else the seconds until one may."""
        now = self.clock()
        with self._lock:
            while self._calls and now - self._calls[0] >= 60:
                self._calls.popleft()
            if len(self._calls) >= self.per_minute:
                return 60 - (now - self._calls[0])
            self._calls.append(now)
            return None


class AppState:
    def __init__(self, settings: Settings, db: Database, templates: Jinja2Templates,
                 labeller: Any = None) -> None:
        self.settings, self.db, self.templates = settings, db, templates
        self._labeller = labeller
        self._labeller_lock = threading.Lock()
        self.limit = RateLimit(settings.try_per_minute)

    def backend_name(self) -> str:
        from ..jobs import model_identity

        try:
            return model_identity(self.settings)
        except UtodayError:
            return f"{self.settings.sentiment_backend}:(not usable)"

    def classify(self, text: str) -> tuple[Prediction, str]:
        """One headline through the configured backend: its prediction and the model identity.
        The rate limit, the length cap and every backend error are one line."""
        text = text.strip()
        if not text:
            raise ConfigError("text is empty: send a headline")
        if len(text) > MAX_TEXT:
            raise ConfigError(f"text is {len(text)} characters long: send at most {MAX_TEXT}")
        wait = self.limit.take()
        if wait is not None:
            raise TooMany(f"at most {self.limit.per_minute} headlines a minute "
                          f"(UTODAY_TRY_PER_MINUTE); try again in {wait:.0f} s")
        from ..labelling import InputRefused, make_labeller

        with self._labeller_lock:
            if self._labeller is None:
                if (self.settings.sentiment_backend == "hf-api"
                        and not self.settings.hf_api_token):
                    raise Unavailable("no labelling backend: set HF_API_TOKEN (or another "
                                      "SENTIMENT_BACKEND) and start the server again")
                try:
                    self._labeller = make_labeller(self.settings)
                except ConfigError as exc:
                    raise Unavailable(str(exc)) from exc
            labeller = self._labeller
        try:
            (prediction,) = labeller.classify([text], Deadline(30))
        except InputRefused as exc:
            raise ConfigError(f"the backend refused this text: {exc.reason}") from exc
        return prediction, labeller.model
