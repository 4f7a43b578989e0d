"""ScrapeFunction: the daily schedule (or a manual backfill event) -> new headlines stored once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .events import ScrapeEvent, parse_scrape_event
from .observability import finish, lambda_entry, publish

if TYPE_CHECKING:
    from ..deadline import Deadline
    from ..settings import Settings
    from ..store.connection import Connection


# Metric name -> the summary's field (the alarms in template.yaml watch these names).
METRICS = dict(PagesFetched="pages_fetched", TitlesScraped="cards_seen",
               TitlesInserted="new_titles", SkippedCards="skipped_cards")


@lambda_entry(parse_scrape_event, need_token=False, application="scrape")
def handler(
    parsed: ScrapeEvent, settings: Settings, conn: Connection | None, deadline: Deadline
) -> dict[str, Any]:
    # Imported here, not at module load: the cold start stays close to a bare boto3 import.
    from ..jobs import run_scrape

    assert conn is not None  # noqa: S101 - only a check event comes without one
    result = run_scrape(parsed.request, settings, conn, deadline)
    publish(METRICS, result.summary)
    return finish("scrape", result.summary, result.error)
