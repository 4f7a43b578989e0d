"""Apply the numbered SQL files in migrations/, once each, in order, under an advisory lock.

`schema_migrations` records each applied file with its SHA-256. A shipped file whose contents
changed is an error: migrations are never edited, a new numbered file is added instead.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg2

from ..errors import DatabaseError, MigrationError
from ..settings import read_setting
from .connection import Connection, fetch_one, first_line, translate_errors

log = logging.getLogger(__name__)

# pg_advisory_lock key shared by every runner of this project ("utoday" in ASCII).
ADVISORY_LOCK_KEY = 0x75746F646179
_NAME = re.compile(r"^(\d{4})_[A-Za-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


def migrations_dir() -> Path:
    """Where the SQL files are: UTODAY_MIGRATIONS_DIR, the installed package, or the source tree."""
    override = read_setting("UTODAY_MIGRATIONS_DIR")
    candidates = [override] if override else []
    package = Path(__file__).resolve().parents[1]
    candidates += [package / "migrations", package.parents[1] / "migrations"]
    for candidate in candidates:
        if candidate.is_dir() and any(candidate.glob("*.sql")):
            return candidate
    raise MigrationError(
        "cannot find the migrations/ folder (looked in "
        + ", ".join(str(c) for c in candidates)
        + "); reinstall the package or set UTODAY_MIGRATIONS_DIR"
    )


def load_migrations(directory: Path | None = None) -> list[Migration]:
    directory = directory or migrations_dir()
    found: dict[str, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(
                f"{path.name} in migrations/ is not named NNNN_description.sql; rename it"
            )
        number = match.group(1)
        if number in found:
            raise MigrationError(
                f"two migrations share the number {number}: {found[number].name} and {path.name}"
            )
        found[number] = Migration(path.name, path.read_text(encoding="utf-8"))
    return [found[number] for number in sorted(found)]


def pending(conn: Connection, migrations: list[Migration] | None = None) -> list[str]:
    """Names of the migrations not yet applied to this database (read-only)."""
    migrations = load_migrations() if migrations is None else migrations
    with translate_errors("reading the applied migrations"), conn.cursor() as cur:
        cur.execute("SELECT to_regclass('schema_migrations') IS NOT NULL")
        (exists,) = fetch_one(cur)
        applied: set[str] = set()
        if exists:
            cur.execute("SELECT name FROM schema_migrations")
            applied = {name for (name,) in cur.fetchall()}
    conn.rollback()
    return [m.name for m in migrations if m.name not in applied]


def migrate(conn: Connection, migrations: list[Migration] | None = None) -> list[str]:
    """Apply pending migrations; return the names applied now. Safe to run concurrently."""
    migrations = load_migrations() if migrations is None else migrations
    applied_now: list[str] = []
    with translate_errors("migrating"):
        conn.rollback()
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
        try:
            with conn.cursor() as cur:
                cur.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    " name text PRIMARY KEY,"
                    " checksum text NOT NULL,"
                    " applied_at timestamptz NOT NULL DEFAULT now())"
                )
                cur.execute("SELECT name, checksum FROM schema_migrations")
                applied = dict(cur.fetchall())
            conn.commit()
            known = {m.name for m in migrations}
            for name in sorted(set(applied) - known):
                log.warning(
                    "the database has migration %s, which this version does not ship; "
                    "it was applied by a newer release",
                    name,
                )
            for migration in migrations:
                if migration.name in applied:
                    if applied[migration.name] != migration.checksum:
                        raise MigrationError(
                            f"migrations/{migration.name} changed after it was applied to this "
                            "database; shipped migrations are never edited: restore the file and "
                            "put the change in a new numbered migration"
                        )
                    continue
                _apply(conn, migration)
                applied_now.append(migration.name)
            ensure_analyst_role(conn)
        finally:
            _unlock(conn)
    return applied_now


ANALYST_ROLE = "utoday_analyst"
# What the read-only role may read: the table and the analysts' views (all in the current schema).
ANALYST_RELATIONS = (
    "titles", "daily_sentiment", "labelled_titles", "coin_daily_sentiment", "title_coins",
    "title_topics", "judgements", "model_quality", "daily_rollup", "coin_daily_rollup",
    "source_daily_sentiment", "daily_story_sentiment", "feed_state", "prices", "fear_greed",
    "coin_daily_market",
)


# What the web app's judging path writes through: judgements, and nothing else.
JUDGE_ROLE = "utoday_judge"
JUDGE_GRANTS = {"judgements": "SELECT, INSERT, UPDATE"}


def ensure_analyst_role(conn: Connection) -> bool:
    """Create the NOLOGIN roles `utoday_analyst` (reads the table and the analysts' views) and
    `utoday_judge` (may only insert and update judgements) if missing, and grant them that.

    Roles are cluster-wide and migrations per database, so this runs on every migrate and is
    idempotent. Where the migrating role may not create roles (no CREATEROLE), it says what an
    administrator should run and goes on. Returns whether the analyst role is in place with its
    grants.
    """
    ready = _ensure_role(conn, ANALYST_ROLE, dict.fromkeys(ANALYST_RELATIONS, "SELECT"),
                         "read-only")
    _ensure_role(conn, JUDGE_ROLE, JUDGE_GRANTS, "judgement-writing")
    return ready


def _ensure_role(conn: Connection, name: str, grants: dict[str, str], what: str) -> bool:
    from psycopg2 import sql

    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,))
        exists = cur.fetchone() is not None
    conn.commit()
    if not exists:
        try:
            with conn.cursor() as cur:
                cur.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(name)))
            conn.commit()
        except psycopg2.errors.DuplicateObject:
            conn.rollback()  # another migrator created it a moment ago
        except psycopg2.errors.InsufficientPrivilege:
            conn.rollback()
            log.warning(
                "cannot create the %s role %s: this database user lacks CREATEROLE; an "
                "administrator can run `CREATE ROLE %s NOLOGIN;`, then `utoday-sentiment migrate` "
                "grants it its access",
                what, name, name,
            )
            return False
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT current_schema()")
            (schema,) = fetch_one(cur)
            role = sql.Identifier(name)
            cur.execute(
                sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema), role)
            )
            # the relations this database has (a partial migration may lack the later ones)
            cur.execute("SELECT name FROM unnest(%s::text[]) AS name"
                        " WHERE to_regclass(quote_ident(%s) || '.' || name) IS NOT NULL",
                        (list(grants), schema))
            for (relation,) in cur.fetchall():
                privileges = sql.SQL(grants[relation])  # a constant of this module, never input
                cur.execute(sql.SQL("GRANT {} ON {} TO {}").format(
                    privileges, sql.Identifier(schema, relation), role))
        conn.commit()
    except psycopg2.errors.InsufficientPrivilege as exc:
        conn.rollback()
        log.warning(
            "cannot grant %s access to %s (%s); the owner of the tables can run the grants in "
            "docs/analysts.md, under 'Connecting'",
            what, name, first_line(exc),
        )
        return False
    return True


def _apply(conn: Connection, migration: Migration) -> None:
    log.debug("applying migration %s", migration.name)  # the caller says what was applied
    try:
        with conn.cursor() as cur:
            cur.execute(migration.sql)  # sql-source: a shipped, checksummed migration file
            cur.execute(
                "INSERT INTO schema_migrations (name, checksum) VALUES (%s, %s)",
                (migration.name, migration.checksum),
            )
        conn.commit()
    except (psycopg2.OperationalError, psycopg2.InterfaceError):
        raise
    except psycopg2.Error as exc:
        conn.rollback()
        raise MigrationError(
            f"migration {migration.name} failed and was rolled back: {first_line(exc)}"
        ) from exc


def _unlock(conn: Connection) -> None:
    if conn.closed:
        return
    try:
        conn.rollback()
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))
        conn.commit()
    except psycopg2.Error:
        pass  # the session is gone, and its lock with it


class NoSchema(DatabaseError):
    """The database holds no schema at all: nothing was ever stored in it."""


def require_current(conn: Connection) -> None:
    """Raise unless every shipped migration is applied (read-only: runs none)."""
    migrations = load_migrations()
    behind = pending(conn, migrations)
    if not behind:
        return
    if len(behind) == len(migrations):
        raise NoSchema(
            "no data yet: this database has no schema; run `utoday-sentiment run` to scrape the "
            "first headlines (or `utoday-sentiment migrate` to create the schema only)"
        )
    raise DatabaseError(
        f"the database schema is behind this version ({', '.join(behind)} not applied); "
        "run `utoday-sentiment migrate`"
    )
