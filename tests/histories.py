"""Random but valid event histories, generated in batches (each batch is one import)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.factories import (
    Fact,
    corrected,
    maintenance,
    outage_ended,
    outage_started,
    retracted,
    signed,
)

START = datetime(2026, 1, 1, tzinfo=UTC)


def _iso(instant: datetime) -> str:
    return instant.isoformat()


def random_batches(seed: int, batches: int = 4, per_batch: int = 12) -> list[list[Fact]]:
    """Contracts first, then outages (some touching, some open), maintenance, corrections,
    retractions and amendments, spread over the first half of 2026 in a few time zones."""
    rng = random.Random(seed)
    zones = ["UTC", "Europe/Amsterdam", "America/New_York"]
    accounts = [f"acct-{n}" for n in range(rng.randint(2, 4))]
    zone_of = {account: rng.choice(zones) for account in accounts}
    first: list[Fact] = [
        signed(
            a,
            effective_from=_iso(START + timedelta(days=rng.choice([0, 0, 20]))),
            template="lifesize-extreme",
            timezone=zone_of[a],
            availability={"threshold": rng.choice(["after_exclusions", "before_exclusions"])},
        )
        for a in accounts
    ]
    open_outages: dict[str, datetime] = {}
    closed: list[str] = []
    serial = 0
    out = [first]
    for _ in range(batches):
        batch: list[Fact] = []
        for _ in range(per_batch):
            serial += 1
            batch += _random_fact(rng, serial, zone_of, open_outages, closed)
        out.append(batch)
    return out


def _random_fact(
    rng: random.Random,
    serial: int,
    zone_of: dict[str, str],
    open_outages: dict[str, datetime],
    closed: list[str],
) -> list[Fact]:
    accounts = sorted(zone_of)
    roll = rng.random()
    scope: Any = None if rng.random() < 0.3 else [rng.choice(accounts)]
    at = START + timedelta(days=rng.randrange(150), minutes=rng.randrange(1440))
    if rng.random() < 0.15:  # near a month boundary, to test splitting
        month_end = datetime(2026, rng.randint(2, 6), 1, tzinfo=UTC)
        at = month_end - timedelta(minutes=rng.randrange(1, 10))
    if roll < 0.45:
        name = f"o-{serial}"
        stays_open = rng.random() < 0.06 and scope is not None
        facts = [outage_started(name, _iso(at), scope)]
        if not stays_open:
            minutes = rng.choice([2, 4, 5, 6, 15, 45, 200])
            facts.append(
                outage_ended(
                    name, _iso(at + timedelta(minutes=minutes, seconds=rng.choice([0, -1])))
                )
            )
            closed.append(name)
        else:
            open_outages[name] = at
        if rng.random() < 0.2:  # a second report of the same outage, touching or overlapping
            twin = f"o-{serial}-twin"
            facts.append(
                outage_started(twin, _iso(at + timedelta(minutes=rng.choice([0, 3, 5]))), scope)
            )
            facts.append(outage_ended(twin, _iso(at + timedelta(minutes=rng.choice([6, 9])))))
        return facts
    if roll < 0.6:
        kind = rng.choice(["scheduled", "emergency", "customer_requested"])
        return [
            maintenance(
                f"m-{serial}",
                _iso(at),
                _iso(at + timedelta(minutes=rng.choice([5, 10, 60]))),
                kind=kind,
                accounts=scope,
            )
        ]
    if roll < 0.72 and open_outages:
        name, began = open_outages.popitem()
        closed.append(name)
        return [outage_ended(name, _iso(began + timedelta(minutes=rng.choice([3, 7, 90]))))]
    if roll < 0.84 and closed:
        name = rng.choice(closed)
        return [corrected(name, _iso(at), _iso(at + timedelta(minutes=rng.choice([4, 5, 30]))))]
    if roll < 0.9 and closed:
        name = closed.pop(rng.randrange(len(closed)))
        return [retracted(name)]
    account = rng.choice(accounts)
    return [
        {
            "type": "contract.amended",
            "account_id": account,
            "effective_from": _iso(
                datetime(2026, rng.randint(2, 5), rng.choice([1, 15]), tzinfo=UTC)
            ),
            "terms": {
                "template": "lifesize-extreme",
                "timezone": zone_of[account],
                "availability": {
                    "target_percent": rng.choice(["99.9", "99.5"]),
                    "min_outage_seconds": rng.choice([60, 300]),
                },
            },
        }
    ]
