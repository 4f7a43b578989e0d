"""The `utoday-sentiment` command: the pipeline from a terminal, on a laptop or a server."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from contextlib import closing
from datetime import date, datetime
from typing import Any

from . import __version__
from .config import Settings, load_dotenv_file, load_settings
from .errors import ConfigError, DatabaseError, SiteError, UtodayError

log = logging.getLogger("utoday_sentiment")
PROG = "utoday-sentiment"


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, like every other expected failure
        self.exit(2, f"{self.prog}: error: {message} (see `{PROG} --help`)\n")


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be 0 or more")
    return value


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be 1 or more")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0")
    return value


def _batch_size(text: str) -> int:
    value = _positive_int(text)
    if value > 256:
        raise argparse.ArgumentTypeError(f"{text!r} must be at most 256")
    return value


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-21") from None


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog=PROG,
        description="Collect U.Today headlines into PostgreSQL and label their sentiment.",
        epilog="Settings come from the environment or a .env file; see .env.example.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("migrate", help="apply pending database migrations")

    def add_scrape_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--from-page",
            type=_non_negative_int,
            metavar="A",
            help="backfill: first listing page to fetch (0 = newest)",
        )
        p.add_argument(
            "--to-page",
            type=_non_negative_int,
            metavar="B",
            help="backfill: last listing page to fetch (inclusive)",
        )
        p.add_argument(
            "--max-pages",
            type=_positive_int,
            metavar="N",
            help="daily mode: fetch at most N pages (default UTODAY_MAX_PAGES, 5)",
        )

    scrape = sub.add_parser("scrape", help="fetch new headlines into the database")
    add_scrape_options(scrape)

    status = sub.add_parser("status", help="show what the database holds")
    status.add_argument("--json", action="store_true", help="print JSON instead of text")

    def add_label_options(p: argparse.ArgumentParser, *, limit_flag: str = "--limit") -> None:
        p.add_argument(
            limit_flag,
            dest="limit",
            type=_positive_int,
            metavar="N",
            help="label at most N titles (default: all that await a label)",
        )
        p.add_argument(
            "--batch-size",
            type=_batch_size,
            metavar="B",
            help="titles per API request (default HF_BATCH_SIZE, 32)",
        )
        p.add_argument(
            "--max-seconds",
            type=_positive_float,
            metavar="S",
            help="stop cleanly after about S seconds, leaving the rest for the next run "
            "(default: no limit)",
        )

    label = sub.add_parser(
        "label",
        help="label titles that await a sentiment (needs HF_API_TOKEN)",
        description="Send titles without a sentiment to the Hugging Face Inference API, newest "
        "first, and store the labels. Needs HF_API_TOKEN: a Hugging Face fine-grained token with "
        "the 'Make calls to Inference Providers' permission.",
    )
    add_label_options(label)
    label.add_argument(
        "--relabel",
        action="store_true",
        help="relabel titles labelled by another model than HF_MODEL",
    )

    query = sub.add_parser(
        "query",
        help="run one read-only SQL statement and print the result",
        description="Run exactly one SQL statement (SELECT, WITH, VALUES, TABLE, EXPLAIN or SHOW) "
        "in a read-only transaction with a statement timeout, as the utoday_analyst role when "
        "the connection may take it, and print an aligned table.",
    )
    query.add_argument("sql", metavar="SQL", help='e.g. "SELECT * FROM daily_sentiment"')
    query.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    query.add_argument(
        "--timeout",
        type=_positive_float,
        default=30.0,
        metavar="S",
        help="cancel the statement after S seconds (default 30)",
    )

    report = sub.add_parser(
        "report",
        help="daily counts and net sentiment for the last N days, optionally a chart",
    )
    report.add_argument(
        "--days",
        type=_positive_int,
        default=30,
        metavar="N",
        help="how many UTC days, today included (default 30)",
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

    invoke = sub.add_parser(
        "invoke",
        help="run a Lambda handler here with an event file (like `sam local invoke`)",
        description="Run the scrape or label Lambda handler on this machine with an event from "
        "events/ and a local Lambda context, against DATABASE_URL (or the embedded database). "
        "Prints the handler's JSON log lines and metrics, then its result.",
    )
    invoke.add_argument("function", choices=("scrape", "label"))
    invoke.add_argument("event", metavar="EVENT.json", help="the event, e.g. events/backfill.json")
    invoke.add_argument(
        "--timeout",
        type=_positive_float,
        metavar="S",
        help="the context's time limit (default: the template's, 300 / 60 s)",
    )

    run = sub.add_parser("run", help="migrate, scrape, then label (the daily job)")
    add_scrape_options(run)
    add_label_options(run, limit_flag="--label-limit")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if (args.command in ("scrape", "run")) and (args.from_page is None) != (args.to_page is None):
        parser.error("--from-page and --to-page go together")
    if getattr(args, "from_page", None) is not None and args.max_pages is not None:
        parser.error("--max-pages is for daily mode; a backfill takes --from-page and --to-page")
    try:
        load_dotenv_file()
        settings = load_settings()
        _configure_logging(settings)
        return COMMANDS[args.command](args, settings)
    except UtodayError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; everything committed before it is kept", file=sys.stderr)
        return 130


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a record is emitted (it may be swapped meanwhile)."""

    @property  # type: ignore[override]
    def stream(self):  # type: ignore[no-untyped-def]
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:  # type: ignore[no-untyped-def]
        pass


