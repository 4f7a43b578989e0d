"""The HTTP side of the scraper, over real sockets to a fake U.Today on 127.0.0.1."""

from __future__ import annotations

import socket

import pytest

from fakes import Reply, articles, listing_page
from utoday_sentiment.errors import SiteError
from utoday_sentiment.settings import load_settings
from utoday_sentiment.sources.utoday import SiteClient

PATH = "/latest-cryptocurrency-news"


def client_for(site, waits=None, **env):
    """A client whose every wait (Retry-After, backoff) is recorded in `waits`, not slept."""
    settings = load_settings({"UTODAY_BASE_URL": site.url, "UTODAY_PAGE_DELAY": "0", **env})
    return SiteClient(
        settings, backoff_factor=0, sleep=(waits.append if waits is not None else lambda s: None)
    )


def test_sends_a_descriptive_user_agent(site):
    site.serve(PATH, listing_page(articles(0, 2)))
    body = client_for(site).fetch(site.url + PATH)
    assert b"news__item" in body
    agent = site.requests[0].headers["User-Agent"]
    assert agent.startswith("utoday-sentiment/")
    assert "python-requests" not in agent


def test_server_error_then_success_is_retried(site):
    site.serve(
        PATH,
        Reply("oops", 500, "text/plain"),
        Reply("busy", 502, "text/plain"),
        listing_page(articles(0, 1)),
    )
    assert b"news__item" in client_for(site).fetch(site.url + PATH)
    assert site.paths() == [PATH] * 3


def test_rate_limit_honours_retry_after(site):
    site.serve(
        PATH,
        Reply("slow down", 429, "text/plain", {"Retry-After": "7"}),
        listing_page(articles(0, 1)),
    )
    waits: list[float] = []
    assert b"news__item" in client_for(site, waits).fetch(site.url + PATH)
    assert len(site.requests) == 2
    assert waits == [7.0]  # the server's word, not the (zero) backoff


def test_a_huge_retry_after_is_capped_at_30_seconds(site):
    site.serve(
        PATH,
        Reply("come back tomorrow", 503, "text/plain", {"Retry-After": "86400"}),
        listing_page(articles(0, 1)),
    )
    waits: list[float] = []
    assert b"news__item" in client_for(site, waits).fetch(site.url + PATH)
    assert waits == [30.0]


def test_backoff_waits_go_through_the_same_sleep(site):
    site.serve(
        PATH, Reply("oops", 500, "text/plain"), Reply("oops", 502, "text/plain"),
        listing_page(articles(0, 1)),
    )
    waits: list[float] = []
    settings = load_settings({"UTODAY_BASE_URL": site.url})
    SiteClient(settings, backoff_factor=2, sleep=waits.append).fetch(site.url + PATH)
    assert waits == [4.0]  # urllib3: no wait before the first retry, then factor * 2


def test_persistent_server_error_fails_after_bounded_retries(site):
    site.serve(PATH, Reply("down", 503, "text/plain"))
    with pytest.raises(SiteError, match=r"answered 503 .* after 2 retries; try again later"):
        client_for(site, UTODAY_HTTP_RETRIES="2").fetch(site.url + PATH)
    assert len(site.requests) == 3


@pytest.mark.parametrize("status", [403, 404, 410])
def test_missing_or_forbidden_page_is_a_clear_error_without_retries(site, status):
    site.serve(PATH, Reply("no", status, "text/plain"))
    with pytest.raises(SiteError) as info:
        client_for(site).fetch(site.url + PATH)
    message = str(info.value)
    assert f"answered {status}" in message and "UTODAY_LISTING_PATH" in message
    assert len(site.requests) == 1


def test_non_html_body_is_refused(site):
    site.serve(PATH, Reply('{"ok": true}', 200, "application/json"))
    with pytest.raises(SiteError, match="application/json, not HTML"):
        client_for(site).fetch(site.url + PATH)


def test_oversized_body_is_cut_off(site):
    site.serve(PATH, Reply(b"<html>" + b"x" * 300_000, 200))
    with pytest.raises(SiteError, match="more than 100000 bytes.*UTODAY_MAX_PAGE_BYTES"):
        client_for(site, UTODAY_MAX_PAGE_BYTES="100000").fetch(site.url + PATH)


def test_slow_page_times_out(site):
    site.serve(PATH, Reply(listing_page([]), delay=1.5))
    with pytest.raises(SiteError, match="did not answer within 0.3 s"):
        client_for(site, UTODAY_READ_TIMEOUT="0.3", UTODAY_HTTP_RETRIES="0").fetch(site.url + PATH)


def test_deadline_shortens_the_timeout(site):
    site.serve(PATH, Reply(listing_page([]), delay=1.5))
    with pytest.raises(SiteError, match="did not answer within 0.2 s"):
        client_for(site, UTODAY_HTTP_RETRIES="0").fetch(site.url + PATH, timeout=0.2)


def test_unreachable_site(site):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = load_settings(
        {"UTODAY_BASE_URL": f"http://127.0.0.1:{port}", "UTODAY_HTTP_RETRIES": "1"}
    )
    with pytest.raises(SiteError) as info:
        SiteClient(settings, backoff_factor=0).fetch(f"http://127.0.0.1:{port}{PATH}")
    assert str(info.value) == (
        f"cannot reach http://127.0.0.1:{port}{PATH} (connection refused); "
        "check the network and UTODAY_BASE_URL"
    )


def test_non_utf8_bytes_come_back_untouched(site):
    raw = listing_page(articles(0, 1)).encode("utf-8") + b"\xff\xfe\xfa"
    site.serve(PATH, Reply(raw, 200, "text/html"))
    assert client_for(site).fetch(site.url + PATH) == raw


def test_the_network_guard_blocks_the_real_site():
    settings = load_settings({"UTODAY_HTTP_RETRIES": "0"})
    with pytest.raises(SiteError, match="cannot reach https://u.today"):
        SiteClient(settings).fetch("https://u.today/latest-cryptocurrency-news")
