"""What each handler accepts, validated before any work: a wrong event is one clear line that
names the field, never a traceback deep in the pipeline."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..errors import ConfigError, UtodayError
from ..jobs import LABEL_FIELDS, SCRAPE_FIELDS, check_label_request, check_scrape_request
from ..records import LabelRequest, ScrapeRequest
from ..settings import Kind, Whole


class EventError(UtodayError):
    """The event does not fit the handler."""

    exit_code = 2


@dataclass(frozen=True)
class ScrapeEvent:
    request: ScrapeRequest
    correlation_id: str | None = None
    scheduled_time: str | None = None


@dataclass(frozen=True)
class LabelEvent:
    request: LabelRequest
    correlation_id: str | None = None
    scheduled_time: str | None = None
    trigger: str = "manual"  # "schedule", "scrape" (the scraper's on-success destination), "manual"
    check: bool = False  # {"check": true}: run `utoday-sentiment check` here, label nothing


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


def _int(event: dict[str, Any], name: str, kind: str, fields: Mapping[str, Kind]) -> int | None:
    value = event.get(name)
    bounds = fields[name]
    if value is None:
        return None
    if not (isinstance(bounds, Whole) and bounds.accepts(value)):
        raise EventError(
            f"field {name!r} of the {kind} event must be {bounds.describe()}, not {value!r}"
        )
    return int(value)


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
        except ValueError as exc:
            raise EventError(
                f"field {name!r} of the {kind} event must be an ISO 8601 time such as "
                f"2026-11-21T06:00:00Z, not {value!r}"
            ) from exc
    return value


SCRAPE_EVENT_FIELDS = ("correlation_id", "scheduled_time", *SCRAPE_FIELDS)
FEEDS_EVENT_FIELDS = ("correlation_id", "scheduled_time")
LABEL_EVENT_FIELDS = ("correlation_id", "scheduled_time", *LABEL_FIELDS, "relabel", "check")


def parse_scrape_event(event: Any) -> ScrapeEvent:
    """The schedule's input ({correlation_id, scheduled_time}), a backfill range, or {}."""
    event = _object(event, "scrape")
    _check_fields(event, SCRAPE_EVENT_FIELDS, "scrape")
    request = ScrapeRequest(
        from_page=_int(event, "from_page", "scrape", SCRAPE_FIELDS),
        to_page=_int(event, "to_page", "scrape", SCRAPE_FIELDS),
        max_pages=_int(event, "max_pages", "scrape", SCRAPE_FIELDS),
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
    _checked(check_scrape_request, request)
    return ScrapeEvent(
        request,
        correlation_id=_text(event, "correlation_id", "scrape"),
        scheduled_time=_timestamp(event, "scheduled_time", "scrape"),
    )


def _checked(check: Any, request: Any) -> None:
    try:
        check(request)
    except ConfigError as exc:
        raise EventError(str(exc)) from exc


def _is_destination_record(event: dict[str, Any]) -> bool:
    return "requestContext" in event and "responsePayload" in event


def parse_label_event(event: Any) -> LabelEvent:
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
        return LabelEvent(LabelRequest(), correlation_id=correlation, trigger="scrape")
    _check_fields(event, LABEL_EVENT_FIELDS, "label")
    relabel, check = event.get("relabel", False), event.get("check", False)
    for name, value in (("relabel", relabel), ("check", check)):
        if not isinstance(value, bool):
            raise EventError(
                f"field {name!r} of the label event must be true or false, not {value!r}"
            )
    scheduled = _timestamp(event, "scheduled_time", "label")
    request = LabelRequest(
        limit=_int(event, "limit", "label", LABEL_FIELDS),
        batch_size=_int(event, "batch_size", "label", LABEL_FIELDS),
        relabel=relabel,
    )
    _checked(check_label_request, request)
    return LabelEvent(
        request,
        correlation_id=_text(event, "correlation_id", "label"),
        scheduled_time=scheduled,
        trigger="schedule" if scheduled else "manual",
        check=check,
    )


@dataclass(frozen=True)
class FeedsEvent:
    correlation_id: str | None = None
    scheduled_time: str | None = None


def parse_feeds_event(event: Any) -> FeedsEvent:
    """The hourly feeds schedule's input ({correlation_id, scheduled_time}), or {}."""
    event = _object(event, "feeds")
    _check_fields(event, FEEDS_EVENT_FIELDS, "feeds")
    return FeedsEvent(_text(event, "correlation_id", "feeds"),
                      _timestamp(event, "scheduled_time", "feeds"))
