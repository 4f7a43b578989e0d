"""The table's rows for AWS (read by the Lambda functions; template.yaml sets them), for the
web app (`utoday-sentiment serve`) and for the market data (`prices fetch`), kept apart so that
each file stays readable."""

from __future__ import annotations

import re

from .model import Choice, Setting, Text, Whole, _full_url, _http_url, _secret_arn


def _tickers(raw: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(n.strip().upper() for n in raw.split(",") if n.strip()))
    if not names or not all(re.fullmatch(r"[A-Z0-9]{2,10}", n) for n in names):
        raise ValueError(raw)
    return names


def _bucket(raw: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", raw.strip()):
        raise ValueError(raw)
    return raw.strip()


AWS = "On AWS (set by template.yaml; for `utoday-sentiment invoke` against real secrets)"
WEB = "The web app (`utoday-sentiment serve`)"
MARKET = "Prices and the Fear & Greed Index (`utoday-sentiment prices fetch`)"

AWS_SETTINGS: tuple[Setting, ...] = (
    Setting(
        "UTODAY_DASHBOARD_BUCKET",
        Text(_bucket, "an S3 bucket name"),
        None,
        "on AWS: the bucket the label function writes the overview page to after each run "
        "(`index.html`, as `report --html` makes it)",
        AWS,
        attr="dashboard_bucket",
        template="DashboardBucket",
        doc_default="unset: no dashboard page",
    ),
    Setting(
        "DATABASE_SECRET_ARN",
        Text(_secret_arn, "the ARN of a Secrets Manager secret"),
        None,
        "on AWS: Secrets Manager secret with the database connection, RDS-style JSON "
        "(`host`, `port`, `username`, `password`, `dbname`) or a `postgresql://` URL; wins over "
        "`DATABASE_URL`",
        AWS,
        attr="database_secret_arn",
        template="DatabaseSecretArn",
        example="arn:aws:secretsmanager:eu-west-1:123456789012:secret:utoday/db",
    ),
    Setting(
        "DATABASE_ADMIN_SECRET_ARN",
        Text(_secret_arn, "the ARN of a Secrets Manager secret"),
        None,
        "on AWS: the secret the MigrateFunction connects with to change the schema (same forms "
        "as `DATABASE_SECRET_ARN`); unset: `DATABASE_SECRET_ARN`",
        AWS,
        attr="database_admin_secret_arn",
        template="DatabaseAdminSecretArn",
        example="arn:aws:secretsmanager:eu-west-1:123456789012:secret:utoday/db-admin",
    ),
    Setting(
        "DATABASE_SSLMODE",
        Choice(("disable", "allow", "prefer", "require", "verify-ca", "verify-full")),
        "require",
        "libpq `sslmode` used with `DATABASE_SECRET_ARN`",
        AWS,
        attr="database_sslmode",
        template="DatabaseSslMode",
    ),
    Setting(
        "HF_TOKEN_SECRET_ARN",
        Text(_secret_arn, "the ARN of a Secrets Manager secret"),
        None,
        "on AWS: Secrets Manager secret holding the Hugging Face token (plain, or JSON with an "
        "`HF_API_TOKEN` key)",
        AWS,
        attr="hf_token_secret_arn",
        template="HfTokenSecretArn",
        example="arn:aws:secretsmanager:eu-west-1:123456789012:secret:utoday/hf-token",
    ),
    Setting(
        "HF_TOKEN_PARAMETER",
        Text(),
        None,
        "on AWS: SSM SecureString holding the token, instead of a secret",
        AWS,
        attr="hf_token_parameter",
        template="HfTokenParameterName",
        example="/utoday/hf-token",
    ),
    Setting(
        "POWERTOOLS_SERVICE_NAME",
        Text(),
        "utoday-sentiment",
        "read by Powertools: the service name in logs and metrics; set by the template",
        AWS,
    ),
    Setting(
        "POWERTOOLS_METRICS_NAMESPACE",
        Text(),
        "UTodaySentiment",
        "read by Powertools: the metrics namespace the alarms watch; set by the template",
        AWS,
    ),
)

WEB_SETTINGS: tuple[Setting, ...] = (
    Setting(
        "UTODAY_WEB_TOKEN",
        Text(str, "a long random text (e.g. `openssl rand -hex 32`)"),
        None,
        "a token every request to the web app must carry (a Bearer header or the login form's "
        "cookie); needed to serve on any address but 127.0.0.1; never logged",
        WEB,
        attr="web_token",
        secret=True,
        doc_default="unset: serve on 127.0.0.1 only",
    ),
    Setting(
        "UTODAY_TRY_PER_MINUTE",
        Whole(1, 600),
        30,
        "how many headlines the page's `/try` may classify per minute (each may spend "
        "Inference API credit)",
        WEB,
        attr="try_per_minute",
    ),
)

MARKET_SETTINGS: tuple[Setting, ...] = (
    Setting("PRICES_SOURCE", Choice(("coingecko", "coinbase", "binance")), "coingecko",
            "where daily closes come from: `coingecko` (the past 365 days on free plans), "
            "`coinbase` (no key, full history) or `binance` (refused from some regions)",
            MARKET, attr="prices_source", template="PricesSource"),
    Setting("PRICES_COINS", Text(_tickers, "tickers, comma-separated, e.g. BTC,ETH,XRP"), (),
            "the coins `prices fetch` keeps up to date", MARKET, attr="prices_coins",
            template="PricesCoins",
            doc_default="unset: BTC, ETH and the ten coins most mentioned in 90 days"),
    Setting("COINGECKO_API_KEY", Text(str, "a CoinGecko demo API key"), None,
            "CoinGecko's free demo key (sent as x-cg-demo-api-key); never logged", MARKET,
            attr="coingecko_api_key", secret=True, doc_default="unset: keyless (tight limits)"),
    Setting("COINGECKO_KEY_PARAMETER", Text(str, "an SSM parameter name"), None,
            "on AWS: the SSM SecureString holding COINGECKO_API_KEY (the prices function reads "
            "it)", MARKET, attr="coingecko_key_parameter", template="CoinGeckoKeyParameterName",
            doc_default="unset"),
    Setting("COINGECKO_BASE_URL", Text(_http_url, "an http(s) URL"),
            "https://api.coingecko.com/api/v3", "CoinGecko's API (a mirror, a local imitation)",
            MARKET, attr="coingecko_base_url"),
    Setting("COINBASE_BASE_URL", Text(_http_url, "an http(s) URL"),
            "https://api.exchange.coinbase.com", "Coinbase Exchange's API", MARKET,
            attr="coinbase_base_url"),
    Setting("BINANCE_BASE_URL", Text(_http_url, "an http(s) URL"), "https://api.binance.com",
            "Binance's API", MARKET, attr="binance_base_url"),
    Setting("FEAR_GREED_URL", Text(_full_url, "an http(s) URL"),
            "https://api.alternative.me/fng/?limit=0&format=json",
            "the Crypto Fear & Greed Index's whole URL (alternative.me; attribution required "
            "where it is shown)", MARKET, attr="fear_greed_url"),
)
