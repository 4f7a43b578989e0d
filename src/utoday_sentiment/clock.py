"""What time it is, asked in one place.

Every "now" and "today" the code uses comes from here: report windows, the top coins of the last
days, status, the lease explanation, an HTTP Retry-After date. PostgreSQL's `now()` is never asked
which day it is; the day is passed in from here, so the server's clock and Python's cannot
disagree about it. `UTODAY_CLOCK_OFFSET` (seconds) shifts this clock for tests and replays, in
this process and in every process started with the same environment, as one running clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from .settings import read_setting


def offset() -> timedelta:
    return timedelta(seconds=read_setting("UTODAY_CLOCK_OFFSET"))


def now() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC) + offset()


def today() -> date:
    """Today's date in UTC, the day every report and view counts in."""
    return now().date()


def utc_time(value: datetime) -> str:
    """'01:12 UTC' for an instant today, '2026-12-03 01:12 UTC' for one on another day."""
    value = value.astimezone(UTC)
    if value.date() == today():
        return f"{value:%H:%M} UTC"
    return f"{value:%Y-%m-%d %H:%M} UTC"
