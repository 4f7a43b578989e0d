"""The table itself: every environment variable the project reads or documents, in the order the
configuration page and `.env.example` show them."""

from __future__ import annotations

from .model import (
    DEFAULT_HF_MODEL,
    DEFAULT_USER_AGENT,
    HF_ROUTER,
    Choice,
    Seconds,
    Setting,
    Text,
    Whole,
    _database_url,
    _extra_feeds,
    _folder,
    _full_url,
    _http_url,
    _label_map,
    _model_id,
    _names,
    _path,
    _s3_uri,
    _signed_seconds,
    _source_names,
    _timezone,
)
from .table_aws import AWS_SETTINGS, MARKET_SETTINGS, WEB_SETTINGS

DATABASE, SCRAPING, LABELLING, RARE, LOGGING = (
    "Database",
    "Scraping U.Today",
    "Labelling with the Hugging Face Inference API",
    "Rarely needed",
    "Logging",
)

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "DATABASE_URL",
        Text(
            _database_url,
            "a libpq URL (postgresql://user:password@host:5432/dbname), or unset it to use "
            "the embedded database",
        ),
        None,
        "libpq URL of the database, e.g. `postgresql://user:pw@host:5432/db`",
        DATABASE,
        attr="database_url",
        secret=True,
        doc_default="unset: embedded PostgreSQL",
        example="postgresql://utoday:change-me@localhost:5432/utoday",
    ),
    Setting(
        "UTODAY_DATA_DIR",
        Text(_folder, "a folder path"),
        None,
        "where the embedded PostgreSQL keeps its data",
        DATABASE,
        attr="data_dir",
        doc_default="the user data folder + `/pgdata` "
        "(Linux: `~/.local/share/utoday-sentiment/pgdata`)",
    ),
    Setting(
        "UTODAY_BASE_URL",
        Text(_http_url, "an http(s) URL with a host and no query"),
        "https://u.today",
        "the site",
        SCRAPING,
        attr="base_url",
    ),
    Setting(
        "UTODAY_LISTING_PATH",
        Text(_path, "a path starting with '/', without query"),
        "/latest-cryptocurrency-news",
        "the listing; page N >= 1 is `?page=N`",
        SCRAPING,
        attr="listing_path",
    ),
    Setting(
        "UTODAY_USER_AGENT",
        Text(),
        DEFAULT_USER_AGENT,
        "sent with every request; say who you are",
        SCRAPING,
        attr="user_agent",
        doc_default="`utoday-sentiment/<version> "
        "(daily headline sentiment collector; one page at a time)`",
    ),
    Setting(
        "UTODAY_PAGE_DELAY",
        Seconds(zero=True),
        1.0,
        "seconds between listing pages (be polite)",
        SCRAPING,
        attr="page_delay",
    ),
    Setting(
        "UTODAY_MAX_PAGES",
        Whole(1, 1000),
        5,
        "daily mode's page limit (`--max-pages` and the event's `max_pages` override it)",
        SCRAPING,
        attr="max_pages",
        template="MaxPages",
    ),
    Setting(
        "UTODAY_CONNECT_TIMEOUT", Seconds(), 5.0, "seconds to connect", SCRAPING,
        attr="connect_timeout",
    ),
    Setting(
        "UTODAY_READ_TIMEOUT", Seconds(), 30.0, "seconds to wait for an answer", SCRAPING,
        attr="read_timeout",
    ),
    Setting(
        "UTODAY_HTTP_RETRIES",
        Whole(0),
        3,
        "retries on connection errors, 429 and 5xx, with backoff, honouring `Retry-After` "
        "(capped at 30 s)",
        SCRAPING,
        attr="http_retries",
    ),
    Setting(
        "UTODAY_MAX_PAGE_BYTES",
        Whole(1),
        5_000_000,
        "a response larger than this is refused",
        SCRAPING,
        attr="max_page_bytes",
    ),
    Setting(
        "UTODAY_SPONSORED_CATEGORIES",
        Text(_names, "comma-separated category names"),
        ("partners", "airdrops", "event", "events", "press releases", "sponsored"),
        "card categories that mark sponsored content (case-insensitive): stored and flagged, "
        "never labelled, left out of the views and reports",
        SCRAPING,
        attr="sponsored_categories",
        doc_default="`Partners, Airdrops, Event, Events, Press Releases, Sponsored`",
        example="Partners,Airdrops,Event,Events,Press Releases,Sponsored",
    ),
    Setting(
        "UTODAY_TIMEZONE",
        Text(_timezone, "an IANA time zone name"),
        "UTC",
        "the time zone of the listing cards' dates (unproven; see docs/how-it-works.md, scraping); "
        "RSS dates carry their own offset",
        SCRAPING,
        attr="timezone",
        example="Europe/Berlin",
    ),
    Setting(
        "UTODAY_SOURCES",
        Text(_source_names, "short names of built-in feeds, comma-separated: coindesk, "
             "cointelegraph, decrypt, theblock, bitcoinmagazine, cryptoslate, newsbtc, "
             "bitcoinist, dailyhodl, dlnews, blockworks, utoday-rss"),
        (),
        "feeds to read beside U.Today's listing (always read), by their short names; see "
        "docs/sources.md",
        SCRAPING,
        attr="sources",
        template="FeedSources",
        doc_default="unset: U.Today's listing only",
        example="coindesk,cointelegraph",
    ),
    Setting(
        "UTODAY_EXTRA_FEEDS",
        Text(_extra_feeds, "name=url pairs, comma-separated (names: a-z, 0-9, -)"),
        (),
        "any other RSS or Atom feeds, as `name=url` pairs; the name is stored with each title "
        "(a built-in's name moves that feed to the URL given)",
        SCRAPING,
        attr="extra_feeds",
        template="ExtraFeeds",
        doc_default="unset",
        example="myfeed=https://example.com/feed.xml",
    ),
    Setting(
        "UTODAY_RAW_RETENTION_DAYS",
        Whole(1),
        90,
        "days the raw page archive keeps each fetched page (the scraper prunes older ones)",
        SCRAPING,
        attr="raw_retention_days",
    ),
    Setting(
        "SENTIMENT_BACKEND",
        Choice(("hf-api", "endpoint", "sagemaker", "onnx")),
        "hf-api",
        "what labels the titles: `hf-api` (the Hugging Face Inference API), `endpoint` (a "
        "dedicated Inference Endpoint at `HF_API_URL`), `sagemaker` (`SAGEMAKER_ENDPOINT`) or "
        "`onnx` (a local model, `ONNX_MODEL`)",
        LABELLING,
        attr="sentiment_backend",
        template="SentimentBackend",
    ),
    Setting(
        "HF_ENDPOINT_ENGINE",
        Choice(("auto", "toolkit", "tei")),
        "auto",
        "with `SENTIMENT_BACKEND=endpoint`: the endpoint's engine, the Inference Toolkit or Text "
        "Embeddings Inference (`/predict`); `auto` tells them apart",
        LABELLING,
        attr="hf_endpoint_engine",
    ),
    Setting(
        "SAGEMAKER_ENDPOINT",
        Text(_model_id, "a SageMaker endpoint name"),
        None,
        "with `SENTIMENT_BACKEND=sagemaker`: the endpoint's name (the region is the AWS "
        "configuration's)",
        LABELLING,
        attr="sagemaker_endpoint",
        template="SageMakerEndpointName",
        example="utoday-sentiment-distilroberta",
    ),
    Setting(
        "ONNX_MODEL",
        Text(str, "a folder or a Hub repo id"),
        None,
        "with `SENTIMENT_BACKEND=onnx`: the model folder (model.onnx, tokenizer.json, "
        "config.json), or a Hub repo id downloaded once into the user cache",
        LABELLING,
        attr="onnx_model",
        example="~/models/distilroberta-financial-int8",
    ),
    Setting("ONNX_THREADS", Whole(1, 64), None, "with `SENTIMENT_BACKEND=onnx`: ONNX Runtime's "
            "threads (default: its own choice)", LABELLING, attr="onnx_threads",
            doc_default="unset: ONNX Runtime's", example="2"),
    Setting("ONNX_MODEL_S3_URI", Text(_s3_uri, "an s3://bucket/prefix/ URI"), None,
            "on AWS with `SENTIMENT_BACKEND=onnx`: the model folder's S3 prefix, copied to /tmp "
            "at a cold start", LABELLING, attr="onnx_model_s3_uri", template="ModelS3Uri",
            example="s3://my-models/distilroberta-int8/"),
    Setting("ONNX_BATCH_SIZE", Whole(1, 1024), 32, "with `SENTIMENT_BACKEND=onnx`: titles per "
            "model run (sorted by length, padded per run)", LABELLING, attr="onnx_batch_size"),
    Setting("HF_ENDPOINT", Text(_http_url, "an http(s) URL with a host and no query"),
            "https://huggingface.co", "the Hub that `check` asks whether a model is served (a "
            "mirror), as huggingface_hub does", LABELLING, attr="hf_endpoint"),
    Setting(
        "HF_API_TOKEN",
        Text(),
        None,
        'Hugging Face token (fine-grained, "Make calls to Inference Providers"); never logged',
        LABELLING,
        attr="hf_api_token",
        secret=True,
        doc_default="unset: no labelling",
    ),
    Setting(
        "HF_MODEL",
        Text(_model_id, "a Hugging Face model id"),
        DEFAULT_HF_MODEL,
        "the model; stored with each label",
        LABELLING,
        attr="hf_model",
        template="HfModel",
    ),
    Setting(
        "HF_API_URL",
        Text(_full_url, "the full http(s) URL of the endpoint"),
        None,
        "the whole endpoint URL, e.g. a dedicated Inference Endpoint",
        LABELLING,
        attr="hf_api_url",
        template="HfApiUrl",
        doc_default=f"`{HF_ROUTER}$HF_MODEL`",
        example=HF_ROUTER + DEFAULT_HF_MODEL,
    ),
    Setting(
        "HF_BATCH_SIZE",
        Whole(1, 256),
        32,
        "titles per request",
        LABELLING,
        attr="hf_batch_size",
        template="HfBatchSize",
    ),
    Setting(
        "HF_TIMEOUT",
        Seconds(),
        30.0,
        "seconds to wait for one answer (never more than the run has left)",
        LABELLING,
        attr="hf_timeout",
    ),
    Setting(
        "HF_MAX_RETRIES",
        Whole(0),
        4,
        "retries of one batch on 5xx, 429, timeouts and unusable answers before the run stops",
        LABELLING,
        attr="hf_max_retries",
    ),
    Setting(
        "LABEL_LEASE_SECONDS",
        Whole(10, 3600),
        300,
        "how long a labeller's claim on a batch lasts; a labeller that dies leaves its batch "
        "claimable again after this",
        LABELLING,
        attr="label_lease_seconds",
    ),
    Setting(
        "HF_LABEL_MAP",
        Text(
            _label_map,
            "comma-separated label=sentiment pairs, each sentiment one of positive, "
            "neutral, negative",
        ),
        None,
        "`label=sentiment` pairs for models with other labels, e.g. "
        "`Bullish=positive,Bearish=negative,Neutral=neutral`; labels mapping to one sentiment "
        "add up",
        LABELLING,
        attr="hf_label_map",
        doc_default="unset: `positive`, `neutral`, `negative`",
        example="Bullish=positive,Bearish=negative,Neutral=neutral",
    ),
    *AWS_SETTINGS,
    *WEB_SETTINGS,
    *MARKET_SETTINGS,
    Setting(
        "UTODAY_MIGRATIONS_DIR",
        Text(_folder, "a folder path"),
        None,
        "where the migration SQL files are (only for unusual installs)",
        RARE,
        attr="migrations_dir",
        doc_default="the package's own",
    ),
    Setting(
        "TEST_DATABASE_URL",
        Text(),
        None,
        "tests only: a PostgreSQL server to test against instead of a throwaway embedded one "
        "(each test works in a schema of its own and drops it)",
        RARE,
        example="postgresql://postgres@localhost:5432/postgres",
    ),
    Setting("UTODAY_CLOCK_OFFSET", Text(_signed_seconds, "a number of seconds, < 0 for the past"),
            0.0, "tests and replays only: shift the clock every \"now\" and \"today\" of the "
            "program follows (report windows, status, leases shown), in every process started "
            "with it", RARE, doc_default="`0`: the system clock", example="-3600"),
    Setting(
        "LOG_LEVEL",
        Choice(("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"), upper=True),
        "INFO",
        "how much to log: `DEBUG`, `INFO`, `WARNING`, `ERROR` or `CRITICAL`",
        LOGGING,
        attr="log_level",
        template="LogLevel",
    ),
)

BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}


def setting(name: str) -> Setting:
    return BY_NAME[name]
