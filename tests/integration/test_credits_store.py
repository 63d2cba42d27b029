"""Credits through the store: renewals, adjustments, amendments as of a past time, what-if, diff."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from ledger.application import SlaLedger
from ledger.errors import InvalidQuery, RejectedFacts
from ledger.timevalues import Month
from projections.reports import Reports
from tests.factories import amended, outage, record, renewal, services, signed

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
STRICTER: dict[str, Any] = {
    **TERMS,
    "availability": {"target_percent": "99.95"},
    "credits": {
        **TERMS["credits"],
        "availability_tiers": [{"below_percent": "99.95", "credit_percent": "5"}],
    },
}
LATER = datetime(2027, 2, 1, tzinfo=UTC)  # the queries' "now": term 1 (2026) is over


def service(ledger: SlaLedger) -> Reports:
    return services(ledger, clock=lambda: LATER).reports


def recorded_now() -> datetime:
    moment = datetime.now(UTC)
    time.sleep(0.01)
    return moment


def test_a_late_outage_after_renewal_produces_an_adjustment(ledger: SlaLedger) -> None:
    reports = service(ledger)
    record(
        ledger,
        signed("acme", **TERMS),
        outage("march", "2026-03-10T10:00:00Z", "2026-03-10T11:00:00Z"),
    )
    assert reports.credits("acme", term=1).total == "100.00"
    record(ledger, {**renewal("acme", "2027-01-03T09:00:00Z", "100.00", term=1), "event_id": "r-1"})
    assert reports.adjustments().adjustments == []
    renewed = reports.credits("acme", term=1)
    assert (renewed.renewal and renewed.renewal.amount, renewed.difference) == ("100.00", "0.00")
    # reported after the renewal: a June outage of 10 hours (98.6111 %: 25 %)
    record(ledger, outage("june", "2026-06-10T00:00:00Z", "2026-06-10T10:00:00Z"))
    statement = reports.credits("acme", term=1)
    assert (statement.total, statement.difference) == ("350.00", "250.00")
    assert statement.renewal is not None and statement.renewal.amount == "100.00"  # never rewritten
    (adjustment,) = reports.adjustments().adjustments
    assert (adjustment.applied, adjustment.owed_at_renewal, adjustment.owed_now) == (
        "100.00",
        "100.00",
        "350.00",
    )
    assert adjustment.difference == "250.00"
    assert [e.type for e in adjustment.changed_by] == ["outage.started", "outage.ended"]


def test_a_retroactive_amendment_changes_the_answer_and_as_of_keeps_the_old_one(
    ledger: SlaLedger,
) -> None:
    reports = service(ledger)
    record(
        ledger,
        signed("acme", **TERMS),
        outage("may", "2026-05-10T10:00:00Z", "2026-05-10T10:30:00Z"),
    )
    before = reports.credits("acme", term=1)
    assert before.total == "0.00"  # 1 800 s of May: 99.9328 %, met
    cut = recorded_now()
    # recorded later, effective from 1 April: the target becomes 99.95 % with a 5 % tier
    record(ledger, amended("acme", "2026-04-01T00:00:00Z", **STRICTER))
    after = reports.credits("acme", term=1)
    assert after.total == "50.00"
    may = next(m for m in after.months if m.month == "2026-05")
    assert (may.target_percent, may.met, may.credit_percent) == ("99.95", False, "5.0000")
    then = reports.credits("acme", term=1, as_of=cut)
    assert then.total == "0.00" and then.as_of == cut
    assert reports.availability("acme", Month(2026, 5), as_of=cut).met is True
    assert reports.availability("acme", Month(2026, 5)).met is False


def test_a_mid_year_amendment_governs_from_the_next_month(ledger: SlaLedger) -> None:
    reports = service(ledger)
    doubled = {
        **TERMS,
        "credits": {**TERMS["credits"], "monthly_fee": {"amount": "2000.00", "currency": "EUR"}},
    }
    record(
        ledger,
        signed("acme", **TERMS),
        amended("acme", "2026-06-15T00:00:00Z", **doubled),
        outage("june", "2026-06-20T00:00:00Z", "2026-06-20T01:00:00Z"),
        outage("july", "2026-07-20T00:00:00Z", "2026-07-20T01:00:00Z"),
    )
    months = {m.month: m for m in reports.credits("acme", term=1).months}
    assert (months["2026-06"].fee, months["2026-06"].amount) == ("1000.000000", "100.00")
    assert (months["2026-07"].fee, months["2026-07"].amount) == ("2000.000000", "200.00")


def test_a_what_if_replay_appends_nothing(ledger: SlaLedger) -> None:
    reports = service(ledger)
    record(
        ledger,
        signed("acme", **TERMS),
        signed("beta", **TERMS),
        outage("march", "2026-03-10T10:00:00Z", "2026-03-10T11:00:00Z"),
        outage("may", "2026-05-10T10:00:00Z", "2026-05-10T10:30:00Z", accounts=["acme"]),
    )
    stored = ledger.reader.head()
    proposed = STRICTER
    replay = reports.replay(proposed, Month(2026, 1), Month(2026, 12), "acme")
    assert ledger.reader.head() == stored  # nothing appended
    months = {m.month: m for m in replay.months}
    assert (months["2026-03"].old.amount, months["2026-03"].new.amount) == ("100.00", "50.00")
    assert (months["2026-05"].old.met, months["2026-05"].new.met) == (True, False)
    assert (months["2026-05"].old.amount, months["2026-05"].new.amount) == ("0.00", "50.00")
    assert replay.totals == {"EUR": {"old": "100.00", "new": "100.00", "difference": "0.00"}}
    everyone = reports.replay(proposed, Month(2026, 1), Month(2026, 12), all_accounts=True)
    assert everyone.accounts == ["acme", "beta"]
    assert everyone.totals["EUR"] == {"old": "200.00", "new": "150.00", "difference": "-50.00"}
    assert ledger.reader.head() == stored
    with pytest.raises(InvalidQuery, match="measure months in Europe/Amsterdam"):
        reports.replay(
            {**TERMS, "timezone": "Europe/Amsterdam"}, Month(2026, 1), Month(2026, 2), "acme"
        )


def test_diff_shows_what_changed_between_two_recorded_times_and_why(ledger: SlaLedger) -> None:
    reports = service(ledger)
    record(
        ledger,
        signed("acme", **TERMS),
        outage("o-1", "2026-04-05T12:00:00Z", "2026-04-05T12:40:00Z"),
    )
    first = recorded_now()
    record(ledger, outage("o-2", "2026-04-06T12:00:00Z", "2026-04-06T12:30:00Z"))
    second = recorded_now()
    found = reports.diff("acme", Month(2026, 4), first, second)
    assert (found.old.met, found.new.met) == (True, False)
    assert (found.old.amount, found.new.amount) == ("0.00", "100.00")
    assert found.changed == ["availability_percent", "met", "credit_percent", "amount"]
    assert [ref.type for ref in found.changed_by] == ["outage.started", "outage.ended"]
    assert found.as_of_position == 3 and found.vs_position == 5


def test_a_month_split_by_the_term_end_is_measured_whole_in_both_terms(ledger: SlaLedger) -> None:
    """Rule `partial_months`: the tier of the slice 1-15 July 2026 uses July's availability,
    including an outage on 20 July that falls in term 2 (2 h: 99.7311 %: 10 %)."""
    reports = services(ledger, clock=lambda: datetime(2026, 8, 2, tzinfo=UTC)).reports
    record(ledger, signed("acme", "2025-07-15T00:00:00Z", **TERMS))
    before_the_outage = recorded_now()
    record(ledger, outage("july", "2026-07-20T10:00:00Z", "2026-07-20T12:00:00Z"))
    last = reports.credits("acme", term=1).months[-1]
    first = reports.credits("acme", term=2).months[0]
    assert (last.month, last.seconds, last.availability_percent) == (
        "2026-07",
        14 * 86_400,
        "99.7311",
    )
    assert (first.month, first.seconds, first.availability_percent) == (
        "2026-07",
        17 * 86_400,
        "99.7311",
    )
    # 1 000 x 14/31 x 10 % = 45.16; 1 000 x 17/31 x 10 % = 54.84
    assert (last.amount, first.amount) == ("45.16", "54.84")
    # the diff of the month adds both slices: 1 000 x 31/31 x 10 %
    found = reports.diff("acme", Month(2026, 7), before_the_outage, recorded_now())
    assert (found.old.amount, found.new.amount) == ("0.00", "100.00")  # type: ignore[union-attr]
    assert [ref.type for ref in found.changed_by] == ["outage.started", "outage.ended"]


def test_a_renewal_into_dollars_bills_each_term_in_its_own_currency(ledger: SlaLedger) -> None:
    """Rule `slice_terms`: term 2 (from 15 July 2026) is billed in USD from its first day;
    term 1's renewal is settled in term 1's EUR; a term that has not begun cannot be renewed."""
    reports = services(ledger, clock=lambda: datetime(2026, 8, 2, tzinfo=UTC)).reports
    dollars = {
        **TERMS,
        "credits": {**TERMS["credits"], "monthly_fee": {"amount": "1200.00", "currency": "USD"}},
    }
    record(
        ledger,
        signed("acme", "2025-07-15T00:00:00Z", **TERMS),
        amended("acme", "2026-07-15T00:00:00Z", **dollars),
        outage("july", "2026-07-20T10:00:00Z", "2026-07-20T12:00:00Z"),  # 99.7311 %: 10 %
        renewal("acme", "2026-07-15T00:00:00Z", "45.16", term=1),
    )
    first, second = reports.credits("acme", term=1), reports.credits("acme", term=2)
    assert (first.currency, first.total, first.difference) == ("EUR", "45.16", "0.00")
    # 1 200 x 17/31 x 10 % = 65.81
    assert (second.currency, second.months[0].amount, second.total) == ("USD", "65.81", "65.81")
    with pytest.raises(RejectedFacts, match="term 3 starts at 2027-07-15T00:00:00Z"):
        record(ledger, renewal("acme", "2026-08-01T00:00:00Z", "0.00", "USD", term=3))
    with pytest.raises(RejectedFacts, match="term 2's fee is in USD, not EUR"):
        record(ledger, renewal("acme", "2026-08-01T00:00:00Z", "0.00", term=2))


def test_a_correction_moving_an_outage_out_of_the_month_is_named_as_the_change(
    ledger: SlaLedger,
) -> None:
    """Rule `changed_by`: April met again because o-2 was moved to May; the diff says why."""
    reports = service(ledger)
    record(
        ledger,
        signed("acme", **TERMS),
        outage("o-2", "2026-04-06T12:00:00Z", "2026-04-06T13:30:00Z"),  # 99.7917 %
    )
    first = recorded_now()
    moved = {
        "type": "outage.corrected",
        "outage_id": "o-2",
        "started_at": "2026-05-06T12:00:00Z",
        "ended_at": "2026-05-06T13:30:00Z",
    }
    record(ledger, moved)
    found = reports.diff("acme", Month(2026, 4), first, recorded_now())
    assert (found.old.met, found.new.met) == (False, True)  # type: ignore[union-attr]
    assert [ref.type for ref in found.changed_by] == ["outage.corrected"]


def test_a_what_if_replay_as_known_at_a_past_time(ledger: SlaLedger) -> None:
    reports = service(ledger)
    record(
        ledger,
        signed("acme", **TERMS),
        outage("march", "2026-03-10T10:00:00Z", "2026-03-10T11:00:00Z"),
    )
    then = recorded_now()
    record(ledger, outage("june", "2026-06-10T00:00:00Z", "2026-06-10T10:00:00Z"))
    for account in ("acme", None):
        every = account is None
        past = reports.replay(
            STRICTER, Month(2026, 1), Month(2026, 6), account, all_accounts=every, as_of=then
        )
        assert (past.as_of, past.as_of_position) == (then, 3)
        assert past.totals["EUR"] == {"old": "100.00", "new": "50.00", "difference": "-50.00"}
        now = reports.replay(STRICTER, Month(2026, 1), Month(2026, 6), account, all_accounts=every)
        # June: 98.6111 %: 25 % actual, 5 % proposed
        assert now.totals["EUR"] == {"old": "350.00", "new": "100.00", "difference": "-250.00"}


def test_a_month_in_progress_has_one_availability_in_every_report(ledger: SlaLedger) -> None:
    """Rule `month_in_progress`: on 16 April a 5-hour outage is 99.3055 % of April (not 98.6 % of
    the 15 days gone), in the availability report and in the credit statement alike."""
    reports = services(ledger, clock=lambda: datetime(2026, 4, 16, tzinfo=UTC)).reports
    record(
        ledger,
        signed("acme", **TERMS),
        outage("april", "2026-04-02T10:00:00Z", "2026-04-02T15:00:00Z"),
    )
    april = reports.availability("acme", Month(2026, 4))
    credit = reports.credits("acme").months[-1]
    assert april.availability_percent == credit.availability_percent == "99.3055"
    # 10 % (not 25 %) of the fee for the 15 days gone: 1 000 x 15/30 x 10 %
    assert (credit.in_progress, credit.credit_percent, credit.amount) == (True, "10.0000", "50.00")
