"""What a front door calls. The CLI turns arguments, and the Lambda handlers turn events, into a
request; a job checks it, runs the stage with the clients it owns, and returns a result carrying
the summary and, where the run stopped on an error, that error. Nothing here prints or logs for a
person: presenting the result is the front door's job."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from .deadline import Deadline
from .errors import ConfigError, SiteError, UtodayError
from .records import (
    FeedsSummary,
    LabelRequest,
    LabelSummary,
    PricesSummary,
    ReparseRequest,
    ReparseSummary,
    ScrapeRequest,
    ScrapeSummary,
)
from .settings import Kind, Settings, Whole, setting

if TYPE_CHECKING:
    from .label import BatchCallback
    from .labelling import Labeller
    from .market.prices import PriceClient
    from .scrape import PageCallback
    from .sources.feeds import FeedClient
    from .sources.utoday import SiteClient
    from .store.connection import Connection

S = TypeVar("S", ScrapeSummary, LabelSummary, ReparseSummary, FeedsSummary, PricesSummary)

# Each request field's kind: the CLI's argument types and the event validators use these too.
SCRAPE_FIELDS: Mapping[str, Kind] = {
    "from_page": Whole(0),
    "to_page": Whole(0),
    "max_pages": setting("UTODAY_MAX_PAGES").kind,
}
LABEL_FIELDS: Mapping[str, Kind] = {
    "limit": Whole(1),
    "batch_size": setting("HF_BATCH_SIZE").kind,
}


@dataclass
class JobResult(Generic[S]):
    summary: S
    error: UtodayError | None = None
    began: bool = True  # False: the error came before any work (a client could not be opened)

    @property
    def ok(self) -> bool:
        return self.error is None

    def raise_error(self) -> None:
        if self.error is not None:
            raise self.error


def _check_fields(request: object, fields: Mapping[str, Kind]) -> None:
    for name, kind in fields.items():
        value = getattr(request, name)
        if value is not None and isinstance(kind, Whole) and not kind.accepts(value):
            raise ConfigError(f"{name} must be {kind.describe()}, not {value!r}")


def check_scrape_request(request: ScrapeRequest) -> None:
    """Raise ConfigError when the request cannot be run (before any work)."""
    _check_fields(request, SCRAPE_FIELDS)
    if request.backfill:
        if request.from_page is None or request.to_page is None:
            raise ConfigError("a backfill needs both from_page and to_page")
        if request.to_page < request.from_page:
            raise ConfigError(
                f"to_page ({request.to_page}) must not be below from_page ({request.from_page})"
            )
        if request.max_pages is not None:
            raise ConfigError("max_pages is for the daily mode; a backfill gives a page range")


def check_label_request(request: LabelRequest) -> None:
    _check_fields(request, LABEL_FIELDS)


def run_scrape(request: ScrapeRequest, settings: Settings, conn: Connection,
               deadline: Deadline | None = None, *, client: SiteClient | None = None,
               on_page: PageCallback | None = None) -> JobResult[ScrapeSummary]:
    """Scrape as `request` says. A client passed in is the caller's to close; one made here is
    closed here."""
    from .scrape import scrape_titles
    from .sources.utoday import SiteClient
    from .store.stories import group_stories

    check_scrape_request(request)
    summary = ScrapeSummary(mode="backfill" if request.backfill else "daily")
    result = _run(summary, client, lambda: SiteClient(settings), lambda site: scrape_titles(
        conn, site, settings, request, deadline or Deadline(), summary, on_page))
    if result.error is None:
        group_stories(conn)  # the new titles each their own story, or one another outlet told
    return result


def run_feeds(settings: Settings, conn: Connection, deadline: Deadline | None = None, *,
              client: FeedClient | None = None) -> JobResult[FeedsSummary]:
    """Poll every configured feed once. A feed that fails is recorded on its source and the
    others go on; the result's error then names the failed ones (exit 1, an alarm on AWS)."""
    from .poll import poll_feeds
    from .sources.feeds import FeedClient, configured_feeds

    feeds = configured_feeds(settings)
    summary = FeedsSummary()
    result = _run(summary, client, lambda: FeedClient(settings), lambda feed_client: poll_feeds(
        conn, feed_client, settings, feeds, deadline or Deadline(), summary))
    if result.error is None and summary.failed:
        result.error = _some_failed(summary.failed, summary.feeds, "feeds",
                                    "; the others were read. `utoday-sentiment sources` shows "
                                    "each one's last error")
    return result


