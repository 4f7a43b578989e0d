"""Replay today's parsers over the raw page archive (listing pages, U.Today's RSS, other feeds):
add the cards an earlier parser missed, fill the fields it left empty, set the sponsored flag;
never a duplicate, never an empty value over a filled one. One transaction: an unreadable page
stops the run with nothing changed."""

from __future__ import annotations

from .records import ReparseRequest, ReparseSummary
from .settings import Settings
from .sources import read_archived
from .store.connection import Connection, rollback_quietly, translate_errors
from .store.raw_pages import bodies, list_pages
from .store.titles import merge_titles

_MARK_READ_SQL = "UPDATE raw_pages SET parser_version = %s, cards = %s, titles = %s WHERE id = %s"


def reparse_pages(
    conn: Connection, settings: Settings, request: ReparseRequest, summary: ReparseSummary
) -> None:
    pages = [p for p in list_pages(conn, since=request.since) if p.status == 200]
    try:
        with translate_errors("re-reading archived pages"), conn.cursor() as cur:
            for page, body in bodies(conn, pages):
                parsed, version = read_archived(settings, page, body)
                added, completed = merge_titles(cur, parsed.titles)
                summary.pages += 1
                summary.titles_seen += len({t.url for t in parsed.titles})
                summary.added += added
                summary.completed += completed
                cur.execute(
                    _MARK_READ_SQL, (version, parsed.cards, len(parsed.titles), page.id)
                )
        if request.dry_run:
            conn.rollback()
        else:
            conn.commit()
    except BaseException:
        rollback_quietly(conn)
        raise
