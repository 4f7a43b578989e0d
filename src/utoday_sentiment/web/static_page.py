"""`report --html`: the overview as one self-contained HTML file, for the serverless deployment
(the label function writes it to S3) and for a laptop. Its style and its chart are inline; it
fetches nothing when opened from disk. Needs only Jinja2, not the web server."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from .. import clock
from ..jobs import model_identity
from ..settings import Settings
from ..store import browse
from ..store.connection import Connection
from . import svg

HERE = Path(__file__).resolve().parent


def render_overview(conn: Connection, settings: Settings, days: int) -> str:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    end = clock.today()
    start = end - timedelta(days=days - 1)
    rows = browse.daily(conn, start, end)
    status = browse.status_report(conn)
    coins = browse.coins(conn, days, today=end)[:10]
    env = Environment(loader=FileSystemLoader(str(HERE / "templates")),
                      autoescape=select_autoescape(default=True, default_for_string=True))
    template = env.get_template("static_overview.html")
    newest = status.get("newest_published_at")
    return template.render(
        css=(HERE / "static" / "app.css").read_text(encoding="utf-8"),
        chart=svg.daily_chart(rows, label=f"net score and titles per day, {start} to {end}"),
        rows=rows, status=status, coins=coins, start=start, end=end,
        backend=model_identity(settings), made=clock.now(),
        stale=newest is None or clock.now() - newest > timedelta(days=1),
        net=lambda v: "-" if v is None else f"{v:+.3f}")
