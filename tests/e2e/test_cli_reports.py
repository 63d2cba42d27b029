"""The read commands run as a user runs them: a worked month, a ticket over King's Day, credits,
a correction seen as of before and after, a what-if, and the errors a user can make.

Hand-computed figures (acme, lifesize-extreme, UTC; fee 1000.00 EUR; 10 % below 99.9 %):
- March 2026 has 31 x 86,400 = 2,678,400 s. Outage o-1 10:00-11:00Z is 3,600 s; the 4-minute
  blip is under the 5-minute threshold. 1 - 3,600 / 2,678,400 = 0.9986559... -> 99.8655 % (shown
  rounded down): missed, so March earns 10 % = 100.00 EUR.
- Corrected to 10:00-10:30Z: 1,800 s, 1 - 1,800 / 2,678,400 = 0.9993279... -> 99.9327 %: met,
  no credit. Under a 99.95 % target with 5 % below it the same month would earn 50.00 EUR.
- Ticket T-1 (studio, vivition-business, high: 4 business hours, Dutch working days 09:00-17:00)
  opens Friday 24 April 15:00 CEST: 2 h on Friday, Monday 27 April is King's Day (closed), 1.5 h
  on Tuesday until it is resolved at 10:30: 12,600 s of 14,400 used - met.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.e2e.test_cli_import import run, write
from tests.factories import corrected, ndjson, outage, signed, ticket_opened, ticket_step

TIERS = [{"below_percent": "99.9", "credit_percent": "10"}]
FEE = {"amount": "1000.00", "currency": "EUR"}
STRICTER = {
    "template": "lifesize-extreme",
    "availability": {"target_percent": "99.95"},
    "credits": {
        "monthly_fee": FEE,
        "availability_tiers": [{"below_percent": "99.95", "credit_percent": "5"}],
    },
}


def seed(database_url: str, tmp_path: Path) -> None:
    facts = ndjson(
        signed(
            "acme",
            template="lifesize-extreme",
            credits={"monthly_fee": FEE, "availability_tiers": TIERS},
        ),
        signed("studio", "2026-01-01T00:00:00+01:00", template="vivition-business"),
        outage("o-1", "2026-03-10T10:00:00Z", "2026-03-10T11:00:00Z", accounts=["acme"]),
        outage("blip", "2026-03-20T00:00:00Z", "2026-03-20T00:04:00Z", accounts=["acme"]),
        ticket_opened("T-1", "2026-04-24T15:00:00+02:00", account="studio"),
        ticket_step("T-1", "resolved", "2026-04-28T10:30:00+02:00"),
    )
    result = run(database_url, "import", write(tmp_path, "year.ndjson", facts))
    assert result.returncode == 0, result.stderr


def as_json(database_url: str, *args: str) -> Any:
    result = run(database_url, *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_missed_month_its_breach_and_its_credit(database_url: str, tmp_path: Path) -> None:
    seed(database_url, tmp_path)

    month = as_json(database_url, "availability", "--account", "acme", "--month", "2026-03")
    assert (month["period_seconds"], month["unavailable_seconds"], month["ignored_seconds"]) == (
        2_678_400,
        3_600,
        240,
    )
    assert (month["availability_percent"], month["met"]) == ("99.8655", False)

    text = run(database_url, "availability", "--account", "acme", "--month", "2026-03").stdout
    assert "availability 99.8655 %, target 99.9 % - MISSED" in text
    assert "evidence: 5 events" in text

    breaches = as_json(database_url, "breaches", "--month", "2026-03")["breaches"]
    assert [(b["account_id"], b["availability_percent"]) for b in breaches] == [("acme", "99.8655")]
    assert as_json(database_url, "breaches", "--month", "2026-04")["breaches"] == []

    statement = as_json(database_url, "credits", "--account", "acme", "--term", "1")
    march = next(m for m in statement["months"] if m["month"] == "2026-03")
    assert (march["credit_percent"], march["amount"], statement["total"]) == (
        "10.0000",
        "100.00",
        "100.00",
    )


def test_a_ticket_across_kings_day(database_url: str, tmp_path: Path) -> None:
    seed(database_url, tmp_path)

    ticket = as_json(database_url, "ticket", "T-1")
    assert (ticket["state"], ticket["target_seconds"], ticket["business_seconds_used"]) == (
        "met",
        14_400,
        12_600,
    )
    assert ticket["met_at"] == "2026-04-28T08:30:00Z"

    month = as_json(database_url, "tickets", "--account", "studio", "--month", "2026-04")
    assert [
        (p["priority"], p["opened"], p["met"], p["breached"]) for p in month["by_priority"]
    ] == [("high", 1, 1, 0)]


def test_a_correction_as_of_before_and_after_and_the_diff(
    database_url: str, tmp_path: Path
) -> None:
    seed(database_url, tmp_path)
    before = datetime.now(UTC).isoformat()
    time.sleep(0.02)
    fixed = run(
        database_url,
        "import",
        "-",
        stdin=ndjson(corrected("o-1", "2026-03-10T10:00:00Z", "2026-03-10T10:30:00Z")),
    )
    assert fixed.returncode == 0, fixed.stderr
    time.sleep(0.02)
    after = datetime.now(UTC).isoformat()

    def march(*as_of: str) -> tuple[str, bool]:
        found = as_json(
            database_url, "availability", "--account", "acme", "--month", "2026-03", *as_of
        )
        return found["availability_percent"], found["met"]

    assert march("--as-of", before) == ("99.8655", False)
    assert march() == ("99.9327", True)

    diff = as_json(
        database_url,
        "diff",
        "--account",
        "acme",
        "--month",
        "2026-03",
        "--as-of",
        before,
        "--vs",
        after,
    )
    assert (diff["old"]["amount"], diff["new"]["amount"]) == ("100.00", "0.00")
    assert [event["type"] for event in diff["changed_by"]] == ["outage.corrected"]
    assert as_json(database_url, "credits", "--account", "acme", "--term", "1")["total"] == "0.00"


def test_a_what_if_under_stricter_terms_appends_nothing(database_url: str, tmp_path: Path) -> None:
    seed(database_url, tmp_path)
    run(
        database_url,
        "import",
        "-",
        stdin=ndjson(corrected("o-1", "2026-03-10T10:00:00Z", "2026-03-10T10:30:00Z")),
    )
    terms = write(tmp_path, "stricter.json", json.dumps(STRICTER))

    replay = as_json(
        database_url,
        "replay",
        "--terms",
        terms,
        "--from",
        "2026-03",
        "--to",
        "2026-03",
        "--account",
        "acme",
    )
    (month,) = replay["months"]
    assert (month["old"]["met"], month["new"]["met"], month["new"]["amount"]) == (
        True,
        False,
        "50.00",
    )
    assert replay["totals"]["EUR"] == {"old": "0.00", "new": "50.00", "difference": "50.00"}
    events = as_json(database_url, "events")
    assert len(events) == 9  # nothing was appended by the what-if
    before_the_correction = events[-2]["recorded_at"]
    past = as_json(
        database_url,
        "replay",
        "--terms",
        terms,
        "--from",
        "2026-03",
        "--to",
        "2026-03",
        "--account",
        "acme",
        "--as-of",
        before_the_correction,
    )
    assert past["as_of_position"] == 8


def test_mistakes_are_usage_errors_and_unknowns_are_not_found(
    database_url: str, tmp_path: Path
) -> None:
    seed(database_url, tmp_path)
    bad_month = run(database_url, "availability", "--account", "acme", "--month", "2026-13")
    assert bad_month.returncode == 2
    assert "--month" in bad_month.stderr and "YYYY-MM" in bad_month.stderr

    naive = run(
        database_url,
        "availability",
        "--account",
        "acme",
        "--month",
        "2026-03",
        "--as-of",
        "2026-04-01T00:00:00",
    )
    assert naive.returncode == 2
    assert "no UTC offset" in naive.stderr

    unknown = run(database_url, "ticket", "T-404")
    assert unknown.returncode == 4
    assert "T-404" in unknown.stderr
