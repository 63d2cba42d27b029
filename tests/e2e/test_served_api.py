"""`sla-ledger serve` as deployed: a real uvicorn process on a real port, keys made with the CLI,
writes and reads over HTTP, the background follower keeping the read models current, and a
clean shutdown."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from api.version import VERSION
from tests.e2e.test_cli_import import run
from tests.factories import ndjson, outage, outage_started, signed


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Served:
    base_url: str
    database_url: str
    process: subprocess.Popen[str]


@contextlib.contextmanager
def serving(database_url: str) -> Iterator[Served]:
    assert run(database_url, "keys", "list").returncode == 0  # creates the store before the server
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
        env={**os.environ, "SLA_LEDGER_DATABASE_URL": database_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base_url, process)
        yield Served(base_url, database_url, process)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)


@pytest.fixture
def served(database_url: str) -> Iterator[Served]:
    with serving(database_url) as server:
        yield server


@pytest.fixture(params=["sqlite", pytest.param("own-postgres", marks=pytest.mark.postgres)])
def served_for_races(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[Served]:
    """A served store on SQLite, or on a PostgreSQL cluster this test run started itself."""
    url = sqlite_url if request.param == "sqlite" else request.getfixturevalue("own_pg_url")
    with serving(url) as server:
        yield server


def wait_until_ready(base_url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise AssertionError(f"the server exited with {process.returncode}:\n{output}")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("the server did not become ready within 60 s")


def key(database_url: str, *options: str) -> str:
    created = run(database_url, "keys", "create", *options)
    assert created.returncode == 0, created.stderr
    return created.stdout.strip()


def test_write_and_read_over_http_then_shut_down_cleanly(served: Served) -> None:
    operator = {"Authorization": f"Bearer {key(served.database_url, '--role', 'operator')}"}
    customer = {"X-API-Key": key(served.database_url, "--role", "customer", "--account", "acme")}
    facts = ndjson(
        signed("acme", template="lifesize-extreme"),
        signed("beta", template="lifesize-extreme"),
        outage("o-1", "2026-03-10T10:00:00Z", "2026-03-10T11:00:00Z", accounts=["acme"]),
    )
    with httpx.Client(base_url=served.base_url, timeout=30) as client:
        written = client.post(
            "/events",
            content=facts,
            headers={**operator, "Content-Type": "application/x-ndjson", "Idempotency-Key": "k-1"},
        )
        assert written.status_code == 201, written.text
        assert written.json()["recorded"] == 4
        again = client.post(
            "/events",
            content=facts,
            headers={**operator, "Content-Type": "application/x-ndjson", "Idempotency-Key": "k-1"},
        )
        assert again.json() == written.json()  # the same answer, nothing appended twice

        # 1 - 3,600 / 2,678,400 s of March = 99.8655 % (rounded down): missed
        month = client.get("/accounts/acme/availability/2026-03", headers=customer)
        assert month.status_code == 200, month.text
        assert (month.json()["availability_percent"], month.json()["met"]) == ("99.8655", False)
        assert (
            client.get("/accounts/beta/availability/2026-03", headers=customer).status_code == 404
        )
        assert client.get("/accounts/acme/availability/2026-03").status_code == 401

    served.process.send_signal(signal.SIGINT)
    assert served.process.wait(timeout=30) == 0
    output = served.process.stdout.read() if served.process.stdout else ""
    assert output.splitlines()[0].startswith(f"sla-ledger {VERSION} serving http://127.0.0.1:")
    assert output.splitlines()[-1] == "sla-ledger stopped"
    events = run(served.database_url, "events", "--json")
    assert events.stdout.count('"position"') == 4


RACERS = 8
ROUNDS = 10


def race(client: httpx.Client, operator: dict[str, str], round_: int) -> list[httpx.Response]:
    """RACERS requests at once with one Idempotency-Key: half the same body, half different."""
    answers: list[httpx.Response] = []
    gate = threading.Barrier(RACERS)

    def send(racer: int) -> None:
        outage = f"o-{round_}-{'same' if racer % 2 == 0 else racer}"
        body = ndjson(outage_started(outage, "2026-04-05T12:00:00Z"))
        gate.wait(timeout=30)
        headers = {**operator, "Idempotency-Key": f"round-{round_}"}
        answers.append(client.post("/events", content=body, headers=headers))

    threads = [threading.Thread(target=send, args=(n,)) for n in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def test_requests_racing_with_one_idempotency_key_record_once(served_for_races: Served) -> None:
    served = served_for_races
    operator = {"Authorization": f"Bearer {key(served.database_url, '--role', 'operator')}"}
    with httpx.Client(base_url=served.base_url, timeout=60) as client:
        assert client.post("/events", content=ndjson(signed("acme")), headers=operator).is_success
        for round_ in range(ROUNDS):
            answers = race(client, operator, round_)
            assert len(answers) == RACERS
            assert all(a.status_code in (200, 201, 409) for a in answers), [
                (a.status_code, a.text) for a in answers
            ]
            successes = {a.text for a in answers if a.is_success}
            assert len(successes) == 1  # the one answer, returned to every same-body request
        listed = client.get("/events", params={"limit": 1000}, headers=operator)
    assert len(listed.json()["events"]) == 1 + ROUNDS  # the contract, one outage per round