def _some_failed(failed: Mapping[str, str], asked: int, what: str, after: str = ""
                 ) -> SiteError:
    """The one-line error of a run where some of its parts failed and the others were done."""
    names = sorted(failed)
    return SiteError(f"{len(names)} of {asked} {what} failed ({', '.join(names)}): "
                     f"{failed[names[0]]}{after}")


def run_prices(settings: Settings, conn: Connection, *, coins: list[str] | None = None,
               since: date | None = None, source: str | None = None,
               client: PriceClient | None = None) -> JobResult[PricesSummary]:
    """Fetch what is missing of each coin's daily closes and of the Fear & Greed Index."""
    from .market.prices import PriceClient
    from .prices import default_coins, fetch_prices

    chosen = [c.upper() for c in coins] if coins else default_coins(conn, settings)
    summary = PricesSummary()
    result = _run(summary, client, lambda: PriceClient(settings), lambda price_client:
                  fetch_prices(conn, price_client, settings, chosen, since, source, summary))
    if result.error is None and summary.failed:
        asked = summary.coins + int(summary.fear_greed_asked)
        result.error = _some_failed(summary.failed, asked, "fetches",
                                    "; the others were stored")
    return result


def run_label(request: LabelRequest, settings: Settings, conn: Connection,
              deadline: Deadline | None = None, *, labeller: Labeller | None = None,
              on_batch: BatchCallback | None = None) -> JobResult[LabelSummary]:
    """Label as `request` says, with the backend the settings choose unless one is passed in."""
    from .label import label_titles
    from .labelling import make_labeller

    check_label_request(request)
    summary = LabelSummary()
    return _run(summary, labeller, lambda: make_labeller(settings), lambda backend: label_titles(
        conn, backend, settings, request, deadline or Deadline(), summary, on_batch))


class _Closable(Protocol):
    def close(self) -> None: ...


C = TypeVar("C", bound=_Closable)


def _run(
    summary: S, given: C | None, open_client: Callable[[], C], stage: Callable[[C], None]
) -> JobResult[S]:
    """Run the stage with the client given, or one opened (and closed) here; an expected failure
    (opening included) becomes the result's error, next to what the stage got done."""
    try:
        client = given if given is not None else open_client()
    except UtodayError as exc:  # a setting or model that cannot work: nothing was done
        return JobResult(summary, exc, began=False)
    try:
        stage(client)
    except UtodayError as exc:
        return JobResult(summary, exc)
    finally:
        if client is not given:
            client.close()
    return JobResult(summary)


def run_reparse(request: ReparseRequest, settings: Settings, conn: Connection
                ) -> JobResult[ReparseSummary]:
    """Re-read the archived pages with today's parser (see reparse.py)."""
    from .reparse import reparse_pages

    summary = ReparseSummary(dry_run=request.dry_run)
    try:
        reparse_pages(conn, settings, request, summary)
    except UtodayError as exc:
        return JobResult(summary, exc)
    return JobResult(summary)


def model_identity(settings: Settings) -> str:
    """What the configured backend stores with each label (without loading a local model)."""
    backend = settings.sentiment_backend
    if backend == "sagemaker":
        return f"sagemaker:{settings.sagemaker_endpoint}"
    if backend == "onnx":
        from .labelling.onnx_local import identity

        return identity(settings)  # the model file's hash, without loading the model
    return f"{backend}:{settings.hf_model}"


def pending_labels(conn: Connection, settings: Settings, *, relabel: bool = False) -> int:
    """How many titles await a label from the configured model."""
    from .store.titles import count_pending

    model = model_identity(settings) if relabel else ""  # unlabelled titles ignore the model
    return count_pending(conn, model=model, relabel=relabel)
