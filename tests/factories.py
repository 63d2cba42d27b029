"""Readable builders for facts, so a test reads like a timeline."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from api.bootstrap import Services, wire
from ledger.application import RecordOutcome, SlaLedger
from ledger.importing import parse_fact
from ledger.timevalues import utc_now

Fact = dict[str, Any]


def signed(
    account: str = "acme", effective_from: str = "2026-01-01T00:00:00Z", **terms: Any
) -> Fact:
    return {
        "type": "contract.signed",
        "account_id": account,
        "effective_from": effective_from,
        "terms": terms or {"template": "lifesize-extreme"},
    }


def amended(account: str, effective_from: str, **terms: Any) -> Fact:
    return {
        "type": "contract.amended",
        "account_id": account,
        "effective_from": effective_from,
        "terms": terms,
    }


def _scope(accounts: list[str] | None) -> Fact:
    return {"scope": "all"} if accounts is None else {"accounts": accounts}


def outage_started(outage: str, at: str, accounts: list[str] | None = None) -> Fact:
    return {"type": "outage.started", "outage_id": outage, "at": at, **_scope(accounts)}


def outage_ended(outage: str, at: str) -> Fact:
    return {"type": "outage.ended", "outage_id": outage, "at": at}


def outage(outage_id: str, start: str, end: str, accounts: list[str] | None = None) -> list[Fact]:
    return [outage_started(outage_id, start, accounts), outage_ended(outage_id, end)]


def corrected(outage: str, started_at: str, ended_at: str | None) -> Fact:
    return {
        "type": "outage.corrected",
        "outage_id": outage,
        "started_at": started_at,
        "ended_at": ended_at,
    }


def retracted(outage: str, reason: str = "monitor false positive") -> Fact:
    return {"type": "outage.retracted", "outage_id": outage, "reason": reason}


def maintenance(
    maintenance_id: str,
    start: str,
    end: str,
    kind: str = "scheduled",
    accounts: list[str] | None = None,
    declared_at: str | None = None,
) -> Fact:
    return {
        "type": "maintenance.scheduled",
        "maintenance_id": maintenance_id,
        "kind": kind,
        "start": start,
        "end": end,
        "declared_at": declared_at or start,
        **_scope(accounts),
    }


def ticket_opened(ticket: str, at: str, priority: str = "high", account: str = "acme") -> Fact:
    return {
        "type": "ticket.opened",
        "ticket_id": ticket,
        "account_id": account,
        "priority": priority,
        "at": at,
    }


def ticket_step(ticket: str, step: str, at: str, **fields: Any) -> Fact:
    return {"type": f"ticket.{step}", "ticket_id": ticket, "at": at, **fields}


def renewal(account: str, at: str, amount: str, currency: str = "EUR", **fields: Any) -> Fact:
    return {
        "type": "renewal.completed",
        "account_id": account,
        "at": at,
        "credit_applied": {"amount": amount, "currency": currency},
        **fields,
    }


def flatten(*facts: Fact | list[Fact]) -> list[Fact]:
    flat: list[Fact] = []
    for item in facts:
        flat.extend(item if isinstance(item, list) else [item])
    return flat


def record(ledger: SlaLedger, *facts: Fact | list[Fact]) -> RecordOutcome:
    """Record facts as one batch, line numbers from 1."""
    return ledger.record([(n, parse_fact(fact)) for n, fact in enumerate(flatten(*facts), start=1)])


def ndjson(*facts: Fact | list[Fact]) -> str:
    return "".join(json.dumps(fact) + "\n" for fact in flatten(*facts))


def services(
    ledger: SlaLedger,
    *,
    page_size: int = 500,
    catch_up: bool = True,
    clock: Callable[[], datetime] = utc_now,
) -> Services:
    """The services of an open test store, wired as `sla-ledger` wires them."""
    return wire(ledger, page_size=page_size, catch_up=catch_up, clock=clock)
