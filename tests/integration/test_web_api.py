"""The web app's JSON/CSV API through FastAPI's TestClient, on the suite's real PostgreSQL: each
answer equals the SQL over the same data, every bad parameter is a 4xx with a message, a stopped
database is 503, the token and the cross-origin rule hold, and the read path cannot write."""

from __future__ import annotations

import csv
import io
import json
import logging
from datetime import UTC, datetime, time, timedelta

import psycopg2
import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient

from tests.helpers import TOKEN
from utoday_sentiment import clock
from utoday_sentiment.cli import main
from utoday_sentiment.records import Title
from utoday_sentiment.settings import load_settings
from utoday_sentiment.store import browse
from utoday_sentiment.store.titles import insert_titles
from utoday_sentiment.web.app import create_app

TODAY = clock.today()
MODEL = "hf-api:test/model"


def at(days_ago: int, hour: int) -> datetime:
    return datetime.combine(TODAY - timedelta(days=days_ago), time(hour), UTC)


# title, days ago, hour, sentiment, p(positive), p(negative), sponsored
DATA = [
    ("Bitcoin Climbs Past Record", 0, 1, "positive", 0.9, 0.03, False),
    ("Exchange Hack Drains Wallets", 0, 2, "negative", 0.05, 0.8, False),
    ("XRP Whales Move Coins", 0, 3, None, None, None, False),
    ("Cardano (ADA) Publishes Report", 1, 5, "neutral", 0.1, 0.1, False),
    ("Bitcoin Slips 7%: Details", 1, 9, "negative", 0.1, 0.7, False),
    ("Dogecoin 100% Rally? Analysts Doubt It", 3, 12, "positive", 0.6, 0.2, False),
    ("Sponsored: Bitcoin Casino Bonus", 0, 4, None, None, None, True),
    ("Ethereum Price Holds", 40, 6, "neutral", 0.2, 0.2, False),
    ("BTC and ETH Rise Together", 45, 6, "positive", 0.7, 0.1, False),
]


@pytest.fixture
def data(conn):
    insert_titles(conn, [
        Title(t, f"https://u.today/w-{i}", at(d, h), category="Partners" if s else "News",
              sponsored=s)
        for i, (t, d, h, _, _, _, s) in enumerate(DATA)
    ])
    with conn.cursor() as cur:
        for i, (_, _, _, label, pos, neg, _) in enumerate(DATA):
            if label:
                scores = {"positive": pos, "negative": neg, "neutral": round(1 - pos - neg, 4)}
                cur.execute("UPDATE titles SET sentiment = %s, sentiment_score = %s,"
                            " sentiment_scores = %s, sentiment_model = %s, labelled_at = now()"
                            " WHERE url = %s", (label, max(scores.values()), json.dumps(scores),
                                                MODEL, f"https://u.today/w-{i}"))
    conn.commit()
    return conn


def make_client(db_url, **env) -> TestClient:
    settings = load_settings({"HF_MODEL": "test/model", **env})
    return TestClient(create_app(settings, db_url))


@pytest.fixture
def client(data, db_url):
    with make_client(db_url) as made:
        yield made


def sql(conn, text, params=()):
    with conn.cursor() as cur:
        cur.execute(text, params)
        rows = cur.fetchall()
    conn.rollback()
    return rows


