"""The command line's grammar: commands, options, and argument types whose bounds come from the
settings table and the jobs' request fields, so the CLI, the events and the template agree."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, NoReturn

from .. import __version__
from ..jobs import LABEL_FIELDS, SCRAPE_FIELDS
from ..settings import DEFAULT_HF_MODEL, Kind, Seconds, Whole

PROG = "utoday-sentiment"


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2, like every expected failure
        self.exit(2, f"{self.prog}: error: {message} (see `{PROG} --help`)\n")


def typed(kind: Kind) -> Callable[[str], Any]:
    """An argparse type that accepts what `kind` accepts and says so in one message."""

    def parse(text: str) -> Any:
        try:
            return kind.parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not valid: use {kind.describe()}"
            ) from None  # argparse shows this message alone

    return parse


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-21") from None


# Each command's one-line summary (in `--help`) and its description (in `COMMAND --help`).
HELP: dict[str, tuple[str, str]] = {
    "reparse": (
        "re-read the archived pages with today's parser",
        "Run today's parser over the raw page archive (every listing page and RSS response the "
        "scraper kept): add the cards an earlier parser missed, fill fields left empty, set the "
        "sponsored flag. Never duplicates a title, never empties a field; one transaction.",
    ),
    "model": (
        "make a model folder for SENTIMENT_BACKEND=onnx (export, quantise)",
        "`model export MODEL_ID DIR [--quantize]` exports a Hub text-classification model to ONNX "
        "with optimum (the export extra, which brings torch); `model quantize DIR` applies int8 "
        "dynamic quantisation to a folder's model.onnx (the fp32 file is kept beside it).",
    ),
    "evaluate": (
        "is the label right? judge a sample, import, report, compare",
        "Measure the labels against people's judgements: `evaluate sample` writes a blind "
        "sample to judge, `evaluate import` stores the judgements (all or nothing), `evaluate "
        "report` prints accuracy, macro-F1, per-class figures, the confusion matrix and 95% "
        "bootstrap intervals, `evaluate compare A B` puts two backends side by side (needs "
        ".[eval]).",
    ),
    "check": (
        "check the database, the site and the labelling backend, one line each",
        "Before trusting a setup: the database is reachable and its schema current; the site "
        "answers and page 0 parses to headlines; the labelling backend works (for hf-api: the "
        "Hub says the model is served and a token is set) and classifies a known headline. "
        "Exit 1 if any check fails. Writes nothing.",
    ),
    "tag": (
        "tag stored titles with the coins they name (after a lexicon change)",
        "Tag titles with the coins (and topics) they are about, from the coin lexicon shipped "
        "with the package. New titles are tagged as they are stored; this re-tags the ones an "
        "older lexicon version tagged (or, with --all, every title), in committed batches, safe "
        "beside a running scrape.",
    ),
    "prices": (
        "daily closes and the Fear & Greed Index beside the mood (prices fetch)",
        "`prices fetch` stores what is missing of each coin's daily closes (finished UTC days "
        "only) from PRICES_SOURCE, and of the Crypto Fear & Greed Index (alternative.me). A "
        "second run asks only for the new days; a coin that fails is reported (exit 1) and the "
        "others are fetched.",
    ),
    "feeds": (
        "read the configured feeds once (what the hourly schedule does on AWS)",
        "Poll every feed of UTODAY_SOURCES and UTODAY_EXTRA_FEEDS with a conditional GET: a 304 "
        "costs almost nothing, new items are stored once. A feed that fails is recorded on its "
        "source and the others go on; exit 1 when any failed.",
    ),
    "sources": (
        "every source with its state: items stored, last fetch, last new item, last error",
        "U.Today's listing and each configured feed (and any that stored titles before): items "
        "stored, the newest item, the last fetch and its status, the last fetch that brought "
        "something new, the last error.",
    ),
    "serve": (
        "the web page and JSON/CSV API over the same database (needs .[web])",
        "Serve the dashboard, the headline search, the coins, blind judging, the models' "
        "quality and a JSON/CSV API (OpenAPI at /openapi.json) on 127.0.0.1. Any other --host "
        "needs UTODAY_WEB_TOKEN, which every request must then carry.",
    ),
    "aws": (
        "check a deployed stack (aws smoke --stack NAME)",
        "After a deploy: `aws smoke --stack NAME` invokes the stack's scrape and label functions "
        "with the schedules' events, reads their answers and the state of every alarm of the "
        "stack, and prints ok or FAIL per check (exit 1 if any fails). Uses your AWS "
        "credentials and region.",
    ),
    "pages": (
        "list the archived pages, or write one out",
        "The raw page archive: `pages list` shows what is kept; `pages show ID > page.html` "
        "writes one page's body exactly as the site sent it (e.g. to make a test fixture).",
    ),
    "migrate": (
        "apply pending database migrations",
        "Apply the numbered SQL files in migrations/ that this database lacks, once each, "
        "under an advisory lock (safe beside other runs), and create the read-only "
        "utoday_analyst role.",
    ),
    "scrape": (
        "fetch new headlines into the database",
        "Fetch U.Today's news listing and store each headline once. Daily mode walks "
        "from the newest page until a page brings nothing new; --from-page and "
        "--to-page backfill a range of older pages.",
    ),
    "status": (
        "show what the database holds",
        "Show how many titles are stored and labelled, the sentiment shares and how "
        "fresh the data is.",
    ),
    "label": (
        "label titles that await a sentiment (needs HF_API_TOKEN)",
        "Send titles without a sentiment to the Hugging Face Inference API, newest "
        "first, and store the labels. Needs HF_API_TOKEN: a Hugging Face fine-grained "
        "token with the 'Make calls to Inference Providers' permission.",
    ),
    "query": (
        "run one read-only SQL statement and print the result",
        "Run exactly one SQL statement (SELECT, WITH, VALUES, TABLE, EXPLAIN or SHOW) "
        "in a read-only transaction with a statement timeout, as the utoday_analyst "
        "role when the connection may take it, and print an aligned table.",
    ),
    "report": (
        "daily counts and net sentiment for the last N days, optionally a chart",
        "Print one row per UTC day (titles, labelled, positive, neutral, negative, "
        "unlabelled, net score), optionally as CSV or a PNG chart.",
    ),
    "invoke": (
        "run a Lambda handler here with an event file (like `sam local invoke`)",
        "Run the scrape, label or migrate Lambda handler on this machine with an event from "
        "events/ and a local Lambda context, against DATABASE_URL (or the embedded "
        "database), which it migrates first as a deploy would. The handler's JSON log lines and "
        "metrics go to stderr, as Lambda ships them; its result to stdout.",
    ),
    "run": (
        "migrate, scrape, then label (the daily job)",
        "The daily job in one command: apply migrations, scrape new headlines, then "
        "label every title that awaits a sentiment (labelling is skipped, with a note, "
        "when HF_API_TOKEN is not set).",
    ),
}


def _command(sub: Any, name: str) -> Any:
    summary, description = HELP[name]
    return sub.add_parser(name, help=summary, description=description)


# (flag, request field, metavar, help): the types come from the request fields' kinds.
SCRAPE_OPTIONS = (
    ("--from-page", "from_page", "A", "backfill: first listing page to fetch (0 = newest)"),
    ("--to-page", "to_page", "B", "backfill: last listing page to fetch (inclusive)"),
    ("--max-pages", "max_pages", "N", "daily mode: at most N pages (default UTODAY_MAX_PAGES, 5)"),
)
LABEL_OPTIONS = (
    ("--limit", "limit", "N", "label at most N titles (default: all that await a label)"),
    ("--batch-size", "batch_size", "B", "titles per API request (default HF_BATCH_SIZE, 32)"),
)


def _options(
    p: argparse.ArgumentParser, fields: Mapping[str, Kind], rows: tuple[tuple[str, ...], ...],
    rename: Mapping[str, str] | None = None,
) -> None:
    for flag, name, metavar, text in rows:
        flag = (rename or {}).get(flag, flag)
        p.add_argument(flag, dest=name, type=typed(fields[name]), metavar=metavar, help=text)


def _scrape_options(p: argparse.ArgumentParser) -> None:
    _options(p, SCRAPE_FIELDS, SCRAPE_OPTIONS)


def _label_options(p: argparse.ArgumentParser, *, limit_flag: str = "--limit") -> None:
    _options(p, LABEL_FIELDS, LABEL_OPTIONS, {"--limit": limit_flag})
    p.add_argument(
        "--max-seconds",
        type=typed(Seconds()),
        metavar="S",
        help="stop cleanly after about S seconds, leaving the rest for the next run "
        "(default: no limit)",
    )


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog=PROG,
        description="Collect U.Today headlines into PostgreSQL and label their sentiment.",
        epilog="Settings come from the environment or a .env file; see .env.example.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _command(sub, "migrate")

    scrape = _command(sub, "scrape")
    _scrape_options(scrape)

    status = _command(sub, "status")
    status.add_argument("--json", action="store_true", help="print JSON instead of text")

    label = _command(sub, "label")
    _label_options(label)
    label.add_argument(
        "--relabel",
        action="store_true",
        help="relabel titles labelled by another model than HF_MODEL",
    )

    query = _command(sub, "query")
    query.add_argument("sql", metavar="SQL", help='e.g. "SELECT * FROM daily_sentiment"')
    query.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    query.add_argument(
        "--timeout",
        type=typed(Seconds()),
        default=30.0,
        metavar="S",
        help="cancel the statement after S seconds (default 30)",
    )

    report = _command(sub, "report")
    report.add_argument(
        "--days",
        type=typed(Whole(1, 3660)),
        default=None,
        metavar="N",
        help="how many UTC days, today included (default 30; 365 with --vs-price)",
    )
    report.add_argument(
        "--until",
        type=_date,
        metavar="YYYY-MM-DD",
        help="last day of the report (default: today in UTC)",
    )
    report.add_argument(
        "--png",
        metavar="FILE",
        help="also draw the daily shares and title counts to a PNG (needs .[report])",
    )
    report.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    report.add_argument("--html", metavar="FILE", help="also write the overview as one "
                        "self-contained HTML page (opens from disk, fetches nothing)")
    report.add_argument("--coin", metavar="SYMBOL", type=str.upper,
                        help="only titles about this coin, e.g. XRP (see `tag`)")
    report.add_argument("--vs-price", metavar="SYMBOL", type=str.upper,
                        help="the coin's mood against its daily returns and the Fear & Greed "
                             "Index: correlation, lead-lag, Granger, out of sample (.[market])")
    report.add_argument("--min-titles", type=typed(Whole(1, 1000)), default=3, metavar="K",
                        help="with --vs-price: days with at least K titles naming the coin "
                             "(default 3)")
    report.add_argument("--json", action="store_true",
                        help="with --vs-price: one JSON document with every number")

    invoke = _command(sub, "invoke")
    invoke.add_argument("function", choices=("scrape", "label", "feeds", "prices", "migrate"))
    invoke.add_argument("event", metavar="EVENT.json", help="the event, e.g. events/backfill.json")
    invoke.add_argument(
        "--timeout",
        type=typed(Seconds()),
        metavar="S",
        help="the context's time limit (default: the template's, 300 / 60 s)",
    )

    reparse = _command(sub, "reparse")
    reparse.add_argument("--since", type=_date, metavar="YYYY-MM-DD",
                         help="only pages fetched on or after this day (default: all)")
    reparse.add_argument("--dry-run", action="store_true",
                         help="say what would change, change nothing")

    pages = _command(sub, "pages")
    what = pages.add_subparsers(dest="pages_command", required=True, metavar="ACTION")
    listing = what.add_parser("list", help="the archived pages, oldest first")
    listing.add_argument("--since", type=_date, metavar="YYYY-MM-DD",
                         help="only pages fetched on or after this day")
    listing.add_argument("--limit", type=typed(Whole(1)), metavar="N", help="at most N pages")
    show = what.add_parser("show", help="write one archived page's body to standard output")
    show.add_argument("id", type=typed(Whole(1)), metavar="ID", help="the page id (see list)")

    model = _command(sub, "model")
    model_what = model.add_subparsers(dest="model_command", required=True, metavar="ACTION")
    exporting = model_what.add_parser("export", help="export a Hub model to an ONNX folder")
    exporting.add_argument("model_id", metavar="MODEL_ID", help="e.g. " + DEFAULT_HF_MODEL)
    exporting.add_argument("folder", metavar="DIR", help="where to write the folder")
    exporting.add_argument("--quantize", action="store_true", help="also int8-quantise it")
    quantizing = model_what.add_parser("quantize", help="int8-quantise a folder's model.onnx")
    quantizing.add_argument("folder", metavar="DIR")

    from .evaluate import add_parser as add_evaluate

    add_evaluate(sub, _command)

    check = _command(sub, "check")
    check.add_argument("--json", action="store_true", help="print JSON instead of text")

    tag = _command(sub, "tag")
    tag.add_argument("--all", action="store_true", help="re-tag every title, not only stale ones")

    aws = _command(sub, "aws")
    aws_what = aws.add_subparsers(dest="aws_command", required=True, metavar="ACTION")
    smoke = aws_what.add_parser("smoke", help="invoke both functions, read the alarms")
    smoke.add_argument("--stack", required=True, metavar="NAME", help="the stack's name")
    smoke.add_argument("--region", metavar="REGION", help="default: your AWS configuration's")
    smoke.add_argument("--json", action="store_true", help="print JSON instead of text")
    board = aws_what.add_parser("dashboard", help="a link to the dashboard page, valid 7 days")
    board.add_argument("--stack", required=True, metavar="NAME", help="the stack's name")
    board.add_argument("--region", metavar="REGION", help="default: your AWS configuration's")

    prices = _command(sub, "prices")
    prices_what = prices.add_subparsers(dest="prices_command", required=True, metavar="ACTION")
    fetching = prices_what.add_parser("fetch", help="store the missing daily closes")
    fetching.add_argument("--coin", action="append", type=str.upper, metavar="SYM",
                          help="a coin's ticker (repeat it; default: PRICES_COINS, or BTC, ETH "
                               "and the ten most mentioned in 90 days)")
    fetching.add_argument("--since", type=_date, metavar="YYYY-MM-DD",
                          help="where a coin with nothing stored starts (default: 365 days ago)")
    fetching.add_argument("--source", choices=("coingecko", "coinbase", "binance"),
                          help="the price service (default: PRICES_SOURCE)")

    feeds = _command(sub, "feeds")
    feeds.add_argument("--max-seconds", type=typed(Seconds()), metavar="S",
                       help="stop reading feeds after S seconds (default: no limit)")
    sources = _command(sub, "sources")
    sources.add_argument("--json", action="store_true", help="print JSON instead of a table")

    serve = _command(sub, "serve")
    serve.add_argument("--host", default="127.0.0.1",
                       help="the address to listen on (default 127.0.0.1; any other needs "
                            "UTODAY_WEB_TOKEN)")
    serve.add_argument("--port", type=typed(Whole(0, 65535)), default=8000,
                       help="the port (default 8000; 0 picks a free one)")

    run = _command(sub, "run")
    _scrape_options(run)
    _label_options(run, limit_flag="--label-limit")
    return parser


def check_combinations(parser: ArgumentParser, args: argparse.Namespace) -> None:
    """Option combinations argparse cannot express, refused before any work starts."""
    if args.command not in ("scrape", "run"):
        return
    if (args.from_page is None) != (args.to_page is None):
        parser.error("--from-page and --to-page go together")
    if args.from_page is not None and args.max_pages is not None:
        parser.error("--max-pages is for daily mode; a backfill takes --from-page and --to-page")
    if args.from_page is not None and args.to_page < args.from_page:
        parser.error(
            f"--to-page {args.to_page} is below --from-page {args.from_page}; "
            "use 0 <= --from-page <= --to-page"
        )
