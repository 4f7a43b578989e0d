"""A run's time budget: in Lambda, the time the context has left minus a margin; on the CLI, an
optional --max-seconds. Every network call asks it for the time it may take."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol


class HasTimeLeft(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


class Deadline:
    def __init__(
        self, seconds: float | None = None, *, clock: Callable[[], float] = time.monotonic
    ):
        self._clock = clock
        self._end = None if seconds is None else clock() + max(seconds, 0.0)

    @classmethod
    def from_lambda_context(cls, context: HasTimeLeft, margin_seconds: float = 5.0) -> Deadline:
        remaining_ms = context.get_remaining_time_in_millis()
        return cls(remaining_ms / 1000.0 - margin_seconds)

    @property
    def unlimited(self) -> bool:
        return self._end is None

    def remaining(self) -> float:
        """Seconds left (never negative); infinity when there is no limit."""
        if self._end is None:
            return float("inf")
        return max(self._end - self._clock(), 0.0)

    def expired(self) -> bool:
        return self.remaining() <= 0

    def allows(self, seconds: float) -> bool:
        """Is there time left for a step expected to take `seconds`?"""
        return self.remaining() > seconds

    def timeout(self, normal: float) -> float:
        """The timeout for one call: its normal value, or the time left when that is shorter."""
        return min(normal, self.remaining())
