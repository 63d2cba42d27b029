"""Rule `warnings`: recorded facts that are probably not what was meant are named, never refused."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ledger.application import SlaLedger
from ledger.timevalues import Month
from projections.reports import Reports
from tests.factories import amended, record, renewal, services, signed

CREDITS: dict[str, Any] = {
    "monthly_fee": {"amount": "1000.00", "currency": "EUR"},
    "availability_tiers": [{"below_percent": "99.9", "credit_percent": "10"}],
}
# Availability credits need an availability section to measure months against.
STUDIO: dict[str, Any] = {
    "template": "vivition-business",
    "availability": {"target_percent": "99.9"},
    "credits": CREDITS,
}


def warned(outcome: Any) -> list[tuple[int | None, str]]:
    return [(item.line, item.field) for item in outcome.warnings]


def test_a_signing_at_a_local_midnight_elsewhere_is_recorded_with_a_warning(
    ledger: SlaLedger,
) -> None:
    outcome = record(
        ledger,
        signed("acme", "2026-01-01T00:00:00+01:00"),  # 2025-12-31T23:00 in UTC
        signed("beta", "2026-01-01T00:00:00Z"),
        signed("delft", "2026-01-01T00:00:00+01:00", **STUDIO),  # midnight in Amsterdam
    )
    assert outcome.recorded == 3
    assert warned(outcome) == [(1, "effective_from")]
    assert "starts on 2025-12-31" in outcome.warnings[0].message


def test_an_amendment_dropping_commitments_is_recorded_with_warnings(ledger: SlaLedger) -> None:
    record(ledger, signed("delft", "2026-01-01T00:00:00+01:00", **STUDIO))
    keeps = record(ledger, amended("delft", "2026-02-01T00:00:00+01:00", availability={}))
    assert keeps.recorded == 1 and keeps.warnings == []
    drops = record(
        ledger,
        amended(
            "delft",
            "2026-03-01T00:00:00+01:00",
            credits={"availability_tiers": []},
            support={"priorities": {"high": {"targets": []}}},
        ),
        amended("delft", "2026-04-01T00:00:00+02:00", credits=None),
    )
    assert drops.recorded == 2
    assert warned(drops) == [
        (1, "terms.credits.availability_tiers"),
        (1, "terms.support.priorities.high"),
        (2, "terms.credits"),
    ]


def test_a_renewal_applying_credit_without_credit_terms_warns(ledger: SlaLedger) -> None:
    record(
        ledger,
        signed("acme"),
        signed("beta", **{"template": "lifesize-extreme", "credits": CREDITS}),
    )
    outcome = record(
        ledger,
        renewal("acme", "2027-01-03T09:00:00Z", "100.00", term=1),
        renewal("beta", "2027-01-03T09:00:00Z", "100.00", term=1),
    )
    assert outcome.recorded == 2 and warned(outcome) == [(1, "credit_applied.amount")]


def test_a_proposal_dropping_the_tiers_warns(ledger: SlaLedger) -> None:
    record(ledger, signed("acme", **{"template": "lifesize-extreme", "credits": CREDITS}))
    reports: Reports = services(ledger, clock=lambda: datetime(2027, 2, 1, tzinfo=UTC)).reports
    replay = reports.replay(
        {"credits": {"availability_tiers": []}}, Month(2026, 1), Month(2026, 12), "acme"
    )
    assert [(w.account_id, w.field) for w in replay.warnings] == [
        ("acme", "terms.credits.availability_tiers")
    ]
    kept = reports.replay(
        {"availability": {"target_percent": "99.95"}}, Month(2026, 1), Month(2026, 12), "acme"
    )
    assert kept.warnings == []
