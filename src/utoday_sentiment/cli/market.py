"""`utoday-sentiment prices fetch`: the market data beside the mood."""

from __future__ import annotations

import argparse
from contextlib import closing
from datetime import timedelta
from pathlib import Path

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


def cmd_vs_price(args: argparse.Namespace, settings: Settings) -> int:
    """`report --vs-price SYM`: the mood of titles naming the coin against its daily returns."""
    import json
    import sys

    from .. import clock
    from ..errors import ConfigError
    from ..market.leadlag import analyse
    from ..store.market import market_days
    from .db import read_only

    try:
        import statsmodels  # noqa: F401 - the market extra; analyse imports it on use
    except ImportError as exc:
        raise ConfigError('report --vs-price needs the market extra: pip install -e ".[market]"'
                          ) from exc
    until = args.until or clock.today() - timedelta(days=1)
    days_asked = args.days or 365
    days = read_only(settings, lambda conn: market_days(conn, args.vs_price, days_asked, until))
    report = {"coin": args.vs_price, "until": until.isoformat(), **analyse(
        days, min_titles=args.min_titles)}
    if args.json:
        print(json.dumps(report, default=str))
    else:
        print(_text(report))
    if args.png and "signals" in report:
        from ..report import render_market_png

        render_market_png(args.vs_price, days, Path(args.png))
        print(f"chart written to {args.png}", file=sys.stderr)
    return 0


def _num(value: object, spec: str = "+.3f") -> str:
    return "-" if value is None else format(value, spec)


def _text(report: dict) -> str:
    lines = [f"{report['coin']} against its daily returns, {report['days']} days to "
             f"{report['until']} (days with at least {report['min_titles']} titles naming it: "
             f"{report['mood_days']}; usable with a return: {report['usable_days']})"]
    if "warning" in report:
        return "\n".join([*lines, f"warning: {report['warning']}"])
    station = report["stationarity"]
    lines.append("stationarity (ADF p): " + ", ".join(
        f"{name} {_num(test.get('p'), '.3f')}" for name, test in station.items()))
    for name, signal in report["signals"].items():
        lines.append("")
        lines.append(f"{'MOOD' if name == 'mood' else 'FEAR & GREED'} (used: {signal['used']})")
        same = signal["same_day"]
        lines.append(f"  same day: Pearson r {_num(same.get('pearson_r'))} "
                     f"(95% {_num((same.get('pearson_ci') or [None])[0])} to "
                     f"{_num((same.get('pearson_ci') or [None, None])[1])}), Spearman rho "
                     f"{_num(same.get('spearman_rho'))}, n = {same['n']}")
        lines.append("  lag (days the signal leads)  r       p       p (Holm)  n")
        for row in signal["lead_lag"]:
            lines.append(f"  {row['lag']:+d}{'':27}{_num(row['r']):>7} {_num(row['p'], '.4f'):>7} "
                         f"{_num(row.get('p_holm'), '.4f'):>9}  {row['n']}")
        for direction, test in signal["granger"].items():
            lines.append(f"  Granger {direction.replace('_', ' ')}: lag {test.get('lag', '-')}, "
                         f"p {_num(test.get('p'), '.4f')}, p (Holm) "
                         f"{_num(test.get('p_holm'), '.4f')}, n = {test['n']}")
        for model, result in signal["out_of_sample"].items():
            lines.append(f"  next-day direction by {model.replace('_', ' ')}: "
                         f"{_num(result['accuracy'], '.1%')} (95% "
                         f"{_num((result['ci'] or [None])[0], '.1%')}-"
                         f"{_num((result['ci'] or [None, None])[1], '.1%')}), n = {result['n']}")
        for question, verdict in signal["verdicts"].items():
            lines.append(f"  verdict ({question.replace('_', ' ')}): {verdict}")
    lines.append("")
    lines.append("Fear & Greed: Crypto Fear & Greed Index, alternative.me")
    return "\n".join(lines)
