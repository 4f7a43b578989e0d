"""The CLI's database: DATABASE_URL, or the embedded server started on demand; the schema
brought up to date. Every command module takes its connection from here."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import closing
from typing import Any

from ..settings import Settings
from ..store.connection import Connection, connect


def database_url(settings: Settings) -> str:
    if settings.database_url:
        return settings.database_url
    from .. import embedded

    url, data_dir = embedded.start(settings.data_dir)
    print(
        f"database: embedded PostgreSQL, data in {data_dir} "
        "(set DATABASE_URL to use another server)",
        file=sys.stderr,
    )
    return url


def connect_db(settings: Settings) -> Connection:
    return connect(database_url(settings))


def migrate_line(conn: Connection) -> str:
    from ..store.migrate import migrate

    applied = migrate(conn)
    if applied:
        return f"migrate: applied {', '.join(applied)}; schema up to date"
    return "migrate: schema up to date, nothing to apply"


def read_only(settings: Settings, read: Callable[[Connection], Any]) -> Any:
    """Connect, insist on the current schema (never change it), and read."""
    from ..store.migrate import require_current

    with closing(connect_db(settings)) as conn:
        require_current(conn)
        return read(conn)
