"""What a Lambda container keeps between invocations: settings with their secrets resolved, and
one database connection, checked before each use and reopened when it has dropped.

Migrations run at deploy, by the MigrateFunction (`handlers/migrate.py`), not here.

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
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ..deadline import Deadline
from ..errors import ConfigError, DatabaseError
from ..settings import Settings, load_settings

if TYPE_CHECKING:
    from ..store.connection import Connection

SECRET_MAX_AGE = 300  # seconds a secret is cached in the container
# Time kept back from the Lambda timeout for committing, flushing metrics and returning.
SAFETY_MARGIN_SECONDS = 3.0

_connection: Connection | None = None
_connection_target: str | None = None
_checked: set[str] = set()  # databases whose schema was found current


def deadline(context: LambdaContext) -> Deadline:
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
        ) from exc
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
        ) from exc
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
            # No cause kept: the parser's error quotes the secret (here and below).
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


def load_runtime_settings(
    env: Mapping[str, str] | None = None, *, need_token: bool, admin: bool = False
) -> Settings:
    """Settings from the environment with the secrets the function needs resolved. `admin`: the
    migration's connection, with DATABASE_ADMIN_SECRET_ARN when one is given."""
    settings = load_settings(env)
    changes: dict[str, Any] = {}
    secret_arn = (admin and settings.database_admin_secret_arn) or settings.database_secret_arn
    if secret_arn:
        changes["database_url"] = database_dsn_from_secret(
            _fetch_secret(secret_arn), settings.database_sslmode
        )
    elif not settings.database_url:
        raise ConfigError(
            "no database configured: set DATABASE_SECRET_ARN (the DatabaseSecretArn parameter) "
            "or DATABASE_URL"
        )
    if need_token:
        if settings.hf_token_secret_arn:
            changes["hf_api_token"] = hf_token_from_secret(
                _fetch_secret(settings.hf_token_secret_arn)
            )
        elif settings.hf_token_parameter:
            changes["hf_api_token"] = _fetch_parameter(settings.hf_token_parameter)
        hf_api = settings.sentiment_backend == "hf-api"  # the others may work without a token
        if hf_api and not (changes.get("hf_api_token") or settings.hf_api_token):
            raise ConfigError(
                "no Hugging Face token configured: set the HfTokenSecretArn or "
                "HfTokenParameterName parameter (HF_TOKEN_SECRET_ARN / HF_TOKEN_PARAMETER), or "
                "HF_API_TOKEN when running locally"
            )
    if settings.coingecko_key_parameter and not settings.coingecko_api_key:
        changes["coingecko_api_key"] = _fetch_parameter(settings.coingecko_key_parameter)
    if need_token and settings.sentiment_backend == "onnx" and settings.onnx_model_s3_uri:
        changes["onnx_model"] = str(model_from_s3(settings.onnx_model_s3_uri))
    return dataclasses.replace(settings, **changes) if changes else settings


MODEL_DIR = "/tmp/utoday-onnx-model"  # noqa: S108 - Lambda's only writable place
MODEL_FILES = ("model.onnx", "tokenizer.json", "config.json")


def model_from_s3(uri: str, folder: str | None = None) -> str:
    """Copy the model folder at `uri` (s3://bucket/prefix/) into /tmp once per container."""
    from pathlib import Path
    from urllib.parse import urlsplit

    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    target = Path(folder or MODEL_DIR)
    if all((target / name).is_file() for name in MODEL_FILES):
        return str(target)  # a warm container has it already
    parts = urlsplit(uri)
    target.mkdir(parents=True, exist_ok=True)
    s3 = boto3.client("s3")
    for name in MODEL_FILES:
        key = parts.path.lstrip("/") + name
        try:
            s3.download_file(parts.netloc, key, str(target / f"{name}.part"))
        except (ClientError, BotoCoreError) as exc:
            raise ConfigError(
                f"cannot copy s3://{parts.netloc}/{key} ({_aws_reason(exc)}): ONNX_MODEL_S3_URI "
                "must hold model.onnx, tokenizer.json and config.json, readable by the function"
            ) from exc
        (target / f"{name}.part").replace(target / name)
    return str(target)


# ---------------------------------------------------------------------------------------------
# the connection


def connection(settings: Settings, *, application_name: str) -> Connection:
    """The container's connection: reused while it answers, reopened when it has dropped.
    The first connection to a database checks that its schema is this version's: the scrape and
    label functions never run DDL (the MigrateFunction does, at every deploy)."""
    # psycopg2 loads on the first invocation, not at import
    from ..store.connection import connect, is_alive

    global _connection, _connection_target
    target = settings.database_url or ""
    if _connection is not None and _connection_target == target and is_alive(_connection):
        return _connection
    close()
    try:
        conn = connect(target, application_name=application_name)
    except DatabaseError:
        if not settings.database_secret_arn:
            raise
        # The password may have been rotated since the secret was cached: read it afresh once.
        fresh = database_dsn_from_secret(
            _fetch_secret(settings.database_secret_arn, force=True), settings.database_sslmode
        )
        conn = connect(fresh, application_name=application_name)
        target = fresh
    if target not in _checked:
        from ..store.migrate import pending

        behind = pending(conn)
        if behind:
            conn.close()
            raise DatabaseError(
                "schema is behind this version: the deploy's migration did not run "
                f"({', '.join(behind)} not applied); redeploy, or invoke the stack's "
                "MigrateFunction"
            )
        _checked.add(target)
    _connection, _connection_target = conn, target
    return conn


def close() -> None:
    global _connection, _connection_target
    if _connection is not None:
        with contextlib.suppress(Exception):  # it is being discarded either way
            _connection.close()
    _connection, _connection_target = None, None


def reset() -> None:
    """Forget everything cached (tests; a new container)."""
    close()
    _checked.clear()
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()
