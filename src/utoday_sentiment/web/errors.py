"""The web app's own failures, and the HTTP status each failure answers with."""

from __future__ import annotations

from ..errors import ConfigError, DatabaseError, UtodayError


class Unavailable(UtodayError):
    """What answers 503: the database is down, or the labelling backend cannot answer."""


class TooMany(UtodayError):
    """A rate limit was reached (429)."""


class NotFound(UtodayError):
    """No such thing (404)."""


def status_of(exc: UtodayError) -> int:
    if isinstance(exc, DatabaseError | Unavailable):
        return 503
    if isinstance(exc, TooMany):
        return 429
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, ConfigError):
        return 400
    return 502  # a service behind the app failed (the labelling backend)
