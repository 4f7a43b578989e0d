"""Helpers for the guarantees' tests: the installed command in separate processes."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.helpers import MOVED, console_script


@pytest.fixture
def spawn(tmp_path):
    """Start `utoday-sentiment ARGS` in its own process with the given settings."""
    started: list[subprocess.Popen] = []

    def start(*args: str, **env: str) -> subprocess.Popen:
        base = {
            k: v for k, v in os.environ.items() if not k.startswith(("UTODAY_", "HF_", "DATABASE_"))
        }
        process = subprocess.Popen(
            [console_script(), *args],
            env={**base, **MOVED, **env},
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()


def finish(process: subprocess.Popen, timeout: float = 120) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err
