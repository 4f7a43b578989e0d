from __future__ import annotations

from pathlib import Path

import pytest

from utoday_sentiment.errors import ConfigError
from utoday_sentiment.settings import DEFAULT_USER_AGENT, load_settings


def test_defaults():
    s = load_settings({})
    assert s.database_url is None
    assert s.listing_url == "https://u.today/latest-cryptocurrency-news"
    assert s.page_delay == 1.0
    assert s.max_pages == 5
    assert s.user_agent == DEFAULT_USER_AGENT
    assert "python-requests" not in s.user_agent


def test_values_are_read_and_trimmed():
    s = load_settings(
        {
            "DATABASE_URL": "postgresql://u:p@db:5432/x",
            "UTODAY_BASE_URL": "http://127.0.0.1:8080/",
            "UTODAY_LISTING_PATH": "/bitcoin-news/",
            "UTODAY_PAGE_DELAY": " 0 ",
            "UTODAY_DATA_DIR": "~/pg",
            "UTODAY_MAX_PAGES": "2",
        }
    )
    assert s.listing_url == "http://127.0.0.1:8080/bitcoin-news"
    assert s.page_delay == 0
    assert s.max_pages == 2
    assert s.data_dir == Path("~/pg").expanduser()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("UTODAY_BASE_URL", "u.today"),
        ("UTODAY_BASE_URL", "ftp://u.today"),
        ("UTODAY_BASE_URL", "https://u.today/?x=1"),
        ("UTODAY_LISTING_PATH", "latest"),
        ("UTODAY_PAGE_DELAY", "-1"),
        ("UTODAY_PAGE_DELAY", "soon"),
        ("UTODAY_PAGE_DELAY", "nan"),
        ("UTODAY_MAX_PAGES", "0"),
        ("UTODAY_READ_TIMEOUT", "0"),
        ("UTODAY_HTTP_RETRIES", "-2"),
        ("UTODAY_MAX_PAGE_BYTES", "1.5"),
        ("DATABASE_URL", "mysql://x/y"),
        ("LOG_LEVEL", "LOUD"),
    ],
)
def test_malformed_setting_names_the_variable(name, value):
    with pytest.raises(ConfigError) as info:
        load_settings({name: value})
    message = str(info.value)
    assert message.startswith(f"{name}=")
    assert "\n" not in message


def test_database_password_never_in_the_error():
    with pytest.raises(ConfigError) as info:
        load_settings({"DATABASE_URL": "mysql://user:s3cret-pw@db/x"})
    # the value is echoed for a malformed URL only when it holds no credentials
    assert "s3cret-pw" not in str(info.value)


def test_dotenv_is_read_and_real_environment_wins(tmp_path, monkeypatch):
    from utoday_sentiment.settings import load_dotenv_file

    (tmp_path / ".env").write_text("UTODAY_MAX_PAGES=7\nUTODAY_PAGE_DELAY=3\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("UTODAY_PAGE_DELAY", "0.5")
    load_dotenv_file()
    s = load_settings()
    assert s.max_pages == 7
    assert s.page_delay == 0.5
