"""PostgreSQL stopped and restarted under a running API (item 1): 503 JSON with Retry-After, never
500, and recovery without a restart of the server. Runs on a cluster the test starts itself."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.keys import KeyStore
from api.settings import Settings
from ledger.store.opening import open_ledger
from tests.factories import ndjson, outage_started, signed
from tests.pgcluster import ThrowawayPostgres

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def cluster() -> Iterator[ThrowawayPostgres]:
    postgres = ThrowawayPostgres()
    try:
        yield postgres
    finally:
        postgres.destroy()


@pytest.fixture
def client(cluster: ThrowawayPostgres) -> Iterator[tuple[TestClient, dict[str, str]]]:
    ledger = open_ledger(cluster.url)
    secret = KeyStore(ledger.datastore).create("operator")[1]
    ledger.close()
    settings = Settings(database_url=cluster.url, follow=False, connect_timeout=1.0)
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client, {"Authorization": f"Bearer {secret}"}


def wait_ready(client: TestClient, headers: dict[str, str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if client.get("/readyz", headers=headers).status_code == 200:
            return
        time.sleep(0.2)
    raise AssertionError("the API did not recover within 60 s of PostgreSQL coming back")


def assert_unavailable(answer: object) -> None:
    status = getattr(answer, "status_code", None)
    text = getattr(answer, "text", "")
    assert status == 503, text
    assert answer.headers["content-type"] == "application/json"  # type: ignore[attr-defined]
    assert answer.headers["retry-after"].isdigit()  # type: ignore[attr-defined]
    assert answer.json()["error"] == "unavailable"  # type: ignore[attr-defined]


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_a_stopped_postgres_is_503_with_retry_after_and_recovery_is_automatic(
    cluster: ThrowawayPostgres, client: tuple[TestClient, dict[str, str]], mode: str
) -> None:
    http, headers = client
    ndjson_headers = {**headers, "Content-Type": "application/x-ndjson"}
    assert http.post(
        "/events", content=ndjson(signed(f"acme-{mode}")), headers=ndjson_headers
    ).is_success
    cluster.stop(mode)
    try:
        assert_unavailable(http.get("/readyz"))
        assert_unavailable(http.get("/events", headers=headers))
        fact = ndjson(outage_started(f"o-{mode}", "2026-04-05T12:00:00Z"))
        assert_unavailable(http.post("/events", content=fact, headers=ndjson_headers))
        assert_unavailable(
            http.post("/events", content=fact, headers={**ndjson_headers, "Idempotency-Key": mode})
        )
    finally:
        cluster.start()
    wait_ready(http, headers)
    retried = http.post(
        "/events", content=fact, headers={**ndjson_headers, "Idempotency-Key": mode}
    )
    assert retried.status_code == 201, retried.text