def _configure_logging(settings: Settings) -> None:
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_utoday", False)]:
        root.removeHandler(old)  # main() may run more than once in a process (tests, invoke)
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    handler._utoday = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    # urllib3 logs each retry with its whole exception chain; the final one-line error says enough.
    logging.getLogger("urllib3").setLevel(logging.ERROR)
    log.setLevel(settings.log_level)


def _database_url(settings: Settings) -> str:
    if settings.database_url:
        return settings.database_url
    from . import embedded

    url, data_dir = embedded.start(settings.data_dir)
    print(
        f"database: embedded PostgreSQL, data in {data_dir} "
        "(set DATABASE_URL to use another server)",
        file=sys.stderr,
    )
    return url


def _connect(settings: Settings):  # type: ignore[no-untyped-def]
    from .db import connect

    return connect(_database_url(settings))


def _migrate(conn: Any) -> str:
    from .migrate import migrate

    applied = migrate(conn)
    if applied:
        return f"migrate: applied {', '.join(applied)}; schema up to date"
    return "migrate: schema up to date, nothing to apply"


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    with closing(_connect(settings)) as conn:
        print(_migrate(conn))
    return 0


def _scrape(args: argparse.Namespace, settings: Settings, conn: Any, deadline: Any = None) -> str:
    from .pipeline import scrape_titles
    from .scraper import SiteClient

    backfill = args.from_page is not None
    planned = (
        (args.to_page - args.from_page + 1) if backfill else (args.max_pages or settings.max_pages)
    )
    progress = _progress(total=planned, unit="page", desc="scrape")
    client = SiteClient(settings)
    try:
        summary = scrape_titles(
            conn,
            client,
            settings,
            from_page=args.from_page,
            to_page=args.to_page,
            max_pages=args.max_pages,
            deadline=deadline,
            on_page=lambda number, page, new: progress.update(1),
        )
    finally:
        progress.close()
        client.close()
    return summary.line()


def cmd_scrape(args: argparse.Namespace, settings: Settings) -> int:
    with closing(_connect(settings)) as conn:
        from .migrate import migrate

        migrate(conn)
        print(_scrape(args, settings, conn))
    return 0


def _awaiting_labels_line(conn: Any, settings: Settings) -> str:
    from .db import count_pending

    pending = count_pending(conn, model=settings.hf_model)
    waiting = {0: "no title awaits a label", 1: "1 title awaits a label"}.get(
        pending, f"{pending} titles await labels"
    )
    return (
        f"{waiting}; set HF_API_TOKEN (a Hugging Face token with the Inference Providers "
        f"permission) in the environment or .env, then run `{PROG} label`"
    )


def _label(args: argparse.Namespace, settings: Settings, conn: Any, deadline: Any = None) -> str:
    from .db import count_pending
    from .deadline import Deadline
    from .pipeline import label_titles
    from .sentiment import HFClient

    relabel = getattr(args, "relabel", False)
    pending = count_pending(conn, model=settings.hf_model, relabel=relabel)
    total = pending if args.limit is None else min(pending, args.limit)
    progress = _progress(total=total, unit="title", desc="label")
    client = HFClient(settings)
    try:
        summary = label_titles(
            conn,
            client,
            settings,
            limit=args.limit,
            batch_size=args.batch_size,
            relabel=relabel,
            deadline=deadline or Deadline(args.max_seconds),
            on_batch=progress.update,
        )
    except UtodayError as exc:
        partial = getattr(exc, "summary", None)
        if partial is not None:  # what was stored before the stop, then the error line
            progress.close()
            print(partial.line())
        raise
    finally:
        progress.close()
        client.close()
    return summary.line()


