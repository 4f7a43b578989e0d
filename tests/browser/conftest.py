"""Browser tests: the real `utoday-sentiment serve` in its own process, Debian's Chromium driven
by Playwright. Without Chromium they skip with one line, except under CI=true, where they fail."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from fakes.browser import chromium_path, launch, serve


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must run the browser tests (.ci/run installs it)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    executable = chromium_path()
    if executable is None:
        _missing("no Chromium: apt-get install chromium to run the browser tests")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing('no Playwright: pip install -e ".[dev]"')
    with sync_playwright() as playwright:
        launched = launch(playwright, executable)
        yield launched
        launched.close()


class Watched:
    """A page whose every request and console error is kept, to assert on afterwards."""

    def __init__(self, page: object, base: str) -> None:
        self.page, self.base = page, base
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))  # type: ignore[attr-defined]
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)  # type: ignore[attr-defined]
        page.on("pageerror", lambda e: self.errors.append(str(e)))  # type: ignore[attr-defined]

        def dialog(d: object) -> None:
            self.dialogs.append(d.message)  # type: ignore[attr-defined]
            d.dismiss()  # type: ignore[attr-defined]

        page.on("dialog", dialog)  # type: ignore[attr-defined]

    def outside(self) -> list[str]:
        return [u for u in self.requests if not u.startswith((self.base, "data:", "about:"))]

    def check(self) -> None:
        """Nothing left the app, no error in the console, no dialog (no injected script ran)."""
        assert self.outside() == []
        assert self.errors == []
        assert self.dialogs == []


@pytest.fixture
def site_pages(browser, db_url) -> Iterator[tuple[object, Watched]]:
    """The server over the test's schema, and a watched page; on failure, what it printed."""
    with serve({"DATABASE_URL": db_url}) as served:
        context = browser.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True)  # type: ignore[attr-defined]
        page = context.new_page()
        watched = Watched(page, served.url)
        try:
            yield served, watched
        finally:
            context.close()
    if served.output.strip():
        print(served.output)
