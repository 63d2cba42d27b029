"""Receipts: every JSON report is signed; any altered field, another ledger's report, or a
tampered log is refused; a receipt from before a late correction still verifies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from api.bootstrap import Services, open_services
from api.receipts import check_report, receipted
from api.settings import Settings
from ledger.errors import InvalidQuery
from ledger.store.keyfile import KeyFileError, load_signer
from ledger.timevalues import Month
from tests.factories import corrected, outage, record, signed

RECEIPT_FIELDS = [
    "ledger_id", "report", "query", "as_of_position", "recorded_at", "query_time",
    "chain_hash", "evidence_digest", "body_digest", "versions", "key_id", "signature",
]  # fmt: skip


@pytest.fixture
def services(database_url: str) -> Iterator[Services]:
    opened = open_services(Settings(database_url=database_url))
    try:
        record(opened.ledger, signed("acme"))
        record(opened.ledger, outage("o-1", "2026-04-05T12:00:00Z", "2026-04-05T12:45:00Z"))
        yield opened
    finally:
        opened.close()


def april(services: Services, as_of: datetime | None = None) -> dict[str, Any]:
    report = services.reports.availability("acme", Month(2026, 4), as_of)
    query = {"account_id": "acme", "month": "2026-04", "as_of": None}
    return receipted(services, report, "availability", query).model_dump(mode="json")


def key_of(services: Services) -> str:
    assert services.ledger.signer is not None
    return services.ledger.signer.public_key


def test_a_report_verifies_offline_and_against_the_ledger(services: Services) -> None:
    document = april(services)
    assert document["receipt"]["as_of_position"] == 3
    assert document["receipt"]["versions"]["tzdata"] == "2025.2"
    assert check_report(document, key_of(services)).valid
    against = check_report(document, key_of(services), services)
    assert (against.valid, against.checked_against_ledger) == (True, True)


def test_an_altered_report_field_is_named(services: Services) -> None:
    document = april(services)
    document["unavailable_seconds"] = 600
    assert not check_report(document, key_of(services)).valid  # offline: the body digest
    found = check_report(document, key_of(services), services)
    assert found.problems == [
        "unavailable_seconds: differs from the report recomputed as of position 3"
    ]


@pytest.mark.parametrize("field", RECEIPT_FIELDS)
def test_every_altered_receipt_field_is_refused(services: Services, field: str) -> None:
    document = april(services)
    receipt = document["receipt"]
    value = receipt[field]
    receipt[field] = (
        value + 1 if isinstance(value, int) else {"x": "y"} if isinstance(value, dict)
        else "2026-01-01T00:00:00Z" if field.endswith(("_at", "_time")) else "f" * len(value)
    )  # fmt: skip
    assert not check_report(document, key_of(services)).valid
    found = check_report(document, key_of(services), services)
    assert not found.valid and found.problems, field


def test_a_report_from_another_ledger_is_refused(
    services: Services, tmp_path: Path, database_url: str
) -> None:
    document = april(services)
    url = f"sqlite:///{tmp_path / 'other.db'}"
    other = open_services(Settings(database_url=url, signing_key_file=str(tmp_path / "k")))
    try:
        found = check_report(document, key_of(other), other)
    finally:
        other.close()
    assert not found.valid
    assert "receipt" in found.problems[0]


def test_a_receipt_from_before_a_late_correction_still_verifies(services: Services) -> None:
    before = april(services)
    time.sleep(0.01)
    record(services.ledger, corrected("o-1", "2026-04-05T11:00:00Z", "2026-04-05T12:45:00Z"))
    after = april(services)
    assert after["unavailable_seconds"] == 6_300 != before["unavailable_seconds"] == 2_700
    assert check_report(before, key_of(services), services).valid
    assert check_report(after, key_of(services), services).valid


def test_a_receipt_that_is_not_one_is_refused_naming_the_field(services: Services) -> None:
    document = april(services)
    del document["receipt"]["chain_hash"]
    with pytest.raises(InvalidQuery, match=r"receipt\.chain_hash"):
        check_report(document, key_of(services))


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "signing.key"
    load_signer(path)
    assert path.stat().st_mode & 0o777 == 0o600
    path.chmod(0o644)
    with pytest.raises(KeyFileError, match="can be read by others"):
        load_signer(path)
    path.chmod(0o600)
    path.write_text("not a key")
    with pytest.raises(KeyFileError, match="cannot read the signing key file"):
        load_signer(path)


def test_the_cli_signs_json_reports_and_checks_them(tmp_path: Path) -> None:
    env = {**os.environ, "SLA_LEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    run = [sys.executable, "-m", "api.cli"]
    facts = tmp_path / "facts.ndjson"
    facts.write_text(
        json.dumps(signed("acme")) + "\n"
        + "\n".join(json.dumps(f) for f in outage("o-1", "2026-04-05T12:00:00Z",
                                                   "2026-04-05T12:45:00Z")) + "\n"
    )  # fmt: skip
    subprocess.run([*run, "import", str(facts)], env=env, check=True, capture_output=True)
    shown = subprocess.run(
        [*run, "availability", "--account", "acme", "--month", "2026-04", "--json"],
        env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    report = tmp_path / "april.json"
    report.write_text(shown.stdout)
    checked = subprocess.run(
        [*run, "verify-report", str(report)], env=env, capture_output=True, check=False
    )
    assert checked.returncode == 0, checked.stdout
    altered = json.loads(shown.stdout) | {"met": True}
    report.write_text(json.dumps(altered))
    refused = subprocess.run(
        [*run, "verify-report", str(report)], env=env, capture_output=True, text=True, check=False
    )
    assert refused.returncode == 5 and "met: differs" in refused.stdout
