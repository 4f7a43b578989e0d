"""Measure the project against the naive baseline, side by side, in one run.

    python -m bench            # full sizes (about two minutes on 2 cores)
    python -m bench --quick    # small sizes, under a minute

Prints a table and writes bench/results.json (or --output).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/run.py` as well as `python -m bench`
    sys.path.insert(0, str(ROOT))

from bench import baseline  # noqa: E402
from bench.support import counting_connect, database, fresh_schema, seed  # noqa: E402
from fakes import FakeHF, articles, listing_page  # noqa: E402

TOKEN = "hf_bench_token"
MODEL = "mrm8488/distilroberta-finetuned-financial-news-sentiment-analysis"


@dataclass
class Target:
    name: str
    wanted: str
    measured: str
    met: bool


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--titles", type=int, help="titles to label (default 1000; quick 200)")
    parser.add_argument("--pages", type=int, help="listing pages to parse (default 50; quick 20)")
    parser.add_argument("--cards", type=int, default=30, help="cards per listing page (30)")
    parser.add_argument("--store", type=int, help="titles to store (default 5000; quick 1000)")
    parser.add_argument(
        "--memory-sizes", help="backlogs for the memory probe (default 1000,20000; quick 200,2000)"
    )
    parser.add_argument(
        "--latency-ms", type=float, default=50.0, help="fake API latency per request"
    )
    parser.add_argument(
        "--per-input-ms", type=float, default=1.0, help="fake API latency per input"
    )
    parser.add_argument("--batch-size", type=int, default=32, help="the project's batch size (32)")
    parser.add_argument(
        "--import-runs", type=int, help="fresh interpreters per import (default 7; quick 3)"
    )
    parser.add_argument(
        "--database-url", help="a PostgreSQL server (default: TEST_DATABASE_URL or embedded)"
    )
    parser.add_argument("--output", default=str(ROOT / "bench" / "results.json"))
    args = parser.parse_args(argv)
    quick = args.quick
    args.titles = args.titles or (200 if quick else 1000)
    args.pages = args.pages or (20 if quick else 50)
    args.store = args.store or (1000 if quick else 5000)
    args.import_runs = args.import_runs or (3 if quick else 7)
    sizes = args.memory_sizes or ("200,2000" if quick else "1000,20000")
    args.memory_sizes = [int(s) for s in sizes.split(",")]
    return args


# ---------------------------------------------------------------------------------------------
# 1. labelling


def bench_labelling(server: str, args: argparse.Namespace) -> dict[str, Any]:
    from utoday_sentiment.jobs import run_label
    from utoday_sentiment.labelling.hf_api import HFClient
    from utoday_sentiment.records import LabelRequest
    from utoday_sentiment.settings import load_settings

    latency, per_input = args.latency_ms / 1000, args.per_input_ms / 1000
    results: dict[str, Any] = {"titles": args.titles, "batch_size": args.batch_size}

    with fresh_schema(server) as url:
        seed(url, args.titles)
        hf = FakeHF(latency=latency, per_input=per_input).start()
        try:
            settings = load_settings({"HF_API_TOKEN": TOKEN, "HF_API_URL": hf.url})
            conn = counting_connect(url)
            client = HFClient(settings)
            started = time.perf_counter()
            summary = run_label(
                LabelRequest(batch_size=args.batch_size), settings, conn, labeller=client
            ).summary
            seconds = time.perf_counter() - started
            batches = [len(b) for b in hf.batches]
            results["project"] = {
                "seconds": seconds,
                "requests": len(hf.batches),
                "round_trips": conn.round_trips,
                "labelled": summary.labelled,
            }
            results["lower_bound_seconds"] = len(batches) * latency + sum(batches) * per_input
            conn.close()
        finally:
            hf.stop()

    with fresh_schema(server) as url:
        seed(url, args.titles)
        hf = FakeHF(latency=latency, per_input=per_input).start()
        try:
            conn = counting_connect(url)
            started = time.perf_counter()
            labelled = baseline.label(conn, hf.url, TOKEN, MODEL)
            seconds = time.perf_counter() - started
            results["baseline"] = {
                "seconds": seconds,
                "requests": len(hf.batches),
                "round_trips": conn.round_trips,
                "labelled": labelled,
            }
            conn.close()
        finally:
            hf.stop()
    project, naive = results["project"], results["baseline"]
    results["speedup"] = naive["seconds"] / project["seconds"]
    results["request_ratio"] = project["requests"] / naive["requests"]
    results["vs_lower_bound"] = project["seconds"] / results["lower_bound_seconds"]
    return results


# ---------------------------------------------------------------------------------------------
# 2. parsing


def _pages_per_second(parse, pages: list[bytes], rounds: int = 5) -> float:
    best = math.inf
    for _ in range(rounds):
        started = time.perf_counter()
        for page in pages:
            parse(page)
        best = min(best, time.perf_counter() - started)
    return len(pages) / best


def bench_parsing(args: argparse.Namespace) -> dict[str, Any]:
    import lxml.html

    from utoday_sentiment.sources.utoday.parse import parse_listing

    pages = [
        listing_page(articles(n * args.cards, args.cards)).encode("utf-8")
        for n in range(args.pages)
    ]
    site = "https://u.today"
    found = parse_listing(pages[0], site + "/latest-cryptocurrency-news", site)
    assert len(found.titles) == args.cards == len(baseline.parse(pages[0]))
    project = _pages_per_second(lambda p: parse_listing(p, site + "/x", site), pages)
    naive = _pages_per_second(baseline.parse, pages)
    tree_only = _pages_per_second(lambda p: lxml.html.fromstring(p).xpath("//div"), pages)
    return {
        "pages": args.pages,
        "cards_per_page": args.cards,
        "project_pages_per_second": project,
        "baseline_pages_per_second": naive,
        "lxml_alone_pages_per_second": tree_only,
        "ratio": project / naive,
    }


# ---------------------------------------------------------------------------------------------
# 3. storing


def bench_storing(server: str, args: argparse.Namespace) -> dict[str, Any]:
    from utoday_sentiment.records import Title
    from utoday_sentiment.store.titles import insert_titles

    titles = [
        Title(
            title=a.title,
            url=f"https://u.today/{a.slug}",
            published_at=a.published,
            author=a.author,
            category=a.category,
        )
        for a in articles(0, args.store)
    ]
    page = args.cards
    results: dict[str, Any] = {"titles": args.store, "page_size": page}
    with fresh_schema(server) as url:
        conn = counting_connect(url)
        started = time.perf_counter()
        new = sum(
            len(insert_titles(conn, titles[i : i + page])) for i in range(0, len(titles), page)
        )
        results["project"] = {
            "seconds": time.perf_counter() - started,
            "round_trips": conn.round_trips,
            "new": new,
        }
        conn.close()
    with fresh_schema(server) as url:
        conn = counting_connect(url)
        started = time.perf_counter()
        baseline.store(conn, titles)
        results["baseline"] = {
            "seconds": time.perf_counter() - started,
            "round_trips": conn.round_trips,
        }
        conn.close()
    results["speedup"] = results["baseline"]["seconds"] / results["project"]["seconds"]
    return results


# ---------------------------------------------------------------------------------------------
# 4. cold imports


# What Lambda sets in a function's environment that changes what importing a handler does: the
# Powertools Tracer turns on (and patches requests, botocore and psycopg2 at import), and the X-Ray
# SDK uses its Lambda context and local sampler instead of building a botocore X-Ray client for
# centralised sampling. Nothing here is contacted: imports only.
LAMBDA_ENV = {
    "LAMBDA_TASK_ROOT": str(ROOT / "src"),
    "AWS_LAMBDA_FUNCTION_NAME": "utoday-sentiment-bench",
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
    "AWS_REGION": "eu-west-1",
    "AWS_DEFAULT_REGION": "eu-west-1",
}


def _import_ms(module: str, extra_env: dict[str, str] | None = None) -> float:
    """Cumulative import time of `module` in a fresh interpreter (python -X importtime)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "POWERTOOLS_"))}
    for name in (*LAMBDA_ENV, "_X_AMZN_TRACE_ID"):
        env.pop(name, None)
    env.update(extra_env or {})
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=env,
    )
    for line in reversed(done.stderr.splitlines()):
        fields = [f.strip() for f in line.split("|")]
        if len(fields) == 3 and fields[2].strip() == module:
            return int(fields[1]) / 1000
    raise RuntimeError(f"no import time for {module}: {done.stderr[-300:]}")


