"""Reading a classifier's answer: pure functions of a decoded body, shared by the backends."""

from __future__ import annotations

import math
import re
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

from .. import clock
from ..records import Prediction

# DistilRoBERTa reads at most 512 tokens and its byte-level BPE makes at most one token per UTF-8
# byte: 500 bytes always fit, with room for the special tokens. Real headlines are ~100 bytes.
MAX_INPUT_BYTES = 500


class InvalidResponse(Exception):
    pass


class UnknownLabel(InvalidResponse):
    pass


def truncate(text: str, max_bytes: int = MAX_INPUT_BYTES) -> str:
    """Cut `text` to at most `max_bytes` of UTF-8, never inside a character."""
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    return encoded[:max_bytes].decode("utf-8", errors="ignore")


def interpret(data: Any, count: int, label_map: dict[str, str]) -> list[Prediction]:
    """One Prediction per input from a decoded response body; anything else raises InvalidResponse.

    Labels map by name, case-insensitively; several model labels may map to one sentiment (their
    probabilities add up). An unmapped label raises UnknownLabel: never a guess.
    """
    if isinstance(data, dict):
        error = data.get("error")
        detail = f": {snippet(str(error))}" if error else ""
        raise InvalidResponse(f"an error object instead of results{detail}")
    if not isinstance(data, list):
        raise InvalidResponse(f"a {type(data).__name__} instead of a list of results")
    if count == 1 and data and all(isinstance(item, dict) for item in data):
        data = [data]  # some versions answer a single input with a flat list
    if len(data) != count:
        raise InvalidResponse(f"{len(data)} results for {count} titles")
    predictions = []
    for position, item in enumerate(data):
        if not isinstance(item, list) or not item:
            raise InvalidResponse(f"result {position} is not a list of labels")
        scores: dict[str, float] = {}
        for entry in item:
            label = entry.get("label") if isinstance(entry, dict) else None
            score = entry.get("score") if isinstance(entry, dict) else None
            if not isinstance(label, str) or isinstance(score, bool):
                raise InvalidResponse(f"result {position} holds {snippet(repr(entry))}")
            if not isinstance(score, int | float) or not (0.0 <= score <= 1.0):
                raise InvalidResponse(f"result {position} has score {score!r} for {label!r}")
            sentiment = label_map.get(label.strip().lower())
            if sentiment is None:
                raise UnknownLabel(
                    f"the model answered the label {label!r}, which is not one of "
                    f"{', '.join(sorted(label_map))}; set HF_LABEL_MAP to map this model's labels "
                    "to positive/neutral/negative"
                )
            scores[sentiment] = scores.get(sentiment, 0.0) + float(score)
        best = max(scores, key=lambda name: scores[name])
        predictions.append(Prediction(best, scores[best], scores))
    return predictions


def snippet(text: str, limit: int = 160) -> str:
    return " ".join(text.split())[:limit]


def retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - clock.now()).total_seconds()
    if math.isnan(seconds):
        return None
    return max(seconds, 0.0)


_RESET = re.compile(r"(?:^|[;,\s])t\s*=\s*(\d+(?:\.\d+)?)")


def ratelimit_reset_seconds(value: str | None) -> float | None:
    """Seconds until the quota resets, from the IETF `RateLimit` header the Hub sends, e.g.
    `"api";r=0;t=55` (t: seconds to reset); None when absent or unreadable."""
    if not value:
        return None
    found = _RESET.search(value)
    return float(found.group(1)) if found else None
