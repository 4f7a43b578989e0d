"""The web app: one FastAPI app serving the pages, the JSON/CSV API and its OpenAPI document.

Routes live in `api.py` and `pages.py`; both ask the store's read side (`store.browse`, the
evaluation module) and only their last lines differ. This module holds what every request goes
through: the token, the cross-origin check, the security headers, and the errors (one line, as
the CLI prints it: JSON under /api, a page elsewhere).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..errors import UtodayError
from ..settings import Settings
from . import api, pages
from .db import Database
from .errors import status_of
from .state import TOKEN_COOKIE, AppState

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
OPEN_PATHS = ("/healthz", "/login", "/static/")  # all else needs the token, when one is set
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


def templates() -> Jinja2Templates:
    found = Jinja2Templates(directory=str(HERE / "templates"))  # autoescapes .html
    found.env.autoescape = True
    return found


def create_app(settings: Settings, database_url: str, *, labeller: Any = None) -> FastAPI:
    """The app over the database at `database_url` (migrated already). `labeller`: the backend
    `/try` asks (default: the configured one, made on the first use)."""
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.core.db.close()

    app = FastAPI(title="utoday-sentiment", version=__version__, lifespan=lifespan,
                  description="Crypto-news headlines and their sentiment, read-only, plus "
                              "people's judgements of the labels.",
                  docs_url="/api/docs", redoc_url=None)
    app.state.core = AppState(settings, Database(database_url), templates(), labeller)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Response:
        refused = _refuse(request, settings)
        response = refused if refused is not None else await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    app.add_exception_handler(UtodayError, _utoday_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    return app


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _token_ok(request: Request, token: str) -> bool:
    header = request.headers.get("authorization", "")
    given = header[7:] if header.lower().startswith("bearer ") else request.cookies.get(
        TOKEN_COOKIE, "")
    return hmac.compare_digest(given.encode(), token.encode())


def _refuse(request: Request, settings: Settings) -> Response | None:
    """A response that ends the request here (no token, another origin's POST), or None."""
    path = request.url.path
    if settings.web_token and not path.startswith(OPEN_PATHS) and not _token_ok(
            request, settings.web_token):
        if _is_api(request) or path == "/openapi.json":
            return JSONResponse({"error": "this server needs its token: send "
                                 "Authorization: Bearer <UTODAY_WEB_TOKEN>"}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        return RedirectResponse("/login", status_code=303)
    if request.method not in ("GET", "HEAD", "OPTIONS") and not _same_origin(request):
        message = "a request from another site was refused: use this server's own pages"
        if _is_api(request):
            return JSONResponse({"error": message}, status_code=403)
        return Response(message, status_code=403, media_type="text/plain")
    return None


def _same_origin(request: Request) -> bool:
    """Browsers say where a request comes from: Sec-Fetch-Site, else Origin; a client that
    says neither (curl, a script) is not a browser another site could drive."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


async def _utoday_error(request: Request, exc: UtodayError) -> Response:
    status = status_of(exc)
    if status >= 500:
        log.warning("%s %s: %s", request.method, request.url.path, exc)
    if _is_api(request) or request.url.path == "/healthz":
        body: dict[str, Any] = {"error": str(exc)}
        if request.url.path == "/healthz":
            body = {"ok": False, "database": str(exc)}
        return JSONResponse(body, status_code=status)
    return _error_page(request, status, str(exc))


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        problems.append(f"{where}: {error.get('msg', 'invalid')}")
    message = "; ".join(problems) + " (see /openapi.json for what to send)"
    if _is_api(request):
        return JSONResponse({"error": message}, status_code=422)
    return _error_page(request, 422, message)


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    message = exc.detail if isinstance(exc.detail, str) else "error"
    if exc.status_code == 404:
        message = f"nothing at {request.url.path}"
    if _is_api(request):
        return JSONResponse({"error": message}, status_code=exc.status_code)
    return _error_page(request, exc.status_code, message)


def _error_page(request: Request, status: int, message: str) -> Response:
    core = request.app.state.core
    return core.templates.TemplateResponse(
        request, "error.html", {"status": status, "message": message, "page": ""},
        status_code=status)
