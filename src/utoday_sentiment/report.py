"""Presenting results to people: aligned text tables, CSV, and the daily sentiment chart."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from .errors import ConfigError, UtodayError


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if value == value else "NaN"
    return str(value)


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def format_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """An aligned text table, numbers right-aligned, and a row count."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [len(c) for c in columns]
    for row in cells:
        widths = [max(w, len(v)) for w, v in zip(widths, row, strict=True)]
    right = [
        bool(rows) and all(_numeric(r[i]) or r[i] is None for r in rows)
        for i in range(len(columns))
    ]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            (v.rjust(w) if r else v.ljust(w)) for v, w, r in zip(values, widths, right, strict=True)
        ).rstrip()

    out = [line(columns), "  ".join("-" * w for w in widths)]
    out += [line(row) for row in cells]
    out.append(f"({len(rows)} row{'' if len(rows) == 1 else 's'})")
    return "\n".join(out)


def format_csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([[_cell(v) for v in row] for row in rows])
    return buffer.getvalue()


def render_png(
    rows: Sequence[Sequence[Any]], path: Path, *, days: int, coin: str | None = None
) -> None:
    """A chart of the daily shares of positive/neutral/negative titles and the title count.

    `rows` are daily_report rows: day, titles, labelled, positive, neutral, negative, unlabelled,
    net_score. Needs matplotlib (the `report` extra).
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.dates as mdates
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ConfigError(
            '--png needs matplotlib: pip install -e ".[report]" (or pip install matplotlib)'
        ) from exc

    dates = [row[0] for row in rows]
    titles = [row[1] for row in rows]
    labelled = [row[2] or 0 for row in rows]

    def share(index: int) -> list[float]:
        return [(row[index] / n) if n else 0.0 for row, n in zip(rows, labelled, strict=True)]

    positive, neutral, negative = share(3), share(4), share(5)
    fig, ax = plt.subplots(figsize=(12, 6.5), dpi=100)
    width = 0.8
    ax.bar(dates, negative, width, color="#d62728", label="negative")
    ax.bar(dates, neutral, width, bottom=negative, color="#b0b0b0", label="neutral")
    bottom = [a + b for a, b in zip(negative, neutral, strict=True)]
    ax.bar(dates, positive, width, bottom=bottom, color="#2ca02c", label="positive")
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of labelled titles")
    ax.set_xlabel("day of publication (UTC)")
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=4, maxticks=12))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %d"))

    counts = ax.twinx()
    counts.plot(dates, titles, color="#1f3b73", marker="o", linewidth=2, label="titles published")
    counts.set_ylabel("titles published")
    counts.set_ylim(0, max([*titles, 1]) * 1.15)

    first, last = (dates[0], dates[-1]) if dates else (None, None)
    ax.set_title(
        f"U.Today headline sentiment{f' about {coin}' if coin else ''} per day, last {days} days"
        + (f" ({first:%b %d} - {last:%b %d, %Y}, UTC)" if first else ""),
        pad=30,
    )
    handles = ax.get_legend_handles_labels()[0] + counts.get_legend_handles_labels()[0]
    labels = ax.get_legend_handles_labels()[1] + counts.get_legend_handles_labels()[1]
    ax.legend(
        handles, labels, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=4, frameon=False
    )
    fig.autofmt_xdate()
    fig.tight_layout()
    try:
        fig.savefig(path, format="png")
    except OSError as exc:
        raise UtodayError(f"cannot write {path}: {exc.strerror}") from exc
    finally:
        plt.close(fig)


def render_market_png(coin: str, days: Sequence[Any], path: Path) -> None:
    """The coin's daily mood, its daily log return and the Fear & Greed Index, one per panel,
    on the same days (`market.leadlag.MarketDay` rows)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ConfigError('--png needs matplotlib: pip install -e ".[report]"') from exc
    fig, axes = plt.subplots(3, 1, figsize=(12, 8), dpi=100, sharex=True)
    series = (("net score (mood)", [d.mood for d in days], "#3451b2"),
              ("daily log return", [d.log_return for d in days], "#444444"),
              ("Fear & Greed (alternative.me)", [d.fear_greed for d in days], "#e08a00"))
    for ax, (label, values, colour) in zip(axes, series, strict=True):
        ax.plot([d.day for d in days], [float("nan") if v is None else v for v in values],
                color=colour, marker=".", linewidth=1)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].set_title(f"{coin}: mood, returns and the Fear & Greed Index per UTC day")
    axes[-1].set_xlabel("day (UTC)")
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
