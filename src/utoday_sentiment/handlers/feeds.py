"""FeedsFunction: the hourly schedule -> every configured feed polled once (conditional GET),
new items stored once. A feed that fails is counted per source and the run fails after the
others were read, so the platform's retries and FeedErrorsAlarm see it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .events import FeedsEvent, parse_feeds_event
from .observability import finish, lambda_entry, publish, publish_per_source

if TYPE_CHECKING:
    from ..deadline import Deadline
    from ..settings import Settings
    from ..store.connection import Connection


# Metric name -> the summary's field (FeedErrorsAlarm in template.yaml watches FeedsFailed).
METRICS = dict(FeedsRead="feeds", FeedsNotModified="not_modified",
               FeedTitlesInserted="new_titles", FeedsFailed="failed_count")
PER_SOURCE_METRIC = "FeedFailed"  # 1 per failing source, with a `source` dimension


@lambda_entry(parse_feeds_event, need_token=False, application="feeds")
def handler(
    parsed: FeedsEvent, settings: Settings, conn: Connection | None, deadline: Deadline
) -> dict[str, Any]:
    from ..jobs import run_feeds

    assert conn is not None  # noqa: S101 - only a check event comes without one
    result = run_feeds(settings, conn, deadline)
    publish(METRICS, result.summary)
    for source in sorted(result.summary.failed):
        publish_per_source(PER_SOURCE_METRIC, source)
    return finish("feeds", result.summary, result.error)
