"""One handler per fact type: the rules that span entities, then the entity's own command.

A handler takes the batch's workspace, one fact and its event id, checks what the fact needs of
other entities (the account is known and subscribed, its terms define the priority, a renewal
bills in its term's currency) and calls the aggregate, which checks its own rules and records
the event. It returns the aggregate; the application takes the event from it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from ledger import events as ev
from ledger import importing as f
from ledger.aggregates import Aggregate, Contract, Maintenance, Outage
from ledger.errors import InvalidQuery, RuleViolation
from ledger.state import TermsVersion
from ledger.subscription import renewal_term, term_bounds
from ledger.templates import expanded_terms
from ledger.tickets import Ticket
from ledger.timevalues import format_instant
from ledger.workspace import Workspace

__all__ = ["HANDLERS", "handle"]

Handler = Callable[[Workspace, Any, str], Aggregate[Any]]


def handle(workspace: Workspace, fact: f.AnyFact, event_id: str) -> Aggregate[Any]:
    """Check `fact` and make its aggregate record its event (see `HANDLERS`).

    Raises:
        RuleViolation, FactRejected: the fact breaks a rule; nothing was recorded.
    """
    return HANDLERS[fact.type](workspace, fact, event_id)


# --- contracts and renewals ----------------------------------------------------------------------


def sign(ws: Workspace, fact: f.ContractSigned, event_id: str) -> Aggregate[Any]:
    existing = ws.contract(fact.account_id)
    if existing is not None:
        raise RuleViolation(
            "account_id",
            f"account {fact.account_id!r} already has a contract (from "
            f"{format_instant(existing.state.starts_at)}); send contract.amended to change its "
            "terms",
        )
    contract = Contract.sign(fact.account_id, fact.effective_from, expanded_terms(fact), event_id)
    ws.add(contract)
    return contract


def amend(ws: Workspace, fact: f.ContractAmended, event_id: str) -> Aggregate[Any]:
    contract = ws.require_contract(fact.account_id)
    in_force = contract.state.version_or_first(fact.effective_from).terms
    contract.amend(fact.effective_from, expanded_terms(fact, in_force), event_id)
    return contract


def terminate(ws: Workspace, fact: f.ContractTerminated, event_id: str) -> Aggregate[Any]:
    contract = ws.require_contract(fact.account_id)
    contract.terminate(fact.at, event_id)
    return contract


def renew(ws: Workspace, fact: f.RenewalCompleted, event_id: str) -> Aggregate[Any]:
    """Rule `renewals`: a renewal closes a term that has begun, in the currency of that term's
    fee."""
    contract = ws.require_contract(fact.account_id)
    state = contract.state
    if fact.at < state.starts_at:
        raise RuleViolation("at", "a renewal cannot come before the contract starts")
    try:
        term = fact.term or renewal_term(state.versions, fact.at)
    except InvalidQuery as error:
        raise RuleViolation("at", str(error)) from None
    term_start, _ = term_bounds(state.versions, term)
    if term_start > fact.at:
        raise RuleViolation(
            "term", f"term {term} starts at {format_instant(term_start)}, after this renewal"
        )
    credits = state.version_or_first(term_start).terms.credits
    if credits is not None and credits.monthly_fee.currency != fact.credit_applied.currency:
        raise RuleViolation(
            "credit_applied.currency",
            f"term {term}'s fee is in {credits.monthly_fee.currency}, "
            f"not {fact.credit_applied.currency}",
        )
    applied = {"amount": str(fact.credit_applied.amount), "currency": fact.credit_applied.currency}
    contract.complete_renewal(fact.at, term, applied, event_id)
    return contract


# --- outages and maintenance ----------------------------------------------------------------------


def _check_accounts(ws: Workspace, accounts: tuple[str, ...] | None) -> None:
    for account in accounts or ():
        ws.require_contract(account, field="accounts")


def start_outage(ws: Workspace, fact: f.OutageStarted, event_id: str) -> Aggregate[Any]:
    existing = ws.get(Outage, ev.outage_id(fact.outage_id))
    if existing is not None:
        raise RuleViolation(
            "outage_id",
            f"outage {fact.outage_id!r} already started at "
            f"{format_instant(existing.state.started_at)}; send outage.corrected to change its "
            "times",
        )
    accounts = fact.scoped_accounts()
    _check_accounts(ws, accounts)
    outage = Outage.start(fact.outage_id, fact.at, accounts, fact.source, event_id)
    ws.add(outage)
    return outage


def _outage(ws: Workspace, name: str) -> Outage:
    return ws.require(Outage, ev.outage_id(name), name, "outage_id")


def end_outage(ws: Workspace, fact: f.OutageEnded, event_id: str) -> Aggregate[Any]:
    outage = _outage(ws, fact.outage_id)
    outage.end(fact.at, event_id)
    return outage


def correct_outage(ws: Workspace, fact: f.OutageCorrected, event_id: str) -> Aggregate[Any]:
    outage = _outage(ws, fact.outage_id)
    outage.correct(fact.started_at, fact.ended_at, fact.reason, event_id)
    return outage


def retract_outage(ws: Workspace, fact: f.OutageRetracted, event_id: str) -> Aggregate[Any]:
    outage = _outage(ws, fact.outage_id)
    outage.retract(fact.reason, fact.at, event_id)
    return outage


def schedule_maintenance(
    ws: Workspace, fact: f.MaintenanceScheduled, event_id: str
) -> Aggregate[Any]:
    if ws.get(Maintenance, ev.maintenance_id(fact.maintenance_id)) is not None:
        raise RuleViolation(
            "maintenance_id",
            f"maintenance {fact.maintenance_id!r} is already scheduled; cancel it and schedule "
            "a new window to move it",
        )
    accounts = fact.scoped_accounts()
    _check_accounts(ws, accounts)
    window = Maintenance.schedule(
        fact.maintenance_id,
        fact.kind,
        (fact.start, fact.end),
        accounts,
        (fact.declared_at, fact.declared_by),
        event_id,
    )
    ws.add(window)
    return window


def cancel_maintenance(
    ws: Workspace, fact: f.MaintenanceCancelled, event_id: str
) -> Aggregate[Any]:
    name = fact.maintenance_id
    window = ws.require(Maintenance, ev.maintenance_id(name), name, "maintenance_id")
    window.cancel(fact.at, fact.reason, event_id)
    return window


# --- support tickets ------------------------------------------------------------------------------


def _support_terms_for(ws: Workspace, account_id: str, at: datetime) -> TermsVersion:
    contract = ws.require_contract(account_id).state
    version = contract.version_at(at)
    if version is None or not contract.is_subscribed_at(at):
        ended = contract.terminated_at
        raise RuleViolation(
            "at",
            f"account {account_id!r} is not subscribed at {format_instant(at)} (its contract runs "
            f"from {format_instant(contract.starts_at)}"
            + (f" to {format_instant(ended)})" if ended else ")"),
        )
    if version.terms.support is None:
        raise RuleViolation(
            "account_id",
            f"the terms of {account_id!r} in force at {format_instant(at)} have no support section",
        )
    return version


def _check_priority(version: TermsVersion, account_id: str, priority: str) -> None:
    support = version.terms.support
    if support is None or priority not in support.priorities:
        known = ", ".join(support.priorities) if support is not None else ""
        raise RuleViolation(
            "priority",
            f"{priority!r} is not a priority of {account_id!r}'s terms "
            f"(in force from {format_instant(version.effective_from)}): {known}",
        )


def open_ticket(ws: Workspace, fact: f.TicketOpened, event_id: str) -> Aggregate[Any]:
    existing = ws.get(Ticket, ev.ticket_id(fact.ticket_id))
    if existing is not None:
        raise RuleViolation(
            "ticket_id",
            f"ticket {fact.ticket_id!r} was already opened at "
            f"{format_instant(existing.state.opened_at)}",
        )
    version = _support_terms_for(ws, fact.account_id, fact.at)
    _check_priority(version, fact.account_id, fact.priority)
    ticket = Ticket.open(fact.ticket_id, fact.account_id, fact.priority, fact.at, event_id)
    ws.add(ticket)
    return ticket


def _ticket(ws: Workspace, name: str) -> Ticket:
    return ws.require(Ticket, ev.ticket_id(name), name, "ticket_id")


def change_priority(ws: Workspace, fact: f.TicketPriorityChanged, event_id: str) -> Aggregate[Any]:
    ticket = _ticket(ws, fact.ticket_id)
    state = ticket.state
    version = _support_terms_for(ws, state.account_id, state.opened_at)
    _check_priority(version, state.account_id, fact.priority)
    ticket.record_step(fact.type, fact.at, event_id, priority=fact.priority)
    return ticket


def ticket_step(ws: Workspace, fact: f.TicketFact, event_id: str) -> Aggregate[Any]:
    ticket = _ticket(ws, fact.ticket_id)
    fields = {"reason": fact.reason} if isinstance(fact, f.TicketPaused) else {}
    ticket.record_step(getattr(fact, "type"), fact.at, event_id, **fields)  # noqa: B009
    return ticket


HANDLERS: dict[str, Handler] = {
    "contract.signed": sign,
    "contract.amended": amend,
    "contract.terminated": terminate,
    "renewal.completed": renew,
    "outage.started": start_outage,
    "outage.ended": end_outage,
    "outage.corrected": correct_outage,
    "outage.retracted": retract_outage,
    "maintenance.scheduled": schedule_maintenance,
    "maintenance.cancelled": cancel_maintenance,
    "ticket.opened": open_ticket,
    "ticket.priority_changed": change_priority,
    "ticket.paused": ticket_step,
    "ticket.resumed": ticket_step,
    "ticket.responded": ticket_step,
    "ticket.resolved": ticket_step,
    "ticket.reopened": ticket_step,
}
