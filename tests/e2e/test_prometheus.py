"""A real Prometheus scrapes a served ledger's /metrics; its HTTP API answers the series."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from tests.e2e import test_served_api
from tests.e2e.monitoring import program, ready, start, stop, wait_for
from tests.e2e.test_served_api import Served, free_port, key
from tests.factories import ndjson, outage, signed

served = test_served_api.served  # the fixture: `sla-ledger serve` on a loopback port


def test_prometheus_scrapes_lag_and_facts_recorded(served: Served, tmp_path: Path) -> None:
    operator = {"Authorization": f"Bearer {key(served.database_url, '--role', 'operator')}"}
    auditor = key(served.database_url, "--role", "auditor")
    facts = ndjson(signed("acme"), outage("o-1", "2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z"))
    written = httpx.post(f"{served.base_url}/events", content=facts, headers=operator, timeout=30)
    assert written.status_code == 201, written.text

    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [{
            "job_name": "sla-ledger", "metrics_path": "/metrics",
            "authorization": {"type": "Bearer", "credentials": auditor},
            "static_configs": [{"targets": [served.base_url.removeprefix("http://")]}],
        }],
    }  # fmt: skip
    (tmp_path / "prometheus.yml").write_text(json.dumps(config))
    url = f"http://127.0.0.1:{free_port()}"
    log = tmp_path / "prometheus.log"
    process = start(
        [
            program("prometheus"), f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address={url.removeprefix('http://')}",
        ],
        log,
    )  # fmt: skip
    try:
        ready(f"{url}/-/ready", process, log)

        def series(query: str) -> list[dict[str, Any]] | None:
            answer = httpx.get(f"{url}/api/v1/query", params={"query": query}, timeout=10)
            assert answer.status_code == 200, answer.text
            result: list[dict[str, Any]] = answer.json()["data"]["result"]
            return result or None

        recorded = wait_for("facts recorded in Prometheus", lambda: series(
            'sla_ledger_facts_recorded_total{job="sla-ledger"}'
        ))  # fmt: skip
        by_type = {item["metric"]["type"]: item["value"][1] for item in recorded}
        assert by_type == {"contract.signed": "1", "outage.started": "1", "outage.ended": "1"}
        lag = wait_for(
            "the lag in Prometheus", lambda: series("sla_ledger_read_model_lag_positions")
        )
        assert {item["metric"]["read_model"] for item in lag} == {
            "availability",
            "tickets",
            "credits",
        }
        assert wait_for("lag seconds", lambda: series("sla_ledger_read_model_lag_seconds"))
        up = series('up{job="sla-ledger"}')
        assert up is not None and up[0]["value"][1] == "1"
    finally:
        stop(process)
