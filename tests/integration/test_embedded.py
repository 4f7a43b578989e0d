"""The laptop default: the embedded PostgreSQL never outlives the commands that use it, and a
data folder it cannot open is one line that names the cause."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from fakes import Reply, articles, listing_page
from tests.helpers import MOVED, console_script
from utoday_sentiment.cli import main

LISTING = "/latest-cryptocurrency-news"


@pytest.fixture
def data_dir():
    """A new folder under the system temp dir (run as root, the server runs as a user of its own
    and must reach it); whatever a failed test leaves running in it is stopped afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="utoday-embedded-"))
    yield folder / "pgdata"
    left = _postmaster(folder / "pgdata")
    if left is not None:
        os.kill(left, signal.SIGINT)  # PostgreSQL's fast shutdown
        psutil.Process(left).wait(timeout=30)
    shutil.rmtree(folder, ignore_errors=True)


def _command(data_dir: Path, site, *args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UTODAY_", "DATABASE_URL"))}
    env.update(MOVED, UTODAY_DATA_DIR=str(data_dir), UTODAY_BASE_URL=site.url,
               UTODAY_PAGE_DELAY="0", UTODAY_HTTP_RETRIES="0")
    return subprocess.Popen([console_script(), *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _postmaster(data_dir: Path) -> int | None:
    """The running server's pid, or None when no server runs in that folder."""
    try:
        pid = int((data_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if _running(pid) else None


def _busy_scrape(data_dir: Path, site) -> subprocess.Popen:
    """A scrape that has started the server and now waits on a slow site."""
    site.serve(LISTING, Reply(listing_page(articles(0, 3)), delay=20))
    process = _command(data_dir, site, "scrape")
    deadline = time.monotonic() + 60
    while not site.requests:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the scrape never reached the site"
        time.sleep(0.05)
    assert _postmaster(data_dir) is not None
    return process


def test_sigterm_ends_a_command_like_ctrl_c_and_stops_the_server(site, data_dir):
    process = _busy_scrape(data_dir, site)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "interrupted; everything committed before it is kept" in err
    assert _postmaster(data_dir) is None
    assert json.loads((data_dir / ".handle_pids.json").read_text()) == []


def test_after_a_sigkill_the_next_command_leaves_no_orphan_server(site, data_dir):
    process = _busy_scrape(data_dir, site)
    process.kill()
    process.wait(timeout=30)
    orphan = _postmaster(data_dir)
    assert orphan is not None  # nothing can clean up at the moment of a SIGKILL
    assert process.pid in json.loads((data_dir / ".handle_pids.json").read_text())

    status = _command(data_dir, site, "status")
    out, err = status.communicate(timeout=60)
    assert status.returncode == 0, err
    assert "titles:" in out or "no data yet" in out
    assert _postmaster(data_dir) is None  # the dead holder was forgotten; the last user stopped it
    assert not _running(orphan)
    assert json.loads((data_dir / ".handle_pids.json").read_text()) == []


def _refused(data_dir: Path, monkeypatch, capsys) -> str:
    monkeypatch.setenv("UTODAY_DATA_DIR", str(data_dir))
    code = main(["status"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1
    return err[0]


def test_a_folder_of_another_postgresql_major_version_is_one_line(data_dir, monkeypatch, capsys):
    data_dir.mkdir(parents=True)
    (data_dir / "PG_VERSION").write_text("9\n")
    line = _refused(data_dir, monkeypatch, capsys)
    assert line.startswith("utoday-sentiment: error: the embedded database folder")
    assert "holds PostgreSQL 9 data, but this Python's" in line
    assert "set UTODAY_DATA_DIR to a new folder" in line


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown")
def test_a_folder_of_another_user_is_one_line(data_dir, monkeypatch, capsys):
    from utoday_sentiment import embedded

    module = embedded._server_module()
    data_dir.mkdir(parents=True)
    major = embedded._server_major(module)
    (data_dir / "PG_VERSION").write_text(f"{major}\n")
    os.chown(data_dir / "PG_VERSION", 65534, 65534)  # nobody
    if embedded._server_uid(module) in (None, 65534):
        pytest.skip("the package's own server user does not exist yet")
    line = _refused(data_dir, monkeypatch, capsys)
    assert "belongs to another user (uid 65534)" in line
    assert "set UTODAY_DATA_DIR to a folder of your own" in line
