"""Each command: arguments in, a job's request out, the result printed. No pipeline logic here."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any

from ..deadline import Deadline
from ..errors import ConfigError, SiteError, UtodayError
from ..jobs import pending_labels, run_label, run_scrape
from ..records import LabelRequest, ScrapeRequest
from ..settings import Settings
from ..store.connection import Connection, connect
from .db import connect_db, database_url, migrate_line, read_only
from .parser import PROG


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


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    with closing(connect_db(settings)) as conn:
        print(migrate_line(conn))
    return 0


def _scrape(args: argparse.Namespace, settings: Settings, conn: Connection,
            deadline: Deadline | None = None) -> UtodayError | None:
    """Scrape as the arguments say; print the summary; return the error that stopped it."""
    request = ScrapeRequest(args.from_page, args.to_page, args.max_pages)
    planned = (
        args.to_page - args.from_page + 1
        if request.backfill
        else (args.max_pages or settings.max_pages)
    )
    progress = _progress(total=planned, unit="page", desc="scrape")
    try:
        result = run_scrape(
            request, settings, conn, deadline, on_page=lambda number, page, new: progress.update(1)
        )
    finally:
        progress.close()
    if result.error is None:
        print(result.summary.line())
    return result.error


def cmd_scrape(args: argparse.Namespace, settings: Settings) -> int:
    with closing(connect_db(settings)) as conn:
        migrate_line(conn)
        error = _scrape(args, settings, conn)
    if error is not None:
        raise error
    return 0


def _can_label(settings: Settings) -> bool:
    """The router needs a token; a dedicated endpoint may be public; SageMaker uses AWS's."""
    return bool(settings.hf_api_token) or settings.sentiment_backend != "hf-api"


def _awaiting_labels_line(conn: Connection, settings: Settings) -> str:
    pending = pending_labels(conn, settings)
    waiting = {0: "no title awaits a label", 1: "1 title awaits a label"}.get(
        pending, f"{pending} titles await labels"
    )
    return (
        f"{waiting}; set HF_API_TOKEN (a Hugging Face token with the Inference Providers "
        f"permission) in the environment or .env, then run `{PROG} label`"
    )


def _label(args: argparse.Namespace, settings: Settings, conn: Connection,
           deadline: Deadline | None = None) -> None:
    """Label as the arguments say and print the summary (before the error, if one stopped it)."""
    request = LabelRequest(args.limit, args.batch_size, getattr(args, "relabel", False))
    pending = pending_labels(conn, settings, relabel=request.relabel)
    total = pending if args.limit is None else min(pending, args.limit)
    progress = _progress(total=total, unit="title", desc="label")
    try:
        result = run_label(
            request, settings, conn, deadline or Deadline(args.max_seconds),
            on_batch=progress.update,
        )
    finally:
        progress.close()
    if result.began:  # what was stored, also before a stop; an error before any work is alone
        print(result.summary.line())
    result.raise_error()


def cmd_label(args: argparse.Namespace, settings: Settings) -> int:
    with closing(connect_db(settings)) as conn:
        migrate_line(conn)
        if not _can_label(settings):
            raise ConfigError(_awaiting_labels_line(conn, settings))
        _label(args, settings, conn)
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    deadline = Deadline(args.max_seconds)  # one budget for the scrape and the labelling
    with closing(connect_db(settings)) as conn:
        print(migrate_line(conn))
        scrape_error = _scrape(args, settings, conn, deadline)
        if scrape_error is not None:
            if not isinstance(scrape_error, SiteError):
                raise scrape_error
            # The site is down or changed: still label what is stored, then fail.
            print(f"{PROG}: error: {scrape_error}", file=sys.stderr)
        feeds_error = poll_feeds(settings, conn, deadline)
        if feeds_error is not None:  # a feed failed: the others were read; label, then fail
            print(f"{PROG}: error: {feeds_error}", file=sys.stderr)
            scrape_error = scrape_error or feeds_error
        if _can_label(settings):
            _label(args, settings, conn, deadline)
        else:
            print(f"label: skipped; {_awaiting_labels_line(conn, settings)}")
    return scrape_error.exit_code if scrape_error else 0


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def cmd_query(args: argparse.Namespace, settings: Settings) -> int:
    from ..report import format_csv, format_table
    from ..store.analysts import run_read_only
    from ..store.sqltext import READ_ONLY_KEYWORDS, first_keyword, split_statements

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
    result = read_only(
        settings, lambda conn: run_read_only(conn, statements[0], timeout_seconds=args.timeout)
    )
    if args.csv:
        sys.stdout.write(format_csv(result.columns, result.rows))
    else:
        print(format_table(result.columns, result.rows))
    return 0


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from ..report import format_csv, format_table, render_png
    from ..store.analysts import REPORT_COLUMNS, daily_report

    if args.vs_price:
        from .market import cmd_vs_price

        return cmd_vs_price(args, settings)
    args.days = args.days or 30
    if args.html and args.coin:
        raise ConfigError("--html draws the overview of every title; leave out --coin")
    if args.coin:
        from ..coins import load_lexicon
        from ..store.tags import coin_report

        if args.coin not in {c.symbol for c in load_lexicon().coins}:
            raise ConfigError(f"--coin {args.coin} is not in the coin lexicon; use a ticker such "
                              "as BTC, ETH or XRP (src/utoday_sentiment/coins/lexicon.csv)")
        rows = read_only(settings, lambda conn: coin_report(conn, args.coin, args.days,
                                                              args.until))
    else:
        rows = read_only(settings, lambda conn: daily_report(conn, args.days, args.until))
    if args.png:
        render_png(rows, Path(args.png), days=args.days, coin=args.coin)
    if args.html:
        from .web import write_html

        write_html(settings, Path(args.html), args.days)
    if args.csv:
        sys.stdout.write(format_csv(REPORT_COLUMNS, rows))
    else:
        if args.coin:
            print(f"titles about {args.coin} (coin_daily_sentiment), per UTC day:")
        print(format_table(REPORT_COLUMNS, rows))
    if args.png:
        print(f"chart written to {args.png}", file=sys.stderr)
    if args.html:
        print(f"overview written to {args.html}", file=sys.stderr)
    return 0


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from ..store.browse import status_report
    from ..store.migrate import NoSchema

    try:
        status = read_only(settings, status_report)
    except NoSchema as exc:  # a fresh data folder: nothing wrong, nothing yet
        if args.json:
            empty = {"titles": 0, "labelled": 0, "unlabelled": 0, "failed": 0, "sponsored": 0}
            print(json.dumps({**empty, "note": str(exc)}, indent=2, sort_keys=True))
        else:
            print(exc)
        return 0
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


