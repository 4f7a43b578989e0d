"""Coins in the database: tagged as titles are stored, re-tagged by `tag` after the lexicon
changes, and read back per coin by `report --coin` and `status`."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from datetime import timedelta

import pytest

from fakes import Article, articles
from utoday_sentiment import clock
from utoday_sentiment.cli import main
from utoday_sentiment.coins import load_lexicon
from utoday_sentiment.records import Title
from utoday_sentiment.store.tags import retag
from utoday_sentiment.store.titles import insert_titles

NOW = clock.now().replace(minute=0, second=0, microsecond=0)


@pytest.fixture
def env(monkeypatch, db_url, site):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("UTODAY_BASE_URL", site.url)
    monkeypatch.setenv("UTODAY_PAGE_DELAY", "0")


def test_titles_are_tagged_as_they_are_stored(conn, query):
    insert_titles(conn, [
        Title("Cardano (ADA) Eyes Golden Cross", "https://u.today/a", NOW),
        Title("BTC, ETH Slide as Exchange Hacked", "https://u.today/b", NOW),
        Title("Ripple CEO Slams SEC", "https://u.today/c", NOW),
    ])
    assert query("SELECT t.url, c.coin FROM title_coins c JOIN titles t ON t.id = c.title_id"
                 " ORDER BY 1, 2") == [
        ("https://u.today/a", "ADA"), ("https://u.today/b", "BTC"), ("https://u.today/b", "ETH")
    ]
    assert query("SELECT topic FROM title_topics JOIN titles t ON t.id = title_id"
                 " WHERE t.url = 'https://u.today/b' ORDER BY 1") == [
        ("price analysis",), ("security incident",)
    ]
    version = load_lexicon().version
    assert query("SELECT DISTINCT tagged_with FROM titles") == [(version,)]


def test_tag_retags_only_what_an_older_lexicon_tagged_unless_all(conn, query, env, capsys):
    insert_titles(conn, [Title(f"XRP Climbs #{i}", f"https://u.today/x{i}", NOW) for i in range(5)])
    with conn.cursor() as cur:  # two titles tagged by an older lexicon, one of them wrongly
        cur.execute("UPDATE titles SET tagged_with = 'lexicon-old' WHERE url IN"
                    " ('https://u.today/x0', 'https://u.today/x1')")
        cur.execute("DELETE FROM title_coins WHERE title_id ="
                    " (SELECT id FROM titles WHERE url = 'https://u.today/x0')")
    conn.commit()
    assert main(["tag"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("tag: 2 titles tagged (2 coin tags) with lexicon-")
    assert query("SELECT count(*) FROM title_coins") == [(5,)]  # the lost tag is back
    assert main(["tag"]) == 0  # idempotent
    assert "0 titles tagged" in capsys.readouterr().out
    assert main(["tag", "--all"]) == 0
    assert "5 titles tagged (5 coin tags)" in capsys.readouterr().out
    assert query("SELECT count(*) FROM title_coins") == [(5,)]


def test_a_changed_lexicon_retags_in_batches(conn, query):
    insert_titles(conn, [Title(f"Pepe Rallies #{i}", f"https://u.today/p{i}", NOW) for i in range(7)])
    base = load_lexicon()
    trimmed = dataclasses.replace(
        base, coins=tuple(c for c in base.coins if c.symbol != "PEPE"), version="lexicon-test"
    )
    assert retag(conn, batch=3, lexicon=trimmed) == (7, 0)
    assert query("SELECT count(*) FROM title_coins") == [(0,)]
    assert query("SELECT DISTINCT tagged_with FROM titles") == [("lexicon-test",)]
    assert retag(conn, batch=3, lexicon=base) == (7, 7)


def test_report_for_one_coin_and_status_top_coins(env, site, capsys, tmp_path):
    newest = NOW - timedelta(hours=1)
    made = [Article(a.slug, t, a.published) for a, t in zip(articles(0, 4, newest=newest), [
        "XRP Flips Rival", "XRP Whales Move Coins", "Dogecoin Slips", "Cardano (ADA) Rallies"
    ], strict=True)]
    site.serve_listing([made])
    assert main(["scrape"]) == 0
    capsys.readouterr()
    assert main(["report", "--coin", "xrp", "--days", "2"]) == 0
    rows = {line.split()[0]: line.split()[1:3] for line in capsys.readouterr().out.splitlines()
            if line[:4].isdigit()}
    # two XRP titles, an hour apart: on one UTC day or, just after midnight, on two
    xrp_days = Counter(f"{a.published:%Y-%m-%d}" for a in made if "XRP" in a.title)
    assert list(rows) == [f"{clock.today() - timedelta(days=1)}", f"{clock.today()}"]
    assert {day: row for day, row in rows.items() if row != ["0", "0"]} == {
        day: [str(n), "0"] for day, n in xrp_days.items()
    }
    png = tmp_path / "xrp.png"
    assert main(["report", "--coin", "XRP", "--png", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    capsys.readouterr()
    assert main(["report", "--coin", "NOPE"]) == 2
    assert "--coin NOPE is not in the coin lexicon" in capsys.readouterr().err
    assert main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["top_coins_7_days"] == "XRP 2, ADA 1, DOGE 1"
