"""Secrets for the Lambda functions, from Secrets Manager and SSM (moto), cached per container."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws
from psycopg2.extensions import parse_dsn

from utoday_sentiment.errors import ConfigError
from utoday_sentiment.handlers import runtime

RDS_SECRET = {
    "engine": "postgres",
    "host": "utoday.cluster-abc.eu-west-1.rds.amazonaws.com",
    "port": 5432,
    "username": "pipeline",
    "password": "p@ss w0rd'\"with:specials",
    "dbname": "utoday",
}


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    runtime.reset()
    with mock_aws():
        yield (
            boto3.client("secretsmanager", region_name="eu-west-1"),
            boto3.client("ssm", region_name="eu-west-1"),
        )
    runtime.reset()


def env(**values):
    return {"UTODAY_PAGE_DELAY": "0", **values}


def test_rds_json_secret_becomes_a_dsn_with_sslmode_require(aws):
    secrets, _ = aws
    arn = secrets.create_secret(Name="utoday/db", SecretString=json.dumps(RDS_SECRET))["ARN"]
    settings = runtime.load_runtime_settings(env(DATABASE_SECRET_ARN=arn), need_token=False)
    options = parse_dsn(settings.database_url)
    assert options == {
        "host": RDS_SECRET["host"],
        "port": "5432",
        "user": "pipeline",
        "password": RDS_SECRET["password"],
        "dbname": "utoday",
        "sslmode": "require",
    }
    assert RDS_SECRET["password"] not in repr(settings)


def test_url_secret_keeps_its_options_and_gets_the_configured_sslmode(aws):
    secrets, _ = aws
    arn = secrets.create_secret(
        Name="utoday/db-url", SecretString="postgresql://pipeline:pw@db.internal:6432/utoday"
    )["ARN"]
    settings = runtime.load_runtime_settings(
        env(DATABASE_SECRET_ARN=arn, DATABASE_SSLMODE="verify-full"), need_token=False
    )
    options = parse_dsn(settings.database_url)
    assert (options["host"], options["port"], options["sslmode"]) == (
        "db.internal",
        "6432",
        "verify-full",
    )


def test_hf_token_from_secrets_manager_plain_or_json(aws):
    secrets, _ = aws
    db = secrets.create_secret(Name="db", SecretString="postgresql://u:p@h/d")["ARN"]
    plain = secrets.create_secret(Name="hf-plain", SecretString="hf_plainTOKEN")["ARN"]
    as_json = secrets.create_secret(
        Name="hf-json", SecretString='{"HF_API_TOKEN": "hf_jsonTOKEN"}'
    )["ARN"]
    assert (
        runtime.load_runtime_settings(
            env(DATABASE_SECRET_ARN=db, HF_TOKEN_SECRET_ARN=plain), need_token=True
        ).hf_api_token
        == "hf_plainTOKEN"
    )
    assert (
        runtime.load_runtime_settings(
            env(DATABASE_SECRET_ARN=db, HF_TOKEN_SECRET_ARN=as_json), need_token=True
        ).hf_api_token
        == "hf_jsonTOKEN"
    )


def test_hf_token_from_an_ssm_secure_string(aws):
    secrets, ssm = aws
    db = secrets.create_secret(Name="db", SecretString="postgresql://u:p@h/d")["ARN"]
    ssm.put_parameter(Name="/utoday/hf-token", Value="hf_ssmTOKEN", Type="SecureString")
    settings = runtime.load_runtime_settings(
        env(DATABASE_SECRET_ARN=db, HF_TOKEN_PARAMETER="/utoday/hf-token"), need_token=True
    )
    assert settings.hf_api_token == "hf_ssmTOKEN"


def test_the_scraper_never_reads_the_token(aws):
    secrets, _ = aws
    db = secrets.create_secret(Name="db", SecretString="postgresql://u:p@h/d")["ARN"]
    settings = runtime.load_runtime_settings(
        env(DATABASE_SECRET_ARN=db, HF_TOKEN_SECRET_ARN=db.replace(":db", ":absent")),
        need_token=False,
    )
    assert settings.hf_api_token is None


@pytest.mark.parametrize("kind", ["secret", "parameter"])
def test_a_missing_secret_is_a_clear_error(aws, kind):
    secrets, _ = aws
    db = secrets.create_secret(Name="db", SecretString="postgresql://u:p@h/d")["ARN"]
    missing = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:utoday/nope-AbCdEf"
    values = {
        "secret": {"DATABASE_SECRET_ARN": missing},
        "parameter": {"DATABASE_SECRET_ARN": db, "HF_TOKEN_PARAMETER": "/utoday/nope"},
    }[kind]
    with pytest.raises(ConfigError) as info:
        runtime.load_runtime_settings(env(**values), need_token=True)
    message = str(info.value)
    assert "ResourceNotFoundException" in message or "ParameterNotFound" in message
    assert "the function's role may read" in message and "\n" not in message


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ('{"host": "h", "username": "u"}', "lacks password"),
        (
            '{"engine": "mysql", "host": "h", "username": "u", "password": "p"}',
            "engine 'mysql', not PostgreSQL",
        ),
        ("not a url nor json", "neither a postgresql:// URL nor JSON"),
        ('["a"]', "must be an object"),
    ],
)
def test_malformed_database_secret(aws, value, words):
    secrets, _ = aws
    arn = secrets.create_secret(Name="db-bad", SecretString=value)["ARN"]
    with pytest.raises(ConfigError, match=words) as info:
        runtime.load_runtime_settings(env(DATABASE_SECRET_ARN=arn), need_token=False)
    assert "p@ss" not in str(info.value)


def test_secrets_are_cached_across_invocations(aws):
    secrets, _ = aws
    arn = secrets.create_secret(Name="db", SecretString="postgresql://u:first@h/d")["ARN"]
    first = runtime.load_runtime_settings(env(DATABASE_SECRET_ARN=arn), need_token=False)
    secrets.put_secret_value(SecretId=arn, SecretString="postgresql://u:second@h/d")
    cached = runtime.load_runtime_settings(env(DATABASE_SECRET_ARN=arn), need_token=False)
    assert (
        parse_dsn(cached.database_url)["password"]
        == parse_dsn(first.database_url)["password"]
        == "first"
    )
    runtime.reset()  # a new container reads the secret afresh
    fresh = runtime.load_runtime_settings(env(DATABASE_SECRET_ARN=arn), need_token=False)
    assert parse_dsn(fresh.database_url)["password"] == "second"


def test_no_database_configured():
    with pytest.raises(ConfigError, match="no database configured: set DATABASE_SECRET_ARN"):
        runtime.load_runtime_settings({}, need_token=False)


def test_handler_reads_its_database_from_a_secret(aws, monkeypatch, conn, db_url, site, query):
    """The whole path: a secret holding the test database's URL, a scrape through the handler."""
    from fakes import articles
    from utoday_sentiment.handlers.local import invoke

    secrets, _ = aws
    arn = secrets.create_secret(Name="db-real", SecretString=db_url)["ARN"]
    monkeypatch.setenv("DATABASE_SECRET_ARN", arn)
    monkeypatch.setenv("DATABASE_SSLMODE", "disable")  # the embedded test server speaks no TLS
    monkeypatch.setenv("UTODAY_BASE_URL", site.url)
    monkeypatch.setenv("UTODAY_PAGE_DELAY", "0")
    site.serve_listing([articles(0, 4)])
    assert invoke("scrape", {})["new_titles"] == 4
    assert query("SELECT count(*) FROM titles") == [(4,)]


def test_the_coingecko_key_from_an_ssm_secure_string_is_never_shown(aws):
    secrets, ssm = aws
    db = secrets.create_secret(Name="db", SecretString="postgresql://u:p@h/d")["ARN"]
    ssm.put_parameter(Name="/utoday/coingecko", Value="CG-ssm-KEY-canary", Type="SecureString")
    settings = runtime.load_runtime_settings(
        env(DATABASE_SECRET_ARN=db, COINGECKO_KEY_PARAMETER="/utoday/coingecko"),
        need_token=False)
    assert settings.coingecko_api_key == "CG-ssm-KEY-canary"
    assert "CG-ssm-KEY-canary" not in repr(settings)
