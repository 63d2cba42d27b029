"""The rules of support tickets, one per test: the ticket step machine and what a ticket needs
of its account's terms, without a database."""

from __future__ import annotations

import pytest

from ledger import events as ev
from ledger.errors import RuleViolation, UnknownReference
from tests.factories import signed, ticket_opened, ticket_step
from tests.given import given, when

STUDIO = signed("acme", effective_from="2026-01-01T00:00:00+01:00", template="vivition-business")
OPENED = ticket_opened("t-1", "2026-04-14T09:00:00+02:00")


def step(kind: str, at: str, **fields: str) -> dict[str, str]:
    return ticket_step("t-1", kind, at, **fields)


def test_a_ticket_is_opened_under_a_priority_its_terms_define() -> None:
    event = when(given(STUDIO), OPENED)
    assert isinstance(event, ev.TicketOpened) and (event.priority, event.account_id) == (
        "high",
        "acme",
    )


def test_a_priority_the_terms_do_not_define_is_refused() -> None:
    with pytest.raises(RuleViolation, match="'urgent' is not a priority") as refused:
        when(given(STUDIO), ticket_opened("t-2", "2026-04-14T09:00:00+02:00", "urgent"))
    assert refused.value.field == "priority"


def test_a_ticket_needs_terms_with_a_support_section() -> None:
    with pytest.raises(RuleViolation, match="have no support section"):
        when(given(signed("acme")), OPENED)


def test_a_ticket_needs_a_subscribed_account() -> None:
    with pytest.raises(RuleViolation, match="is not subscribed at") as refused:
        when(given(STUDIO), ticket_opened("t-2", "2025-12-01T09:00:00+01:00"))
    assert refused.value.field == "at"


def test_a_ticket_needs_a_known_account() -> None:
    with pytest.raises(UnknownReference, match="unknown account 'acme'"):
        when(given(), OPENED)


def test_a_ticket_is_opened_once() -> None:
    with pytest.raises(RuleViolation, match="was already opened at"):
        when(given(STUDIO, OPENED), ticket_opened("t-1", "2026-04-15T09:00:00+02:00"))


def test_no_step_comes_before_the_opening() -> None:
    with pytest.raises(RuleViolation, match="an event cannot come before it") as refused:
        when(given(STUDIO, OPENED), step("responded", "2026-04-14T08:59:59+02:00"))
    assert refused.value.field == "at"


def test_a_paused_ticket_cannot_be_paused_again() -> None:
    prior = given(STUDIO, OPENED, step("paused", "2026-04-14T10:00:00+02:00"))
    with pytest.raises(RuleViolation, match="is already paused at 2026-04-14T09:00:00Z"):
        when(prior, step("paused", "2026-04-14T11:00:00+02:00"))


def test_a_resolved_ticket_cannot_be_paused() -> None:
    prior = given(STUDIO, OPENED, step("resolved", "2026-04-14T10:00:00+02:00"))
    with pytest.raises(RuleViolation, match="is already resolved at"):
        when(prior, step("paused", "2026-04-14T11:00:00+02:00"))


def test_only_a_paused_ticket_resumes() -> None:
    with pytest.raises(RuleViolation, match="is not paused at") as refused:
        when(given(STUDIO, OPENED), step("resumed", "2026-04-14T10:00:00+02:00"))
    assert refused.value.field == "type"


def test_a_ticket_is_resolved_once_until_reopened() -> None:
    prior = given(STUDIO, OPENED, step("resolved", "2026-04-14T10:00:00+02:00"))
    with pytest.raises(RuleViolation, match="is already resolved at"):
        when(prior, step("resolved", "2026-04-14T11:00:00+02:00"))


def test_only_a_resolved_ticket_reopens() -> None:
    with pytest.raises(RuleViolation, match="is not resolved at"):
        when(given(STUDIO, OPENED), step("reopened", "2026-04-14T10:00:00+02:00"))


def test_a_priority_change_must_change_the_priority() -> None:
    with pytest.raises(RuleViolation, match="is already high at") as refused:
        when(
            given(STUDIO, OPENED),
            step("priority_changed", "2026-04-14T10:00:00+02:00", priority="high"),
        )
    assert refused.value.field == "priority"


def test_a_late_step_is_checked_in_valid_time_order() -> None:
    """A resume recorded late, dated before the pause it would end, makes the history
    impossible: refused, whatever order the steps were recorded in."""
    prior = given(STUDIO, OPENED, step("paused", "2026-04-14T12:00:00+02:00"))
    with pytest.raises(RuleViolation, match="is not paused at 2026-04-14T09:00:00Z"):
        when(prior, step("resumed", "2026-04-14T11:00:00+02:00"))


def test_steps_at_one_instant_apply_in_the_fixed_order() -> None:
    """Rule `same_instant_order`: at one instant a resume applies before a pause, whatever order
    they were recorded in."""
    paused = given(STUDIO, OPENED, step("paused", "2026-04-14T12:00:00+02:00"))
    with pytest.raises(RuleViolation, match="is not paused at 2026-04-14T10:00:00Z"):
        when(paused, step("resumed", "2026-04-14T12:00:00+02:00"))
    resumed = given(
        STUDIO,
        OPENED,
        step("paused", "2026-04-14T10:00:00+02:00"),
        step("resumed", "2026-04-14T12:00:00+02:00"),
    )
    event = when(resumed, step("paused", "2026-04-14T12:00:00+02:00"))
    assert isinstance(event, ev.TicketPaused)
