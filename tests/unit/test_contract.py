"""The contract's rules, one per test: prior facts, one more, then its event or its error."""

from __future__ import annotations

import pytest

from ledger import events as ev
from ledger.errors import RuleViolation, UnknownReference
from tests.factories import amended, renewal, signed
from tests.given import given, when

TERMINATED = {"type": "contract.terminated", "account_id": "acme", "at": "2026-07-01T00:00:00Z"}
EUR_FEE = {
    "template": "lifesize-extreme",
    "credits": {"monthly_fee": {"amount": "1000.00", "currency": "EUR"}},
}


def test_an_amendment_is_recorded_with_the_expanded_terms() -> None:
    event = when(given(signed("acme")), amended("acme", "2026-03-01T00:00:00Z", **EUR_FEE))
    assert isinstance(event, ev.ContractAmended)
    assert event.effective_from == "2026-03-01T00:00:00+00:00"
    assert event.terms["availability"]["target_percent"] == "99.9"  # the template, expanded
    assert event.terms["credits"]["monthly_fee"] == {"amount": "1000.00", "currency": "EUR"}


def test_an_account_is_signed_once() -> None:
    with pytest.raises(RuleViolation, match="already has a contract") as refused:
        when(given(signed("acme")), signed("acme", effective_from="2026-02-01T00:00:00Z"))
    assert refused.value.field == "account_id"


def test_an_unknown_account_cannot_be_amended() -> None:
    with pytest.raises(UnknownReference, match="unknown account 'acme'"):
        when(given(), amended("acme", "2026-03-01T00:00:00Z", template="lifesize-extreme"))


def test_an_amendment_cannot_take_effect_before_the_contract() -> None:
    with pytest.raises(RuleViolation, match="cannot take effect before it") as refused:
        when(given(signed("acme")), amended("acme", "2025-12-01T00:00:00Z", **EUR_FEE))
    assert refused.value.field == "effective_from"


def test_an_amendment_cannot_take_effect_after_the_end() -> None:
    with pytest.raises(RuleViolation, match="the contract ended at 2026-07-01T00:00:00Z"):
        when(given(signed("acme"), TERMINATED), amended("acme", "2026-08-01T00:00:00Z", **EUR_FEE))


def test_an_amendment_cannot_change_the_time_zone() -> None:
    moved = {"template": "lifesize-extreme", "timezone": "Europe/Amsterdam"}
    with pytest.raises(RuleViolation, match="cannot change by amendment") as refused:
        when(given(signed("acme")), amended("acme", "2026-03-01T00:00:00Z", **moved))
    assert refused.value.field == "terms.timezone"


def test_a_contract_ends_once() -> None:
    later = {**TERMINATED, "at": "2026-09-01T00:00:00Z"}
    with pytest.raises(RuleViolation, match="already terminated at 2026-07-01T00:00:00Z"):
        when(given(signed("acme"), TERMINATED), later)


def test_a_contract_cannot_end_before_it_takes_effect() -> None:
    early = {**TERMINATED, "at": "2025-12-31T00:00:00Z"}
    with pytest.raises(RuleViolation, match="cannot end before it takes effect"):
        when(given(signed("acme")), early)


def test_a_contract_cannot_end_before_an_amendment_takes_effect() -> None:
    prior = given(signed("acme"), amended("acme", "2026-08-01T00:00:00Z", **EUR_FEE))
    with pytest.raises(RuleViolation, match="an amendment takes effect at or after this end"):
        when(prior, TERMINATED)


def test_a_renewal_without_a_term_closes_the_nearest_term() -> None:
    event = when(given(signed("acme", **EUR_FEE)), renewal("acme", "2027-01-03T09:00:00Z", "0"))
    assert isinstance(event, ev.RenewalCompleted) and event.term == 1


def test_a_term_is_renewed_once() -> None:
    prior = given(signed("acme", **EUR_FEE), renewal("acme", "2027-01-03T09:00:00Z", "10", term=1))
    with pytest.raises(RuleViolation, match="term 1 was already renewed") as refused:
        when(prior, renewal("acme", "2027-01-04T09:00:00Z", "10", term=1))
    assert refused.value.field == "term"


def test_a_renewal_cannot_close_a_term_that_has_not_begun() -> None:
    with pytest.raises(RuleViolation, match="term 2 starts at 2027-01-01T00:00:00Z"):
        when(given(signed("acme", **EUR_FEE)), renewal("acme", "2026-06-01T00:00:00Z", "0", term=2))


def test_a_renewal_bills_in_the_currency_of_its_terms_fee() -> None:
    with pytest.raises(RuleViolation, match="fee is in EUR, not USD") as refused:
        when(given(signed("acme", **EUR_FEE)), renewal("acme", "2027-01-03T09:00:00Z", "5", "USD"))
    assert refused.value.field == "credit_applied.currency"


def test_a_renewal_cannot_come_before_the_contract() -> None:
    with pytest.raises(RuleViolation, match="cannot come before the contract starts"):
        when(given(signed("acme", **EUR_FEE)), renewal("acme", "2025-06-01T00:00:00Z", "0"))
