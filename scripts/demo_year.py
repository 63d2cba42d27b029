"""A realistic 2026 for five accounts under both source SLAs, written as three NDJSON batches.

Batch 1 is what the vendor knew by mid-July, batch 2 the renewal of `globex`'s term, batch 3 the
rest of the year plus late news (a correction, a retraction, an outage reported after the renewal,
a retroactive amendment). Importing them one after another gives three recorded times to ask
"as of" about. The data is fixed by a seed: every run produces the same year.
"""

from __future__ import annotations

import json
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sampledata import availability_terms, iso, maintenance_window, outage_pair, support_terms

Fact = dict[str, Any]
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
CLOUD_ACCOUNTS = ["northwind", "globex", "initech"]
STUDIOS = ["studio-delft", "studio-eindhoven"]
JULY_CUTOFF = datetime(2026, 7, 16, tzinfo=UTC)


def local(text: str, zone: ZoneInfo = AMSTERDAM) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def contracts() -> list[Fact]:
    globex = availability_terms("2500.00", currency="USD")
    globex["term"] = {"start": "2025-07-15"}
    eindhoven = support_terms("extended", "1400.00")
    eindhoven["support"] = {
        "calendars": {"business": {"holidays": {"country": "NL", "remove": ["2026-04-03"]}}}
    }
    return [
        {
            "type": "contract.signed",
            "account_id": "northwind",
            "event_id": "contract-northwind",
            "effective_from": "2026-01-01T00:00:00+01:00",
            "terms": availability_terms("1200.00", timezone="Europe/Amsterdam"),
        },
        {
            "type": "contract.signed",
            "account_id": "globex",
            "event_id": "contract-globex",
            "effective_from": "2025-07-15T00:00:00Z",
            "terms": globex,
        },
        {
            "type": "contract.signed",
            "account_id": "initech",
            "event_id": "contract-initech",
            "effective_from": "2026-03-10T00:00:00-04:00",
            "terms": availability_terms("900.00", currency="USD", timezone="America/New_York"),
        },
        {
            "type": "contract.signed",
            "account_id": "studio-delft",
            "event_id": "contract-delft",
            "effective_from": "2026-01-01T00:00:00+01:00",
            "terms": support_terms("business", "800.00"),
        },
        {
            "type": "contract.signed",
            "account_id": "studio-eindhoven",
            "event_id": "contract-eindhoven",
            "effective_from": "2026-01-01T00:00:00+01:00",
            "terms": eindhoven,
        },
    ]


def outages(rng: random.Random) -> list[tuple[datetime, list[Fact]]]:
    """Service-wide and per-account outages and maintenance, each keyed by when it began."""
    timeline: list[tuple[datetime, list[Fact]]] = []
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for month in range(1, 12):
        first = datetime(2026, month, 1, tzinfo=UTC)
        for n in range(2):
            at = first + timedelta(days=rng.randrange(27), minutes=rng.randrange(1440))
            minutes = rng.choice([3, 4, 6, 9, 14, 25, 48])
            timeline.append((at, outage_pair(f"svc-{month:02d}-{n}", at, minutes, None)))
        for account in CLOUD_ACCOUNTS:
            if rng.random() < 0.5:
                at = first + timedelta(days=rng.randrange(27), minutes=rng.randrange(1440))
                minutes = rng.choice([5, 12, 35, 70, 130])
                timeline.append((at, outage_pair(f"{account}-{month:02d}", at, minutes, [account])))
        window = first + timedelta(days=9, hours=2)
        timeline.append(
            (window, [maintenance_window(f"mw-{month:02d}", window, 60, "scheduled", None)])
        )
    # a month boundary crossing: 23:58 to 00:06 (Amsterdam) from April into May, for northwind
    boundary = local("2026-04-30T23:58:00")
    timeline.append((boundary, outage_pair("northwind-boundary", boundary, 8, ["northwind"])))
    # the classic dispute: emergency maintenance declared 20 minutes after the outage began
    began = datetime(2026, 6, 18, 9, 0, tzinfo=UTC)
    emergency = maintenance_window("mw-emergency-june", began, 45, "emergency", ["globex"])
    emergency["declared_at"] = iso(began + timedelta(minutes=20))
    timeline.append((began, [*outage_pair("globex-june", began, 50, ["globex"]), emergency]))
    timeline.sort(key=lambda item: item[0])
    return [(at, facts) for at, facts in timeline if at >= start]


