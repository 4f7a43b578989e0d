"""ScrapeFunction: the daily schedule (or a manual backfill event) -> new headlines stored once."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from . import runtime
from .events import parse_scrape_event
from .observability import logger, metrics, tracer


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = parse_scrape_event(event)
    logger.set_correlation_id(request.correlation_id or context.aws_request_id)
    # Imported here, not at module load: the cold start stays close to a bare boto3 import.
    from ..pipeline import scrape_titles
    from ..scraper import SiteClient

    settings = runtime.load_runtime_settings(need_token=False)
    conn = runtime.connection(settings, application_name="utoday-sentiment-scrape")
    client = SiteClient(settings)
    try:
        summary = scrape_titles(
            conn,
            client,
            settings,
            from_page=request.from_page,
            to_page=request.to_page,
            max_pages=request.max_pages,
            deadline=runtime.deadline(context),
        )
    finally:
        client.close()
    metrics.add_metric(name="PagesFetched", unit=MetricUnit.Count, value=summary.pages_fetched)
    metrics.add_metric(name="TitlesScraped", unit=MetricUnit.Count, value=summary.cards_seen)
    metrics.add_metric(name="TitlesInserted", unit=MetricUnit.Count, value=summary.new_titles)
    metrics.add_metric(name="SkippedCards", unit=MetricUnit.Count, value=summary.skipped_cards)
    result = {"ok": True, "summary": summary.line(), **summary.as_dict()}
    logger.info("scrape finished", extra=result)
    return result
