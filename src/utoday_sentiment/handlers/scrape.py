"""ScrapeFunction: the daily schedule (or a manual backfill event) -> new headlines stored once."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from . import runtime
from .events import parse_scrape_event
from .observability import finish, log_failures, logger, metrics, tracer


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
@log_failures
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    parsed = parse_scrape_event(event)
    logger.set_correlation_id(parsed.correlation_id or context.aws_request_id)
    # Imported here, not at module load: the cold start stays close to a bare boto3 import.
    from ..jobs import run_scrape

    settings = runtime.load_runtime_settings(need_token=False)
    conn = runtime.connection(settings, application_name="utoday-sentiment-scrape")
    result = run_scrape(parsed.request, settings, conn, runtime.deadline(context))
    summary = result.summary
    metrics.add_metric(name="PagesFetched", unit=MetricUnit.Count, value=summary.pages_fetched)
    metrics.add_metric(name="TitlesScraped", unit=MetricUnit.Count, value=summary.cards_seen)
    metrics.add_metric(name="TitlesInserted", unit=MetricUnit.Count, value=summary.new_titles)
    metrics.add_metric(name="SkippedCards", unit=MetricUnit.Count, value=summary.skipped_cards)
    return finish("scrape", summary, result.error)
