"""`utoday-sentiment feeds` and `sources`: the feeds beside U.Today's listing, read and shown."""

from __future__ import annotations

import argparse
import json
from contextlib import closing
from datetime import UTC, datetime
from typing import Any

from ..deadline import Deadline
from ..errors import ConfigError, SiteError, UtodayError
from ..settings import Settings
from ..store.connection import Connection
from .db import connect_db, migrate_line, read_only


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _minute(value: datetime | None) -> str | None:
    """A time for the table: to the minute, in UTC (the JSON keeps every digit)."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if value else None


def poll_feeds(settings: Settings, conn: Connection, deadline: Deadline | None = None
           ) -> UtodayError | None:
    """Poll the configured feeds (none: nothing to do) and print the summary."""
    from ..jobs import run_feeds
    from ..sources.feeds import configured_feeds

    if not configured_feeds(settings):
        return None
    result = run_feeds(settings, conn, deadline)
    if result.began:
        print(result.summary.line())
    if result.error is not None and not isinstance(result.error, SiteError):
        raise result.error
    return result.error


def cmd_feeds(args: argparse.Namespace, settings: Settings) -> int:
    from ..sources.feeds import configured_feeds

    if not configured_feeds(settings):
        raise ConfigError("no feed is configured: set UTODAY_SOURCES (e.g. coindesk,cointelegraph) "
                          "or UTODAY_EXTRA_FEEDS (name=url); U.Today's listing is `scrape`")
    with closing(connect_db(settings)) as conn:
        migrate_line(conn)
        error = poll_feeds(settings, conn, Deadline(args.max_seconds))
    if error is not None:
        raise error
    return 0


def cmd_sources(args: argparse.Namespace, settings: Settings) -> int:
    from ..report import format_table
    from ..sources.feeds import configured_feeds
    from ..store.feeds import source_report

    rows = {r["source"]: r for r in read_only(settings, source_report)}
    listed = [("utoday", settings.listing_url),
              *((f.name, f.url) for f in configured_feeds(settings))]
    table = []
    for name, url in listed + [(n, r["url"] or "") for n, r in rows.items()
                               if n not in {m for m, _ in listed}]:
        row = rows.get(name, {})
        table.append({"source": name, "url": url, "configured": name in {m for m, _ in listed},
                      "items": row.get("items", 0), "newest_item_at": row.get("newest_item_at"),
                      "last_fetch_at": row.get("last_fetch_at"),
                      "last_status": row.get("last_status"),
                      "last_new_at": row.get("last_new_at"), "last_error": row.get("last_error")})
    if args.json:
        print(json.dumps([{k: _iso(v) for k, v in r.items()} for r in table], indent=2))
        return 0
    columns = ("source", "items", "newest item (UTC)", "last fetch", "status", "last new",
               "last error")
    print(format_table(columns, [(r["source"] + ("" if r["configured"] else " (off)"), r["items"],
                                  _minute(r["newest_item_at"]), _minute(r["last_fetch_at"]),
                                  r["last_status"], _minute(r["last_new_at"]), r["last_error"])
                                 for r in table]))
    return 0
