"""The HTML pages through FastAPI's TestClient: each shows what its question's function returns,
says what went wrong in one line, and never shows a label where judging is blind."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("fastapi")

from tests.helpers import TOKEN
from tests.integration.test_web_api import MODEL, TODAY, data, make_client  # noqa: F401


@pytest.fixture
def client(data, db_url):  # noqa: F811
    with make_client(db_url) as made:
        yield made


def cells(html: str, css: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(rf'<td class="{css}">(.*?)</td>', html, re.S)]


def test_the_overview_window_and_a_days_headlines(client):
    page = client.get("/?days=7").text
    assert page.count('class="point') == 3 and page.count('class="bar"') == 7
    assert 'class="chip on" href="/?days=7"' in page
    day = client.get(f"/?days=7&day={TODAY}").text
    assert cells(day, "headline") == ["XRP Whales Move Coins", "Exchange Hack Drains Wallets",
                                      "Bitcoin Climbs Past Record"]
    custom = client.get(f"/?from={TODAY}&to={TODAY}").text
    assert custom.count('class="bar"') == 1
    bad = client.get("/?days=0")
    assert bad.status_code == 400 and "days=&#39;0&#39; is out of range" in bad.text


def test_coins_and_one_coin(client):
    listing = client.get("/coins?days=7").text
    symbols = re.findall(r'<td><a href="/coins/(\w+)">', listing)
    api = [c["symbol"] for c in client.get("/api/v1/coins?days=7").json()]
    assert symbols == api and "BTC" in symbols
    one = client.get("/coins/btc").text
    assert "<h1>BTC <small>Bitcoin</small></h1>" in one
    assert cells(one, "headline")[:2] == ["Bitcoin Climbs Past Record", "Bitcoin Slips 7%: Details"]
    missing = client.get("/coins/NOPE")
    assert missing.status_code == 404 and "not in the coin lexicon" in missing.text


def test_headlines_page_filters_pages_and_links_its_csv(client):
    page = client.get("/titles?q=bitcoin&sentiment=negative").text
    assert cells(page, "headline") == ["Bitcoin Slips 7%: Details"]
    assert 'href="/api/v1/titles.csv?q=bitcoin&amp;sentiment=negative"' in page
    first = client.get("/titles").text
    assert len(cells(first, "headline")) == 8 and 'class="next"' not in first


def test_judging_page_is_blind_and_stores_through_the_form(client, data, query):  # noqa: F811
    ask = client.get("/judge").text
    assert 'name="name"' in ask
    client.post("/judge/name", data={"name": "ana"})
    page = client.get("/judge").text
    title_id = re.search(r'data-id="(\d+)"', page).group(1)
    assert MODEL not in page and 'class="label' not in page and "p(positive)" not in page
    done = client.post("/judge", data={"title_id": title_id, "label": "neutral", "skip": ""},
                       follow_redirects=False)
    assert done.status_code == 303
    assert query("SELECT title_id::text, judge, label FROM judgements") == [(title_id, "ana", "neutral")]
    assert "1 judged" in client.get("/judge").text


def test_quality_page_shows_the_reports_numbers_and_the_disagreements(client, data, query):  # noqa: F811
    assert "No judged headline carries a stored label yet" in client.get("/quality").text
    ids = dict(query("SELECT title, id FROM titles"))
    for title, label in (("Bitcoin Climbs Past Record", "positive"),
                         ("Exchange Hack Drains Wallets", "neutral"),
                         ("Bitcoin Slips 7%: Details", "negative")):
        client.post("/api/v1/judgements", json={"title_id": ids[title], "judge": "ana", "label": label})
    page = client.get("/quality").text
    report = client.get(f"/api/v1/quality?model={MODEL}").json()
    assert f"<strong>n = {report['n']}</strong>: accuracy {report['accuracy']:.3f}" in page
    assert "Exchange Hack Drains Wallets" in page.split("Where the model and the judges disagree")[1]
    assert "Bitcoin Climbs Past Record" not in page.split("Where the model and the judges disagree")[1]


def test_try_page_labels_a_headline_and_says_what_went_wrong(data, db_url, hf):  # noqa: F811
    with make_client(db_url, HF_API_TOKEN=TOKEN, HF_API_URL=hf.url) as web:
        page = web.post("/try", data={"text": "Bitcoin Climbs Past Record"})
        assert page.status_code == 200 and '<span class="label positive">positive</span>' in page.text
        assert "hf-api:test/model" in page.text
        long = web.post("/try", data={"text": "x" * 600})
        assert long.status_code == 400 and "send at most 512" in long.text
    with make_client(db_url) as none:
        page = none.post("/try", data={"text": "Bitcoin"})
        assert page.status_code == 503 and "set HF_API_TOKEN" in page.text
