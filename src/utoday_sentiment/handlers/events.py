"""What each handler accepts, validated before any work: a wrong event is one clear line that
names the field, never a traceback deep in the pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..errors import UtodayError


class EventError(UtodayError):
    """The event does not fit the handler."""

    exit_code = 2


@dataclass(frozen=True)
class ScrapeRequest:
    from_page: int | None = None
    to_page: int | None = None
    max_pages: int | None = None
    correlation_id: str | None = None
    scheduled_time: str | None = None

    @property
    def backfill(self) -> bool:
        return self.from_page is not None


@dataclass(frozen=True)
class LabelRequest:
    limit: int | None = None
    batch_size: int | None = None
    relabel: bool = False
    correlation_id: str | None = None
    scheduled_time: str | None = None
    trigger: str = "manual"  # "schedule", "scrape" (the scraper's on-success destination), "manual"


def _object(event: Any, kind: str) -> dict[str, Any]:
    if event is None:
        return {}
    if not isinstance(event, dict):
        raise EventError(f"the {kind} event must be a JSON object, not {type(event).__name__}")
    return event


def _check_fields(event: dict[str, Any], allowed: tuple[str, ...], kind: str) -> None:
    unknown = sorted(set(event) - set(allowed))
    if unknown:
        raise EventError(
            f"unknown field {unknown[0]!r} in the {kind} event; "
            f"allowed: {', '.join(sorted(allowed))}"
        )


def _int(
    event: dict[str, Any], name: str, kind: str, low: int, high: int | None = None
) -> int | None:
    value = event.get(name)
    if value is None:
        return None
    in_range = isinstance(value, int) and low <= value and (high is None or value <= high)
    if isinstance(value, bool) or not in_range:
        bound = f"from {low} to {high}" if high else f">= {low}"
        raise EventError(
            f"field {name!r} of the {kind} event must be a whole number {bound}, not {value!r}"
        )
    return value


def _text(event: dict[str, Any], name: str, kind: str) -> str | None:
    value = event.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise EventError(f"field {name!r} of the {kind} event must be a short text, not {value!r}")
    return value.strip()


def _timestamp(event: dict[str, Any], name: str, kind: str) -> str | None:
    value = _text(event, name, kind)
    if value is not None:
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise EventError(
                f"field {name!r} of the {kind} event must be an ISO 8601 time such as "
                f"2026-11-21T06:00:00Z, not {value!r}"
            ) from None
    return value


SCRAPE_FIELDS = ("correlation_id", "scheduled_time", "from_page", "to_page", "max_pages")
LABEL_FIELDS = ("correlation_id", "scheduled_time", "limit", "batch_size", "relabel")


def parse_scrape_event(event: Any) -> ScrapeRequest:
    """The schedule's input ({correlation_id, scheduled_time}), a backfill range, or {}."""
    event = _object(event, "scrape")
    _check_fields(event, SCRAPE_FIELDS, "scrape")
    request = ScrapeRequest(
        from_page=_int(event, "from_page", "scrape", 0),
        to_page=_int(event, "to_page", "scrape", 0),
        max_pages=_int(event, "max_pages", "scrape", 1, 1000),
        correlation_id=_text(event, "correlation_id", "scrape"),
        scheduled_time=_timestamp(event, "scheduled_time", "scrape"),
    )
    if (request.from_page is None) != (request.to_page is None):
        raise EventError("a backfill event needs both 'from_page' and 'to_page'")
    if request.backfill and request.to_page < request.from_page:  # type: ignore[operator]
        raise EventError(
            f"'to_page' ({request.to_page}) must not be below 'from_page' ({request.from_page})"
        )
    if request.backfill and request.max_pages is not None:
        raise EventError(
            "'max_pages' is for the daily mode; a backfill gives 'from_page' and 'to_page'"
        )
    return request


def _is_destination_record(event: dict[str, Any]) -> bool:
    return "requestContext" in event and "responsePayload" in event


def parse_label_event(event: Any) -> LabelRequest:
    """The label schedule's input, the scraper's on-success destination record, or a manual
    event ({limit, batch_size, relabel})."""
    event = _object(event, "label")
    if _is_destination_record(event):
        context = event.get("requestContext")
        if not isinstance(context, dict) or context.get("condition") != "Success":
            condition = context.get("condition") if isinstance(context, dict) else None
            raise EventError(
                f"the label function takes the scraper's on-success record only, not condition "
                f"{condition!r}"
            )
        payload = event.get("requestPayload")
        correlation = payload.get("correlation_id") if isinstance(payload, dict) else None
        if not isinstance(correlation, str):
            correlation = context.get("requestId")
        return LabelRequest(
            correlation_id=correlation,
            trigger="scrape",
        )
    _check_fields(event, LABEL_FIELDS, "label")
    relabel = event.get("relabel", False)
    if not isinstance(relabel, bool):
        raise EventError(
            f"field 'relabel' of the label event must be true or false, not {relabel!r}"
        )
    scheduled = _timestamp(event, "scheduled_time", "label")
    return LabelRequest(
        limit=_int(event, "limit", "label", 1),
        batch_size=_int(event, "batch_size", "label", 1, 256),
        relabel=relabel,
        correlation_id=_text(event, "correlation_id", "label"),
        scheduled_time=scheduled,
        trigger="schedule" if scheduled else "manual",
    )
