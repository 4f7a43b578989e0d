"""How a setting is described: its kind (type and bounds, the parser, what a good value looks like)
and the Setting record that holds name, default, help, secrecy and the template parameter."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .. import __version__
from ..errors import ConfigError

DEFAULT_HF_MODEL = "mrm8488/distilroberta-finetuned-financial-news-sentiment-analysis"
HF_ROUTER = "https://router.huggingface.co/hf-inference/models/"
SENTIMENTS = ("negative", "neutral", "positive")
DEFAULT_USER_AGENT = (
    f"utoday-sentiment/{__version__} (daily headline sentiment collector; one page at a time)"
)


# ---------------------------------------------------------------------------------------------
# Kinds: how a raw text becomes a value, what a good value looks like, and the bounds


class Kind:
    """Turns a raw string into a value or raises ValueError; `describe` says what is accepted."""

    def parse(self, raw: str) -> Any:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class Whole(Kind):
    low: int = 0
    high: int | None = None

    def accepts(self, value: object) -> bool:
        return (
            isinstance(value, int)
            and not isinstance(value, bool)
            and value >= self.low
            and (self.high is None or value <= self.high)
        )

    def parse(self, raw: str) -> int:
        value = int(raw.strip())
        if not self.accepts(value):
            raise ValueError(raw)
        return value

    def describe(self) -> str:
        if self.high is not None:
            return f"a whole number from {self.low} to {self.high}"
        return f"a whole number >= {self.low}"


@dataclass(frozen=True)
class Seconds(Kind):
    """A finite number >= 0 (or > 0 when `zero` is False)."""

    zero: bool = False

    def parse(self, raw: str) -> float:
        value = float(raw.strip())
        if not (value >= 0 if self.zero else value > 0) or value == float("inf"):
            raise ValueError(raw)
        return value

    def describe(self) -> str:
        return "a number of seconds " + (">= 0" if self.zero else "> 0")


@dataclass(frozen=True)
class Choice(Kind):
    values: tuple[str, ...]
    upper: bool = False  # accept any case, store upper case

    def parse(self, raw: str) -> str:
        value = raw.strip().upper() if self.upper else raw.strip()
        if value not in self.values:
            raise ValueError(raw)
        return value

    def describe(self) -> str:
        return "one of " + ", ".join(self.values)


@dataclass(frozen=True)
class Text(Kind):
    check: Callable[[str], Any] = str
    description: str = "a text"

    def parse(self, raw: str) -> Any:
        return self.check(raw)

    def describe(self) -> str:
        return self.description


def _signed_seconds(raw: str) -> float:
    value = float(raw.strip())
    if value != value or abs(value) == float("inf"):  # NaN or infinite
        raise ValueError(raw)
    return value


def _source_names(raw: str) -> tuple[str, ...]:
    from ..sources.catalog import BY_NAME

    names = tuple(dict.fromkeys(n.strip().lower() for n in raw.split(",") if n.strip()))
    unknown = [n for n in names if n not in BY_NAME and n != "utoday"]
    if unknown:
        raise ValueError(raw)
    return tuple(n for n in names if n != "utoday")  # U.Today's listing is always read


_FEED_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")


def _extra_feeds(raw: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for entry in filter(None, (e.strip() for e in raw.split(","))):
        name, sep, url = entry.partition("=")
        name = name.strip().lower()
        parts = urlsplit(url.strip())
        if (not sep or not _FEED_NAME.fullmatch(name) or name == "utoday"
                or parts.scheme not in ("http", "https") or not parts.hostname):
            raise ValueError(raw)
        pairs.append((name, url.strip()))
    if len({n for n, _ in pairs}) != len(pairs):
        raise ValueError(raw)
    return tuple(pairs)


def _http_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(raw)
    return raw.rstrip("/")


def _full_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.fragment:
        raise ValueError(raw)
    return raw


def _path(raw: str) -> str:
    if not raw.startswith("/") or "?" in raw or "#" in raw:
        raise ValueError(raw)
    return raw.rstrip("/") or "/"


def _database_url(raw: str) -> str:
    if urlsplit(raw).scheme not in ("postgresql", "postgres"):
        raise ValueError("not a postgresql:// URL")  # never the value: it may hold a password
    return raw


def _label_map(raw: str) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for entry in raw.split(","):
        if not entry.strip():
            continue
        label, sep, sentiment = entry.partition("=")
        label, sentiment = label.strip().lower(), sentiment.strip().lower()
        if not sep or not label or sentiment not in SENTIMENTS or label in mapping:
            raise ValueError(entry)
        mapping[label] = sentiment
    if not mapping:
        raise ValueError(raw)
    return mapping


def _model_id(raw: str) -> str:
    if any(ch.isspace() for ch in raw) or raw.startswith("/") or raw.endswith("/"):
        raise ValueError(raw)
    return raw


def _folder(raw: str) -> Path:
    return Path(raw).expanduser()


def _secret_arn(raw: str) -> str:
    if not raw.startswith("arn:") or any(ch.isspace() for ch in raw):
        raise ValueError(raw)
    return raw


def _s3_uri(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(raw)
    return raw.rstrip("/") + "/"


def _timezone(raw: str) -> str:
    """An IANA time zone name that this machine's zone database knows."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(raw) from exc
    return raw


def _names(raw: str) -> tuple[str, ...]:
    """A comma-separated list of names, compared case-insensitively (stored lower case)."""
    names = tuple(dict.fromkeys(n.strip().lower() for n in raw.split(",") if n.strip()))
    if not names:
        raise ValueError(raw)
    return names


# ---------------------------------------------------------------------------------------------
# The table


@dataclass(frozen=True)
class Setting:
    name: str  # the environment variable
    kind: Kind
    default: Any
    help: str  # one line for docs/configuration.md and .env.example
    group: str
    attr: str | None = None  # the Settings field; None: read by someone else (Powertools, tests)
    secret: bool = False  # never shown in a message, a log line or repr
    example: str | None = None  # shown in error hints and .env.example; default: the default
    doc_default: str | None = None  # the docs' default column; default: the default
    template: str | None = None  # the template.yaml parameter that feeds it on AWS

    @property
    def example_text(self) -> str:
        if self.example is not None:
            return self.example
        return "" if self.default is None else _plain(self.default)

    @property
    def default_text(self) -> str:
        if self.doc_default is not None:
            return self.doc_default
        return "unset" if self.default is None else f"`{_plain(self.default)}`"

    def hint(self) -> str:
        such = f", such as {self.example_text}" if self.example_text else ""
        return f"use {self.kind.describe()}{such}"

    def read(self, env: Mapping[str, str]) -> Any:
        """The value from `env`, the default when unset or blank; ConfigError when malformed."""
        raw = env.get(self.name)
        if raw is None or not raw.strip():
            return self.default
        try:
            return self.kind.parse(raw.strip())
        except (TypeError, ValueError) as exc:
            shown = "(value hidden)" if self.secret else repr(raw.strip())
            error = ConfigError(f"{self.name}={shown} is not valid: {self.hint()}")
            if self.secret:  # the parser's message may quote the value: keep no trace of it
                raise error from None
            raise error from exc


def _plain(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