def bench_imports(args: argparse.Namespace) -> dict[str, Any]:
    """Each import in fresh interpreters, median of --import-runs. `*_lambda_ms`: with Lambda's
    environment (what a cold start there pays); the others: outside Lambda (a laptop, CI)."""
    modules = {
        "boto3": "boto3",
        "scrape_handler": "utoday_sentiment.handlers.scrape",
        "label_handler": "utoday_sentiment.handlers.label",
        "xray_sdk": "aws_xray_sdk.core",
        "powertools_logger_metrics": "aws_lambda_powertools.logging,aws_lambda_powertools.metrics",
    }
    results: dict[str, Any] = {"runs": args.import_runs}
    for suffix, env in (("_lambda", LAMBDA_ENV), ("", None)):
        for key, module in modules.items():
            if "," in module:  # several modules in one interpreter: their sum
                names = module.split(",")
                times = [sum(_import_ms(n, env) for n in names) for _ in range(args.import_runs)]
            else:
                times = [_import_ms(module, env) for _ in range(args.import_runs)]
            results[f"{key}{suffix}_ms"] = statistics.median(times)
        for handler in ("scrape_handler", "label_handler"):
            results[f"{handler}{suffix}_ratio"] = (
                results[f"{handler}{suffix}_ms"] / results[f"boto3{suffix}_ms"]
            )
    return results


