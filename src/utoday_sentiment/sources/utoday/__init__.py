"""U.Today: `parse` turns pages into records (pure), `client` fetches them over HTTP."""

from .client import SiteClient, page_url, rss_url
from .parse import parse_listing, parse_rss

__all__ = ["SiteClient", "page_url", "parse_listing", "parse_rss", "rss_url"]
