"""docs/configuration.md's table and `.env.example`, generated from the settings table."""

from __future__ import annotations

import textwrap

from .model import Whole
from .table import SETTINGS

# ---------------------------------------------------------------------------------------------
# Generated documentation


def readme_table() -> str:
    """The table of docs/configuration.md."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for s in SETTINGS:
        if s.name == "TEST_DATABASE_URL":
            continue  # the page says it in prose under the table
        bounds = (
            f" ({s.kind.low}-{s.kind.high})" if isinstance(s.kind, Whole) and s.kind.high else ""
        )
        lines.append(f"| `{s.name}` | {s.default_text} | {s.help}{bounds} |")
    return "\n".join(lines) + "\n"


def env_example() -> str:
    """The whole `.env.example` file."""
    out = [
        "# Copy to .env and edit. Real environment variables win over this file.",
        "# Every setting is optional: with none of them, `utoday-sentiment run` scrapes https://u.today",
        "# into an embedded PostgreSQL kept in your user data folder.",
        "# Generated from src/utoday_sentiment/settings/table.py:",
        "#   python -m utoday_sentiment.settings env > .env.example",
    ]
    group = None
    for s in SETTINGS:
        if s.group != group:
            group = s.group
            out += ["", f"# --- {group} ".ljust(96, "-")]
        text = s.help.replace("`", "")
        if isinstance(s.kind, Whole):
            text += f"; {s.kind.describe()}"
        out += textwrap.wrap(text, 94, initial_indent="# ", subsequent_indent="# ")
        out.append(f"# {s.name}={s.example_text}")
    return "\n".join(out) + "\n"
