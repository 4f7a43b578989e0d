"""`python -m bench.web`: the web API's speed with 10,000 and with 1,000,000 titles, one run.

Each size gets a fresh schema filled with COPY: titles over ten years up to today, 70% labelled,
about 60% tagged with a coin. Then the three reads a dashboard makes most are timed through the
real app (FastAPI's TestClient, in this process, against the embedded PostgreSQL):
`GET /api/v1/daily?days=365`, `GET /api/v1/titles?q=bitcoin` and `GET /api/v1/coins?days=30`.
Beside them, the alternative a user would write first: the year's daily numbers aggregated from
`titles` itself (the views before the rollups). Goal: each p95 at 1,000,000 titles at most 3x its
p95 at 10,000. Writes bench/web_results.json.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2

from bench.support import database, fresh_schema

ROOT = Path(__file__).resolve().parents[1]
ENDPOINTS = ("/api/v1/daily?days=365", "/api/v1/titles?q=bitcoin", "/api/v1/coins?days=30")
NAIVE = "aggregate from titles (no rollup)"
COINS = (("Bitcoin", "BTC"), ("Ethereum", "ETH"), ("XRP", "XRP"), ("Cardano (ADA)", "ADA"),
         ("Solana", "SOL"), ("Dogecoin", "DOGE"), ("Shiba Inu", "SHIB"), ("Tron (TRX)", "TRX"))
EVENTS = ("Price Slips 7%", "Flips Rival as Bulls Climb", "Whales Move Millions",
          "Developer Publishes Report", "Eyes Golden Cross", "Network Upgrade Date Set")
NAIVE_SQL = """
SELECT (published_at AT TIME ZONE 'UTC')::date, count(*), count(sentiment),
       round(avg(COALESCE((sentiment_scores ->> 'positive')::float8, 0)
                 - COALESCE((sentiment_scores ->> 'negative')::float8, 0))
             FILTER (WHERE sentiment IS NOT NULL)::numeric, 4)
FROM titles WHERE NOT sponsored AND published_at >= %s GROUP BY 1 ORDER BY 1
"""


def load(url: str, count: int, today: datetime, seed: int = 1) -> None:
    """`count` titles over ten years before `today`, with labels and coin tags, by COPY."""
    rng = random.Random(seed)  # made-up data
    span = 3650 * 86400
    titles, tags = io.StringIO(), io.StringIO()
    for i in range(1, count + 1):
        name, symbol = COINS[i % len(COINS)]
        tagged = i % 5 < 3
        title = f"{name if tagged else 'Crypto Market'} {rng.choice(EVENTS)} #{i}"
        at = today - timedelta(seconds=int(span * (i - 1) / count) + 60)
        if rng.random() < 0.7:
            sentiment = rng.choice(("positive", "neutral", "negative"))
            p = round(rng.random(), 4)
            scores = json.dumps({"positive": p, "neutral": round((1 - p) / 2, 4),
                                 "negative": round((1 - p) / 2, 4)})
            row = [sentiment, str(p), scores, "hf-api:bench/model", at.isoformat()]
        else:
            row = ["\\N"] * 5
        titles.write("\t".join([f"https://u.today/bench-{i}", title, at.isoformat(), *row,
                                "lexicon-bench"]) + "\n")
        if tagged:
            tags.write(f"{i}\t{symbol}\n")
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            titles.seek(0)
            cur.copy_expert("COPY titles (url, title, published_at, sentiment, sentiment_score,"
                            " sentiment_scores, sentiment_model, labelled_at, tagged_with)"
                            " FROM STDIN", titles)
            tags.seek(0)
            cur.copy_expert("COPY title_coins (title_id, coin) FROM STDIN", tags)
        conn.commit()
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE titles")
            cur.execute("VACUUM ANALYZE title_coins")
            cur.execute("VACUUM ANALYZE daily_rollup")
            cur.execute("VACUUM ANALYZE coin_daily_rollup")
    finally:
        conn.close()


def timed(call: Callable[[], object], runs: int, warmup: int = 3) -> dict[str, float]:
    for _ in range(warmup):
        call()
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    seconds.sort()
    return {"p50_ms": statistics.median(seconds) * 1000,
            "p95_ms": seconds[min(len(seconds) - 1, round(0.95 * (len(seconds) - 1)))] * 1000}


def measure(url: str, runs: int) -> dict[str, dict[str, float]]:
    from fastapi.testclient import TestClient

    from utoday_sentiment import clock
    from utoday_sentiment.settings import load_settings
    from utoday_sentiment.web.app import create_app

    results = {}
    with TestClient(create_app(load_settings({}), url)) as client:
        for path in ENDPOINTS:
            def call(path: str = path) -> None:
                answer = client.get(path)
                if answer.status_code != 200:
                    raise SystemExit(f"bench: {path} answered {answer.status_code}: {answer.text}")
            results[path] = timed(call, runs)
    conn = psycopg2.connect(url)
    since = datetime.combine(clock.today() - timedelta(days=364), datetime.min.time(), UTC)

    def naive() -> None:
        with conn.cursor() as cur:
            cur.execute(NAIVE_SQL, (since,))
            cur.fetchall()
        conn.rollback()

    results[NAIVE] = timed(naive, runs)
    conn.close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.web", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,1000000", help="titles per run, comma-separated")
    parser.add_argument("--runs", type=int, default=40, help="timed requests per endpoint")
    parser.add_argument("--database-url", help="a server to use (default: an embedded one)")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "web_results.json")
    args = parser.parse_args(argv)
    from utoday_sentiment import clock

    sizes = [int(s) for s in args.sizes.split(",")]
    table: dict[int, dict[str, dict[str, float]]] = {}
    with database(args.database_url) as server:
        for size in sizes:
            with fresh_schema(server) as url:
                started = time.perf_counter()
                load(url, size, clock.now())
                print(f"bench.web: {size:,} titles loaded in {time.perf_counter() - started:.1f} s",
                      file=sys.stderr)
                table[size] = measure(url, args.runs)
    small, large = sizes[0], sizes[-1]
    print(f"{'request':<36} {'p50 ' + f'{small:,}':>14} {'p95 ' + f'{small:,}':>14} "
          f"{'p50 ' + f'{large:,}':>16} {'p95 ' + f'{large:,}':>16} {'p95 ratio':>10}")
    ratios = {}
    for name in (*ENDPOINTS, NAIVE):
        a, b = table[small][name], table[large][name]
        ratios[name] = b["p95_ms"] / a["p95_ms"]
        print(f"{name:<36} {a['p50_ms']:>12.1f}ms {a['p95_ms']:>12.1f}ms {b['p50_ms']:>14.1f}ms "
              f"{b['p95_ms']:>14.1f}ms {ratios[name]:>9.2f}x")
    met = all(ratios[name] <= 3 for name in ENDPOINTS)
    print(f"goal (each API p95 at {large:,} at most 3x its p95 at {small:,}): "
          f"{'met' if met else 'NOT met'}")
    args.output.write_text(json.dumps({"sizes": sizes, "runs": args.runs, "results": {
        str(k): v for k, v in table.items()}, "p95_ratio": ratios, "goal_met": met}, indent=2)
        + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
