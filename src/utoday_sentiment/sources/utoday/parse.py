"""U.Today's pages as records: pure functions of the HTML or RSS they are given.

Parsing never raises on any text or bytes it is given: markup it does not understand yields a page
with no titles, and a card it cannot use is counted as skipped.
"""

from __future__ import annotations

import logging
import re
import warnings
from datetime import UTC, datetime, tzinfo
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning
from bs4.element import Tag

from ...records import ParsedPage, Title

log = logging.getLogger(__name__)


_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
# "Jun 10, 2025 - 10:49", "Sep 9, 2026 - 10:14", "Sept. 9, 2026 - 10:14"
_CURRENT_DATE = re.compile(r"\b([A-Za-z]{3,9})\.?\s+(\d{1,2}),\s*(\d{4})\s*-\s*(\d{1,2}):(\d{2})\b")
# "06/17/2021 - 13:21" (older layout, month first)
_LEGACY_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\s*-\s*(\d{1,2}):(\d{2})\b")
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY = re.compile(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*\.?,?\s*$", re.IGNORECASE)
# Bumped whenever parsing changes what a page yields; stored with every archived page.
PARSER_VERSION = "2"
_SITE_SUFFIX = re.compile(r"\s*[-\u2013\u2014|]\s*U\.Today\s*$", re.IGNORECASE)


# ---------------------------------------------------------------------------------------------
# Pure helpers


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean_text(text: str | None) -> str:
    """Collapse every run of whitespace (newlines, tabs, non-breaking spaces) into one space and
    drop control characters (PostgreSQL text cannot hold NUL)."""
    return " ".join(_CONTROL.sub("", " ".join((text or "").split())).split())


def clean_title(text: str | None) -> str:
    """Whitespace collapsed and a trailing " - U.Today" removed."""
    return _SITE_SUFFIX.sub("", clean_text(text)).strip()


def _strip_www(host: str) -> str:
    return host[4:] if host.startswith("www.") else host


def canonical_url(href: str | None, page_url: str, site_url: str) -> str | None:
    """The one form an article URL is stored in; None when the link is no article of the site.

    Relative links resolve against `page_url`. The result is https, on the configured site's host,
    without query, fragment or trailing slash, so the same article never lands twice.
    """
    href = (href or "").strip()
    if not href or href.startswith("#"):
        return None
    try:
        absolute = urljoin(page_url, href)
        parts = urlsplit(absolute)
        site = urlsplit(site_url)
        host, site_host = parts.hostname, site.hostname
        port, site_port = parts.port, site.port
    except ValueError:  # a malformed netloc or port
        return None
    if parts.scheme not in ("http", "https") or not host or not site_host:
        return None
    if _strip_www(host) != _strip_www(site_host):
        return None
    if port not in (None, 80, 443) and port != site_port:
        return None
    path = re.sub(r"/{2,}", "/", parts.path).rstrip("/")
    if not path:
        return None  # the home page is not an article
    netloc = _strip_www(site_host) + (f":{site_port}" if site_port else "")
    return f"https://{netloc}{path}"


def parse_card_date(text: str | None, zone: tzinfo = UTC) -> datetime | None:
    """A listing card's date, read in `zone` (UTODAY_TIMEZONE), as an aware UTC datetime; None when
    it is missing, impossible, or contradicts its own weekday."""
    text = clean_text(text)
    if not text:
        return None
    try:
        match = _CURRENT_DATE.search(text)
        if match:
            month = _MONTHS.get(match.group(1)[:3].lower())
            if month is None:
                return None
            day, year, hour, minute = (int(g) for g in match.group(2, 3, 4, 5))
            return _utc(datetime(year, month, day, hour, minute, tzinfo=zone))
        match = _LEGACY_DATE.search(text)
        if match:
            return _numeric_date(match, text, zone)
    except ValueError:  # Feb 30, 25:00 and the like: never a guess
        return None
    return None


def _numeric_date(match: re.Match[str], text: str, zone: tzinfo) -> datetime | None:
    """"06/17/2021 - 13:21" is month first (the older listing layout). With a weekday before it
    ("Thu, 8/05/2025 - 10:06"), the reading must fall on that weekday: month first or, failing
    that, day first (article pages switched in 2023); when neither does, the date is refused."""
    first, second, year, hour, minute = (int(g) for g in match.groups())
    weekday = _WEEKDAY.search(text[: match.start()])
    if weekday is None:
        return _utc(datetime(year, first, second, hour, minute, tzinfo=zone))
    wanted = _WEEKDAYS.index(weekday.group(1)[:3].lower())
    for month, day in ((first, second), (second, first)):
        try:
            candidate = datetime(year, month, day, hour, minute, tzinfo=zone)
        except ValueError:
            continue
        if candidate.weekday() == wanted:
            return _utc(candidate)
    return None


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _first_line(tag: Tag | None) -> str | None:
    if tag is None:
        return None
    for line in tag.get_text("\n").splitlines():
        line = clean_text(line)
        if line:
            return line
    return None


def _soup(markup: str | bytes, features: str, url: str) -> BeautifulSoup | None:
    """The parsed document, or None when the parser gives up on it (then it holds no cards)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
            warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
            return BeautifulSoup(markup, features)
    except Exception:  # lxml can fail on pathological bytes
        log.debug("unparseable document at %s", url, exc_info=True)
        return None


def _site_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# ---------------------------------------------------------------------------------------------
# Listing pages


class _CardIndex:
    """One walk over a card's descendants, instead of a search per field: bs4's find() and CSS
    selectors each scan the card again, and that scanning was half the parse time."""

    def __init__(self, card: Tag) -> None:
        self.first: dict[str, Tag] = {}  # class -> first tag carrying it
        self.humble: list[Tag] = []  # date candidates: .humble but not .humble--author
        self.first_link_by_class: dict[str, Tag] = {}  # class -> first <a href> carrying it
        for tag in card.descendants:
            if not isinstance(tag, Tag):
                continue
            classes = tag.get("class") or ()
            for name in classes:
                self.first.setdefault(name, tag)
                if tag.name == "a" and tag.get("href") is not None:
                    self.first_link_by_class.setdefault(name, tag)
            if "humble" in classes and "humble--author" not in classes:
                self.humble.append(tag)


def _title_and_url(
    index: _CardIndex, link_class: str, title_class: str, page_url: str, site_url: str
) -> tuple[str, str] | None:
    """The card's headline and article URL, or None when either is missing or unusable. The link
    is the card's link element, else an <a> around the title, else the title's own <a>."""
    title_tag = index.first.get(title_class)
    link = index.first_link_by_class.get(link_class)
    if link is None and title_tag is not None:
        link = title_tag.find_parent("a", href=True) or title_tag.find("a", href=True)
    title = clean_title(_text_of(title_tag) or _text_of(link))
    url = canonical_url(_href(link), page_url, site_url)
    return (title, url) if title and url else None


def _parse_current_card(card: Tag, page_url: str, site_url: str, zone: tzinfo) -> Title | None:
    index = _CardIndex(card)
    found = _title_and_url(index, "news__item-body", "news__item-title", page_url, site_url)
    if found is None:
        return None
    published_at = None
    for candidate in index.humble:
        published_at = parse_card_date(candidate.get_text(" "), zone)
        if published_at:
            break
    head = index.first.get("news__item-head")
    category_tag = (head.find("a", recursive=False) or head.find("a")) if head else None
    return Title(
        title=found[0],
        url=found[1],
        published_at=published_at,
        author=_first_line(index.first.get("humble--author")),
        category=clean_text(_text_of(category_tag)) or None,
    )


def _parse_legacy_card(card: Tag, page_url: str, site_url: str, zone: tzinfo) -> Title | None:
    index = _CardIndex(card)
    found = _title_and_url(
        index, "category-item__title-link", "category-item__title", page_url, site_url
    )
    if found is None:
        return None
    date_tag = index.first.get("humble--time")
    return Title(found[0], found[1], published_at=parse_card_date(_text_of(date_tag), zone))


def _href(link: Tag | None) -> str | None:
    value = link.get("href") if link is not None else None
    return value if isinstance(value, str) else None


def _text_of(tag: Tag | None) -> str:
    return tag.get_text(" ") if tag is not None else ""


def _dedupe(titles: list[Title]) -> list[Title]:
    seen: set[str] = set()
    unique = []
    for title in titles:
        if title.url not in seen:
            seen.add(title.url)
            unique.append(title)
    return unique


def parse_listing(
    markup: str | bytes, page_url: str, site_url: str | None = None, zone: tzinfo = UTC
) -> ParsedPage:
    """Parse one listing page. Tries the current card layout, then the older one.

    `site_url` is the site whose articles count (default: the page's own scheme and host); links to
    other hosts are skipped. Never raises for any markup.
    """
    site_url = site_url or _site_of(page_url)
    page = ParsedPage()
    soup = _soup(markup, "lxml", page_url)
    if soup is None:
        return page
    for layout, card_class, parse_card in (
        ("current", "news__item", _parse_current_card),
        ("legacy", "category-item", _parse_legacy_card),
    ):
        cards = soup.find_all("div", class_=card_class)
        if not cards:
            continue
        page.layout = layout
        page.cards = len(cards)
        titles = []
        for card in cards:
            title = parse_card(card, page_url, site_url, zone)
            if title is None:
                page.skipped += 1
            else:
                titles.append(title)
        page.titles = _dedupe(titles)
        break
    return page


def parse_rss(markup: str | bytes, feed_url: str, site_url: str | None = None) -> ParsedPage:
    """Parse an RSS 2.0 feed's items into titles. Never raises for any markup."""
    site_url = site_url or _site_of(feed_url)
    page = ParsedPage()
    soup = _soup(markup, "xml", feed_url)
    if soup is None:
        return page
    items = soup.find_all("item")
    if not items:
        return page
    page.layout = "rss"
    page.cards = len(items)
    titles = []
    for item in items:
        title_tag, link_tag = item.find("title"), item.find("link")
        title = clean_title(title_tag.get_text(" ") if title_tag else "")
        url = canonical_url(link_tag.get_text() if link_tag else None, feed_url, site_url)
        if not title or not url:
            page.skipped += 1
            continue
        titles.append(
            Title(
                title=title,
                url=url,
                published_at=_parse_rfc822(item.find("pubDate")),
                author=_first_line(item.find("creator") or item.find("author")),
                category=clean_text(_text_of(item.find("category"))) or None,
            )
        )
    page.titles = _dedupe(titles)
    return page


def _parse_rfc822(tag: Tag | None) -> datetime | None:
    text = clean_text(tag.get_text(" ")) if tag else ""
    if not text:
        return None
    try:
        value = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if value.tzinfo is None:  # "-0000" means unknown zone: RFC 5322 says treat as UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