def cmd_label(args: argparse.Namespace, settings: Settings) -> int:
    with closing(_connect(settings)) as conn:
        from .migrate import migrate

        migrate(conn)
        if not settings.hf_api_token:
            raise ConfigError(_awaiting_labels_line(conn, settings))
        print(_label(args, settings, conn))
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from .deadline import Deadline

    deadline = Deadline(args.max_seconds)  # one budget for the scrape and the labelling
    with closing(_connect(settings)) as conn:
        print(_migrate(conn))
        scrape_error: UtodayError | None = None
        try:
            print(_scrape(args, settings, conn, deadline))
        except SiteError as exc:  # the site is down or changed: still label what is stored
            print(f"{PROG}: error: {exc}", file=sys.stderr)
            scrape_error = exc
        if settings.hf_api_token:
            print(_label(args, settings, conn, deadline))
        else:
            print(f"label: skipped; {_awaiting_labels_line(conn, settings)}")
    return scrape_error.exit_code if scrape_error else 0


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _require_current_schema(conn: Any) -> None:
    from .migrate import pending

    behind = pending(conn)
    if behind:
        raise DatabaseError(
            f"the database schema is behind this version ({', '.join(behind)} not applied); "
            f"run `{PROG} migrate`"
        )


def cmd_query(args: argparse.Namespace, settings: Settings) -> int:
    from .db import run_read_only
    from .report import format_csv, format_table
    from .sqltext import READ_ONLY_KEYWORDS, first_keyword, split_statements

    statements = split_statements(args.sql)
    if len(statements) != 1:
        raise ConfigError(
            f"query runs exactly one SQL statement; this text holds {len(statements)}: "
            "run them one at a time"
        )
    keyword = first_keyword(statements[0])
    if keyword not in READ_ONLY_KEYWORDS:
        raise ConfigError(
            f"query runs read-only statements ({', '.join(k.upper() for k in READ_ONLY_KEYWORDS)}),"
            f" not {keyword.upper() or 'this'}"
        )
    with closing(_connect(settings)) as conn:
        _require_current_schema(conn)
        result = run_read_only(conn, statements[0], timeout_seconds=args.timeout)
    if args.csv:
        sys.stdout.write(format_csv(result.columns, result.rows))
    else:
        print(format_table(result.columns, result.rows))
    return 0


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from .db import REPORT_COLUMNS, daily_report
    from .report import format_csv, format_table, render_png

    with closing(_connect(settings)) as conn:
        _require_current_schema(conn)
        rows = daily_report(conn, args.days, args.until)
    if args.png:
        render_png(rows, Path(args.png), days=args.days)
    if args.csv:
        sys.stdout.write(format_csv(REPORT_COLUMNS, rows))
    else:
        print(format_table(REPORT_COLUMNS, rows))
    if args.png:
        print(f"chart written to {args.png}", file=sys.stderr)
    return 0


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from .db import title_status

    with closing(_connect(settings)) as conn:
        _require_current_schema(conn)
        status = title_status(conn)
    if args.json:
        print(json.dumps({k: _iso(v) for k, v in status.items()}, indent=2, sort_keys=True))
        return 0
    width = max(len(k) for k in status) + 2
    for key, value in status.items():
        if value is None:
            shown = "-"
        elif key.endswith("_share"):
            shown = f"{value:.1%}"
        else:
            shown = _iso(value)
        print(f"{(key.replace('_', ' ') + ':').ljust(width)} {shown}")
    return 0


def _progress(*, total: int, unit: str, desc: str) -> Any:
    from tqdm import tqdm

    return tqdm(
        total=total,
        unit=unit,
        desc=desc,
        file=sys.stderr,
        leave=False,
        disable=not sys.stderr.isatty(),
    )


def cmd_invoke(args: argparse.Namespace, settings: Settings) -> int:
    import os
    from pathlib import Path

    from .handlers.local import invoke

    try:
        event = json.loads(Path(args.event).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {args.event}: {exc.strerror}") from None
    except ValueError as exc:
        raise ConfigError(f"{args.event} is not valid JSON ({exc}); fix the event file") from None
    if not (os.environ.get("DATABASE_SECRET_ARN") or settings.database_url):
        os.environ["DATABASE_URL"] = _database_url(settings)
    result = invoke(args.function, event, timeout=args.timeout)
    print(json.dumps(result, indent=2, default=str))
    return 0


COMMANDS = {
    "migrate": cmd_migrate,
    "scrape": cmd_scrape,
    "status": cmd_status,
    "label": cmd_label,
    "invoke": cmd_invoke,
    "query": cmd_query,
    "report": cmd_report,
    "run": cmd_run,
}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
