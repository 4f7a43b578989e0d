"""The Lambda bundle holds only src/requirements.txt (minus what src/Makefile prunes); boto3 comes
from the runtime and Powertools from its layer. These tests run both handlers in a fresh
interpreter where nothing else can be imported, so a module-level `import tqdm` or `lxml.html`
anywhere on the handlers' path fails here instead of at 6 a.m. on AWS.

In Lambda, Powertools' Tracer is on and patches requests and psycopg2 with X-Ray's wrappers; the
rest of the suite runs with it off. One test sets Lambda's environment so the handlers run through
those wrappers, sending their segments to a UDP socket standing in for the X-Ray daemon."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import pytest

from fakes import articles
from tests.helpers import MOVED, TOKEN

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _closure(requirements: list[str]) -> set[str]:
    """Every installed distribution the requirements pull in, by normalised name. Markers other
    than extras (python_version, platform) are ignored: a dependency counts when it is installed."""
    seen: set[str] = set()
    todo = list(requirements)
    while todo:
        match = re.match(r"\s*([A-Za-z0-9._-]+)(\[([^\]]*)\])?", todo.pop().split(";", 1)[0])
        if not match:
            continue
        name = _normalised(match.group(1))
        extras = {e.strip() for e in (match.group(3) or "").split(",") if e.strip()}
        key = name + "".join(f"[{e}]" for e in sorted(extras))
        if key in seen:
            continue
        try:
            requires = metadata.distribution(name).requires or []
        except metadata.PackageNotFoundError:
            continue
        seen.add(key)
        for dependency in requires:
            extra = re.search(r"extra == ['\"]([^'\"]+)['\"]", dependency)
            if extra is None or extra.group(1) in extras:
                todo.append(dependency)
    return {key.split("[", 1)[0] for key in seen}


def _top_level_modules(distributions: set[str]) -> set[str]:
    modules = set()
    for module, owners in metadata.packages_distributions().items():
        if any(_normalised(owner) in distributions for owner in owners):
            modules.add(module)
    return modules


def lambda_importable() -> tuple[set[str], list[str]]:
    """(top-level modules Lambda can import, lxml submodules the Makefile removes)."""
    bundled = [
        line.split("#", 1)[0].strip()
        for line in (ROOT / "src" / "requirements.txt").read_text().splitlines()
        if line.split("#", 1)[0].strip()
    ]
    provided = ["boto3", "aws-lambda-powertools[tracer]"]  # the runtime, and the public layer
    modules = _top_level_modules(_closure(bundled + provided)) | {"utoday_sentiment"}
    makefile = (ROOT / "src" / "Makefile").read_text()
    pruned = sorted(
        set(re.findall(r'"\$\(ARTIFACTS_DIR\)"/lxml/([a-z_]+)\*?(?=\s|\\)', makefile))
        - {"includes"}
    )
    return modules, pruned


_DRIVER = textwrap.dedent(
    """
    import importlib.abc, json, sys

    allowed = set(json.loads(sys.argv[1]))
    pruned = {"lxml." + name for name in json.loads(sys.argv[2])}

    class NotInTheBundle(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname, path=None, target=None):
            top = fullname.split(".", 1)[0]
            # _sysconfigdata_*: the interpreter's build data, which zoneinfo reads (TZPATH)
            # for UTODAY_TIMEZONE; part of every CPython, Lambda's too, yet not named there
            if fullname in pruned or (
                top not in allowed and top not in sys.stdlib_module_names
                and not top.startswith("_sysconfigdata_")
            ):
                raise ModuleNotFoundError(f"{fullname} is not in the Lambda bundle", name=fullname)
            return None

    sys.meta_path.insert(0, NotInTheBundle())
    probes = {}
    for name in filter(None, sys.argv[3].split(",")):
        try:
            __import__(name)
            probes[name] = "imported"
        except ImportError:
            probes[name] = "blocked"

    from utoday_sentiment.handlers.local import invoke

    results = {}
    for function, event in json.loads(sys.argv[4]):
        results[function] = invoke(function, event)
    print("RESULT " + json.dumps({"probes": probes, "results": results}, default=str))
    """
)


def run_in_bundle(env: dict[str, str], calls: list[tuple[str, dict]], probes: list[str]) -> dict:
    modules, pruned = lambda_importable()
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _DRIVER,
            json.dumps(sorted(modules)),
            json.dumps(pruned),
            ",".join(probes),
            json.dumps(calls),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT ")) | {"output": done.stdout + done.stderr}


@pytest.fixture
def bundle_env(conn, db_url, site, hf) -> dict[str, str]:
    # `conn`: the schema as the deploy's MigrateFunction leaves it
    site.serve_listing([articles(0, 30), articles(30, 30)])
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("UTODAY_", "HF_", "DATABASE_", "POWERTOOLS_", "PYTHON"))
    }
    env.update(
        MOVED,
        DATABASE_URL=db_url,
        UTODAY_BASE_URL=site.url,
        UTODAY_PAGE_DELAY="0",
        HF_API_URL=hf.url,
        HF_API_TOKEN=TOKEN,
        AWS_DEFAULT_REGION="eu-west-1",
        POWERTOOLS_SERVICE_NAME="utoday-sentiment",
    )
    return env


@pytest.fixture
def xray_daemon():
    """A UDP socket on 127.0.0.1 where the X-Ray SDK sends its segments, as to Lambda's daemon."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    received: list[str] = []

    def drain() -> list[str]:
        while True:
            try:
                received.append(sock.recv(65536).decode("utf-8", "replace"))
            except TimeoutError:
                return received

    yield sock.getsockname()[1], drain
    sock.close()


