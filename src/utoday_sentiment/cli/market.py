"""`utoday-sentiment prices fetch`: the market data beside the mood."""

from __future__ import annotations

import argparse
from contextlib import closing

from ..settings import Settings
from .db import connect_db, migrate_line


def cmd_prices(args: argparse.Namespace, settings: Settings) -> int:
    from ..jobs import run_prices

    with closing(connect_db(settings)) as conn:
        migrate_line(conn)
        result = run_prices(settings, conn, coins=args.coin, since=args.since, source=args.source)
    if result.began:
        print(result.summary.line())
    result.raise_error()
    return 0
