"""The pages in a real browser: what a person sees and does."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from utoday_sentiment import clock
from utoday_sentiment.records import Title
from utoday_sentiment.store.titles import insert_titles

TODAY = clock.today()
MODEL = "hf-api:browser/model"
XSS_IMG = "<img src=x onerror=alert(1)> Bitcoin Image Trick"
XSS_SCRIPT = "<script>alert(2)</script> XRP Script Trick"
# title, days ago, hour, sentiment
DATA = [
    ("Bitcoin Climbs Past Record", 0, 1, "positive"),
    ("Exchange Hack Drains Wallets", 0, 2, "negative"),
    ("Cardano (ADA) Publishes Report", 2, 5, "neutral"),
    ("Bitcoin Slips 7%: Details", 2, 9, "negative"),
    ("Dogecoin Rallies Hard", 5, 12, "positive"),
    (XSS_IMG, 9, 8, "neutral"),
    (XSS_SCRIPT, 9, 10, None),
]


@pytest.fixture
def data(conn):
    insert_titles(conn, [
        Title(t, f"https://u.today/b-{i}", datetime.combine(TODAY - timedelta(days=d), time(h), UTC))
        for i, (t, d, h, _) in enumerate(DATA)
    ])
    with conn.cursor() as cur:
        for i, (_, _, _, label) in enumerate(DATA):
            if label:
                scores = {"positive": 0.11, "neutral": 0.13, "negative": 0.17, label: 0.59}
                cur.execute("UPDATE titles SET sentiment = %s, sentiment_score = 0.59,"
                            " sentiment_scores = %s, sentiment_model = %s, labelled_at = now()"
                            " WHERE url = %s", (label, json.dumps(scores), MODEL,
                                                f"https://u.today/b-{i}"))
    conn.commit()
    return conn


def test_the_overview_draws_a_point_per_day_and_a_click_shows_that_days_headlines(data, site_pages):
    served, watched = site_pages
    page = watched.page
    page.goto(served.url + "/")
    points = page.locator("svg.chart circle.point")
    assert points.count() == 4  # four days of the last 30 have titles
    assert page.locator("svg.chart rect.bar").count() == 30
    day = TODAY - timedelta(days=2)
    tooltip = page.locator(f'circle.point[data-day="{day}"] title').text_content()
    assert tooltip.startswith(f"{day}: 2 titles, 2 labelled")
    page.locator(f'circle.point[data-day="{day}"]').click()
    page.wait_for_url(f"**day={day}**")
    rows = page.locator("#day table.headlines tbody tr td.headline")
    assert rows.all_text_contents() == ["Bitcoin Slips 7%: Details", "Cardano (ADA) Publishes Report"]
    assert "0.59" in page.locator("#day").text_content()  # the probabilities, "why this mood"
    assert page.locator("#freshness").is_visible()
    watched.check()


def test_search_and_the_csv_link(data, site_pages):
    served, watched = site_pages
    page = watched.page
    page.goto(served.url + "/titles")
    page.fill("input[name=q]", "bitcoin")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**q=bitcoin**")
    shown = page.locator("td.headline").all_text_contents()
    assert shown == ["Bitcoin Climbs Past Record", "Bitcoin Slips 7%: Details", XSS_IMG]
    with page.expect_download() as download:
        page.click("a.csv")
    text = Path(download.value.path()).read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0].startswith("id,url,title,published_at,sentiment")
    assert len(lines) == 4 and "Bitcoin Slips 7%: Details" in text
    watched.check()


def test_judging_three_headlines_with_the_keyboard_stores_three_blind_judgements(data, site_pages, query):
    served, watched = site_pages
    page = watched.page
    page.goto(served.url + "/judge")
    page.fill("input[name=name]", "ana")
    page.press("input[name=name]", "Enter")
    page.wait_for_selector("article.judging")
    seen = []
    for key in ("1", "2", "3"):
        html = page.content()
        assert MODEL not in html and "0.59" not in html and 'class="label' not in html
        seen.append(page.locator("article.judging").get_attribute("data-id"))
        page.keyboard.press(key)
        page.wait_for_function(
            "id => document.querySelector('article.judging')?.dataset.id !== id", arg=seen[-1])
    assert query("SELECT title_id::text, judge, label FROM judgements ORDER BY judged_at") == [
        (seen[0], "ana", "negative"), (seen[1], "ana", "neutral"), (seen[2], "ana", "positive")]
    assert page.locator("p.progress").text_content().startswith("3 judged")
    before = page.locator("article.judging").get_attribute("data-id")
    page.keyboard.press("s")  # skip stores nothing
    page.wait_for_function(
        "id => document.querySelector('article.judging')?.dataset.id !== id", arg=before)
    assert query("SELECT count(*) FROM judgements") == [(3,)]
    api = page.request.get(served.url + "/api/v1/judge/next?judge=ana")
    assert set(api.json()) == {"id", "title", "url", "published_at", "judged", "remaining"}
    assert MODEL not in api.text()
    watched.check()


def test_headlines_with_markup_show_as_text_and_run_nothing(data, site_pages):
    served, watched = site_pages
    page = watched.page
    for path in ("/titles", f"/?day={TODAY - timedelta(days=9)}", "/coins/XRP", "/coins/BTC"):
        page.goto(served.url + path)
    page.goto(served.url + "/titles?q=trick")
    assert page.locator("td.headline").all_text_contents() == [XSS_SCRIPT, XSS_IMG]
    assert page.locator("td.headline img").count() == 0
    assert page.locator("main script").count() == 0
    watched.check()  # no dialog opened


def test_the_static_report_opens_from_disk_with_no_request(data, db_url, browser, tmp_path, monkeypatch, capsys):
    from utoday_sentiment.cli import main

    monkeypatch.setenv("DATABASE_URL", db_url)
    path = tmp_path / "index.html"
    assert main(["report", "--days", "30", "--html", str(path)]) == 0
    context = browser.new_context()
    page = context.new_page()
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    page.goto(path.as_uri())
    assert page.locator("svg.chart circle.point").count() == 4
    assert page.locator("svg.chart").is_visible()
    assert asked == [path.as_uri()]
    context.close()