def test_daily_equals_the_views(client, data):
    answer = client.get("/api/v1/daily?days=7").json()
    assert [row["day"] for row in answer] == [str(TODAY - timedelta(days=n)) for n in range(6, -1, -1)]
    view = {str(r[0]): r[1:] for r in sql(data, "SELECT day, titles, labelled, positive, neutral,"
                                          " negative, net_score FROM daily_sentiment")}
    for row in answer:
        expected = view.get(row["day"])
        got = (row["titles"], row["labelled"], row["positive"], row["neutral"], row["negative"])
        if expected is None:
            assert got == (0, 0, 0, 0, 0) and row["net_score"] is None
        else:
            assert got == tuple(expected[:5])
            assert row["net_score"] == pytest.approx(float(expected[5]))
    assert sum(r["titles"] for r in answer) == 6  # the sponsored one is not counted
    ranged = client.get(f"/api/v1/daily?from={TODAY - timedelta(days=45)}&to={TODAY - timedelta(days=40)}").json()
    assert len(ranged) == 6 and (ranged[0]["titles"], ranged[-1]["titles"]) == (1, 1)
    coin = client.get("/api/v1/daily?days=2&coin=btc").json()
    coin_view = dict(sql(data, "SELECT day, titles FROM coin_daily_sentiment WHERE coin = 'BTC'"
                               " AND day > %s", (TODAY - timedelta(days=2),)))
    assert {r["day"]: r["titles"] for r in coin} == {str(d): n for d, n in coin_view.items()}
    assert client.get("/api/v1/daily.csv?days=2").text.splitlines()[0] == (
        "day,titles,labelled,positive,neutral,negative,net_score")


def test_titles_equal_the_sql_page_by_page_newest_first(client, data):
    expected = [r[0] for r in sql(data, "SELECT id FROM titles WHERE NOT sponsored"
                                        " ORDER BY published_at DESC, id DESC")]
    seen, cursor, pages = [], None, 0
    while True:
        answer = client.get("/api/v1/titles?limit=3" + (f"&cursor={cursor}" if cursor else "")).json()
        seen += [item["id"] for item in answer["items"]]
        pages += 1
        cursor = answer["next_cursor"]
        if cursor is None:
            break
    assert seen == expected and pages == 3
    item = client.get(f"/api/v1/titles/{expected[0]}").json()
    assert set(item) == {"id", "url", "title", "published_at", "sentiment", "p_positive",
                         "p_neutral", "p_negative", "model", "coins", "source", "story_id"}
    assert item["source"] == "utoday"
    assert item["title"] == "XRP Whales Move Coins" and item["coins"] == ["XRP"]
    assert item["sentiment"] is None and item["p_positive"] is None
    sponsored = sql(data, "SELECT id FROM titles WHERE sponsored")[0][0]
    assert client.get(f"/api/v1/titles/{sponsored}").status_code == 404
    missing = client.get("/api/v1/titles/999999")
    assert missing.status_code == 404 and missing.json() == {"error": "no headline has id 999999"}


@pytest.mark.parametrize(("query", "titles"), [
    ("q=bitcoin", ["Bitcoin Climbs Past Record", "Bitcoin Slips 7%: Details"]),
    ("q=BITCOIN+record", ["Bitcoin Climbs Past Record"]),
    ("q=100%25", ["Dogecoin 100% Rally? Analysts Doubt It"]),  # % is a letter, not a wildcard
    ("q=_", []),
    ("coin=ETH", ["Ethereum Price Holds", "BTC and ETH Rise Together"]),
    ("sentiment=negative", ["Exchange Hack Drains Wallets", "Bitcoin Slips 7%: Details"]),
    ("sentiment=unlabelled", ["XRP Whales Move Coins"]),
    (f"from={TODAY - timedelta(days=1)}&to={TODAY - timedelta(days=1)}",
     ["Bitcoin Slips 7%: Details", "Cardano (ADA) Publishes Report"]),
    (f"model={MODEL}&to={TODAY - timedelta(days=30)}", ["Ethereum Price Holds", "BTC and ETH Rise Together"]),
])
def test_title_filters(client, query, titles):
    answer = client.get(f"/api/v1/titles?{query}")
    assert answer.status_code == 200, answer.text
    assert [i["title"] for i in answer.json()["items"]] == titles


def test_the_csv_holds_every_matching_row_across_pages(client, data, monkeypatch):
    monkeypatch.setattr(browse, "CSV_PAGE", 2)  # several pages for a few rows
    answer = client.get("/api/v1/titles.csv?q=bitcoin")
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [r["title"] for r in rows] == ["Bitcoin Climbs Past Record", "Bitcoin Slips 7%: Details"]
    everything = list(csv.DictReader(io.StringIO(client.get("/api/v1/titles.csv").text)))
    assert len(everything) == sql(data, "SELECT count(*) FROM titles WHERE NOT sponsored")[0][0]
    assert {r["coins"] for r in everything} >= {"BTC ETH", "XRP", ""}