def tickets(rng: random.Random) -> list[tuple[datetime, list[Fact]]]:
    timeline: list[tuple[datetime, list[Fact]]] = []
    serial = 0
    for studio in STUDIOS:
        for month in range(1, 12):
            for _ in range(6):
                serial += 1
                day = datetime(2026, month, 1 + rng.randrange(27), tzinfo=AMSTERDAM)
                opened = day.replace(
                    hour=rng.choice([7, 9, 11, 14, 16, 20, 23]), minute=rng.choice([0, 30])
                )
                timeline.append((opened, _ticket(f"T-{serial:04d}", studio, opened, rng)))
    # a medium ticket on the Friday before King's Day (Monday 27 April 2026)
    friday = local("2026-04-24T15:00:00")
    timeline.append(
        (
            friday,
            [
                {
                    "type": "ticket.opened",
                    "ticket_id": "T-KINGSDAY",
                    "account_id": "studio-delft",
                    "priority": "medium",
                    "at": iso(friday),
                },
                {
                    "type": "ticket.resolved",
                    "ticket_id": "T-KINGSDAY",
                    "at": iso(local("2026-04-28T10:30:00")),
                },
            ],
        )
    )
    timeline.sort(key=lambda item: item[0])
    return timeline


def _ticket(ticket: str, studio: str, opened: datetime, rng: random.Random) -> list[Fact]:
    priority = rng.choice(["high", "high", "medium", "medium", "low"])
    facts: list[Fact] = [
        {
            "type": "ticket.opened",
            "ticket_id": ticket,
            "account_id": studio,
            "priority": priority,
            "at": iso(opened),
        }
    ]
    now = opened + timedelta(minutes=rng.randrange(10, 90))
    facts.append({"type": "ticket.responded", "ticket_id": ticket, "at": iso(now)})
    if rng.random() < 0.25:
        now += timedelta(minutes=20)
        upgraded = "high" if priority != "high" else "medium"
        facts.append(
            {
                "type": "ticket.priority_changed",
                "ticket_id": ticket,
                "priority": upgraded,
                "at": iso(now),
            }
        )
    if rng.random() < 0.3:
        now += timedelta(minutes=30)
        facts.append(
            {
                "type": "ticket.paused",
                "ticket_id": ticket,
                "at": iso(now),
                "reason": "waiting for the customer's logs",
            }
        )
        now += timedelta(hours=rng.choice([2, 16, 40]))
        facts.append({"type": "ticket.resumed", "ticket_id": ticket, "at": iso(now)})
    now += timedelta(hours=rng.choice([1, 2, 3, 5, 9, 20]))
    facts.append({"type": "ticket.resolved", "ticket_id": ticket, "at": iso(now)})
    if rng.random() < 0.1:
        now += timedelta(days=1)
        facts.append({"type": "ticket.reopened", "ticket_id": ticket, "at": iso(now)})
        now += timedelta(hours=2)
        facts.append({"type": "ticket.resolved", "ticket_id": ticket, "at": iso(now)})
    return facts


def late_news(known: list[Fact]) -> list[Fact]:
    """Facts about the past that arrive in the last batch."""
    march = next(f for f in known if f["type"] == "outage.started" and f["outage_id"] == "svc-03-0")
    began = datetime.fromisoformat(march["at"])
    return [
        # the log review finds that a March outage began 10 minutes earlier and lasted longer
        {
            "type": "outage.corrected",
            "outage_id": "svc-03-0",
            "reason": "log review",
            "started_at": iso(began - timedelta(minutes=10)),
            "ended_at": iso(began + timedelta(minutes=40)),
        },
        {"type": "outage.retracted", "outage_id": "svc-02-1", "reason": "monitor false positive"},
        # reported after globex's renewal, about its first term: produces an adjustment
        *outage_pair("globex-late-june", datetime(2026, 6, 29, 14, 0, tzinfo=UTC), 95, ["globex"]),
        # studio-delft's terms amended retroactively from 1 March: medium priority gets 8 hours
        {
            "type": "contract.amended",
            "account_id": "studio-delft",
            "event_id": "amend-delft",
            "effective_from": "2026-03-01T00:00:00+01:00",
            "terms": {
                **support_terms("business", "800.00"),
                "support": {
                    "priorities": {
                        "medium": {
                            "targets": [
                                {"metric": "resolution", "seconds": 28800, "calendar": "business"}
                            ]
                        }
                    }
                },
            },
        },
    ]


def batches() -> list[list[Fact]]:
    rng = random.Random(2026)
    items = outages(rng) + tickets(rng)
    items.sort(key=lambda item: item[0])
    early = [fact for at, facts in items if at < JULY_CUTOFF for fact in facts]
    late = [fact for at, facts in items if at >= JULY_CUTOFF for fact in facts]
    renewal = [
        {
            "type": "renewal.completed",
            "account_id": "globex",
            "event_id": "renewal-globex-1",
            "at": "2026-07-16T09:00:00Z",
            "term": 1,
            "credit_applied": {"amount": "250.00", "currency": "USD"},
        }
    ]
    return [contracts() + early, renewal, late + late_news(early)]


def main(directory: str) -> int:
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    for number, batch in enumerate(batches(), start=1):
        path = folder / f"batch-{number}.ndjson"
        path.write_text("".join(json.dumps(fact) + "\n" for fact in batch))
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ".demo"))
