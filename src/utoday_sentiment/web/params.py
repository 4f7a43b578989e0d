"""Query parameters as the pages and the API take them: each bad one is a ConfigError whose
message says what to send (the app answers it with 400)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .. import clock
from ..coins import load_lexicon
from ..errors import ConfigError
from ..settings import SENTIMENTS

WINDOWS = ("7", "30", "90", "365", "all")
MAX_DAYS = 3660


def day(value: str | None, name: str) -> date | None:
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a day: send YYYY-MM-DD, e.g. "
                          f"{clock.today().isoformat()}") from None


def whole(value: str | None, name: str, low: int, high: int, default: int) -> int:
    if value is None or not value.strip():
        return default
    try:
        number = int(value)
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise ConfigError(f"{name}={value!r} is out of range: send a whole number from {low} "
                          f"to {high}")
    return number


def coin(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    symbol = value.strip().upper()
    if symbol not in {c.symbol for c in load_lexicon().coins}:
        raise ConfigError(f"coin={value!r} is not in the coin lexicon: send a ticker such as "
                          "BTC, ETH or XRP (see /coins)")
    return symbol


def sentiment(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    if value not in (*SENTIMENTS, "unlabelled"):
        raise ConfigError(f"sentiment={value!r} is not one of negative, neutral, positive, "
                          "unlabelled")
    return value


def text(value: str | None, name: str, most: int = 200) -> str | None:
    if value is None or not value.strip():
        return None
    if len(value) > most:
        raise ConfigError(f"{name} is {len(value)} characters long: send at most {most}")
    return value.strip()


@dataclass(frozen=True)
class Window:
    """A span of UTC days, oldest to newest, and how it was asked for (for the page's links)."""

    start: date
    end: date
    label: str  # "7", "30", "90", "365", "all" or "custom"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Window:
        """The window of the same length just before this one."""
        return Window(self.start - timedelta(days=self.days), self.start - timedelta(days=1),
                      "custom")


def window(days: str | None, start: str | None, end: str | None, *, first: date | None = None,
           default: int = 30) -> Window:
    """`days=N` (or "all", back to `first`), or `from` and `to`; `to` alone ends a window of
    `days`; nothing: the last `default` days."""
    since, until = day(start, "from"), day(end, "to")
    today = clock.today()
    if since or until:
        if days and days != "all" and since:
            raise ConfigError("send days=N or from=YYYY-MM-DD&to=YYYY-MM-DD, not both")
        until = until or today
        if since is None:
            length = whole(days, "days", 1, MAX_DAYS, default)
            since = until - timedelta(days=length - 1)
        if since > until:
            raise ConfigError(f"from={since} is after to={until}: send from on or before to")
        if (until - since).days + 1 > MAX_DAYS:
            raise ConfigError(f"from={since} to={until} spans more than {MAX_DAYS} days: "
                              "send a shorter range")
        return Window(since, until, "custom")
    if days == "all":
        oldest = first or today
        return Window(max(oldest, today - timedelta(days=MAX_DAYS - 1)), today, "all")
    length = whole(days, "days", 1, MAX_DAYS, default)
    return Window(today - timedelta(days=length - 1), today, str(length))


def source(value: str | None, known: list[str]) -> str | None:
    """A source's short name among those that stored titles."""
    if value is None or not value.strip():
        return None
    name = value.strip().lower()
    if name not in known:
        raise ConfigError(f"source={value!r} has stored no title: send one of "
                          f"{', '.join(known) or '(none yet)'}")
    return name