def test_coins_equal_the_sql(client, data):
    answer = {c["symbol"]: c for c in client.get("/api/v1/coins?days=7").json()}
    start = datetime.combine(TODAY - timedelta(days=6), time(), UTC)
    expected = sql(data, "SELECT c.coin, count(*), avg(COALESCE((t.sentiment_scores->>'positive')"
                         "::float8, 0) - COALESCE((t.sentiment_scores->>'negative')::float8, 0))"
                         " FILTER (WHERE t.sentiment IS NOT NULL) FROM title_coins c JOIN titles t"
                         " ON t.id = c.title_id WHERE NOT t.sponsored AND t.published_at >= %s"
                         " GROUP BY 1", (start,))
    assert set(answer) == {coin for coin, _, _ in expected}
    for coin, mentions, net in expected:
        assert answer[coin]["mentions"] == mentions
        assert answer[coin]["net_score"] == (None if net is None else pytest.approx(net))
    assert answer["BTC"]["name"] == "Bitcoin" and answer["BTC"]["previous_net_score"] is None
    wide = {c["symbol"]: c for c in client.get("/api/v1/coins?days=42").json()}
    assert wide["ETH"]["net_score"] == pytest.approx(0.0)  # 40 days ago
    assert wide["ETH"]["previous_net_score"] == pytest.approx(0.6)  # 45 days ago: the window before


