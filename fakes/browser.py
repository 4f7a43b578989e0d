"""The real web app in a process of its own, and Debian's Chromium driven by Playwright: what the
browser tests and the docs' screenshots share.

Chromium comes from Debian (`apt-get install chromium`), never from `playwright install`, which
downloads browser builds from outside. The flags keep it from calling any host of its own.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--disable-quic", "--disable-features=Translate,OptimizationHints"]


def chromium_path() -> str | None:
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Served:
    """A running `utoday-sentiment serve`: its URL and, once stopped, what it printed."""

    def __init__(self, url: str, process: subprocess.Popen[str]) -> None:
        self.url, self.process = url, process
        self.output = ""


@contextmanager
def serve(env: dict[str, str], *, host: str = "127.0.0.1", timeout: float = 30
          ) -> Iterator[Served]:
    """Start the installed command's `serve` on a free port with `env` (over the current
    environment) and wait until /healthz answers; stop it afterwards."""
    port = free_port()
    command = Path(sys.executable).with_name("utoday-sentiment")
    process = subprocess.Popen(  # noqa: S603 - our own installed command
        [str(command) if command.exists() else "utoday-sentiment", "serve", "--host", host,
         "--port", str(port)],
        env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    served = Served(f"http://{host}:{port}", process)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"serve exited with {process.returncode}: "
                                   f"{process.stdout.read() if process.stdout else ''}")
            try:
                if requests.get(served.url + "/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("serve did not answer /healthz in time")
            time.sleep(0.1)
        yield served
    finally:
        process.terminate()
        try:
            out, _ = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            out, _ = process.communicate()
        served.output = out or ""


def launch(playwright: Any, executable: str) -> Any:
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
