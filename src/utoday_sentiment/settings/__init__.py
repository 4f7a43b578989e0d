"""Every setting in one declarative table: name, kind (type and bounds), default, help, secret.

`Settings` is built from the table; the CLI's argument types, the Lambda event validators and the
template's parameter bounds take their limits from it; docs/configuration.md's table and
`.env.example` are generated from it (`python -m utoday_sentiment.settings readme|env`), and a test
fails when any of them disagrees. Every read of the environment goes through `load_settings` or
`read_setting`. Real environment variables win over a `.env` file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .model import (
    DEFAULT_HF_MODEL,
    DEFAULT_USER_AGENT,
    HF_ROUTER,
    SENTIMENTS,
    Choice,
    Kind,
    Seconds,
    Setting,
    Text,
    Whole,
)
from .table import BY_NAME, SETTINGS, setting


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
    sponsored_categories: tuple[str, ...] = (
        "partners", "airdrops", "event", "events", "press releases", "sponsored",
    )
    timezone: str = "UTC"
    raw_retention_days: int = 90
    sources: tuple[str, ...] = ()
    extra_feeds: tuple[tuple[str, str], ...] = ()
    sentiment_backend: str = "hf-api"
    hf_endpoint_engine: str = "auto"
    sagemaker_endpoint: str | None = None
    hf_endpoint: str = "https://huggingface.co"
    onnx_model: str | None = None
    onnx_model_s3_uri: str | None = None
    onnx_threads: int | None = None
    onnx_batch_size: int = 32
    hf_api_token: str | None = field(default=None, repr=False)
    hf_model: str = DEFAULT_HF_MODEL
    hf_api_url: str | None = None  # None: the router URL for hf_model
    hf_batch_size: int = 32
    hf_timeout: float = 30.0
    hf_max_retries: int = 4
    hf_label_map: dict[str, str] | None = None  # model label (lower case) -> sentiment
    label_lease_seconds: int = 300
    database_secret_arn: str | None = None
    database_admin_secret_arn: str | None = None
    database_sslmode: str = "require"
    hf_token_secret_arn: str | None = None
    hf_token_parameter: str | None = None
    migrations_dir: Path | None = None
    log_level: str = "INFO"
    web_token: str | None = field(default=None, repr=False)
    try_per_minute: int = 30
    dashboard_bucket: str | None = None
    prices_source: str = "coingecko"
    prices_coins: tuple[str, ...] = ()
    coingecko_api_key: str | None = field(default=None, repr=False)
    coingecko_key_parameter: str | None = None
    coingecko_base_url: str = "https://api.coingecko.com/api/v3"
    coinbase_base_url: str = "https://api.exchange.coinbase.com"
    binance_base_url: str = "https://api.binance.com"
    fear_greed_url: str = "https://api.alternative.me/fng/?limit=0&format=json"

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


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from `env` (default: the process environment). Raises ConfigError."""
    env = os.environ if env is None else env
    values = {s.attr: s.read(env) for s in SETTINGS if s.attr}
    return Settings(**values)


def read_setting(name: str, env: Mapping[str, str] | None = None) -> Any:
    """One setting's value, for code that runs before (or without) a whole Settings."""
    return BY_NAME[name].read(os.environ if env is None else env)


def load_dotenv_file() -> None:
    """Read `.env` from the working directory (or a parent) without overriding real variables."""
    from dotenv import find_dotenv, load_dotenv

    path = find_dotenv(usecwd=True)
    if path:
        load_dotenv(path, override=False)




__all__ = [
    "BY_NAME",
    "DEFAULT_HF_MODEL",
    "DEFAULT_USER_AGENT",
    "HF_ROUTER",
    "SENTIMENTS",
    "SETTINGS",
    "Choice",
    "Kind",
    "Seconds",
    "Setting",
    "Settings",
    "Text",
    "Whole",
    "load_dotenv_file",
    "load_settings",
    "read_setting",
    "setting",
]
