"""End to end through the `utoday-sentiment` command, against a fake site and a real PostgreSQL."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.fakes import Reply, articles
from utoday_sentiment.cli import main
from utoday_sentiment.migrate import load_migrations

LISTING = "/latest-cryptocurrency-news"
ALL_MIGRATIONS = ", ".join(m.name for m in load_migrations())


@pytest.fixture
def env(monkeypatch, site, db_url):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("UTODAY_BASE_URL", site.url)
    monkeypatch.setenv("UTODAY_PAGE_DELAY", "0")
    monkeypatch.setenv("UTODAY_HTTP_RETRIES", "0")


def cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def count(query) -> int:
    return query("SELECT count(*) FROM titles")[0][0]


def test_daily_run_then_nothing_new_then_new_articles_then_backfill(env, site, query, capsys):
    old = articles(20, 90)
    site.serve_listing([old[:30], old[30:60], old[60:]])

    code, out, err = cli(capsys, "run")
    assert code == 0, err
    assert out.splitlines() == [
        f"migrate: applied {ALL_MIGRATIONS}; schema up to date",
        "scrape (daily): 4 pages fetched, 90 cards seen, 90 new titles, 0 cards skipped; "
        "end of listing at page 3",
        "label: skipped; 90 titles await labels; set HF_API_TOKEN (a Hugging Face token with the "
        "Inference Providers permission) in the environment or .env, then run "
        "`utoday-sentiment label`",
    ]
    assert count(query) == 90

    site.requests.clear()
    code, out, _ = cli(capsys, "run")
    assert code == 0
    assert out.splitlines()[-2] == (
        "scrape (daily): 1 page fetched, 30 cards seen, 0 new titles, 0 cards skipped; "
        "nothing new on page 0"
    )
    assert site.paths() == [LISTING]

    site.requests.clear()
    news = articles(0, 20) + old
    site.serve_listing([news[i : i + 30] for i in range(0, len(news), 30)])
    code, out, _ = cli(capsys, "scrape")
    assert code == 0
    assert "20 new titles" in out
    assert site.paths() == [LISTING, f"{LISTING}?page=1"]
    assert count(query) == 110

    site.requests.clear()
    code, out, _ = cli(capsys, "scrape", "--from-page", "2", "--to-page", "3")
    assert code == 0
    assert out.strip().endswith("0 new titles, 0 cards skipped; pages 2-3 done; next page 4")
    assert site.paths() == [f"{LISTING}?page=2", f"{LISTING}?page=3"]
    assert count(query) == 110


def test_status_reports_counts(env, site, capsys):
    site.serve_listing([articles(0, 12)])
    assert cli(capsys, "run")[0] == 0
    code, out, _ = cli(capsys, "status", "--json")
    assert code == 0
    status = json.loads(out)
    assert status["titles"] == 12 and status["unlabelled"] == 12
    assert status["newest_published_at"] == "2026-11-20T18:00:00+00:00"
    code, out, _ = cli(capsys, "status")
    assert "titles:" in out and " 12" in out


def test_status_before_any_migration_says_what_to_do(env, capsys):
    code, _, err = cli(capsys, "status")
    assert code == 1
    assert err.strip() == (
        f"utoday-sentiment: error: the database schema is behind this version ({ALL_MIGRATIONS} "
        "not applied); run `utoday-sentiment migrate`"
    )
    assert len(err.strip().splitlines()) == 1


def test_site_unreachable_is_one_line_and_non_zero(env, site, capsys, monkeypatch):
    monkeypatch.setenv("UTODAY_BASE_URL", "http://127.0.0.1:9")
    code, _, err = cli(capsys, "scrape")
    assert code == 1
    assert err.strip().splitlines()[-1] == (
        "utoday-sentiment: error: cannot reach http://127.0.0.1:9/latest-cryptocurrency-news "
        "(connection refused); check the network and UTODAY_BASE_URL"
    )
    assert "Traceback" not in err


def test_layout_change_fails_loudly(env, site, capsys, query):
    site.serve(LISTING, "<html><body><div class='new-design'>Hello</div></body></html>")
    site.serve("/rss", Reply("<html>not a feed</html>", 200, "text/html"))
    code, _, err = cli(capsys, "run")
    assert code == 1
    assert "no headline cards and the RSS feed failed" in err
    assert count(query) == 0


def test_bad_arguments_and_settings(env, capsys, monkeypatch):
    with pytest.raises(SystemExit) as info:
        main(["scrape", "--from-page", "3"])
    assert info.value.code == 2
    assert "--from-page and --to-page go together" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["scrape", "--max-pages", "0"])
    assert info.value.code == 2
    assert "--max-pages: '0' must be 1 or more" in capsys.readouterr().err
    monkeypatch.setenv("UTODAY_PAGE_DELAY", "fast")
    code, _, err = cli(capsys, "scrape")
    assert code == 2
    assert err.strip() == (
        "utoday-sentiment: error: UTODAY_PAGE_DELAY='fast' is not valid: "
        "use a number of seconds >= 0, such as 1"
    )


def test_database_unreachable(env, capsys, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://pipeline:pw-not-shown@127.0.0.1:9/utoday")
    code, _, err = cli(capsys, "run")
    assert code == 1
    assert err.startswith(
        "utoday-sentiment: error: cannot connect to the database at pipeline@127.0.0.1:9/utoday"
    )
    assert "pw-not-shown" not in err


def _console_script() -> str:
    found = Path(sys.executable).with_name("utoday-sentiment")
    return str(found) if found.exists() else shutil.which("utoday-sentiment") or "utoday-sentiment"


def test_embedded_database_is_the_default_and_keeps_its_data(site, tmp_path):
    """The newcomer's path: no DATABASE_URL, the installed command, data kept between runs."""
    data_dir = Path(tempfile.mkdtemp(prefix="utoday-cli-pg-")) / "pgdata"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UTODAY_", "DATABASE_URL"))}
    env.update(UTODAY_DATA_DIR=str(data_dir), UTODAY_BASE_URL=site.url, UTODAY_PAGE_DELAY="0")
    site.serve_listing([articles(0, 7)])
    try:
        first = subprocess.run(
            [_console_script(), "run"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert first.returncode == 0, first.stderr
        assert f"database: embedded PostgreSQL, data in {data_dir}" in first.stderr
        assert "7 new titles" in first.stdout
        second = subprocess.run(
            [_console_script(), "status", "--json"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode == 0, second.stderr
        assert json.loads(second.stdout)["titles"] == 7
        assert "Traceback" not in first.stderr + second.stderr
    finally:
        shutil.rmtree(data_dir.parent, ignore_errors=True)
