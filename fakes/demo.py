"""A demo data set through the real pipeline, and the pictures the docs show.

`python -m fakes.demo --pictures docs/img` starts a throwaway embedded PostgreSQL, serves 30 days
of made-up headlines from the imitation of U.Today and labels them through the imitation of the
Inference API (both on 127.0.0.1: nothing leaves the machine), with the same commands a user
runs, then draws the pictures the README and docs/ show. The headlines follow a slow swing of
mood so the chart has something to show; they are invented, never real news.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fakes import Article, FakeHF, FakeSite

COINS = ("Bitcoin", "XRP", "Cardano (ADA)", "Dogecoin", "Shiba Inu", "Ethereum", "Solana",
         "Stellar (XLM)", "BNB", "Tron (TRX)")
UP = ("Climbs Past Key Level", "Flips Rival as Bulls Climb", "Eyes Golden Cross",
      "Surges as Whales Accumulate", "Bulls Target New High")
DOWN = ("Price Slips 7%: Details", "Drops as Exchange Outflows Grow", "Plunge Deepens Overnight",
        "Slips Below Support", "Crash Fears Return")
FLAT = ("Whales Move Millions", "Developer Publishes Roadmap", "Network Upgrade Date Set",
        "Trading Volume Steady", "Community Votes on Proposal")
PER_PAGE = 30  # as the real listing


def demo_articles(days: int, *, today: datetime, seed: int = 7) -> list[Article]:
    """About `days` days of headlines before `today`, newest first, 6 to 14 every 24 hours."""
    rng = random.Random(seed)  # noqa: S311 - made-up headlines, not secrets
    made: list[Article] = []
    for back in range(days):
        mood = math.sin(back / 4.5)  # -1 .. 1: which kind of headline the day leans to
        for number in range(rng.randint(6, 14)):
            roll = rng.random() + 0.35 * mood
            event = rng.choice(UP if roll > 0.75 else DOWN if roll < 0.35 else FLAT)
            title = f"{rng.choice(COINS)} {event}"
            at = (today - timedelta(days=back, minutes=20 + 95 * number)).replace(second=0,
                                                                                 microsecond=0)
            slug = "-".join("".join(c for c in title.lower() if c.isalnum() or c == " ").split())
            made.append(Article(f"{slug}-{back}-{number}", title, at))
    made.sort(key=lambda a: a.published, reverse=True)
    return made


@contextmanager
def demo_database(days: int = 30) -> Iterator[dict[str, str]]:
    """A throwaway database holding `days` days of demo headlines, scraped and labelled by the
    real commands; yields the environment that points the commands at it."""
    from utoday_sentiment import clock
    from utoday_sentiment.cli import main
    from utoday_sentiment.embedded import temporary_server

    made = demo_articles(days, today=clock.now())
    pages = [made[i:i + PER_PAGE] for i in range(0, len(made), PER_PAGE)]
    site, hf = FakeSite(), FakeHF()
    site.serve_listing(pages)
    site.start()
    hf.start()
    saved = dict(os.environ)
    try:
        with temporary_server(prefix="utoday-demo-pg-") as url:
            env = {"DATABASE_URL": url, "UTODAY_BASE_URL": site.url, "UTODAY_PAGE_DELAY": "0",
                   "HF_API_URL": hf.url, "HF_API_TOKEN": "hf_demo_not_a_token"}
            os.environ.update(env)
            steps = (["scrape", "--from-page", "0", "--to-page", str(len(pages))], ["label"])
            for argv in steps:
                if main(argv) != 0:
                    raise SystemExit(f"demo: `utoday-sentiment {' '.join(argv)}` failed")
            yield env
    finally:
        os.environ.clear()
        os.environ.update(saved)
        site.stop()
        hf.stop()


PAGES = (  # the screenshots the README and docs/ show: file, path, what to do first
    ("overview.png", "/?day={day}", None),
    ("titles.png", "/titles?q=bitcoin", None),
    ("coin.png", "/coins/XRP", None),
    ("judge.png", "/judge", "name"),
    ("quality.png", "/quality", None),
)


def pictures(folder: Path) -> list[Path]:
    """Draw the docs' pictures into `folder` from a fresh demo database: the daily chart, and
    a screenshot of each page when Debian's Chromium is there."""
    from utoday_sentiment import clock
    from utoday_sentiment.cli import main

    from .browser import chromium_path

    folder.mkdir(parents=True, exist_ok=True)
    daily = folder / "daily.png"
    made = [daily]
    with demo_database(30) as env:
        if main(["report", "--days", "30", "--png", str(daily)]) != 0:
            raise SystemExit("demo: `utoday-sentiment report --png` failed")
        executable = chromium_path()
        if executable is None:
            print("demo: no Chromium (apt-get install chromium): no screenshots", file=sys.stderr)
            return made
        made += _screenshots(env, folder, executable, (clock.today() - timedelta(days=1)))
    return made


def _screenshots(env: dict[str, str], folder: Path, executable: str, day: object) -> list[Path]:
    import requests
    from playwright.sync_api import sync_playwright

    from .browser import launch, serve

    made = []
    with serve(env) as served, sync_playwright() as playwright:
        _judge_some(served.url, requests)
        browser = launch(playwright, executable)
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        for name, path, first in PAGES:
            page.goto(served.url + path.format(day=day))
            if first == "name":
                page.fill("input[name=name]", "demo judge")
                page.press("input[name=name]", "Enter")
                page.wait_for_selector("article.judging")
            target = folder / name
            page.screenshot(path=str(target), full_page=False)
            made.append(target)
        browser.close()
    return made


def _judge_some(url: str, requests: Any) -> None:
    """Forty judgements by a made-up judge, mostly agreeing with the label, so that /quality
    has numbers to show."""
    rng = random.Random(3)  # noqa: S311 - made-up judgements
    for _ in range(40):
        item = requests.get(f"{url}/api/v1/judge/next?judge=ana", timeout=10).json()
        label = rng.choice(("negative", "neutral", "positive"))
        full = requests.get(f"{url}/api/v1/titles/{item['id']}", timeout=10).json()
        if rng.random() < 0.7 and full["sentiment"]:
            label = full["sentiment"]
        requests.post(f"{url}/api/v1/judgements", json={"title_id": item["id"], "judge": "ana",
                                                       "label": label}, timeout=10)


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fakes.demo", description=__doc__.split("\n")[0])
    parser.add_argument("--pictures", metavar="DIR", type=Path, required=True,
                        help="where to write the pictures (docs/img)")
    args = parser.parse_args(argv)
    for path in pictures(args.pictures):
        print(f"demo: wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(_main())
