"""The one protocol every labelling backend implements, and the errors it may raise.

A backend takes texts and returns one Prediction per text, in order, within a Deadline. It raises:
- StopRun (a UtodayError): the run cannot go on (bad token, no credits, model not served, a backend
  that keeps failing); the message says what to do, and no title is changed.
- InputRefused: the backend refused this batch's input; the caller narrows it down to the titles
  that are refused, but only on evidence: when nothing at all is answered (the halves refused
  too, or a lone title), it is a ServiceFault that stops the run and retires no title.
- OutOfTime: no time is left for another attempt; nothing was lost, the caller stops.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ..deadline import Deadline
from ..errors import UtodayError
from ..records import Prediction

# Don't start a request with less time than this left: it could not finish anyway.
MIN_REQUEST_SECONDS = 1.0


class StopRun(UtodayError):
    """The backend cannot be used now; the run stops and changes no title."""


class ServiceFault(StopRun):
    """Every part of a batch was refused: the service is failing, not the titles."""


class InputRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class OutOfTime(Exception):
    pass


class Labeller(Protocol):
    model: str  # the identity stored with each label
    requests_sent: int
    retries: int

    def classify(self, texts: Sequence[str], deadline: Deadline) -> list[Prediction]: ...

    def close(self) -> None: ...
