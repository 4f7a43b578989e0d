"""U.Today over HTTP: one session, a real User-Agent, timeouts, retries that honour Retry-After
(capped), a size cap, and one-line SiteErrors that say what to do."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError
from urllib3.util.retry import Retry

from ...errors import SiteError
from ...settings import Settings
from .parse import clean_text


class _CappedRetry(Retry):
    """urllib3's Retry, with a ceiling on how long a server's Retry-After may make us sleep, and
    every wait (Retry-After or backoff) through `sleeper`, so a test can see the waits."""

    MAX_RETRY_AFTER = 30.0

    @staticmethod
    def sleeper(seconds: float) -> None:
        time.sleep(seconds)

    def get_retry_after(self, response: Any) -> float | None:
        value = super().get_retry_after(response)
        return None if value is None else min(value, self.MAX_RETRY_AFTER)

    def sleep_for_retry(self, response: Any) -> bool:
        retry_after = self.get_retry_after(response)
        if retry_after:
            self.sleeper(retry_after)
            return True
        return False

    def _sleep_backoff(self) -> None:
        backoff = self.get_backoff_time()
        if backoff > 0:
            self.sleeper(backoff)


def _retry_class(sleep: Callable[[float], None]) -> type[_CappedRetry]:
    """A Retry class whose waits go through `sleep` (urllib3 copies the class on every retry)."""
    return type("_ClientRetry", (_CappedRetry,), {"sleeper": staticmethod(sleep)})


def page_url(settings: Settings, page: int) -> str:
    """Page 0 is the bare listing path; page N >= 1 is `?page=N` (Drupal's convention)."""
    return settings.listing_url if page == 0 else f"{settings.listing_url}?page={page}"


def rss_url(settings: Settings) -> str:
    return f"{settings.base_url}/rss"


class SiteClient:
    """Fetches U.Today pages: one session, a real User-Agent, timeouts, retries, a size cap."""

    def __init__(
        self,
        settings: Settings,
        *,
        session: requests.Session | None = None,
        backoff_factor: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """`sleep` is used for every wait: between pages, Retry-After, and retry backoff."""
        self.settings = settings
        self.sleep = sleep
        self.requests_sent = 0
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = settings.user_agent
        self.session.headers["Accept"] = "text/html,application/xhtml+xml,application/xml;q=0.9"
        retry = _retry_class(sleep)(
            total=settings.http_retries,
            connect=settings.http_retries,
            read=settings.http_retries,
            status=settings.http_retries,
            backoff_factor=backoff_factor,
            backoff_max=20,
            status_forcelist=(429, 500, 502, 503, 504),
            allowed_methods=frozenset({"GET"}),
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)

    def close(self) -> None:
        self.session.close()

    def fetch(self, url: str, *, kind: str = "html", timeout: float | None = None) -> bytes:
        """GET `url`, return its body; its Content-Type must fit `kind` ("html" or "xml")."""
        connect = self.settings.connect_timeout
        read = self.settings.read_timeout
        if timeout is not None:  # a deadline: neither phase may outlast it
            connect, read = min(connect, timeout), min(read, timeout)
        self.requests_sent += 1
        try:
            response = self.session.get(url, timeout=(connect, read), stream=True)
        except requests.exceptions.RequestException as exc:
            if isinstance(exc, requests.exceptions.Timeout) or _short_reason(exc) == "timed out":
                raise SiteError(
                    f"{url} did not answer within {read:g} s (after "
                    f"{self.settings.http_retries} retries); try again later or raise "
                    "UTODAY_READ_TIMEOUT"
                ) from exc
            reason = _short_reason(exc)
            raise SiteError(
                f"cannot reach {url} ({reason}); check the network and UTODAY_BASE_URL"
            ) from exc
        with response:
            status = response.status_code
            if status in (403, 404, 410):
                raise SiteError(
                    f"{url} answered {status} {response.reason}: the page moved or access is "
                    "refused; check UTODAY_BASE_URL and UTODAY_LISTING_PATH",
                    status=status,
                )
            if status >= 400:
                raise SiteError(
                    f"{url} answered {status} {response.reason} after {self.settings.http_retries} "
                    "retries; try again later",
                    status=status,
                )
            content_type = response.headers.get("Content-Type", "").lower()
            wanted = ("html",) if kind == "html" else ("xml", "rss")
            if not any(word in content_type for word in wanted):
                raise SiteError(
                    f"{url} answered with {content_type or 'no Content-Type'}, not "
                    f"{'HTML' if kind == 'html' else 'an RSS feed'}; check UTODAY_BASE_URL and "
                    "UTODAY_LISTING_PATH"
                )
            return self._read_capped(response, url)

    def get(self, url: str, *, who: str, headers: dict[str, str] | None = None,
            params: dict[str, Any] | None = None, timeout: float | None = None
            ) -> requests.Response:
        """GET on this session (retries, User-Agent, timeouts bounded by `timeout`) for the
        other sources: the response to read with `read`, or a one-line SiteError naming `who`
        when the server cannot be reached."""
        connect, read = self.settings.connect_timeout, self.settings.read_timeout
        if timeout is not None:
            connect, read = min(connect, timeout), min(read, timeout)
        self.requests_sent += 1
        try:
            return self.session.get(url, headers=headers, params=params,
                                    timeout=(connect, read), stream=True)
        except requests.exceptions.RequestException as exc:
            raise SiteError(f"{who}: cannot read {url} ({_short_reason(exc)}); the next run "
                            "tries again") from exc

    def read(self, response: requests.Response, url: str) -> bytes:
        """A response's body, refused past UTODAY_MAX_PAGE_BYTES."""
        return self._read_capped(response, url)

    def _read_capped(self, response: requests.Response, url: str) -> bytes:
        cap = self.settings.max_page_bytes
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(chunk_size=65536):
                size += len(chunk)
                if size > cap:
                    raise SiteError(
                        f"{url} sent more than {cap} bytes, far more than a listing page; "
                        "stopped reading. Raise UTODAY_MAX_PAGE_BYTES if the site's pages "
                        "really are that large"
                    )
                chunks.append(chunk)
        except requests.exceptions.RequestException as exc:
            raise SiteError(
                f"reading {url} failed ({_short_reason(exc)}); try again later"
            ) from exc
        return b"".join(chunks)


def _short_reason(exc: BaseException) -> str:
    """The innermost cause of a requests error, in a few words (never the whole urllib3 chain)."""
    reason: BaseException = exc
    inner = exc.args[0] if exc.args else None
    if isinstance(inner, MaxRetryError) and inner.reason is not None:
        reason = inner.reason
    text = str(reason)
    for needle, words in (
        ("Failed to resolve", "host name not found"),
        ("Name or service not known", "host name not found"),
        ("Connection refused", "connection refused"),
        ("timed out", "timed out"),
        ("Connection reset", "connection reset"),
        ("RemoteDisconnected", "connection closed by the server"),
        ("Connection aborted", "connection dropped"),
        ("CERTIFICATE_VERIFY_FAILED", "TLS certificate not trusted"),
    ):
        if needle in text:
            return words
    return clean_text(text)[:160] or exc.__class__.__name__
