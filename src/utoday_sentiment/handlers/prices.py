"""PricesFunction: the daily schedule -> yesterday's closes of the configured coins and the Fear &
Greed Index, stored once. A fetch that fails fails the run after the others were stored, so its
retries and PricesErrorsAlarm see it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .events import FeedsEvent, parse_feeds_event
from .observability import finish, lambda_entry, publish

if TYPE_CHECKING:
    from ..deadline import Deadline
    from ..settings import Settings
    from ..store.connection import Connection


METRICS = dict(PriceDaysAdded="days_added", FearGreedDaysAdded="fear_greed_added",
               PriceFetchesFailed="failed_count")


@lambda_entry(parse_feeds_event, need_token=False, application="prices")
def handler(
    parsed: FeedsEvent, settings: Settings, conn: Connection | None, deadline: Deadline
) -> dict[str, Any]:
    from ..jobs import run_prices

    assert conn is not None  # noqa: S101 - only a check event comes without one
    result = run_prices(settings, conn)
    publish(METRICS, result.summary)
    return finish("prices", result.summary, result.error)