def test_the_importable_set_is_what_lambda_has():
    modules, pruned = lambda_importable()
    for needed in ("requests", "bs4", "lxml", "psycopg2", "boto3", "aws_lambda_powertools"):
        assert needed in modules
    for laptop_only in ("dotenv", "tqdm", "platformdirs", "pgserver", "matplotlib", "pytest"):
        assert laptop_only not in modules
    assert {"html", "objectify", "sax"} <= set(pruned)


def test_both_handlers_work_with_only_the_bundle_importable(bundle_env, hf, query):
    calls = [
        ("scrape", json.loads((EVENTS / "schedule-scrape.json").read_text())),
        ("label", json.loads((EVENTS / "label-after-scrape.json").read_text())),
    ]
    out = run_in_bundle(bundle_env, calls, ["tqdm", "dotenv", "platformdirs", "lxml.html"])

    # The guard is real: what the bundle lacks cannot be imported in that interpreter.
    assert out["probes"] == {
        "tqdm": "blocked",
        "dotenv": "blocked",
        "platformdirs": "blocked",
        "lxml.html": "blocked",
    }
    scrape, label = out["results"]["scrape"], out["results"]["label"]
    assert scrape["ok"] and scrape["new_titles"] == 60
    assert label["ok"] and label["labelled"] == 60 and label["remaining"] == 0
    assert len(hf.inputs()) == 60
    assert query("SELECT count(*), count(sentiment) FROM titles") == [(60, 60)]


