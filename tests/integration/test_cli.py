"""End to end through the `utoday-sentiment` command, against a fake site and a real PostgreSQL."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from fakes import Reply, articles
from tests.helpers import MOVED, console_script
from utoday_sentiment.cli import main
from utoday_sentiment.store.migrate import load_migrations

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


def test_status_on_a_fresh_database_says_there_is_no_data_yet(env, capsys, query):
    code, out, err = cli(capsys, "status")
    assert code == 0 and err == ""
    assert out.strip() == (
        "no data yet: this database has no schema; run `utoday-sentiment run` to scrape the "
        "first headlines (or `utoday-sentiment migrate` to create the schema only)"
    )
    assert query("SELECT to_regclass('schema_migrations') IS NULL") == [(True,)]  # read-only
    code, out, _ = cli(capsys, "status", "--json")
    assert code == 0 and json.loads(out)["titles"] == 0


def test_status_on_a_schema_behind_this_version_says_what_to_do(env, capsys, db_url):
    from utoday_sentiment.store.connection import connect
    from utoday_sentiment.store.migrate import migrate

    conn = connect(db_url)
    migrate(conn)
    newest = load_migrations()[-1].name
    with conn.cursor() as cur:  # as if this version shipped one more migration
        cur.execute("DELETE FROM schema_migrations WHERE name = %s", (newest,))
    conn.commit()
    conn.close()
    code, _, err = cli(capsys, "status")
    assert code == 1
    behind = newest
    errors = [line for line in err.splitlines() if line.startswith("utoday-sentiment:")]
    assert errors == [err.strip().splitlines()[-1]]
    assert errors[0] == (
        f"utoday-sentiment: error: the database schema is behind this version ({behind} "
        "not applied); run `utoday-sentiment migrate`"
    )


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
    # One message for every out-of-range value, with the bounds the settings table gives
    for value in ("0", "-1", "1001", "two"):
        with pytest.raises(SystemExit) as info:
            main(["scrape", "--max-pages", value])
        assert info.value.code == 2
        assert (
            f"--max-pages: '{value}' is not valid: use a whole number from 1 to 1000"
            in capsys.readouterr().err
        )
    for flag in ("--days", "--limit"):
        command = "report" if flag == "--days" else "label"
        for value in ("0", "-1"):
            with pytest.raises(SystemExit):
                main([command, flag, value])
            err = capsys.readouterr().err
            assert f"{flag}: '{value}' is not valid: use a whole number " in err
            assert "from 1 to" in err or ">= 1" in err
    monkeypatch.setenv("UTODAY_PAGE_DELAY", "fast")
    code, _, err = cli(capsys, "scrape")
    assert code == 2
    assert err.strip() == (
        "utoday-sentiment: error: UTODAY_PAGE_DELAY='fast' is not valid: "
        "use a number of seconds >= 0, such as 1"
    )


def test_a_reversed_page_range_is_refused_before_the_database_starts(capsys, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none")  # never reached
    with pytest.raises(SystemExit) as info:
        main(["scrape", "--from-page", "5", "--to-page", "2"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "--to-page 2 is below --from-page 5" in err and "database" not in err


@pytest.mark.parametrize("command", ["migrate", "scrape", "status", "report", "run", "label"])
def test_every_command_describes_itself_in_help(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    description = out.split("\n\n")[1]  # usage, then the description
    assert not description.startswith(("options:", "positional")) and len(description) > 30


def test_database_unreachable(env, capsys, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://pipeline:pw-not-shown@127.0.0.1:9/utoday")
    code, _, err = cli(capsys, "run")
    assert code == 1
    assert err.startswith(
        "utoday-sentiment: error: cannot connect to the database at pipeline@127.0.0.1:9/utoday"
    )
    assert "pw-not-shown" not in err


def test_embedded_database_is_the_default_and_keeps_its_data(site, tmp_path):
    """The newcomer's path: no DATABASE_URL, the installed command, data kept between runs."""
    data_dir = Path(tempfile.mkdtemp(prefix="utoday-cli-pg-")) / "pgdata"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UTODAY_", "DATABASE_URL"))}
    env.update(MOVED, UTODAY_DATA_DIR=str(data_dir), UTODAY_BASE_URL=site.url, UTODAY_PAGE_DELAY="0")
    site.serve_listing([articles(0, 7)])
    try:
        first = subprocess.run(
            [console_script(), "run"],
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
            [console_script(), "status", "--json"],
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
