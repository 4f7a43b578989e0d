"""`utoday-sentiment serve` and `report --html`: the web app's front doors on the command line."""

from __future__ import annotations

import argparse
import ipaddress
import socket
import sys
from contextlib import closing
from pathlib import Path

from ..errors import ConfigError
from ..settings import Settings
from .db import database_url, migrate_line

LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    if not is_loopback(args.host) and not settings.web_token:
        raise ConfigError(f"--host {args.host} would serve the data to the network: set "
                          "UTODAY_WEB_TOKEN (every request must then carry it), or keep the "
                          "default 127.0.0.1")
    try:
        import uvicorn

        from ..web.app import create_app
    except ImportError as exc:
        raise ConfigError(f'serve needs the web extra ({exc.name} is missing): '
                          'pip install -e ".[web]"') from exc
    from ..store.connection import connect

    url = database_url(settings)
    with closing(connect(url)) as conn:
        print(migrate_line(conn), file=sys.stderr)
    port = args.port or _free_port(args.host)
    app = create_app(settings, url)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(f"serve: http://{shown}:{port}/ (Ctrl-C stops it)", file=sys.stderr, flush=True)
    uvicorn.run(app, host=args.host, port=port, log_level="warning", access_log=False)
    return 0


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def write_html(settings: Settings, path: Path, days: int) -> None:
    """`report --html FILE`: the overview as one self-contained page."""
    from ..store.connection import connect
    from ..store.migrate import require_current
    from ..web.static_page import render_overview

    with closing(connect(database_url(settings))) as conn:
        require_current(conn)
        html = render_overview(conn, settings, days)
    try:
        path.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}") from exc
