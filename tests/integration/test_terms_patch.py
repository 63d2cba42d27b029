"""Rule `patch_terms`: amendments, PUTs after signing and what-if proposals patch the terms in
force; money never changes because a field was left out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ledger.application import SlaLedger
from ledger.timevalues import Month
from projections.reports import Reports
from tests.factories import amended, outage, record, services, signed

TIERS = [
    {"below_percent": "99.9", "credit_percent": "10"},
    {"below_percent": "99.0", "credit_percent": "25"},
]
TERMS: dict[str, Any] = {
    "template": "lifesize-extreme",
    "credits": {
        "monthly_fee": {"amount": "1000.00", "currency": "EUR"},
        "availability_tiers": TIERS,
    },
}
# March has 31 days = 2 678 400 s; one hour down is 99.8656 %: below 99.9, tier 10 % = 100.00.
MARCH_HOUR = outage("march", "2026-03-10T10:00:00Z", "2026-03-10T11:00:00Z")
STRICTER_TARGET = {"template": "lifesize-extreme", "availability": {"target_percent": "99.95"}}


def reports_of(ledger: SlaLedger) -> Reports:
    return services(ledger, clock=lambda: datetime(2027, 2, 1, tzinfo=UTC)).reports


def test_an_amendment_of_the_target_keeps_the_fee_and_the_tiers(ledger: SlaLedger) -> None:
    written_out = {**TERMS, "availability": {"target_percent": "99.95"}}
    record(ledger, signed("acme", **TERMS), signed("full", **written_out), MARCH_HOUR)
    record(ledger, amended("acme", "2026-02-01T00:00:00Z", **STRICTER_TARGET))
    reports = reports_of(ledger)
    patched, full = reports.credits("acme", term=1), reports.credits("full", term=1)
    march = next(m for m in patched.months if m.month == "2026-03")
    assert (march.target_percent, march.fee, march.amount) == ("99.95", "1000.000000", "100.00")
    assert patched.total == full.total == "100.00"


def test_null_removes_a_section_and_replace_writes_the_terms_whole(ledger: SlaLedger) -> None:
    record(ledger, signed("acme", **TERMS), signed("beta", **TERMS), MARCH_HOUR)
    record(
        ledger,
        amended("acme", "2026-02-01T00:00:00Z", credits=None),
        amended("beta", "2026-02-01T00:00:00Z", replace=True, template="lifesize-extreme"),
    )
    reports = reports_of(ledger)
    assert reports.credits("acme", term=1).total == "0.00"
    assert reports.credits("beta", term=1).total == "0.00"


def test_a_stricter_proposal_does_not_drop_the_credits(ledger: SlaLedger) -> None:
    record(ledger, signed("acme", **TERMS), MARCH_HOUR)
    replay = reports_of(ledger).replay(
        {"availability": {"target_percent": "99.95"}}, Month(2026, 1), Month(2026, 12), "acme"
    )
    assert replay.totals == {"EUR": {"old": "100.00", "new": "100.00", "difference": "0.00"}}


def test_a_put_after_signing_patches_and_a_retry_is_a_duplicate(ledger: SlaLedger) -> None:
    start = {"effective_from": "2026-01-01T00:00:00Z", "terms": TERMS}
    assert ledger.record_terms("acme", start).recorded == 1
    patch = {"effective_from": "2026-02-01T00:00:00Z", "terms": STRICTER_TARGET}
    assert ledger.record_terms("acme", patch).recorded == 1
    assert ledger.record_terms("acme", patch).duplicates == 1
    record(ledger, MARCH_HOUR)
    assert reports_of(ledger).credits("acme", term=1).total == "100.00"


def test_a_version_effective_half_a_second_into_the_month_governs_it(ledger: SlaLedger) -> None:
    """Rule `effective_instants`: effective instants are floored to the whole second."""
    record(
        ledger,
        signed("acme", **TERMS),
        amended("acme", "2026-04-01T00:00:00.5Z", availability={"target_percent": "99.95"}),
    )
    reports = reports_of(ledger)
    assert reports.availability("acme", Month(2026, 4)).target_percent == "99.95"
    assert reports.availability("acme", Month(2026, 3)).target_percent == "99.9"
    again = amended("acme", "2026-04-01T00:00:00.5Z", availability={"target_percent": "99.95"})
    assert (
        ledger.record_terms("acme", {k: again[k] for k in ("effective_from", "terms")}).duplicates
        == 1
    )


def test_a_proposal_for_every_account_patches_each_accounts_own_terms(ledger: SlaLedger) -> None:
    doubled = {
        **TERMS,
        "credits": {**TERMS["credits"], "monthly_fee": {"amount": "2000.00", "currency": "EUR"}},
    }
    record(ledger, signed("acme", **TERMS), signed("beta", **doubled), MARCH_HOUR)
    replay = reports_of(ledger).replay(
        {"availability": {"target_percent": "99.95"}},
        Month(2026, 1),
        Month(2026, 12),
        all_accounts=True,
    )
    totals = {t.account_id: (t.old_total, t.new_total) for t in replay.terms}
    assert totals == {"acme": ("100.00", "100.00"), "beta": ("200.00", "200.00")}
