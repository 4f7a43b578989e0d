"""The daily chart, drawn on the server as SVG: no chart library, no script, nothing fetched.

Pure: rows in (`store.browse.daily`), markup out. Each day that has titles is one point on the
net-score line, with its numbers in a tooltip (the SVG <title>) and a link to that day's
headlines; the bars below count the titles. Every text is escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from html import escape
from typing import Any

WIDTH, HEIGHT = 960, 320
LEFT, RIGHT, TOP = 48, 16, 16
NET_HEIGHT, GAP, BAR_HEIGHT, BOTTOM = 170, 24, 70, 24


def _tooltip(row: dict[str, Any]) -> str:
    net = row["net_score"]
    shown = "no label yet" if net is None else f"net score {net:+.3f}"
    return (f"{row['day']}: {row['titles']} titles, {row['labelled']} labelled, {shown} "
            f"({row['positive']} positive, {row['neutral']} neutral, {row['negative']} negative)")


def daily_chart(rows: Sequence[dict[str, Any]], link: Callable[[date], str] | None = None,
                *, selected: date | None = None, label: str = "daily net score") -> str:
    """An <svg> of the net score per day (-1..+1) above the titles per day."""
    count = max(len(rows), 1)
    inner = WIDTH - LEFT - RIGHT
    step = inner / count
    most = max([r["titles"] for r in rows] + [1])
    net_y = lambda v: TOP + (1 - v) / 2 * NET_HEIGHT  # noqa: E731 - a tiny scale
    bar_top = TOP + NET_HEIGHT + GAP
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(label)}">',
        f'<title>{escape(label)}</title>',
    ]
    for value in (1, 0.5, 0, -0.5, -1):  # the net score's grid
        y = net_y(value)
        parts.append(f'<line class="grid{" zero" if value == 0 else ""}" x1="{LEFT}" '
                     f'x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="axis" x="{LEFT - 6}" y="{y + 4:.1f}" '
                     f'text-anchor="end">{value:+g}</text>')
    parts.append(f'<text class="axis" x="{LEFT - 6}" y="{bar_top + 10}" text-anchor="end">'
                 f'{most}</text>')
    line: list[str] = []
    points: list[str] = []
    for index, row in enumerate(rows):
        x = LEFT + step * (index + 0.5)
        height = row["titles"] / most * BAR_HEIGHT
        day = row["day"]
        tip = escape(_tooltip(row))
        bar = (f'<rect class="bar" x="{x - step * 0.4:.1f}" '
               f'y="{bar_top + BAR_HEIGHT - height:.1f}" width="{max(step * 0.8, 1):.1f}" '
               f'height="{height:.1f}"><title>{tip}</title></rect>')
        parts.append(bar)
        if not row["titles"]:
            continue
        net = row["net_score"]
        y = net_y(net if net is not None else 0)
        if net is not None:
            line.append(f"{x:.1f},{y:.1f}")
        kind = "point" + (" unlabelled" if net is None else "") + (
            " selected" if selected == day else "")
        point = (f'<circle class="{kind}" data-day="{day}" cx="{x:.1f}" cy="{y:.1f}" r="5">'
                 f'<title>{tip}</title></circle>')
        if link:
            point = f'<a href="{escape(link(day))}" aria-label="{tip}">{point}</a>'
        points.append(point)
    if len(line) > 1:
        parts.append(f'<polyline class="net" points="{" ".join(line)}"/>')
    parts += points
    if rows:
        for index in sorted({0, len(rows) // 2, len(rows) - 1}):
            x = LEFT + step * (index + 0.5)
            parts.append(f'<text class="axis" x="{x:.1f}" y="{HEIGHT - 6}" text-anchor="middle">'
                         f'{rows[index]["day"]}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def market_chart(days: Sequence[Any], coin: str) -> str:
    """The coin's close (a line, its own scale), its daily mood (points, -1..+1) and the Fear &
    Greed Index (a line, 0..100) on the same days (`market.leadlag.MarketDay` rows with a
    `close`)."""
    count = max(len(days), 1)
    inner = WIDTH - LEFT - RIGHT
    step = inner / count
    height = 220
    closes = [d.close for d in days if d.close is not None]
    low, high = (min(closes), max(closes)) if closes else (0.0, 1.0)
    span = (high - low) or 1.0

    def x(index: int) -> float:
        return LEFT + step * (index + 0.5)

    def price_y(value: float) -> float:
        return TOP + (1 - (value - low) / span) * height

    label = f"{coin}: close, mood and the Fear & Greed Index per day"
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart market" viewBox="0 0 {WIDTH} '
             f'{height + TOP + 40}" role="img" aria-label="{escape(label)}">',
             f"<title>{escape(label)}</title>"]
    price = [f"{x(i):.1f},{price_y(d.close):.1f}" for i, d in enumerate(days) if d.close]
    fear = [f"{x(i):.1f},{TOP + (1 - d.fear_greed / 100) * height:.1f}"
            for i, d in enumerate(days) if d.fear_greed is not None]
    if len(fear) > 1:
        parts.append(f'<polyline class="fear" points="{" ".join(fear)}"/>')
    if len(price) > 1:
        parts.append(f'<polyline class="price" points="{" ".join(price)}"/>')
    for i, d in enumerate(days):
        if d.mood is None:
            continue
        tip = escape(f"{d.day}: mood {d.mood:+.3f}, {d.titles} titles"
                     + (f", close {d.close:,.2f}" if d.close else "")
                     + (f", Fear & Greed {d.fear_greed}" if d.fear_greed is not None else ""))
        y = TOP + (1 - d.mood) / 2 * height
        parts.append(f'<circle class="mood" cx="{x(i):.1f}" cy="{y:.1f}" r="3.5">'
                     f"<title>{tip}</title></circle>")
    parts.append(f'<text class="axis" x="{LEFT - 6}" y="{TOP + 10}" text-anchor="end">'
                 f'{high:,.0f}</text>')
    parts.append(f'<text class="axis" x="{LEFT - 6}" y="{TOP + height}" text-anchor="end">'
                 f'{low:,.0f}</text>')
    parts.append(f'<text class="axis legend" x="{LEFT}" y="{height + TOP + 30}">line: close (USD)'
                 " · points: mood (-1..+1) · orange: Fear &amp; Greed (0..100, alternative.me)"
                 "</text>")
    parts.append("</svg>")
    return "\n".join(parts)
