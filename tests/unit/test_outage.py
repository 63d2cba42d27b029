"""The rules of outages and maintenance windows, one per test, without a database."""

from __future__ import annotations

import pytest

from ledger import events as ev
from ledger.errors import RuleViolation, UnknownReference
from tests.factories import corrected, maintenance, outage_ended, outage_started, retracted, signed
from tests.given import given, when

STARTED = outage_started("o-1", "2026-04-05T12:00:00Z")


def test_an_outage_ends_after_it_started() -> None:
    event = when(given(signed("acme"), STARTED), outage_ended("o-1", "2026-04-05T12:30:00Z"))
    assert isinstance(event, ev.OutageEnded) and event.at == "2026-04-05T12:30:00+00:00"


def test_an_outage_cannot_end_at_or_before_its_start() -> None:
    with pytest.raises(RuleViolation, match="is not after the start") as refused:
        when(given(signed("acme"), STARTED), outage_ended("o-1", "2026-04-05T12:00:00Z"))
    assert refused.value.field == "at"


def test_an_outage_ends_once() -> None:
    prior = given(signed("acme"), STARTED, outage_ended("o-1", "2026-04-05T12:30:00Z"))
    with pytest.raises(RuleViolation, match=r"send outage\.corrected to change its times"):
        when(prior, outage_ended("o-1", "2026-04-05T13:00:00Z"))


def test_an_outage_starts_once() -> None:
    with pytest.raises(RuleViolation, match="already started at 2026-04-05T12:00:00Z"):
        when(given(signed("acme"), STARTED), outage_started("o-1", "2026-04-06T12:00:00Z"))


def test_an_outage_names_known_accounts_only() -> None:
    with pytest.raises(UnknownReference, match="unknown account 'beta'") as refused:
        when(given(signed("acme")), outage_started("o-2", "2026-04-05T12:00:00Z", ["beta"]))
    assert refused.value.field == "accounts"


def test_an_unknown_outage_cannot_end() -> None:
    with pytest.raises(UnknownReference, match="unknown outage 'o-9'"):
        when(given(signed("acme")), outage_ended("o-9", "2026-04-05T12:30:00Z"))


def test_a_correction_replaces_both_times() -> None:
    prior = given(signed("acme"), STARTED, outage_ended("o-1", "2026-04-05T12:30:00Z"))
    when(prior, corrected("o-1", "2026-04-05T11:55:00Z", None))
    outage = prior.aggregates[ev.outage_id("o-1")].state
    assert (outage.started_at.isoformat(), outage.ended_at) == ("2026-04-05T11:55:00+00:00", None)


def test_a_retracted_outage_takes_no_more_events() -> None:
    prior = given(signed("acme"), STARTED, retracted("o-1"))
    for fact in (
        outage_ended("o-1", "2026-04-05T12:30:00Z"),
        corrected("o-1", "2026-04-05T11:55:00Z", "2026-04-05T12:40:00Z"),
        retracted("o-1", "again"),
    ):
        with pytest.raises(RuleViolation, match="outage o-1 was retracted"):
            when(prior, fact)


def test_a_maintenance_window_is_scheduled_once() -> None:
    window = maintenance("m-1", "2026-04-06T09:00:00Z", "2026-04-06T10:00:00Z")
    with pytest.raises(RuleViolation, match="is already scheduled") as refused:
        when(given(signed("acme"), window), window | {"event_id": "again"})
    assert refused.value.field == "maintenance_id"


def test_a_maintenance_window_is_cancelled_once() -> None:
    cancel = {"type": "maintenance.cancelled", "maintenance_id": "m-1"}
    window = maintenance("m-1", "2026-04-06T09:00:00Z", "2026-04-06T10:00:00Z")
    prior = given(signed("acme"), window, cancel)
    with pytest.raises(RuleViolation, match="was already cancelled"):
        when(prior, cancel | {"reason": "twice"})


def test_maintenance_names_known_accounts_only() -> None:
    window = maintenance("m-2", "2026-04-06T09:00:00Z", "2026-04-06T10:00:00Z", accounts=["x"])
    with pytest.raises(UnknownReference, match="unknown account 'x'"):
        when(given(signed("acme")), window)