def cmd_invoke(args: argparse.Namespace, settings: Settings) -> int:
    import os

    from ..handlers.local import invoke

    try:
        event = json.loads(Path(args.event).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {args.event}: {exc.strerror}") from exc
    except ValueError as exc:
        raise ConfigError(f"{args.event} is not valid JSON ({exc}); fix the event file") from exc
    if not settings.database_secret_arn:
        # As the deploy's MigrateFunction would, before the functions run (they never run DDL).
        url = database_url(settings)
        os.environ["DATABASE_URL"] = url
        if args.function != "migrate":
            with closing(connect(url)) as conn:
                print(migrate_line(conn), file=sys.stderr)
    result = _on_stderr(lambda: invoke(args.function, event, timeout=args.timeout))
    print(json.dumps(result, indent=2, default=str))
    return 0


def _on_stderr(call: Callable[[], Any]) -> Any:
    """Run a handler with its JSON log lines and metrics on stderr, as Lambda ships them to
    CloudWatch, so that stdout holds only its result (`invoke ... | jq` works)."""
    import contextlib

    from ..handlers.observability import logger

    handler: Any = logger.registered_handler  # a StreamHandler
    stream = handler.stream
    handler.stream = sys.stderr
    try:
        with contextlib.redirect_stdout(sys.stderr):  # Powertools prints the metrics
            return call()
    finally:
        handler.stream = stream


def cmd_reparse(args: argparse.Namespace, settings: Settings) -> int:
    from ..jobs import run_reparse
    from ..records import ReparseRequest

    with closing(connect_db(settings)) as conn:
        migrate_line(conn)
        result = run_reparse(ReparseRequest(args.since, args.dry_run), settings, conn)
    result.raise_error()
    print(result.summary.line())
    return 0


def cmd_pages(args: argparse.Namespace, settings: Settings) -> int:
    from ..report import format_table
    from ..store.raw_pages import list_pages, read_page

    if args.pages_command == "show":
        _, body = read_only(settings, lambda conn: read_page(conn, args.id))
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
        return 0
    pages = read_only(settings, lambda conn: list_pages(conn, since=args.since, limit=args.limit))
    columns = ("id", "fetched_at", "kind", "page", "status", "cards", "titles", "parser", "bytes",
               "url")
    rows = [(p.id, p.fetched_at, p.kind, p.page_number, p.status, p.cards, p.titles,
             p.parser_version, p.size, p.url) for p in pages]
    print(format_table(columns, rows))
    return 0


def cmd_tag(args: argparse.Namespace, settings: Settings) -> int:
    from ..coins import load_lexicon
    from ..store.tags import retag

    lexicon = load_lexicon()  # a malformed lexicon fails here, naming the row
    with closing(connect_db(settings)) as conn:
        migrate_line(conn)
        titles, tags = retag(conn, everything=args.all, lexicon=lexicon)
    print(f"tag: {titles} titles tagged ({tags} coin tags) with {lexicon.version}"
          + ("" if titles or args.all else "; every title was already tagged with it"))
    return 0


from .market import cmd_prices  # noqa: E402
from .ops import cmd_aws, cmd_check, cmd_evaluate, cmd_model  # noqa: E402 - operators'
from .sources import cmd_feeds, cmd_sources, poll_feeds  # noqa: E402
from .web import cmd_serve  # noqa: E402

COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "tag": cmd_tag,
    "check": cmd_check,
    "model": cmd_model,
    "evaluate": cmd_evaluate,
    "aws": cmd_aws,
    "serve": cmd_serve,
    "feeds": cmd_feeds,
    "prices": cmd_prices,
    "sources": cmd_sources,
    "reparse": cmd_reparse,
    "pages": cmd_pages,
    "migrate": cmd_migrate,
    "scrape": cmd_scrape,
    "status": cmd_status,
    "label": cmd_label,
    "invoke": cmd_invoke,
    "query": cmd_query,
    "report": cmd_report,
    "run": cmd_run,
}
