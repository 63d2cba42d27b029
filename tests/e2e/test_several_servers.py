"""Three `sla-ledger serve` processes on one PostgreSQL: all take writes and reads, exactly one
keeps the read models current, and killing it hands them to another; they end equal to a rebuild.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from ledger.store.location import StoreLocation
from tests.e2e.monitoring import wait_for
from tests.e2e.test_cli_import import run
from tests.e2e.test_served_api import free_port, key, wait_until_ready
from tests.factories import ndjson, outage, signed

MONTH = "/accounts/acme/availability/2026-03"


@pytest.fixture
def servers(pg_url: str, tmp_path: Path) -> Iterator[list[tuple[str, subprocess.Popen[str]]]]:
    assert run(pg_url, "events").returncode == 0  # the tables, before the servers
    started: list[tuple[str, subprocess.Popen[str]]] = []
    env = {**os.environ, "SLA_LEDGER_DATABASE_URL": pg_url, "SLA_LEDGER_POLL_SECONDS": "0.1"}
    try:
        for n in range(3):
            port = free_port()
            with (tmp_path / f"server-{n}.log").open("w") as log:
                process = subprocess.Popen(
                    [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
                    env=env, stdout=subprocess.DEVNULL, stderr=log, text=True,
                )  # fmt: skip
            started.append((f"http://127.0.0.1:{port}", process))
        for url, process in started:
            wait_until_ready(url, process)
        yield started
    finally:
        for _, process in started:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                process.wait(timeout=30)


def followers(urls: list[str], operator: dict[str, str]) -> list[str] | None:
    """The servers that say they follow (readiness details need an operator's key)."""
    ready = [httpx.get(f"{url}/readyz", headers=operator, timeout=5).json() for url in urls]
    return [url for url, answer in zip(urls, ready, strict=True) if answer["follows"]] or None


def without_times(answer: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v
        for k, v in answer.items()
        if k not in ("query_time", "as_of", "as_of_position", "receipt")
    }


def test_one_follower_at_a_time_handed_over_when_it_dies(
    servers: list[tuple[str, subprocess.Popen[str]]], pg_url: str
) -> None:
    operator = {"Authorization": f"Bearer {key(pg_url, '--role', 'operator')}"}
    auditor = {"Authorization": f"Bearer {key(pg_url, '--role', 'auditor')}"}
    urls = [url for url, _ in servers]
    [leader] = wait_for("one follower", lambda: followers(urls, operator))

    def write(url: str, *facts: Any) -> None:
        answer = httpx.post(f"{url}/events", content=ndjson(*facts), headers=operator, timeout=30)
        assert answer.status_code == 201, answer.text

    write(urls[0], signed("acme"))
    write(urls[1], outage("o-1", "2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z"))
    write(urls[2], outage("o-2", "2026-03-03T10:00:00Z", "2026-03-03T10:30:00Z"))
    for url in urls:  # every process reads its own and the others' writes
        month = httpx.get(f"{url}{MONTH}", headers=auditor, timeout=30).json()
        assert month["unavailable_seconds"] == 5400, month

    dead = dict(servers)[leader]
    dead.kill()
    dead.wait(timeout=30)
    alive = [url for url in urls if url != leader]
    write(alive[0], outage("o-3", "2026-03-04T10:00:00Z", "2026-03-04T12:00:00Z"))
    [successor] = wait_for("a new follower", lambda: followers(alive, operator))
    assert successor in alive

    def caught_up() -> bool | None:
        answer = httpx.get(f"{successor}/readyz", headers=operator, timeout=5).json()
        lag = answer["projection_lag_events"]
        return True if lag == 0 else None

    wait_for("the new follower catches up, without a read asking it to", caught_up)
    before = [
        without_times(httpx.get(f"{u}{MONTH}", headers=auditor, timeout=30).json()) for u in alive
    ]
    assert before[0] == before[1] and before[0]["unavailable_seconds"] == 5400 + 7200
    rebuilt = run(pg_url, "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    after = without_times(httpx.get(f"{alive[1]}{MONTH}", headers=auditor, timeout=30).json())
    assert after == before[0]


def test_serve_with_workers_answers_and_one_worker_holds_the_follower_lock(
    pg_url: str, tmp_path: Path
) -> None:
    assert run(pg_url, "events").returncode == 0
    operator = {"Authorization": f"Bearer {key(pg_url, '--role', 'operator')}"}
    port = free_port()
    with (tmp_path / "server.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "--database-url", pg_url, "serve", "--port",
             str(port), "--workers", "2"],
            stdout=subprocess.DEVNULL, stderr=log, text=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url, process)
        for n in range(4):  # spread over the workers
            facts = ndjson(signed(f"a{n}"))
            answer = httpx.post(f"{url}/events", content=facts, headers=operator, timeout=30)
            assert answer.status_code == 201, answer.text
        location = StoreLocation.parse(pg_url)

        def one_lock() -> int | None:
            with psycopg.connect(location.connection_string()) as connection:
                row = connection.execute(
                    "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                    "WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database()"
                ).fetchone()
            return 1 if row is not None and row[0] == 1 else None

        wait_for("exactly one worker holding the follower lock", one_lock)
        assert "with 2 workers" in (tmp_path / "server.log").read_text()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
