"""The daily rollups stay exact: after titles are stored, labelled, relabelled, flagged sponsored,
re-dated, re-tagged or deleted, each rollup row equals the same sums computed from the titles,
and the views give the numbers the old aggregate over `titles` gave."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

from utoday_sentiment.coins import load_lexicon
from utoday_sentiment.records import Title
from utoday_sentiment.store.tags import retag
from utoday_sentiment.store.titles import claim_batch, insert_titles, store_labels

DAY = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)

FROM_TITLES = """
SELECT (published_at AT TIME ZONE 'UTC')::date, count(*), count(sentiment),
       count(*) FILTER (WHERE sentiment = 'positive'), count(*) FILTER (WHERE sentiment = 'neutral'),
       count(*) FILTER (WHERE sentiment = 'negative'),
       COALESCE(sum((COALESCE((sentiment_scores ->> 'positive')::float8, 0)
                     - COALESCE((sentiment_scores ->> 'negative')::float8, 0))::numeric)
                FILTER (WHERE sentiment IS NOT NULL), 0)
FROM titles WHERE published_at IS NOT NULL AND NOT sponsored GROUP BY 1 ORDER BY 1
"""
COINS_FROM_TITLES = """
SELECT (t.published_at AT TIME ZONE 'UTC')::date, c.coin, count(*), count(t.sentiment),
       count(*) FILTER (WHERE t.sentiment = 'positive'),
       count(*) FILTER (WHERE t.sentiment = 'neutral'),
       count(*) FILTER (WHERE t.sentiment = 'negative'),
       COALESCE(sum((COALESCE((t.sentiment_scores ->> 'positive')::float8, 0)
                     - COALESCE((t.sentiment_scores ->> 'negative')::float8, 0))::numeric)
                FILTER (WHERE t.sentiment IS NOT NULL), 0)
FROM title_coins AS c JOIN titles AS t ON t.id = c.title_id
WHERE t.published_at IS NOT NULL AND NOT t.sponsored GROUP BY 1, 2 ORDER BY 1, 2
"""
# daily_sentiment as migration 0005 computed it from the titles themselves
OLD_VIEW = """
SELECT (t.published_at AT TIME ZONE 'UTC')::date, count(*), count(t.sentiment),
    round((count(*) FILTER (WHERE t.sentiment = 'positive'))::numeric / NULLIF(count(t.sentiment), 0), 4),
    round(avg(COALESCE((t.sentiment_scores ->> 'positive')::double precision, 0)
              - COALESCE((t.sentiment_scores ->> 'negative')::double precision, 0))
          FILTER (WHERE t.sentiment IS NOT NULL)::numeric, 4)
FROM titles AS t WHERE t.published_at IS NOT NULL AND NOT t.sponsored GROUP BY 1 ORDER BY 1
"""


def exact(query) -> None:
    rollup = query("SELECT day, titles, labelled, positive, neutral, negative, net_sum"
                   " FROM daily_rollup WHERE titles <> 0 OR net_sum <> 0 ORDER BY day")
    assert rollup == query(FROM_TITLES)
    coins = query("SELECT day, coin, titles, labelled, positive, neutral, negative, net_sum"
                  " FROM coin_daily_rollup WHERE titles <> 0 OR net_sum <> 0 ORDER BY day, coin")
    assert coins == query(COINS_FROM_TITLES)
    assert query("SELECT day, titles, labelled, positive_share, net_score FROM daily_sentiment"
                 " ORDER BY day") == query(OLD_VIEW)


def label_all(conn, sentiment: str, positive: float, negative: float, *, relabel=False,
              model="m1") -> None:
    while True:
        claim = claim_batch(conn, 7, model=model, lease_seconds=60, relabel=relabel)
        if not claim.rows:
            return
        scores = {"positive": positive, "neutral": round(1 - positive - negative, 6),
                  "negative": negative}
        store_labels(conn, claim, [(i, sentiment, max(scores.values()), scores)
                                   for i, _ in claim.rows], [], model=model)


def test_the_rollups_follow_every_change(conn, query):
    titles = [Title(f"{coin} Climbs #{i}", f"https://u.today/r-{i}", DAY - timedelta(hours=7 * i))
              for i, coin in enumerate(["Bitcoin", "XRP", "Cardano (ADA)", "BTC and ETH"] * 6)]
    insert_titles(conn, [*titles, Title("Undated Bitcoin", "https://u.today/undated")])
    exact(query)
    assert query("SELECT sum(titles) FROM daily_rollup") == [(24,)]
    label_all(conn, "positive", 0.9137, 0.0211)  # labelled by leases, as the label stage does
    exact(query)
    label_all(conn, "negative", 0.1, 0.7777, relabel=True, model="m2")  # relabelled
    exact(query)
    with conn.cursor() as cur:
        cur.execute("UPDATE titles SET sponsored = true WHERE url IN ('https://u.today/r-1',"
                    " 'https://u.today/r-5')")  # reparse flags two as sponsored
        cur.execute("UPDATE titles SET published_at = published_at - interval '3 days'"
                    " WHERE url = 'https://u.today/r-2'")  # a corrected date
        cur.execute("UPDATE titles SET sentiment_scores = jsonb_set(sentiment_scores,"
                    " '{positive}', '0.3333333333333333') WHERE url = 'https://u.today/r-3'")
        cur.execute("UPDATE titles SET claimed_until = now(), claim_token = gen_random_uuid()")
    conn.commit()
    exact(query)
    base = load_lexicon()
    without_xrp = dataclasses.replace(
        base, coins=tuple(c for c in base.coins if c.symbol != "XRP"), version="lexicon-test")
    retag(conn, lexicon=without_xrp, everything=True)  # re-tagged: XRP gone
    exact(query)
    assert query("SELECT count(*) FROM coin_daily_sentiment WHERE coin = 'XRP'") == [(0,)]
    retag(conn, lexicon=base, everything=True)
    exact(query)
    with conn.cursor() as cur:
        cur.execute("DELETE FROM titles WHERE url IN ('https://u.today/r-0', 'https://u.today/r-7')")
    conn.commit()
    exact(query)


def test_labels_written_by_two_connections_at_once_stay_exact(conn, db_url, query):
    from utoday_sentiment.store.connection import connect

    insert_titles(conn, [Title(f"Bitcoin Climbs #{i}", f"https://u.today/c-{i}",
                               DAY - timedelta(hours=i)) for i in range(60)])
    other = connect(db_url)
    try:
        first = claim_batch(conn, 30, model="m", lease_seconds=60)
        second = claim_batch(other, 30, model="m", lease_seconds=60)
        scores = {"positive": 0.6, "neutral": 0.3, "negative": 0.1}
        # both batches span the same days: each writes its own rows, the rollup adds both
        store_labels(other, second, [(i, "positive", 0.6, scores) for i, _ in second.rows], [],
                     model="m")
        store_labels(conn, first, [(i, "positive", 0.6, scores) for i, _ in first.rows], [],
                     model="m")
    finally:
        other.close()
    exact(query)
    assert query("SELECT sum(labelled)::int FROM daily_rollup") == [(60,)]
    assert json.loads(json.dumps(query("SELECT sum(net_sum)::text FROM daily_rollup")[0][0])) == "30.0"
