"""A fetched response becomes records the way the settings say (time zone, sponsored categories),
and is archived as it came, with the parser version that read it."""

from __future__ import annotations

import dataclasses
from datetime import UTC, tzinfo

from ...errors import SiteError
from ...records import ParsedPage
from ...settings import Settings
from ...store.connection import Connection
from ...store.raw_pages import archive_page
from .parse import PARSER_VERSION, parse_listing, parse_rss


class PagingFault(SiteError):
    """A page after the first repeats a page already fetched: the site ignores `?page=N`."""


def zone_of(settings: Settings) -> tzinfo:
    if settings.timezone == "UTC":
        return UTC
    from zoneinfo import ZoneInfo  # only when needed: it reads the zone database

    return ZoneInfo(settings.timezone)


def parse_body(settings: Settings, url: str, kind: str, body: bytes) -> ParsedPage:
    """Today's parser over one body, with each title's sponsored flag set from its category."""
    if kind == "rss":
        page = parse_rss(body, url, settings.base_url)
    else:
        page = parse_listing(body, url, settings.base_url, zone_of(settings))
    sponsored = set(settings.sponsored_categories)
    page.titles = [
        dataclasses.replace(t, sponsored=(t.category or "").strip().lower() in sponsored)
        for t in page.titles
    ]
    return page


def read_page(
    conn: Connection,
    settings: Settings,
    url: str,
    kind: str,
    number: int | None,
    body: bytes,
    status: int,
) -> tuple[ParsedPage, int]:
    """Parse a fetched body and archive it; return what it held and its archived page id."""
    page = parse_body(settings, url, kind, body)
    page_id = archive_page(
        conn,
        url=url,
        kind=kind,
        page_number=number,
        status=status,
        body=body,
        parser_version=PARSER_VERSION,
        cards=page.cards,
        titles=len(page.titles),
    )
    return page, page_id