# ---------------------------------------------------------------------------------------------
# 5. memory


def bench_memory(server: str, args: argparse.Namespace) -> dict[str, Any]:
    hf = FakeHF().start()  # no latency: memory does not depend on it, and it keeps 20,000 fast
    warmup = args.memory_sizes[0]
    rss, heap = [], []
    try:
        for size in args.memory_sizes:
            for mode, found in (("rss", rss), ("heap", heap)):
                with fresh_schema(server) as url:
                    seed(url, size + warmup)
                    done = subprocess.run(
                        [
                            sys.executable,
                            "-m",
                            "bench.memory_probe",
                            url,
                            hf.url,
                            str(warmup),
                            mode,
                        ],
                        capture_output=True,
                        text=True,
                        check=True,
                        cwd=ROOT,
                    )
                    probe = json.loads(done.stdout.strip().splitlines()[-1])
                    assert probe["labelled"] == size, probe
                    found.append(probe[f"{mode}_peak_bytes"])
    finally:
        hf.stop()
    return {
        "sizes": args.memory_sizes,
        "warmup": warmup,
        "rss_peak_bytes": rss,
        "heap_peak_bytes": heap,
        "ratio": rss[-1] / rss[0],
        "heap_ratio": heap[-1] / heap[0],
    }


# ---------------------------------------------------------------------------------------------


def machine(server: str) -> dict[str, Any]:
    import psycopg2

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    conn = psycopg2.connect(server)
    with conn.cursor() as cur:
        cur.execute("SHOW server_version")
        pg = cur.fetchone()[0]
    conn.close()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "postgresql": pg,
    }


def targets(r: dict[str, Any]) -> list[Target]:
    lab, par, sto, imp, mem = (
        r[k] for k in ("labelling", "parsing", "storing", "cold_import", "memory")
    )
    return [
        Target(
            "labelling speed", ">= 15x baseline", f"{lab['speedup']:.1f}x", lab["speedup"] >= 15
        ),
        Target(
            "labelling requests",
            "<= 1/25 of baseline",
            f"1/{1 / lab['request_ratio']:.1f}",
            lab["request_ratio"] <= 1 / 25,
        ),
        Target(
            "labelling vs lower bound",
            "<= 1.3x",
            f"{lab['vs_lower_bound']:.2f}x",
            lab["vs_lower_bound"] <= 1.3,
        ),
        Target("parsing speed", ">= 2x baseline", f"{par['ratio']:.2f}x", par["ratio"] >= 2),
        Target("storing speed", ">= 10x baseline", f"{sto['speedup']:.1f}x", sto["speedup"] >= 10),
        Target(
            "scrape handler import, as in Lambda",
            "<= 1.5x boto3",
            f"{imp['scrape_handler_lambda_ratio']:.2f}x",
            imp["scrape_handler_lambda_ratio"] <= 1.5,
        ),
        Target(
            "label handler import, as in Lambda",
            "<= 1.5x boto3",
            f"{imp['label_handler_lambda_ratio']:.2f}x",
            imp["label_handler_lambda_ratio"] <= 1.5,
        ),
        Target(
            f"peak memory {mem['sizes'][-1]:,} vs {mem['sizes'][0]:,} titles",
            "within 10%",
            f"{(mem['ratio'] - 1) * 100:+.1f}%",
            mem["ratio"] <= 1.10,
        ),
    ]


