"""Plain records that cross layers: a headline, what a page held, a label, each job's summary."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar

from .clock import utc_time


@dataclass(frozen=True)
class Title:
    """One headline as stored in the `titles` table."""

    title: str
    url: str
    published_at: datetime | None = None
    author: str | None = None
    category: str | None = None
    sponsored: bool = False  # its category marks sponsored content (UTODAY_SPONSORED_CATEGORIES)
    source: str = "utoday"  # where it came from: the U.Today listing, or a feed's short name


@dataclass
class ParsedPage:
    """What one listing page (or the RSS feed) held."""

    titles: list[Title] = field(default_factory=list)
    cards: int = 0  # card elements seen, usable or not
    skipped: int = 0  # cards without a usable title or link
    layout: str | None = None  # "current", "legacy", "rss", or None when nothing was recognised


@dataclass(frozen=True)
class Prediction:
    """One title's label from a labelling backend."""

    sentiment: str  # positive / neutral / negative
    score: float  # the chosen sentiment's probability
    scores: dict[str, float]  # every sentiment's probability


@dataclass(frozen=True)
class ScrapeRequest:
    """What to scrape: the daily walk (optionally `max_pages`), or a backfill page range."""

    from_page: int | None = None
    to_page: int | None = None
    max_pages: int | None = None

    @property
    def backfill(self) -> bool:
        return self.from_page is not None or self.to_page is not None


@dataclass(frozen=True)
class LabelRequest:
    """What to label: at most `limit` titles (all by default), `relabel` those of other models."""

    limit: int | None = None
    batch_size: int | None = None
    relabel: bool = False


class Summary:
    """What a job did, for people (`line`) and machines (`as_dict`). `DERIVED` names properties
    that `as_dict` carries beside the fields (metrics and handler answers read them)."""

    DERIVED: ClassVar[tuple[str, ...]] = ()

    def as_dict(self) -> dict[str, Any]:
        fields = asdict(self)  # type: ignore[call-overload]  # every summary is a dataclass
        return {**fields, **{name: getattr(self, name) for name in self.DERIVED}}

    def line(self) -> str:
        raise NotImplementedError


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else many or word + 's'}"


@dataclass
class ScrapeSummary(Summary):
    mode: str  # "daily" or "backfill"
    pages_fetched: int = 0
    cards_seen: int = 0
    new_titles: int = 0
    skipped_cards: int = 0
    sponsored: int = 0  # of the new titles, how many are sponsored content
    source: str = "listing"  # "listing", or "rss" when the layout guard fell back to the feed
    stopped: str = ""  # why the run stopped
    next_page: int | None = None  # where a later run (or a backfill) should continue; None = done

    def line(self) -> str:
        text = (
            f"scrape ({self.mode}): {plural(self.pages_fetched, 'page')} fetched, "
            f"{plural(self.cards_seen, 'card')} seen, {plural(self.new_titles, 'new title')}"
            + (f" ({self.sponsored} sponsored)" if self.sponsored else "")
            + f", {plural(self.skipped_cards, 'card')} skipped"
        )
        if self.source != "listing":
            text += f", source {self.source}"
        if self.stopped:
            text += f"; {self.stopped}"
        if self.next_page is not None:
            text += f"; next page {self.next_page}"
        return text


@dataclass
class LabelSummary(Summary):
    labelled: int = 0
    failed: int = 0  # titles the backend refused in this run (each has its error recorded)
    remaining: int = 0  # titles still awaiting a label after this run
    requests: int = 0
    retries: int = 0
    stopped: str = ""
    held: int = 0  # of the remaining, those another labeller's live lease holds
    held_until: str | None = None  # ISO time the earliest of those leases ends (UTC)

    DERIVED = ("stalled",)

    @property
    def stalled(self) -> bool:
        """Titles wait, yet this run neither labelled nor retired one: the backend gave nothing
        usable (503, 429 or timeouts until the deadline, or an error). One such run is weather;
        every run for hours is an outage that no error reports, so the Lambda publishes it."""
        return self.remaining > 0 and self.labelled == 0 and self.failed == 0


    def line(self) -> str:
        held = ""
        if self.held:
            until = datetime.fromisoformat(self.held_until) if self.held_until else None
            held = (f" ({self.held} held by another labeller"
                    + (f" until {utc_time(until)})" if until else ")"))
        text = (
            f"label: {self.labelled} labelled, {self.failed} failed, {self.remaining} remaining"
            f"{held}, {plural(self.requests, 'request')}, "
            f"{plural(self.retries, 'retry', 'retries')}"
        )
        return f"{text}; {self.stopped}" if self.stopped else text


@dataclass
class FeedsSummary(Summary):
    """One poll of the configured feeds."""

    feeds: int = 0  # feeds asked
    not_modified: int = 0  # answered 304: nothing new, almost free
    new_titles: int = 0
    sponsored: int = 0  # of the new titles
    stories_joined: int = 0  # new titles that joined a story another source told
    new_by_source: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)  # source -> its one-line error
    stopped: str = ""

    DERIVED = ("failed_count",)

    @property
    def failed_count(self) -> int:
        return len(self.failed)


    def line(self) -> str:
        text = (f"feeds: {plural(self.feeds, 'feed')} read ({self.not_modified} not modified), "
                f"{plural(self.new_titles, 'new title')}"
                + (f" ({self.sponsored} sponsored)" if self.sponsored else "")
                + (f", {self.stories_joined} joined a story told elsewhere"
                   if self.stories_joined else ""))
        if self.failed:
            text += f"; {len(self.failed)} failed: {', '.join(sorted(self.failed))}"
        return f"{text}; {self.stopped}" if self.stopped else text


@dataclass
class PricesSummary(Summary):
    """One `prices fetch`: daily closes per coin, and the Fear & Greed Index."""

    source: str = ""
    coins: int = 0
    days_added: int = 0
    up_to_date: int = 0  # coins whose closes were complete already (nothing asked)
    fear_greed_added: int = 0
    fear_greed_asked: bool = False  # the index was behind, so it was asked for
    requests: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # coin (or "fear_greed") -> error

    DERIVED = ("failed_count",)

    @property
    def failed_count(self) -> int:
        return len(self.failed)


    def line(self) -> str:
        text = (f"prices ({self.source}): {plural(self.coins, 'coin')}, "
                f"{plural(self.days_added, 'new day')} of closes ({self.up_to_date} up to date), "
                f"{plural(self.fear_greed_added, 'new Fear & Greed day')}, "
                f"{plural(self.requests, 'request')}")
        if self.failed:
            text += f"; {len(self.failed)} failed: {', '.join(sorted(self.failed))}"
        return text


@dataclass(frozen=True)
class ReparseRequest:
    """Re-read archived pages fetched since `since` (all when None); `dry_run` changes nothing."""

    since: date | None = None
    dry_run: bool = False


@dataclass
class ReparseSummary(Summary):
    pages: int = 0  # archived pages re-read
    titles_seen: int = 0
    added: int = 0  # titles the earlier parser missed
    completed: int = 0  # stored titles given a missing field or the sponsored flag
    dry_run: bool = False

    def line(self) -> str:
        text = (
            f"reparse: {plural(self.pages, 'archived page')} re-read, "
            f"{plural(self.titles_seen, 'title')} seen, {self.added} added, "
            f"{self.completed} completed, {self.titles_seen - self.added - self.completed} "
            "unchanged"
        )
        return text + ("; dry run: nothing was changed" if self.dry_run else "")