def test_status_has_the_keys_and_numbers_of_status_json(client, db_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert main(["status", "--json"]) == 0
    assert client.get("/api/v1/status").json() == json.loads(capsys.readouterr().out)


def test_quality_is_the_document_of_evaluate_report_json(client, data, db_url, monkeypatch, capsys):
    assert client.get("/api/v1/quality").status_code == 404  # nobody judged yet
    ids = [r[0] for r in sql(data, "SELECT id FROM titles WHERE sentiment IS NOT NULL ORDER BY id")]
    for title_id, label in zip(ids, ["positive", "neutral", "neutral", "negative", "positive"], strict=False):
        assert client.post("/api/v1/judgements", json={"title_id": title_id, "judge": "ana",
                                                       "label": label}).status_code == 201
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("HF_MODEL", "test/model")
    assert main(["evaluate", "report", "--json"]) == 0
    assert client.get("/api/v1/quality").json() == json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(("path", "words"), [
    ("/api/v1/daily?days=abc", "days='abc' is out of range"),
    ("/api/v1/daily?days=0", "send a whole number from 1 to 3660"),
    ("/api/v1/daily?from=yesterday", "from='yesterday' is not a day: send YYYY-MM-DD"),
    ("/api/v1/daily?from=2026-05-02&to=2026-05-01", "from=2026-05-02 is after to=2026-05-01"),
    ("/api/v1/daily?coin=NOPE", "coin='NOPE' is not in the coin lexicon"),
    ("/api/v1/titles?limit=0", "limit='0' is out of range: send a whole number from 1 to 500"),
    ("/api/v1/titles?limit=501", "from 1 to 500"),
    ("/api/v1/titles?cursor=garbage", "cursor is not one this API gave"),
    ("/api/v1/titles?sentiment=great", "sentiment='great' is not one of"),
    ("/api/v1/titles?from=2026-05-02&to=2026-05-01", "from=2026-05-02 is after to=2026-05-01"),
    ("/api/v1/titles.csv?to=soon", "to='soon' is not a day"),
    ("/api/v1/coins?days=-3", "days='-3' is out of range"),
    ("/api/v1/judge/next", "judge is missing: send judge=YOUR_NAME"),
    ("/api/v1/judge/next?judge=ana&skip=a,b", "skip='a,b' is not a list of title ids"),
])
def test_a_bad_parameter_is_a_400_that_says_what_to_send(client, path, words):
    answer = client.get(path)
    assert answer.status_code == 400, answer.text
    assert words in answer.json()["error"]


def test_bad_bodies_are_4xx_never_500(client, data):
    assert client.post("/api/v1/judgements", json={"title_id": 1, "judge": "ana",
                                                   "label": "great"}).status_code == 400
    unknown = client.post("/api/v1/judgements", json={"title_id": 999999, "judge": "ana",
                                                      "label": "neutral"})
    assert unknown.status_code == 400 and "no stored title has id 999999" in unknown.json()["error"]
    missing = client.post("/api/v1/judgements", json={"judge": "ana"})
    assert missing.status_code == 422 and "title_id" in missing.json()["error"]
    assert client.post("/api/v1/classify", content=b"not json",
                       headers={"content-type": "application/json"}).status_code == 422


def test_judging_is_blind_and_one_judgement_per_title_per_judge(client, data):
    first = client.get("/api/v1/judge/next?judge=ana")
    assert set(first.json()) == {"id", "title", "url", "published_at", "judged", "remaining"}
    assert MODEL not in first.text and "sentiment" not in first.text
    assert first.json()["judged"] == 0 and first.json()["remaining"] == 8
    title_id = first.json()["id"]
    for label in ("negative", "positive"):  # judging again replaces it
        assert client.post("/api/v1/judgements", json={"title_id": title_id, "judge": " ana ",
                                                       "label": label}).status_code == 201
    assert sql(data, "SELECT judge, label FROM judgements") == [("ana", "positive")]
    second = client.get("/api/v1/judge/next?judge=ana").json()
    assert second["id"] != title_id and second["judged"] == 1 and second["remaining"] == 7
    assert client.get("/api/v1/judge/next?judge=bo").json()["remaining"] == 8  # others still may
    ids = [r[0] for r in sql(data, "SELECT id FROM titles WHERE NOT sponsored")]
    skip = ",".join(str(i) for i in ids if i != title_id)
    assert client.get(f"/api/v1/judge/next?judge=ana&skip={skip}").status_code == 204


def test_a_stopped_database_is_503_with_the_clis_line(data):
    with make_client("postgresql://nobody@127.0.0.1:9/none") as down:
        answer = down.get("/api/v1/daily?days=7")
        assert answer.status_code == 503
        assert answer.json()["error"].startswith("cannot connect to the database at nobody@127.0.0.1:9")
        assert down.get("/healthz").status_code == 503
        page = down.get("/")
        assert page.status_code == 503 and "cannot connect to the database" in page.text


def test_the_token_rule(data, db_url, caplog):
    with make_client(db_url, UTODAY_WEB_TOKEN="s3cret-token-value") as guarded, caplog.at_level(logging.DEBUG):
        assert guarded.get("/healthz").status_code == 200
        assert guarded.get("/api/v1/status").status_code == 401
        assert guarded.get("/openapi.json").status_code == 401
        assert guarded.get("/api/v1/status", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert guarded.get("/api/v1/status", headers={"Authorization": "Bearer s3cret-token-value"}).status_code == 200
        page = guarded.get("/titles", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"] == "/login"
        assert guarded.post("/login", data={"token": "nope"}).status_code == 401
        signed = guarded.post("/login", data={"token": "s3cret-token-value"}, follow_redirects=False)
        cookie = signed.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert guarded.get("/titles").status_code == 200  # the cookie now goes with each request
    assert "s3cret-token-value" not in caplog.text


def test_a_post_from_another_origin_is_refused(client, data):
    body = {"title_id": 1, "judge": "ana", "label": "neutral"}
    for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
                    {"Origin": "http://evil.example"}):
        answer = client.post("/api/v1/judgements", json=body, headers=headers)
        assert answer.status_code == 403 and "another site" in answer.json()["error"]
        assert client.post("/judge/name", data={"name": "x"}, headers=headers).status_code == 403
    assert sql(data, "SELECT count(*) FROM judgements") == [(0,)]
    ok = client.post("/judge/name", data={"name": "ana"}, follow_redirects=False,
                     headers={"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"})
    assert ok.status_code == 303


def test_the_read_path_cannot_write(client, data):
    database = client.app.state.core.db
    with (pytest.raises(psycopg2.Error, match="read-only transaction"),
          database.connection() as conn, conn.cursor() as cur):
        cur.execute("UPDATE titles SET title = 'changed'")
    with (pytest.raises(psycopg2.Error, match="permission denied"),
          database.connection() as conn, conn.cursor() as cur):
        cur.execute("SET default_transaction_read_only = off")  # a bug that tries to write
        conn.commit()
        cur.execute("DELETE FROM judgements")  # the role still may not
    with (pytest.raises(psycopg2.Error, match="permission denied"),
          database.connection("judge") as conn, conn.cursor() as cur):
        cur.execute("UPDATE titles SET title = 'changed'")
    assert sql(data, "SELECT count(*) FROM titles WHERE title = 'changed'") == [(0,)]


def test_every_answer_carries_the_security_headers(client):
    for path in ("/", "/api/v1/status", "/nowhere"):
        headers = client.get(path).headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"


def test_classify_asks_the_configured_backend_with_a_limit(data, db_url, hf):
    with make_client(db_url, HF_API_TOKEN=TOKEN, HF_API_URL=hf.url, UTODAY_TRY_PER_MINUTE="2") as web:
        answer = web.post("/api/v1/classify", json={"text": "Bitcoin Climbs Past Record"})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["sentiment"] == "positive" and body["model"] == "hf-api:test/model"
        assert body["p_positive"] + body["p_neutral"] + body["p_negative"] == pytest.approx(1)
        assert hf.inputs() == ["Bitcoin Climbs Past Record"]
        too_long = web.post("/api/v1/classify", json={"text": "x" * 513})
        assert too_long.status_code == 400 and "at most 512" in too_long.json()["error"]
        assert web.post("/api/v1/classify", json={"text": "Second"}).status_code == 200
        limited = web.post("/api/v1/classify", json={"text": "Third"})
        assert limited.status_code == 429 and "at most 2 headlines a minute" in limited.json()["error"]
        assert len(hf.inputs()) == 2
    with make_client(db_url) as no_token:
        answer = no_token.post("/api/v1/classify", json={"text": "Bitcoin"})
        assert answer.status_code == 503 and "set HF_API_TOKEN" in answer.json()["error"]


def test_serve_refuses_another_host_without_a_token(monkeypatch, capsys, db_url):
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert main(["serve", "--host", "0.0.0.0"]) == 2  # noqa: S104 - refused, never bound
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1
    assert "--host 0.0.0.0 would serve the data to the network: set UTODAY_WEB_TOKEN" in err


def test_report_html_is_one_file_that_fetches_nothing(data, db_url, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("DATABASE_URL", db_url)
    page = tmp_path / "index.html"
    assert main(["report", "--days", "7", "--html", str(page)]) == 0
    html = page.read_text()
    assert html.count('class="point') == 3  # three days of the seven have titles
    assert "<script" not in html and 'src="' not in html and "<link" not in html
    assert f"<td>{TODAY}</td><td>3</td><td>2</td>" in html


def test_a_judge_meets_the_labels_in_turn_as_evaluate_sample_draws_them(client, data):
    labels = dict(sql(data, "SELECT id, COALESCE(sentiment, 'unlabelled') FROM titles"))
    seen = []
    for _ in range(4):
        item = client.get("/api/v1/judge/next?judge=cy").json()
        seen.append(labels[item["id"]])
        client.post("/api/v1/judgements", json={"title_id": item["id"], "judge": "cy",
                                                 "label": "neutral"})
    assert sorted(seen) == ["negative", "neutral", "positive", "unlabelled"]  # one of each
