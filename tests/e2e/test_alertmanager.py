"""A real Alertmanager notifies a served ledger: an alert posted to Alertmanager's API becomes an
outage, its resolution the outage's end; after a restart nothing is recorded twice."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from tests.e2e import test_served_api
from tests.e2e.monitoring import program, ready, start, stop, wait_for
from tests.e2e.test_cli_import import run
from tests.e2e.test_served_api import Served, free_port, key
from tests.factories import ndjson, signed

served = test_served_api.served  # the fixture: `sla-ledger serve` on a loopback port


def alertmanager_config(ledger_url: str, token: str) -> str:
    receiver = {
        "name": "sla-ledger",
        "webhook_configs": [{
            "url": f"{ledger_url}/integrations/alertmanager", "send_resolved": True,
            "http_config": {"authorization": {"type": "Bearer", "credentials": token}},
        }],
    }  # fmt: skip
    route = {
        "receiver": "sla-ledger", "group_by": ["sla_accounts"], "group_wait": "1s",
        "group_interval": "1s", "repeat_interval": "1h",
    }  # fmt: skip
    return json.dumps({"route": route, "receivers": [receiver]})  # YAML is a superset of JSON


class Alertmanager:
    def __init__(self, tmp: Path, config: str) -> None:
        self.tmp = tmp
        (tmp / "alertmanager.yml").write_text(config)
        self.url = f"http://127.0.0.1:{free_port()}"
        self.binary = program("alertmanager", "prometheus-alertmanager")
        self.start()

    def start(self) -> None:
        log = self.tmp / "alertmanager.log"
        self.process = start(
            [
                self.binary, f"--config.file={self.tmp / 'alertmanager.yml'}",
                f"--storage.path={self.tmp / 'data'}",
                f"--web.listen-address={self.url.removeprefix('http://')}",
                "--cluster.listen-address=",
            ],
            log,
        )  # fmt: skip
        ready(f"{self.url}/-/ready", self.process, log)

    def post(self, *alerts: dict[str, Any]) -> None:
        answer = httpx.post(f"{self.url}/api/v2/alerts", json=list(alerts), timeout=10)
        assert answer.status_code == 200, answer.text


def ledger_events(ledger: Served, auditor: str) -> list[dict[str, Any]]:
    answer = httpx.get(
        f"{ledger.base_url}/events", headers={"Authorization": f"Bearer {auditor}"}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    events: list[dict[str, Any]] = answer.json()["events"]
    return events


def test_alerts_from_a_real_alertmanager_become_outages_once(
    served: Served,
    tmp_path: Path,
) -> None:
    assert run(served.database_url, "import", "-", stdin=ndjson(signed("acme"))).returncode == 0
    ingest = key(served.database_url, "--role", "ingest")
    auditor = key(served.database_url, "--role", "auditor")
    manager = Alertmanager(tmp_path, alertmanager_config(served.base_url, ingest))
    try:
        starts = (datetime.now(UTC) - timedelta(minutes=5)).replace(microsecond=0)
        labels = {"alertname": "LoginDown", "sla_accounts": "acme"}
        firing = {"labels": labels, "startsAt": starts.isoformat()}
        manager.post(firing)

        def outage_events(count: int) -> list[dict[str, Any]] | None:
            found = [e for e in ledger_events(served, auditor) if e["type"].startswith("outage.")]
            return found if len(found) >= count else None

        [started] = wait_for("the outage in the ledger", lambda: outage_events(1))
        outage_id = started["payload"]["outage_id"]
        assert outage_id.startswith("am-")
        assert outage_id.endswith(starts.strftime("-%Y%m%dT%H%M%SZ"))
        assert started["payload"]["accounts"] == ["acme"]

        ends = datetime.now(UTC).replace(microsecond=0)
        resolved = {**firing, "endsAt": ends.isoformat()}
        manager.post(resolved)
        [_, ended] = wait_for("the outage's end", lambda: outage_events(2))
        assert (ended["type"], ended["payload"]["outage_id"]) == ("outage.ended", outage_id)

        # Restart Alertmanager; the same alert sent again (as Prometheus resends) and a marker
        # alert of the same group: once the marker is in, the group's notification has been
        # delivered, and the first outage is still recorded once.
        stop(manager.process)
        manager.start()
        marker = {"labels": {**labels, "alertname": "Marker"}, "startsAt": starts.isoformat()}
        manager.post(resolved, marker)
        every = wait_for("the marker", lambda: outage_events(3))
        types = [(e["type"], e["payload"]["outage_id"] == outage_id) for e in every]
        assert types == [
            ("outage.started", True),
            ("outage.ended", True),
            ("outage.started", False),
        ]
    finally:
        stop(manager.process)