def test_traced_as_in_lambda_and_no_secret_in_a_trace(bundle_env, xray_daemon, hf, query):
    """In Lambda the Tracer is on and patches requests and psycopg2: the handlers must work
    through those wrappers, and the segments they send must not carry the token."""
    port, drain = xray_daemon
    env = dict(bundle_env)
    password = "db-SECRET-canary-4242"  # ignored by the test server, seen by psycopg2 and X-Ray
    env.update(
        DATABASE_URL=env["DATABASE_URL"] + f"&password={password}",
        LAMBDA_TASK_ROOT=str(ROOT / "src"),
        AWS_LAMBDA_FUNCTION_NAME="utoday-sentiment-label",
        AWS_EXECUTION_ENV="AWS_Lambda_python3.13",
        AWS_XRAY_DAEMON_ADDRESS=f"127.0.0.1:{port}",
        _X_AMZN_TRACE_ID="Root=1-6740a1b2-3c4d5e6f7a8b9c0d1e2f3a4b;Parent=53995c3f42cd8ad8;Sampled=1",
    )
    calls = [
        ("scrape", json.loads((EVENTS / "schedule-scrape.json").read_text())),
        ("label", json.loads((EVENTS / "schedule-label.json").read_text())),
    ]
    out = run_in_bundle(env, calls, [])
    assert out["results"]["scrape"]["new_titles"] == 60
    assert out["results"]["label"]["labelled"] == 60
    assert query("SELECT count(*), count(sentiment) FROM titles") == [(60, 60)]

    segments = "\n".join(drain())
    assert '"name": "## handler"' in segments or '"name":"## handler"' in segments
    assert "PostgreSQL" in segments  # psycopg2 was traced: the wrappers were really in the path
    for secret in (TOKEN, password):
        assert secret not in segments
        assert secret not in out["output"]  # the handlers' JSON logs
    assert '"level":"INFO"' in out["output"].replace(" ", "")  # the logs were there to search


def test_the_feeds_handler_works_with_only_the_bundle_importable(bundle_env, query):
    """The feeds function needs feedparser and rapidfuzz (to group stories): both travel in
    src/requirements.txt."""
    from datetime import timedelta

    from fakes.feeds import FakeFeeds, Item, rss
    from utoday_sentiment import clock

    now = clock.now()
    server = FakeFeeds().start()
    try:
        server.serve("/a", rss([Item("Crypto Firm Tether Says It Wants to Take Over Italian "
                                     "Football Club Juventus",
                                     "https://a.example/tether", now - timedelta(hours=1))]))
        server.serve("/b", rss([Item("Crypto giant Tether offers to buy famous Italian football "
                                     "club Juventus",
                                     "https://b.example/tether", now - timedelta(hours=2))]))
        env = {**bundle_env, "UTODAY_EXTRA_FEEDS": f"one={server.url('/a')},two={server.url('/b')}"}
        calls = [("feeds", json.loads((EVENTS / "schedule-feeds.json").read_text()))]
        out = run_in_bundle(env, calls, ["feedparser", "rapidfuzz"])
    finally:
        server.stop()
    assert out["probes"] == {"feedparser": "imported", "rapidfuzz": "imported"}
    result = out["results"]["feeds"]
    assert result["ok"] and result["new_titles"] == 2 and result["stories_joined"] == 1
    assert query("SELECT count(DISTINCT story_id) FROM titles") == [(1,)]


def test_the_prices_handler_works_with_only_the_bundle_importable(bundle_env, query):
    """The daily price fetch needs nothing the bundle lacks (statsmodels is for the report)."""
    from datetime import timedelta

    from fakes.market import FakeMarket, closes
    from utoday_sentiment import clock

    days = [clock.today() - timedelta(days=n) for n in range(5, 0, -1)]
    server = FakeMarket(clock.now())
    server.prices = {"BTC": closes(days)}
    server.fear_greed = dict.fromkeys(days, 40)
    server.start()
    try:
        env = {**bundle_env, "PRICES_SOURCE": "coinbase", "PRICES_COINS": "BTC",
               "COINBASE_BASE_URL": server.root + "/coinbase",
               "FEAR_GREED_URL": server.root + "/fng/?limit=0&format=json"}
        calls = [("prices", json.loads((EVENTS / "schedule-prices.json").read_text()))]
        out = run_in_bundle(env, calls, ["statsmodels"])
    finally:
        server.stop()
    assert out["probes"] == {"statsmodels": "blocked"}
    result = out["results"]["prices"]
    assert result["ok"] and result["days_added"] == 5 and result["fear_greed_added"] == 5
    assert query("SELECT count(*) FROM prices") == [(5,)]
