"""The web app's connections: a small pool per role. Reads run as `utoday_analyst` in read-only
transactions, so no page can change data even through a bug; judging writes as `utoday_judge`,
which may only insert and update judgements. Both roles come from `migrate`."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

import psycopg2
from psycopg2 import sql

from ..errors import DatabaseError
from ..store.connection import Connection, connect, first_line, is_alive, rollback_quietly
from ..store.migrate import ANALYST_ROLE, JUDGE_ROLE

Role = Literal["read", "judge"]
ROLES: dict[Role, str] = {"read": ANALYST_ROLE, "judge": JUDGE_ROLE}


class Database:
    """Connections to one database, opened on demand and reused (at most `keep` idle a role)."""

    def __init__(self, url: str, *, keep: int = 4) -> None:
        self.url, self.keep = url, keep
        self._idle: dict[Role, list[Connection]] = {"read": [], "judge": []}
        self._lock = threading.Lock()

    @contextmanager
    def connection(self, role: Role = "read") -> Iterator[Connection]:
        with self._lock:
            conn = self._idle[role].pop() if self._idle[role] else None
        if conn is not None and not is_alive(conn):
            conn.close()
            conn = None
        conn = conn or self._open(role)
        try:
            yield conn
        except BaseException:
            conn.close()  # it may be broken, or its session changed: the next one is fresh
            raise
        rollback_quietly(conn)
        with self._lock:
            if len(self._idle[role]) < self.keep:
                self._idle[role].append(conn)
                return
        conn.close()

    def _open(self, role: Role) -> Connection:
        conn = connect(self.url, application_name=f"utoday-sentiment-web-{role}")
        name = ROLES[role]
        try:
            with conn.cursor() as cur:
                cur.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(name)))
                if role == "read":
                    cur.execute("SET default_transaction_read_only = on")
            conn.commit()
        except psycopg2.Error as exc:
            conn.close()
            raise DatabaseError(
                f"cannot work as the role {name} ({first_line(exc)}): run `utoday-sentiment "
                f"migrate` as the database owner, then `GRANT {name} TO` the web app's login"
            ) from exc
        return conn

    def close(self) -> None:
        with self._lock:
            for conns in self._idle.values():
                for conn in conns:
                    conn.close()
                conns.clear()
