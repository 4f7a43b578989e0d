"""Shared fixtures: a real PostgreSQL server, a clean schema per test, no network but loopback."""

from __future__ import annotations

import contextlib
import glob
import ipaddress
import os
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import psycopg2
import pytest
from psycopg2 import sql

from fakes import FakeHF, FakeSite
from tests.helpers import MOVED

ENV_PREFIXES = ("UTODAY_", "HF_", "DATABASE_URL", "LOG_LEVEL", "POWERTOOLS_", "AWS_")


# ---------------------------------------------------------------------------------------------
# No network: only loopback, Unix sockets, and the test database's own host.


def _allowed_hosts() -> set[str]:
    hosts = {"localhost", "127.0.0.1", "::1"}
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        host = urlsplit(url).hostname
        if host:
            hosts.add(host)
            with contextlib.suppress(OSError):
                hosts.update(info[4][0] for info in socket.getaddrinfo(host, None))
    return hosts


class NetworkBlocked(OSError):
    pass


@pytest.fixture(scope="session", autouse=True)
def _no_network() -> Iterator[None]:
    allowed = _allowed_hosts()
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def is_allowed(host: object) -> bool:
        if not isinstance(host, str):
            return False
        if host in allowed:
            return True
        try:
            return ipaddress.ip_address(host.split("%")[0]).is_loopback
        except ValueError:
            return False

    def check(sock: socket.socket, address: object) -> None:
        if sock.family == socket.AF_UNIX:
            return
        host = address[0] if isinstance(address, tuple) else address
        if not is_allowed(host):
            raise NetworkBlocked(f"tests may not reach {address!r}: network disabled in tests")

    def connect(self, address):  # type: ignore[no-untyped-def]
        check(self, address)
        return real_connect(self, address)

    def connect_ex(self, address):  # type: ignore[no-untyped-def]
        check(self, address)
        return real_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        if host is not None and not is_allowed(host if isinstance(host, str) else host.decode()):
            raise socket.gaierror(socket.EAI_NONAME, f"network disabled in tests: {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo
    try:
        yield
    finally:
        socket.socket.connect, socket.socket.connect_ex = real_connect, real_connect_ex
        socket.getaddrinfo = real_getaddrinfo


# ---------------------------------------------------------------------------------------------
# The clock: `--clock INSTANT` runs the whole suite as if it started at that UTC instant (one
# running clock for this process and every process it starts: UTODAY_CLOCK_OFFSET), and
# `--zone NAME` reads and writes listing card times in that zone. `.ci/run` uses both to show that
# no test depends on the hour, the date or daylight saving time.

def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--clock", metavar="INSTANT", default=None,
                     help="run as if the suite started at this UTC instant, e.g. 2026-11-01T00:20")
    parser.addoption("--zone", metavar="NAME", default=None,
                     help="UTODAY_TIMEZONE for every test that sets none (the fake site follows)")


def pytest_configure(config: pytest.Config) -> None:
    instant = config.getoption("--clock")
    if instant and os.environ.get("TEST_DATABASE_URL"):
        raise pytest.UsageError("--clock moves the embedded server's clock; unset TEST_DATABASE_URL")
    if instant:
        start = datetime.fromisoformat(instant)
        start = start.replace(tzinfo=UTC) if start.tzinfo is None else start
        MOVED["UTODAY_CLOCK_OFFSET"] = f"{(start - datetime.now(UTC)).total_seconds():.3f}"
    zone = config.getoption("--zone")
    if zone:
        MOVED["UTODAY_TIMEZONE"] = zone
    os.environ.update(MOVED)  # module-level values computed at collection follow it too


def pytest_report_header(config: pytest.Config) -> str | None:
    return f"moved: {MOVED}" if MOVED else None


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    """Tests see none of the developer's settings, and no `.env` from the working directory;
    only the moved clock and zone of `--clock` and `--zone`, when given."""
    for name in list(os.environ):
        if name.startswith(ENV_PREFIXES) and name != "TEST_DATABASE_URL":
            monkeypatch.delenv(name, raising=False)
    for name, value in MOVED.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")


# ---------------------------------------------------------------------------------------------
# PostgreSQL: TEST_DATABASE_URL, or an embedded server started once per test session.


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield url
        return
    from utoday_sentiment.embedded import temporary_server

    with contextlib.ExitStack() as stack:
        with _server_clock():  # only while it starts
            admin_url = stack.enter_context(temporary_server(prefix="utoday-test-pg-"))
        yield admin_url


LIBFAKETIME = "/usr/lib/*/faketime/libfaketime.so.1"  # Debian's package faketime


@contextlib.contextmanager
def _server_clock() -> Iterator[None]:
    """Under `--clock`, start the server with its clock moved as far as the program's (Debian's
    libfaketime, by the same offset), so `now()` in SQL and the program agree on the day."""
    offset = MOVED.get("UTODAY_CLOCK_OFFSET")
    if offset is None:
        yield
        return
    found = sorted(glob.glob(LIBFAKETIME))
    if not found:
        pytest.exit("--clock moves the database server's clock with libfaketime: "
                    "apt-get install faketime", returncode=4)
    shift = float(offset)
    moved = {"LD_PRELOAD": found[0], "FAKETIME": f"{'+' if shift >= 0 else ''}{shift:.0f}"}
    saved = {name: os.environ.get(name) for name in moved}
    os.environ.update(moved)  # inherited by the server's processes only: this one is loaded
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def with_search_path(url: str, schema: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture
def db_url(pg_server_url: str) -> Iterator[str]:
    """A libpq URL whose connections see a fresh, empty schema of their own."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(pg_server_url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield with_search_path(pg_server_url, schema)
    finally:
        with admin.cursor() as cur:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE pid <> pg_backend_pid() AND query NOT ILIKE '%%pg_stat_activity%%' "
                "AND application_name LIKE 'utoday%%' AND state = 'idle in transaction'"
            )
            cur.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
        admin.close()


@pytest.fixture
def conn(db_url: str) -> Iterator[psycopg2.extensions.connection]:
    """A connection to a migrated schema."""
    from utoday_sentiment.store.connection import connect
    from utoday_sentiment.store.migrate import migrate

    connection = connect(db_url)
    migrate(connection)
    try:
        yield connection
    finally:
        connection.close()


@pytest.fixture
def query(db_url: str):  # type: ignore[no-untyped-def]
    """Run a read query on a separate connection (what another session sees) and return its rows."""
    connection = psycopg2.connect(db_url)

    def run(sql: str, params: tuple = ()) -> list[tuple]:
        with connection.cursor() as cur:
            cur.execute(sql, params)
            rows = cur.fetchall()
        connection.rollback()
        return rows

    yield run
    connection.close()


@pytest.fixture
def site() -> Iterator[FakeSite]:
    """An imitation of U.Today on 127.0.0.1, serving what each test tells it to."""
    zone = MOVED.get("UTODAY_TIMEZONE")
    fake = FakeSite(ZoneInfo(zone) if zone else UTC)  # what a scraper moved by --zone reads
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def hf() -> Iterator[FakeHF]:
    """An imitation of the Hugging Face Inference API on 127.0.0.1."""
    fake = FakeHF().start()
    try:
        yield fake
    finally:
        fake.stop()
