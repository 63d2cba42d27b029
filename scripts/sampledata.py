"""Deterministic, realistic sample facts for the demo and the benchmarks.

Every generator takes a seed and returns plain dicts in the import format, in an order the ledger
accepts (contracts first, then each entity's events in time order).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

Fact = dict[str, Any]

YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
YEAR_SECONDS = 365 * 86400


def iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def availability_terms(fee: str, currency: str = "EUR", timezone: str = "UTC") -> dict[str, Any]:
    return {
        "template": "lifesize-extreme",
        "timezone": timezone,
        "credits": {
            "monthly_fee": {"amount": fee, "currency": currency},
            "availability_tiers": [
                {"below_percent": "99.9", "credit_percent": "10"},
                {"below_percent": "99.0", "credit_percent": "25"},
                {"below_percent": "95.0", "credit_percent": "50"},
            ],
            "monthly_cap_percent": "50",
            "term_cap_percent": "30",
        },
    }


def support_terms(plan: str, fee: str) -> dict[str, Any]:
    return {
        "template": f"vivition-{plan}",
        "credits": {
            "monthly_fee": {"amount": fee, "currency": "EUR"},
            "ticket_breach_credit_percent": {"high": "5", "medium": "2"},
            "monthly_cap_percent": "25",
        },
    }


def contract(account: str, terms: dict[str, Any], start: datetime = YEAR_START) -> Fact:
    return {
        "type": "contract.signed",
        "account_id": account,
        "effective_from": iso(start),
        "terms": terms,
    }


def outage_pair(
    outage_id: str, start: datetime, minutes: float, accounts: list[str] | None
) -> list[Fact]:
    scope: dict[str, Any] = {"scope": "all"} if accounts is None else {"accounts": accounts}
    end = start + timedelta(minutes=minutes)
    return [
        {"type": "outage.started", "outage_id": outage_id, "at": iso(start), **scope},
        {"type": "outage.ended", "outage_id": outage_id, "at": iso(end)},
    ]


def maintenance_window(
    maintenance_id: str, start: datetime, minutes: int, kind: str, accounts: list[str] | None
) -> Fact:
    scope: dict[str, Any] = {"scope": "all"} if accounts is None else {"accounts": accounts}
    return {
        "type": "maintenance.scheduled",
        "maintenance_id": maintenance_id,
        "kind": kind,
        "start": iso(start),
        "end": iso(start + timedelta(minutes=minutes)),
        "declared_at": iso(start - timedelta(days=7 if kind == "scheduled" else 0, minutes=5)),
        "declared_by": "ops@vendor.example",
        **scope,
    }


def ticket_life(ticket_id: str, account: str, opened: datetime, rng: random.Random) -> list[Fact]:
    """Six events: opened, responded, paused, resumed, resolved, and a priority change."""
    priority = rng.choice(["high", "medium", "medium", "low"])
    steps = [rng.randint(5, 90) for _ in range(5)]
    times = [opened]
    for minutes in steps:
        times.append(times[-1] + timedelta(minutes=minutes))
    other = "medium" if priority == "high" else "high"
    return [
        {
            "type": "ticket.opened",
            "ticket_id": ticket_id,
            "account_id": account,
            "priority": priority,
            "at": iso(times[0]),
        },
        {"type": "ticket.responded", "ticket_id": ticket_id, "at": iso(times[1])},
        {
            "type": "ticket.priority_changed",
            "ticket_id": ticket_id,
            "priority": other,
            "at": iso(times[2]),
        },
        {"type": "ticket.paused", "ticket_id": ticket_id, "at": iso(times[3])},
        {"type": "ticket.resumed", "ticket_id": ticket_id, "at": iso(times[4])},
        {"type": "ticket.resolved", "ticket_id": ticket_id, "at": iso(times[5])},
    ]


def random_instant(
    rng: random.Random, start: datetime = YEAR_START, seconds: int = YEAR_SECONDS
) -> datetime:
    return start + timedelta(seconds=rng.randrange(seconds))


def outage_minutes(rng: random.Random) -> float:
    """Mostly short (a few minutes to an hour), sometimes long (hours)."""
    return rng.expovariate(1 / 30) if rng.random() < 0.9 else rng.expovariate(1 / 600)


def availability_year(
    accounts: int, events: int, *, seed: int = 42, service_wide_per_year: int = 24
) -> Iterator[Fact]:
    """A year of outages and maintenance for `accounts` cloud-video accounts (~`events` facts)."""
    rng = random.Random(seed)
    names = [f"acct-{n:05d}" for n in range(accounts)]
    for name in names:
        yield contract(name, availability_terms("1000.00"))
    budget = events - accounts
    for n in range(service_wide_per_year):
        yield from outage_pair(f"all-{n}", random_instant(rng), outage_minutes(rng), None)
    budget -= 2 * service_wide_per_year
    serial = 0
    while budget > 0:
        serial += 1
        account = rng.choice(names)
        if rng.random() < 0.8:
            yield from outage_pair(
                f"o-{serial}", random_instant(rng), outage_minutes(rng), [account]
            )
            budget -= 2
        else:
            kind = rng.choice(["scheduled", "scheduled", "emergency", "customer_requested"])
            yield maintenance_window(
                f"m-{serial}", random_instant(rng), rng.choice([30, 60, 120]), kind, [account]
            )
            budget -= 1


def ticket_year(accounts: int, tickets: int, *, seed: int = 7) -> Iterator[Fact]:
    """Support contracts and `tickets` tickets with six events each over one year."""
    rng = random.Random(seed)
    names = [f"studio-{n:05d}" for n in range(accounts)]
    for n, name in enumerate(names):
        yield contract(name, support_terms("extended" if n % 2 else "business", "800.00"))
    for n in range(tickets):
        opened = random_instant(rng, seconds=YEAR_SECONDS - 3 * 86400)
        yield from ticket_life(f"t-{n}", rng.choice(names), opened, rng)


def mixed_facts(total: int, *, seed: int = 1) -> list[Fact]:
    """About `total` facts: half availability, half tickets, for append benchmarks."""
    half = total // 2
    availability = list(availability_year(max(10, half // 100), half, seed=seed))
    tickets = list(ticket_year(max(10, half // 600), (total - len(availability)) // 6, seed=seed))
    facts = availability + tickets
    return facts[:total]
