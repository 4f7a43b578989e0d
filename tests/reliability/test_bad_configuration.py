"""Each required setting missing or malformed: one clear line naming the setting, exit code 2."""

from __future__ import annotations

import pytest

from utoday_sentiment.cli import main
from utoday_sentiment.errors import ConfigError

CASES = [
    # (command, settings, the setting the line must name)
    (["scrape"], {"UTODAY_BASE_URL": "u.today"}, "UTODAY_BASE_URL"),
    (["scrape"], {"UTODAY_BASE_URL": "https://"}, "UTODAY_BASE_URL"),
    (["scrape"], {"UTODAY_LISTING_PATH": "latest-cryptocurrency-news"}, "UTODAY_LISTING_PATH"),
    (["scrape"], {"UTODAY_MAX_PAGES": "0"}, "UTODAY_MAX_PAGES"),
    (["scrape"], {"UTODAY_READ_TIMEOUT": "-1"}, "UTODAY_READ_TIMEOUT"),
    (["scrape"], {"UTODAY_MAX_PAGE_BYTES": "lots"}, "UTODAY_MAX_PAGE_BYTES"),
    (["label"], {"HF_BATCH_SIZE": "0"}, "HF_BATCH_SIZE"),
    (["label"], {"HF_BATCH_SIZE": "1000"}, "HF_BATCH_SIZE"),
    (["label"], {"HF_LABEL_MAP": "Bullish=great,Bearish=negative"}, "HF_LABEL_MAP"),
    (["label"], {"HF_LABEL_MAP": "Bullish"}, "HF_LABEL_MAP"),
    (["label"], {"HF_API_URL": "router.huggingface.co/hf-inference/models/x"}, "HF_API_URL"),
    (["label"], {"HF_MODEL": "has spaces/in it"}, "HF_MODEL"),
    (["label"], {"HF_TIMEOUT": "0"}, "HF_TIMEOUT"),
    (["status"], {"DATABASE_URL": "localhost:5432/utoday"}, "DATABASE_URL"),
    (["status"], {"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
    (["label"], {"HF_API_TOKEN": ""}, "HF_API_TOKEN"),  # missing
]


@pytest.mark.parametrize(
    ("argv", "env", "setting"), CASES, ids=[f"{c[2]}={next(iter(c[1].values()))!r}" for c in CASES]
)
def test_bad_setting_is_one_line_naming_it(argv, env, setting, monkeypatch, db_url, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("HF_API_TOKEN", "hf_x")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code = main(argv)
    err = capsys.readouterr().err
    lines = [
        line for line in err.strip().splitlines() if not line.startswith(("database:", "INFO:"))
    ]
    assert code == 2
    assert len(lines) == 1 and lines[0].startswith("utoday-sentiment: error: ")
    assert setting in lines[0]


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({}, "no database configured: set DATABASE_SECRET_ARN"),
        (
            {"DATABASE_URL": "postgresql://u@h/d", "DATABASE_SSLMODE": "sometimes"},
            "DATABASE_SSLMODE='sometimes' is not valid",
        ),
        (
            {"DATABASE_URL": "postgresql://u@h/d"},
            "no Hugging Face token configured: set the HfTokenSecretArn",
        ),
    ],
)
def test_lambda_settings_name_what_is_missing(env, words):
    from utoday_sentiment.handlers.runtime import load_runtime_settings

    with pytest.raises(ConfigError) as info:
        load_runtime_settings({"DATABASE_SECRET_ARN": "", **env}, need_token=True)
    assert words in str(info.value) and "\n" not in str(info.value)
