"""`python -m utoday_sentiment.settings docs|env`: print the generated table of
docs/configuration.md or `.env.example` (a developer's regeneration command)."""

import sys

from .docs import env_example, readme_table

what = sys.argv[1] if len(sys.argv) > 1 else ""
if what in ("docs", "readme"):
    sys.stdout.write(readme_table())
elif what == "env":
    sys.stdout.write(env_example())
else:
    sys.exit("usage: python -m utoday_sentiment.settings docs|env")
