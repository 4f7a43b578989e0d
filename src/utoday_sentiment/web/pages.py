"""The HTML pages: the same questions as the API (its functions, the store's read side), drawn
with Jinja2 templates (autoescaped) and server-side SVG. Forms post to the same origin only."""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from .. import clock, evaluation
from ..coins import load_lexicon
from ..errors import ConfigError
from ..store import browse
from . import api, params, svg
from .errors import NotFound
from .state import MAX_TEXT, TOKEN_COOKIE, AppState

router = APIRouter(include_in_schema=False)
JUDGE_COOKIE = "utoday_judge"
STALE = timedelta(days=1)


def _render(request: Request, template: str, page: str, **context: Any) -> Response:
    state: AppState = request.app.state.core
    return state.templates.TemplateResponse(
        request, template, {"page": page, "backend": state.backend_name(), **context,
                        "link": safe_link, "net": net_text, "share": share_text,
                        "token_set": bool(state.settings.web_token)})


def safe_link(url: str | None) -> str | None:
    """A URL to link to, only when it is http(s): headlines come from the web."""
    if not url:
        return None
    return url if urlsplit(url).scheme in ("http", "https") else None


def net_text(value: float | None) -> str:
    return "-" if value is None else f"{value:+.3f}"


def share_text(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "-"


def _query(request: Request, **changes: Any) -> str:
    """This page's query string with `changes` (None removes a key)."""
    values = {k: v for k, v in request.query_params.items() if k not in changes}
    values.update({k: v for k, v in changes.items() if v is not None})
    return "?" + urlencode(values) if values else "?"


@router.get("/favicon.ico")
def favicon() -> Response:
    return RedirectResponse("/static/favicon.svg", status_code=301)


@router.get("/")
def overview(request: Request) -> Response:
    state: AppState = request.app.state.core
    query = dict(request.query_params)
    picked = params.day(query.get("day"), "day")
    from ..store.feeds import source_report

    with state.db.connection() as conn:
        known = browse.sources(conn)
        source = params.source(query.get("source"), known) if query.get("source") else None
        first = browse.first_day(conn)
        span = params.window(query.get("days"), query.get("from"), query.get("to"), first=first)
        rows = browse.daily(conn, span.start, span.end, source=source)
        status = browse.status_report(conn)
        sources = source_report(conn)
        coins = browse.coins(conn, span.days, today=span.end)[:10]
        items = browse.search_titles(conn, browse.TitleQuery(start=picked, end=picked,
                                                             source=source),
                                     limit=200)[0] if picked else []
    newest = status.get("newest_published_at")
    stale = newest is None or clock.now() - newest > STALE
    totals = {k: sum(r[k] for r in rows) for k in ("titles", "labelled", "positive",
                                                  "neutral", "negative")}
    chart = svg.daily_chart(rows, lambda d: _query(request, day=d.isoformat()) + "#day",
                            selected=picked, label=f"net score and titles per day, {span.start}"
                                                   f" to {span.end}")
    return _render(request, "overview.html", "overview", span=span, rows=rows, chart=chart,
                   status=status, stale=stale, coins=coins, totals=totals, picked=picked,
                   items=items, choices=params.WINDOWS, query=query, known=known,
                   source=source, sources=sources if len(sources) > 1 else [])


@router.get("/titles")
def titles(request: Request) -> Response:
    state: AppState = request.app.state.core
    query = dict(request.query_params)
    with state.db.connection() as conn:
        chosen = api.checked_title_query(query, conn)
        items, cursor = browse.search_titles(conn, chosen, limit=50,
                                             cursor=query.get("cursor") or None)
        models = browse.models(conn)
        known = browse.sources(conn)
    filters = {k: v for k, v in query.items() if k != "cursor" and v}
    return _render(request, "titles.html", "titles", items=items, query=query,
                   models=models, known=known, coins=[c.symbol for c in load_lexicon().coins],
                   next_link=_query(request, cursor=cursor) if cursor else None,
                   csv_link="/api/v1/titles.csv" + ("?" + urlencode(filters) if filters else ""))


@router.get("/coins")
def coins(request: Request) -> Response:
    state: AppState = request.app.state.core
    days = params.whole(request.query_params.get("days"), "days", 1, params.MAX_DAYS, 30)
    with state.db.connection() as conn:
        rows = browse.coins(conn, days)
    return _render(request, "coins.html", "coins", rows=rows, days=days)


@router.get("/coins/{symbol}")
def coin(request: Request, symbol: str) -> Response:
    state: AppState = request.app.state.core
    try:
        chosen = params.coin(symbol)
    except ConfigError as exc:
        raise NotFound(str(exc)) from exc
    query = dict(request.query_params)
    with state.db.connection() as conn:
        span = params.window(query.get("days"), query.get("from"), query.get("to"),
                             first=browse.first_day(conn))
        rows = browse.daily(conn, span.start, span.end, chosen)
        items, cursor = browse.search_titles(conn, browse.TitleQuery(coin=chosen), limit=50)
    chart = svg.daily_chart(rows, lambda d: f"/titles?coin={chosen}&from={d}&to={d}",
                            label=f"{chosen}: net score and titles per day")
    market, report = _market(state, chosen or symbol, span)
    name = next(c.name for c in load_lexicon().coins if c.symbol == chosen)
    return _render(request, "coin.html", "coins", symbol=chosen, name=name, span=span,
                   rows=rows, chart=chart, items=items, choices=params.WINDOWS,
                   more=f"/titles?coin={chosen}" if cursor else None, market=market,
                   report=report)


def _market(state: AppState, coin: str, span: params.Window) -> tuple[str | None, Any]:
    """The coin's price beside its mood (when prices are stored), and `report --vs-price`'s
    document for the window (None without the market extra)."""
    from ..market.leadlag import analyse
    from ..store.market import market_days

    with state.db.connection() as conn:
        days = market_days(conn, coin, span.days, span.end)
    if not days:
        return None, None
    try:  # statsmodels and scipy: the market extra
        report = analyse(days)
    except ImportError:
        report = None
    return svg.market_chart(days, coin), report


# ---------------------------------------------------------------------------------------------
# judging


def _judge_name(request: Request) -> str | None:
    name = (request.cookies.get(JUDGE_COOKIE) or "").strip()
    return name[:64] or None


@router.get("/judge")
def judge(request: Request) -> Response:
    state: AppState = request.app.state.core
    name = _judge_name(request)
    if name is None:
        return _render(request, "judge_name.html", "judge")
    skip = api.skip_list(request.query_params.get("skip"))
    found = api.next_to_judge(state, name, skip)
    return _render(request, "judge.html", "judge", judge=name, item=found,
                   skip=",".join(map(str, skip)),
                   skip_next=",".join(map(str, [*skip, found["id"]])) if found else "")


@router.post("/judge/name")
def judge_name(name: str = Form(..., max_length=64)) -> Response:
    if not name.strip():
        raise ConfigError("the judge's name is empty: type your name")
    response = RedirectResponse("/judge", status_code=303)
    response.set_cookie(JUDGE_COOKIE, name.strip(), max_age=365 * 86400, httponly=True,
                        samesite="strict")
    return response


@router.post("/judge/forget")
def judge_forget() -> Response:
    response = RedirectResponse("/judge", status_code=303)
    response.delete_cookie(JUDGE_COOKIE)
    return response


@router.post("/judge")
def judge_store(request: Request, title_id: int = Form(...), label: str = Form(...),
                skip: str = Form("")) -> Response:
    state: AppState = request.app.state.core
    name = _judge_name(request)
    if name is None:
        return RedirectResponse("/judge", status_code=303)
    with state.db.connection("judge") as conn:
        evaluation.store_judgement(conn, title_id, name, label)
    api.skip_list(skip)  # checked before it goes back into a link
    return RedirectResponse("/judge" + (f"?skip={skip}" if skip else ""), status_code=303)


# ---------------------------------------------------------------------------------------------
# quality, try, login


@router.get("/quality")
def quality(request: Request) -> Response:
    state: AppState = request.app.state.core
    with state.db.connection() as conn:
        judged = evaluation.judged_titles(conn)
    reports = []
    for model in evaluation.judged_models(judged):
        wrong = [r for r in judged if r[4] == model and r[3] and r[3] != r[2]]
        try:
            report: dict[str, Any] | None = evaluation.stored_quality(judged, model)
            problem = None
        except ConfigError as exc:  # too few judgements to measure anything yet
            report, problem = None, str(exc)
        reports.append({"model": model, "report": report, "problem": problem,
                        "disagreements": wrong[:100], "more": max(len(wrong) - 100, 0)})
    return _render(request, "quality.html", "quality", reports=reports, judged=len(judged))


@router.get("/try")
def try_page(request: Request) -> Response:
    return _render(request, "try.html", "try", text="", result=None, error=None,
                   most=MAX_TEXT)


@router.post("/try")
def try_classify(request: Request, text: str = Form("", max_length=4000)) -> Response:
    state: AppState = request.app.state.core
    from ..errors import UtodayError
    from .errors import status_of

    try:
        prediction, model = state.classify(text)
    except UtodayError as exc:
        response = _render(request, "try.html", "try", text=text[:MAX_TEXT], result=None,
                           error=str(exc), most=MAX_TEXT)
        response.status_code = status_of(exc)
        return response
    return _render(request, "try.html", "try", text=text, error=None, most=MAX_TEXT,
                   result={"prediction": prediction, "model": model})


@router.get("/login")
def login(request: Request) -> Response:
    return _render(request, "login.html", "login", error=None)


@router.post("/login")
def login_check(request: Request, token: str = Form(..., max_length=1000)) -> Response:
    state: AppState = request.app.state.core
    wanted = state.settings.web_token
    if not wanted or not hmac.compare_digest(token.encode(), wanted.encode()):
        response = _render(request, "login.html", "login", error="that is not this server's "
                           "token (UTODAY_WEB_TOKEN)")
        response.status_code = 401
        return response
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
    return response
