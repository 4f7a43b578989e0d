"""The raw page archive: every listing page and feed response the sources received, compressed,
each distinct body stored once, pruned after the retention period."""

from __future__ import annotations

import gzip
import hashlib
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..errors import DatabaseError
from .connection import Connection, fetch_one, rollback_quietly, translate_errors


class ArchiveError(DatabaseError):
    """An archived page cannot be read back (missing, or its body no longer decompresses)."""


@dataclass(frozen=True)
class RawPage:
    id: int
    url: str
    kind: str  # "listing", "rss" (U.Today's feed) or "feed" (another outlet's)
    page_number: int | None
    fetched_at: datetime
    status: int
    content_hash: str
    parser_version: str
    cards: int
    titles: int
    size: int  # uncompressed bytes
    source: str = "utoday"  # whose body it is (a feed's short name for kind "feed")
    content_type: str | None = None  # as the server sent it (a feed may declare its encoding there)


_READ_SQL = (
    "SELECT p.id, p.url, p.kind, p.page_number, p.fetched_at, p.status, p.content_hash,"
    " p.parser_version, p.cards, p.titles, b.size, p.source, p.content_type, b.body"
    " FROM raw_pages AS p JOIN raw_bodies AS b USING (content_hash) WHERE p.id = %s"
)
_LIST_SQL = (
    "SELECT p.id, p.url, p.kind, p.page_number, p.fetched_at, p.status, p.content_hash,"
    " p.parser_version, p.cards, p.titles, b.size, p.source, p.content_type"
    " FROM raw_pages AS p JOIN raw_bodies AS b USING (content_hash)"
    " WHERE %(since)s::date IS NULL OR p.fetched_at >= %(since)s::date"
    " ORDER BY p.fetched_at, p.id LIMIT %(limit)s"
)


def archive_page(
    conn: Connection,
    *,
    url: str,
    kind: str,
    page_number: int | None,
    status: int,
    body: bytes,
    parser_version: str,
    cards: int,
    titles: int,
    source: str = "utoday",
    content_type: str | None = None,
) -> int:
    """Keep one fetched response; return its page id. Commits. An identical body is stored once."""
    digest = hashlib.sha256(body).hexdigest()
    try:
        with translate_errors("archiving a fetched page"), conn.cursor() as cur:
            cur.execute(
                "INSERT INTO raw_bodies (content_hash, body, size) VALUES (%s, %s, %s)"
                " ON CONFLICT (content_hash) DO NOTHING",
                (digest, gzip.compress(body, compresslevel=6), len(body)),
            )
            cur.execute(
                "INSERT INTO raw_pages (url, kind, page_number, status, content_hash,"
                " parser_version, cards, titles, source, content_type)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                (url, kind, page_number, status, digest, parser_version, cards, titles, source,
                 content_type),
            )
            (page_id,) = fetch_one(cur)
            conn.commit()
    except BaseException:
        rollback_quietly(conn)
        raise
    return int(page_id)


def prune(conn: Connection, retention_days: int) -> tuple[int, int]:
    """Drop pages fetched more than `retention_days` ago and the bodies no page refers to any
    more. Commits. Returns (pages, bodies) removed."""
    try:
        with translate_errors("pruning the page archive"), conn.cursor() as cur:
            cur.execute(
                "DELETE FROM raw_pages WHERE fetched_at < now() - make_interval(days => %s)",
                (retention_days,),
            )
            pages = cur.rowcount
            cur.execute(
                "DELETE FROM raw_bodies AS b WHERE NOT EXISTS"
                " (SELECT 1 FROM raw_pages AS p WHERE p.content_hash = b.content_hash)"
            )
            bodies = cur.rowcount
            conn.commit()
    except BaseException:
        rollback_quietly(conn)
        raise
    return pages, bodies


def _decompress(page_id: int, compressed: Any) -> bytes:
    try:
        return gzip.decompress(bytes(compressed))
    except (OSError, EOFError, zlib.error) as exc:
        raise ArchiveError(
            f"archived page {page_id} no longer decompresses ({exc}); it cannot be re-read: "
            "remove that page from raw_pages, or restore the database from a backup"
        ) from exc


def read_page(conn: Connection, page_id: int) -> tuple[RawPage, bytes]:
    """One archived page and its body (read-only)."""
    with translate_errors("reading the page archive"), conn.cursor() as cur:
        cur.execute(_READ_SQL, (page_id,))
        row = cur.fetchone()
    conn.rollback()
    if row is None:
        raise ArchiveError(
            f"no archived page {page_id}; `utoday-sentiment pages list` shows the ids kept"
        )
    return RawPage(*row[:-1]), _decompress(page_id, row[-1])


def list_pages(conn: Connection, *, since: date | None = None, limit: int | None = None
               ) -> list[RawPage]:
    """Archived pages, oldest first (read-only)."""
    with translate_errors("reading the page archive"), conn.cursor() as cur:
        cur.execute(_LIST_SQL, {"since": since, "limit": limit})
        rows = cur.fetchall()
    conn.rollback()
    return [RawPage(*row) for row in rows]


def bodies(conn: Connection, pages: list[RawPage]) -> Iterator[tuple[RawPage, bytes]]:
    """Each page with its body, one body in memory at a time, inside the caller's transaction."""
    with translate_errors("reading the page archive"), conn.cursor() as cur:
        for page in pages:
            cur.execute("SELECT body FROM raw_bodies WHERE content_hash = %s",
                        (page.content_hash,))
            (compressed,) = fetch_one(cur)
            yield page, _decompress(page.id, compressed)
