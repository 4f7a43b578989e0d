"""What a Lambda container keeps between invocations: settings with their secrets resolved, and
one database connection, checked before each use and reopened when it has dropped. A fresh
database gets its schema at the container's first connection (migrations run under an advisory
lock, so concurrent cold starts are safe).

Secrets never travel in plain environment variables: the template passes only their ARNs/names.
- DATABASE_SECRET_ARN: a Secrets Manager secret holding either an RDS-style JSON document
  (host, port, username, password, dbname) or a plain libpq URL.
- HF_TOKEN_SECRET_ARN (Secrets Manager: the token, or JSON with an HF_API_TOKEN/token key) or
  HF_TOKEN_PARAMETER (an SSM SecureString). Both are read with Powertools' Parameters utility
  and cached for SECRET_MAX_AGE seconds.
Without them (a laptop running `utoday-sentiment invoke`), DATABASE_URL and HF_API_TOKEN are used.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..config import Settings, load_settings
from ..deadline import Deadline
from ..errors import ConfigError, DatabaseError

if TYPE_CHECKING:
    from ..db import Connection

SECRET_MAX_AGE = 300  # seconds a secret is cached in the container
# Time kept back from the Lambda timeout for committing, flushing metrics and returning.
SAFETY_MARGIN_SECONDS = 3.0
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")

_connection: Connection | None = None
_connection_target: str | None = None
_migrated: set[str] = set()


def deadline(context: Any) -> Deadline:
    return Deadline.from_lambda_context(context, margin_seconds=SAFETY_MARGIN_SECONDS)


# ---------------------------------------------------------------------------------------------
# secrets


def _fetch_secret(arn: str, *, force: bool = False) -> str:
    from aws_lambda_powertools.utilities import parameters

    try:
        value = parameters.get_secret(arn, max_age=SECRET_MAX_AGE, force_fetch=force)
    except (parameters.exceptions.GetSecretError, parameters.exceptions.GetParameterError) as exc:
        raise ConfigError(
            f"cannot read the secret {arn} ({_aws_reason(exc)}); check that it exists and that "
            "the function's role may read it"
        ) from None
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    return str(value).strip()


def _fetch_parameter(name: str) -> str:
    from aws_lambda_powertools.utilities import parameters

    try:
        value = parameters.get_parameter(name, decrypt=True, max_age=SECRET_MAX_AGE)
    except parameters.exceptions.GetParameterError as exc:
        raise ConfigError(
            f"cannot read the SSM parameter {name} ({_aws_reason(exc)}); check that it exists and "
            "that the function's role may read and decrypt it"
        ) from None
    return str(value).strip()


def _aws_reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    for code in (
        "ResourceNotFoundException",
        "ParameterNotFound",
        "AccessDeniedException",
        "AccessDenied",
        "DecryptionFailure",
        "InvalidRequestException",
    ):
        if code in text:
            return code
    return text[:120] or exc.__class__.__name__


def database_dsn_from_secret(value: str, sslmode: str = "require") -> str:
    """A libpq connection string from a secret: an RDS-style JSON document or a plain URL."""
    from psycopg2.extensions import make_dsn, parse_dsn

    if value.startswith(("postgresql://", "postgres://")):
        try:
            options = parse_dsn(value)
        except Exception:  # noqa: BLE001 - psycopg2 raises ProgrammingError with the text
            raise ConfigError(
                "the database secret holds a malformed URL; store a libpq URL or RDS-style JSON"
            ) from None
        options.setdefault("sslmode", sslmode)
        return make_dsn(**options)
    try:
        document = json.loads(value)
    except ValueError:
        raise ConfigError(
            "the database secret is neither a postgresql:// URL nor JSON; store a libpq URL or "
            "RDS-style JSON with host, port, username, password and dbname"
        ) from None
    if not isinstance(document, dict):
        raise ConfigError(
            "the database secret's JSON must be an object with host, username and password"
        )
    missing = [key for key in ("host", "username", "password") if not document.get(key)]
    if missing:
        raise ConfigError(
            f"the database secret lacks {', '.join(missing)}; RDS-style JSON needs host, port, "
            "username, password and dbname"
        )
    engine = str(document.get("engine", "postgres")).lower()
    if not engine.startswith(("postgres", "aurora-postgresql")):
        raise ConfigError(f"the database secret is for engine {engine!r}, not PostgreSQL")
    return make_dsn(
        host=str(document["host"]),
        port=str(document.get("port") or 5432),
        user=str(document["username"]),
        password=str(document["password"]),
        dbname=str(document.get("dbname") or document.get("dbName") or "postgres"),
        sslmode=sslmode,
    )


def hf_token_from_secret(value: str) -> str:
    if value.startswith("{"):
        try:
            document = json.loads(value)
        except ValueError:
            raise ConfigError("the Hugging Face token secret is malformed JSON") from None
        if isinstance(document, dict):
            for key in ("HF_API_TOKEN", "token", "hf_token"):
                if isinstance(document.get(key), str):
                    return document[key].strip()
            if len(document) == 1 and isinstance(next(iter(document.values())), str):
                return str(next(iter(document.values()))).strip()
        raise ConfigError("the Hugging Face token secret's JSON has no HF_API_TOKEN key")
    return value


def _sslmode(env: Mapping[str, str]) -> str:
    mode = (env.get("DATABASE_SSLMODE") or "require").strip()
    if mode not in SSL_MODES:
        raise ConfigError(
            f"DATABASE_SSLMODE={mode!r} is not valid: use one of {', '.join(SSL_MODES)}"
        )
    return mode


def load_runtime_settings(env: Mapping[str, str] | None = None, *, need_token: bool) -> Settings:
    """Settings from the environment with the secrets the function needs resolved."""
    env = os.environ if env is None else env
    settings = load_settings(env)
    sslmode = _sslmode(env)  # checked even when unused: a typo never passes silently
    changes: dict[str, Any] = {}
    secret_arn = (env.get("DATABASE_SECRET_ARN") or "").strip()
    if secret_arn:
        changes["database_url"] = database_dsn_from_secret(_fetch_secret(secret_arn), sslmode)
    elif not settings.database_url:
        raise ConfigError(
            "no database configured: set DATABASE_SECRET_ARN (the DatabaseSecretArn parameter) "
            "or DATABASE_URL"
        )
    if need_token:
        token_arn = (env.get("HF_TOKEN_SECRET_ARN") or "").strip()
        token_parameter = (env.get("HF_TOKEN_PARAMETER") or "").strip()
        if token_arn:
            changes["hf_api_token"] = hf_token_from_secret(_fetch_secret(token_arn))
        elif token_parameter:
            changes["hf_api_token"] = _fetch_parameter(token_parameter)
        if not (changes.get("hf_api_token") or settings.hf_api_token):
            raise ConfigError(
                "no Hugging Face token configured: set the HfTokenSecretArn or "
                "HfTokenParameterName parameter (HF_TOKEN_SECRET_ARN / HF_TOKEN_PARAMETER), or "
                "HF_API_TOKEN when running locally"
            )
    return dataclasses.replace(settings, **changes) if changes else settings


# ---------------------------------------------------------------------------------------------
# the connection


def connection(settings: Settings, *, application_name: str) -> Connection:
    """The container's connection: reused while it answers, reopened when it has dropped.
    The first connection to a database applies pending migrations."""
    from ..db import connect, is_alive  # psycopg2 loads on the first invocation, not at import

    global _connection, _connection_target
    target = settings.database_url or ""
    if _connection is not None and _connection_target == target and is_alive(_connection):
        return _connection
    close()
    try:
        conn = connect(target, application_name=application_name)
    except DatabaseError:
        if not os.environ.get("DATABASE_SECRET_ARN"):
            raise
        # The password may have been rotated since the secret was cached: read it afresh once.
        fresh = _fresh_database_dsn()
        conn = connect(fresh, application_name=application_name)
        target = fresh
    if target not in _migrated:
        from ..migrate import migrate

        migrate(conn)
        _migrated.add(target)
    _connection, _connection_target = conn, target
    return conn


def _fresh_database_dsn() -> str:
    value = _fetch_secret(os.environ["DATABASE_SECRET_ARN"], force=True)
    return database_dsn_from_secret(value, _sslmode(os.environ))


def close() -> None:
    global _connection, _connection_target
    if _connection is not None:
        with contextlib.suppress(Exception):  # it is being discarded either way
            _connection.close()
    _connection, _connection_target = None, None


def reset() -> None:
    """Forget everything cached (tests; a new container)."""
    close()
    _migrated.clear()
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()
