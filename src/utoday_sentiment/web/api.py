"""The JSON and CSV API, versioned under /api/v1: each route asks one read-side function and
returns its rows; no SQL here."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from .. import evaluation
from ..errors import ConfigError
from ..jobs import model_identity
from ..store import browse
from ..store.connection import Connection
from . import params
from .errors import NotFound
from .state import AppState

router = APIRouter()


def core(request: Request) -> AppState:
    state: AppState = request.app.state.core
    return state


class DailyRow(BaseModel):
    day: date
    titles: int
    labelled: int
    positive: int
    neutral: int
    negative: int
    net_score: float | None


class TitleItem(BaseModel):
    id: int
    url: str
    title: str
    published_at: datetime | None
    sentiment: str | None
    p_positive: float | None
    p_neutral: float | None
    p_negative: float | None
    model: str | None
    coins: list[str]
    source: str
    story_id: int


class TitlePage(BaseModel):
    items: list[TitleItem]
    next_cursor: str | None


class CoinRow(BaseModel):
    symbol: str
    name: str
    mentions: int
    net_score: float | None
    previous_net_score: float | None


class ClassifyIn(BaseModel):
    text: str = Field(description="a headline, at most 512 characters")


class Classified(BaseModel):
    sentiment: str
    p_positive: float
    p_neutral: float
    p_negative: float
    model: str


class JudgeNext(BaseModel):
    id: int
    title: str
    url: str
    published_at: datetime | None
    judged: int
    remaining: int


class JudgementIn(BaseModel):
    title_id: int
    judge: str = Field(min_length=1, max_length=64)
    label: str = Field(description="negative, neutral or positive")


# ---------------------------------------------------------------------------------------------
# the questions, shared with pages.py


def chosen_source(conn: Connection, value: str | None) -> str | None:
    """`source=` checked against the sources that stored titles (listed only when given)."""
    return params.source(value, browse.sources(conn)) if value and value.strip() else None


def daily_rows(state: AppState, query: dict[str, str]) -> list[dict[str, Any]]:
    coin = params.coin(query.get("coin"))
    with state.db.connection() as conn:
        source = chosen_source(conn, query.get("source"))
        if coin and source:
            raise ConfigError("send coin= or source=, not both: the coins are counted over "
                              "every source")
        first = browse.first_day(conn) if query.get("days") == "all" else None
        span = params.window(query.get("days"), query.get("from"), query.get("to"), first=first)
        return browse.daily(conn, span.start, span.end, coin, source)


def checked_title_query(query: dict[str, str], conn: Connection) -> browse.TitleQuery:
    chosen = browse.TitleQuery(
        q=params.text(query.get("q"), "q"), coin=params.coin(query.get("coin")),
        sentiment=params.sentiment(query.get("sentiment")),
        start=params.day(query.get("from"), "from"), end=params.day(query.get("to"), "to"),
        model=params.text(query.get("model"), "model", 300),
        source=chosen_source(conn, query.get("source")))
    if chosen.start and chosen.end and chosen.start > chosen.end:
        raise ConfigError(f"from={chosen.start} is after to={chosen.end}: send from on or "
                          "before to")
    return chosen


def status_document(state: AppState) -> dict[str, Any]:
    with state.db.connection() as conn:
        status = browse.status_report(conn)
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in status.items()}


def quality_document(state: AppState, model: str | None) -> dict[str, Any]:
    with state.db.connection() as conn:
        judged = evaluation.judged_titles(conn)
    chosen = model or model_identity(state.settings)
    if not any(r[4] == chosen and r[3] for r in judged):
        raise NotFound(f"no judged title carries a label of {chosen}: judge some at /judge, "
                       "or ask for ?model= one of "
                       f"{', '.join(evaluation.judged_models(judged)) or '(none judged yet)'}")
    return evaluation.stored_quality(judged, chosen)


def next_to_judge(state: AppState, judge: str, skip: list[int]) -> dict[str, Any] | None:
    with state.db.connection() as conn:
        return evaluation.next_to_judge(conn, judge, skip=skip)


def skip_list(value: str | None) -> list[int]:
    if not value:
        return []
    try:
        return [int(x) for x in value.split(",") if x.strip()][:500]
    except ValueError:
        raise ConfigError(f"skip={value!r} is not a list of title ids: send 12,34,56") from None


# ---------------------------------------------------------------------------------------------
# routes


@router.get("/healthz")
def healthz(request: Request) -> dict[str, Any]:
    with core(request).db.connection() as conn, conn.cursor() as cur:
        cur.execute("SELECT 1")
    return {"ok": True, "database": "ok"}


@router.get("/api/v1/daily", response_model=list[DailyRow])
def api_daily(request: Request) -> list[dict[str, Any]]:
    """One row per UTC day, oldest first: `days=N` (1-3660 or `all`), or `from`/`to`; `coin`."""
    return daily_rows(core(request), dict(request.query_params))


@router.get("/api/v1/daily.csv", response_class=StreamingResponse)
def api_daily_csv(request: Request) -> Response:
    rows = daily_rows(core(request), dict(request.query_params))
    return _csv("daily.csv", browse.DAILY_KEYS, iter(rows))


@router.get("/api/v1/titles", response_model=TitlePage)
def api_titles(request: Request) -> dict[str, Any]:
    """Headlines newest first, by keyset: pass `next_cursor` back as `cursor`."""
    query = dict(request.query_params)
    limit = params.whole(query.get("limit"), "limit", 1, 500, 50)
    with core(request).db.connection() as conn:
        chosen = checked_title_query(query, conn)
        items, cursor = browse.search_titles(conn, chosen, limit=limit,
                                             cursor=query.get("cursor") or None)
    return {"items": items, "next_cursor": cursor}


@router.get("/api/v1/titles.csv", response_class=StreamingResponse)
def api_titles_csv(request: Request) -> Response:
    """Every headline the filter selects (all pages), as CSV."""
    state = core(request)
    with state.db.connection() as conn:  # a bad parameter answers 400 before the stream starts
        chosen = checked_title_query(dict(request.query_params), conn)

    def rows() -> Iterator[dict[str, Any]]:
        with state.db.connection() as conn:
            for item in browse.iter_titles(conn, chosen):
                yield {**item, "coins": " ".join(item["coins"])}

    return _csv("titles.csv", browse.TITLE_KEYS, rows())


@router.get("/api/v1/titles/{title_id}", response_model=TitleItem,
            responses={404: {"description": "no such headline"}})
def api_title(request: Request, title_id: int) -> dict[str, Any]:
    with core(request).db.connection() as conn:
        item = browse.get_title(conn, title_id)
    if item is None:
        raise NotFound(f"no headline has id {title_id}")
    return item


@router.get("/api/v1/coins", response_model=list[CoinRow])
def api_coins(request: Request) -> list[dict[str, Any]]:
    days = params.whole(request.query_params.get("days"), "days", 1, params.MAX_DAYS, 30)
    with core(request).db.connection() as conn:
        return browse.coins(conn, days)


@router.get("/api/v1/status")
def api_status(request: Request) -> dict[str, Any]:
    """The same keys as `utoday-sentiment status --json`."""
    return status_document(core(request))


@router.get("/api/v1/quality")
def api_quality(request: Request) -> dict[str, Any]:
    """The same document as `utoday-sentiment evaluate report --json` (default: the configured
    model; `model=` another)."""
    return quality_document(core(request), request.query_params.get("model") or None)


@router.post("/api/v1/classify", response_model=Classified)
def api_classify(request: Request, body: ClassifyIn) -> dict[str, Any]:
    """The configured backend's label for one headline (rate-limited: UTODAY_TRY_PER_MINUTE)."""
    prediction, model = core(request).classify(body.text)
    scores = prediction.scores
    return {"sentiment": prediction.sentiment, "p_positive": scores.get("positive", 0.0),
            "p_neutral": scores.get("neutral", 0.0), "p_negative": scores.get("negative", 0.0),
            "model": model}