def table(r: dict[str, Any]) -> str:
    lab, par, sto, imp, mem = (
        r[k] for k in ("labelling", "parsing", "storing", "cold_import", "memory")
    )
    m = r["machine"]
    lines = [
        f"machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, PostgreSQL {m['postgresql']}",
        f"fake API latency: {r['options']['latency_ms']:g} ms per request + "
        f"{r['options']['per_input_ms']:g} ms per input",
        "",
        "| measurement | project | baseline | ratio |",
        "|---|---|---|---|",
        f"| label {lab['titles']:,} titles: wall time | {lab['project']['seconds']:.2f} s | "
        f"{lab['baseline']['seconds']:.2f} s | {lab['speedup']:.1f}x faster |",
        f"| label: HTTP requests | {lab['project']['requests']:,} | {lab['baseline']['requests']:,} | "
        f"1/{1 / lab['request_ratio']:.1f} |",
        f"| label: database round trips | {lab['project']['round_trips']:,} | "
        f"{lab['baseline']['round_trips']:,} | 1/{lab['baseline']['round_trips'] / lab['project']['round_trips']:.1f} |",
        f"| label: lower bound (batches x latency) | {lab['lower_bound_seconds']:.2f} s | | "
        f"project at {lab['vs_lower_bound']:.2f}x |",
        f"| parse {par['pages']} pages of {par['cards_per_page']} cards | "
        f"{par['project_pages_per_second']:.0f} pages/s | {par['baseline_pages_per_second']:.0f} pages/s | "
        f"{par['ratio']:.2f}x (lxml alone: {par['lxml_alone_pages_per_second']:.0f} pages/s) |",
        f"| store {sto['titles']:,} new titles: wall time | {sto['project']['seconds']:.2f} s | "
        f"{sto['baseline']['seconds']:.2f} s | {sto['speedup']:.1f}x faster |",
        f"| store: database round trips | {sto['project']['round_trips']:,} | "
        f"{sto['baseline']['round_trips']:,} | 1/{sto['baseline']['round_trips'] / sto['project']['round_trips']:.1f} |",
        f"| cold import as in Lambda, scrape handler | {imp['scrape_handler_lambda_ms']:.0f} ms | "
        f"boto3 {imp['boto3_lambda_ms']:.0f} ms | {imp['scrape_handler_lambda_ratio']:.2f}x |",
        f"| cold import as in Lambda, label handler | {imp['label_handler_lambda_ms']:.0f} ms | "
        f"boto3 {imp['boto3_lambda_ms']:.0f} ms | {imp['label_handler_lambda_ratio']:.2f}x |",
        f"| cold import outside Lambda, scrape handler | {imp['scrape_handler_ms']:.0f} ms | "
        f"boto3 {imp['boto3_ms']:.0f} ms | {imp['scrape_handler_ratio']:.2f}x |",
        f"| cold import outside Lambda, label handler | {imp['label_handler_ms']:.0f} ms | "
        f"boto3 {imp['boto3_ms']:.0f} ms | {imp['label_handler_ratio']:.2f}x |",
        f"| imported alone, in / outside Lambda: X-Ray SDK (Tracer) | "
        f"{imp['xray_sdk_lambda_ms']:.0f} ms / {imp['xray_sdk_ms']:.0f} ms | | |",
        f"| imported alone: Powertools logging+metrics | "
        f"{imp['powertools_logger_metrics_ms']:.0f} ms | | |",
        f"| peak memory (RSS) labelling {mem['sizes'][0]:,} / {mem['sizes'][-1]:,} titles | "
        f"{mem['rss_peak_bytes'][0] / 2**20:.1f} MiB / {mem['rss_peak_bytes'][-1] / 2**20:.1f} MiB | | "
        f"{(mem['ratio'] - 1) * 100:+.1f}% |",
        f"| Python heap growth during those runs | {mem['heap_peak_bytes'][0] / 1024:.0f} KiB / "
        f"{mem['heap_peak_bytes'][-1] / 1024:.0f} KiB | | (after a {mem['warmup']:,}-title warm-up) |",
        "",
        "| target | wanted | measured | met |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {t.name} | {t.wanted} | {t.measured} | {'yes' if t.met else 'NO'} |" for t in targets(r)
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results: dict[str, Any] = {
        "options": {k: v for k, v in vars(args).items() if k not in ("output", "database_url")},
    }
    with database(args.database_url) as server:
        results["machine"] = machine(server)
        for name, step in (
            ("labelling", lambda: bench_labelling(server, args)),
            ("parsing", lambda: bench_parsing(args)),
            ("storing", lambda: bench_storing(server, args)),
            ("cold_import", lambda: bench_imports(args)),
            ("memory", lambda: bench_memory(server, args)),
        ):
            started = time.perf_counter()
            results[name] = step()
            print(f"{name}: done in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    results["targets"] = [t.__dict__ for t in targets(results)]
    Path(args.output).write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"\nwritten to {args.output}")
    return 0
