"""The real monitoring programs the end-to-end tests start: found on PATH, or a failure saying how
to get them (never a skip). Every wait is bounded."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

Found = TypeVar("Found")

HOW_TO_GET = (
    "install the Debian packages prometheus and prometheus-alertmanager "
    "(`apt-get install -y prometheus prometheus-alertmanager`); scripts/test does so itself "
    "when it runs as root"
)


def program(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(f"{' or '.join(names)} not found on PATH: {HOW_TO_GET}")


def start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(args, stdout=output, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


def wait_for(what: str, check: Callable[[], Found | None], seconds: float = 60) -> Found:
    """Poll `check` until it returns something (not None), at most `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            found = check()
        except httpx.TransportError:
            found = None
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds:.0f} s")
        time.sleep(0.2)


def ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    def up() -> bool | None:
        if process.poll() is not None:
            raise AssertionError(f"{url} exited with {process.returncode}:\n{log.read_text()}")
        return True if httpx.get(url, timeout=2).status_code == 200 else None

    wait_for(f"{url} ready", up)