@router.get("/api/v1/judge/next", response_model=JudgeNext,
            responses={204: {"description": "nothing left for this judge"}})
def api_judge_next(request: Request) -> Any:
    """The next headline for `judge` to label, blind: never the model's label."""
    judge = params.text(request.query_params.get("judge"), "judge", 64)
    if not judge:
        raise ConfigError("judge is missing: send judge=YOUR_NAME")
    found = next_to_judge(core(request), judge, skip_list(request.query_params.get("skip")))
    if found is None:
        return Response(status_code=204)
    return found


@router.post("/api/v1/judgements", status_code=201)
def api_judgement(request: Request, body: JudgementIn) -> JSONResponse:
    state = core(request)
    with state.db.connection("judge") as conn:
        evaluation.store_judgement(conn, body.title_id, body.judge, body.label)
    return JSONResponse({"title_id": body.title_id, "judge": body.judge.strip(),
                         "label": body.label}, status_code=201)


def _csv(name: str, columns: Iterable[str], rows: Iterator[dict[str, Any]]) -> Response:
    keys = list(columns)

    def lines(make: Callable[[], io.StringIO] = io.StringIO) -> Iterator[str]:
        buffer = make()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(keys)
        for row in rows:
            writer.writerow(["" if row[k] is None else _plain(row[k]) for k in keys])
            if buffer.tell() > 32_000:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return StreamingResponse(lines(), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # a spreadsheet would run it as a formula
    return value
