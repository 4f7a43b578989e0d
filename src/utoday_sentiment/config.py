"""Settings from the environment (and a `.env` file when present), validated in one place.

Real environment variables win over `.env`. Every malformed value raises ConfigError with one line
that names the variable and says what a good value looks like.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from . import __version__
from .errors import ConfigError

T = TypeVar("T")

DEFAULT_HF_MODEL = "mrm8488/distilroberta-finetuned-financial-news-sentiment-analysis"
HF_ROUTER = "https://router.huggingface.co/hf-inference/models/"
SENTIMENTS = ("negative", "neutral", "positive")

DEFAULT_USER_AGENT = (
    f"utoday-sentiment/{__version__} (daily headline sentiment collector; one page at a time)"
)


@dataclass(frozen=True)
class Settings:
    database_url: str | None = field(default=None, repr=False)
    data_dir: Path | None = None
    base_url: str = "https://u.today"
    listing_path: str = "/latest-cryptocurrency-news"
    user_agent: str = DEFAULT_USER_AGENT
    page_delay: float = 1.0
    max_pages: int = 5
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    http_retries: int = 3
    max_page_bytes: int = 5_000_000
    log_level: str = "INFO"
    hf_api_token: str | None = field(default=None, repr=False)
    hf_model: str = DEFAULT_HF_MODEL
    hf_api_url: str | None = None  # None: the router URL for hf_model
    hf_batch_size: int = 32
    hf_timeout: float = 30.0
    hf_max_retries: int = 4
    hf_label_map: dict[str, str] | None = None  # model label (lower case) -> sentiment

    @property
    def hf_url(self) -> str:
        return self.hf_api_url or HF_ROUTER + self.hf_model

    @property
    def label_map(self) -> dict[str, str]:
        """Model label (lower case) -> one of SENTIMENTS. Default: the three names themselves."""
        return self.hf_label_map or {name: name for name in SENTIMENTS}

    @property
    def listing_url(self) -> str:
        return self.base_url + self.listing_path

    @property
    def site_host(self) -> str:
        return urlsplit(self.base_url).hostname or ""


def load_dotenv_file() -> None:
    """Read `.env` from the working directory (or a parent) without overriding real variables."""
    from dotenv import find_dotenv, load_dotenv

    path = find_dotenv(usecwd=True)
    if path:
        load_dotenv(path, override=False)


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _parse(
    env: Mapping[str, str],
    name: str,
    default: T,
    convert: Callable[[str], T],
    hint: str,
    *,
    secret: bool = False,
) -> T:
    raw = _get(env, name)
    if raw is None:
        return default
    try:
        return convert(raw)
    except (TypeError, ValueError):
        shown = "(value hidden)" if secret else repr(raw)
        raise ConfigError(f"{name}={shown} is not valid: {hint}") from None


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError
    return value


def _non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError
    return value


def _non_negative_float(raw: str) -> float:
    value = float(raw)
    if not value >= 0 or value == float("inf"):
        raise ValueError
    return value


def _positive_float(raw: str) -> float:
    value = _non_negative_float(raw)
    if value == 0:
        raise ValueError
    return value


def _http_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError
    if parts.query or parts.fragment:
        raise ValueError
    return raw.rstrip("/")


def _full_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.fragment:
        raise ValueError
    return raw


def _batch_size(raw: str) -> int:
    value = _positive_int(raw)
    if value > 256:
        raise ValueError
    return value


def _path(raw: str) -> str:
    if not raw.startswith("/") or "?" in raw or "#" in raw:
        raise ValueError
    return raw.rstrip("/") or "/"


def _database_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ValueError
    return raw


def _log_level(raw: str) -> str:
    level = raw.upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ValueError
    return level


def _label_map(raw: str) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for entry in raw.split(","):
        if not entry.strip():
            continue
        label, sep, sentiment = entry.partition("=")
        label, sentiment = label.strip().lower(), sentiment.strip().lower()
        if not sep or not label or sentiment not in SENTIMENTS or label in mapping:
            raise ValueError
        mapping[label] = sentiment
    if not mapping:
        raise ValueError
    return mapping


def _model_id(raw: str) -> str:
    if any(ch.isspace() for ch in raw) or raw.startswith("/") or raw.endswith("/"):
        raise ValueError
    return raw


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from `env` (default: the process environment). Raises ConfigError."""
    env = os.environ if env is None else env
    data_dir = _get(env, "UTODAY_DATA_DIR")
    return Settings(
        database_url=_parse(
            env,
            "DATABASE_URL",
            None,
            _database_url,
            "use a libpq URL such as postgresql://user:password@host:5432/dbname, "
            "or unset it to use the embedded database",
            secret=True,
        ),
        data_dir=Path(data_dir).expanduser() if data_dir else None,
        base_url=_parse(
            env,
            "UTODAY_BASE_URL",
            Settings.base_url,
            _http_url,
            "use an http(s) URL with a host and no query, such as https://u.today",
        ),
        listing_path=_parse(
            env,
            "UTODAY_LISTING_PATH",
            Settings.listing_path,
            _path,
            "use a path starting with '/', without query, such as /latest-cryptocurrency-news",
        ),
        user_agent=_get(env, "UTODAY_USER_AGENT") or DEFAULT_USER_AGENT,
        page_delay=_parse(
            env,
            "UTODAY_PAGE_DELAY",
            Settings.page_delay,
            _non_negative_float,
            "use a number of seconds >= 0, such as 1",
        ),
        max_pages=_parse(
            env,
            "UTODAY_MAX_PAGES",
            Settings.max_pages,
            _positive_int,
            "use a whole number >= 1, such as 5",
        ),
        connect_timeout=_parse(
            env,
            "UTODAY_CONNECT_TIMEOUT",
            Settings.connect_timeout,
            _positive_float,
            "use a number of seconds > 0, such as 5",
        ),
        read_timeout=_parse(
            env,
            "UTODAY_READ_TIMEOUT",
            Settings.read_timeout,
            _positive_float,
            "use a number of seconds > 0, such as 30",
        ),
        http_retries=_parse(
            env,
            "UTODAY_HTTP_RETRIES",
            Settings.http_retries,
            _non_negative_int,
            "use a whole number >= 0, such as 3",
        ),
        max_page_bytes=_parse(
            env,
            "UTODAY_MAX_PAGE_BYTES",
            Settings.max_page_bytes,
            _positive_int,
            "use a whole number of bytes >= 1, such as 5000000",
        ),
        log_level=_parse(
            env,
            "LOG_LEVEL",
            Settings.log_level,
            _log_level,
            "use one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
        ),
        hf_api_token=_get(env, "HF_API_TOKEN"),
        hf_model=_parse(
            env,
            "HF_MODEL",
            Settings.hf_model,
            _model_id,
            "use a Hugging Face model id such as " + DEFAULT_HF_MODEL,
        ),
        hf_api_url=_parse(
            env,
            "HF_API_URL",
            None,
            _full_url,
            "use the full https URL of the endpoint, such as " + HF_ROUTER + DEFAULT_HF_MODEL,
        ),
        hf_batch_size=_parse(
            env,
            "HF_BATCH_SIZE",
            Settings.hf_batch_size,
            _batch_size,
            "use a whole number from 1 to 256, such as 32",
        ),
        hf_timeout=_parse(
            env,
            "HF_TIMEOUT",
            Settings.hf_timeout,
            _positive_float,
            "use a number of seconds > 0, such as 30",
        ),
        hf_max_retries=_parse(
            env,
            "HF_MAX_RETRIES",
            Settings.hf_max_retries,
            _non_negative_int,
            "use a whole number >= 0, such as 4",
        ),
        hf_label_map=_parse(
            env,
            "HF_LABEL_MAP",
            None,
            _label_map,
            "use comma-separated label=sentiment pairs, each sentiment one of positive, "
            "neutral, negative, such as Bullish=positive,Bearish=negative,Neutral=neutral",
        ),
    )
