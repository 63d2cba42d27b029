"""Support tickets through the store: current and as-of reports, listings, at-risk, rebuilds."""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from ledger.application import SlaLedger
from ledger.store.opening import open_ledger
from ledger.timevalues import Month
from projections.reports import Reports
from tests.factories import Fact, amended, record, services, signed, ticket_opened, ticket_step

WHEN = {"query_time", "as_of", "as_of_position"}


def service(ledger: SlaLedger, now: str = "2026-05-01T00:00:00+00:00") -> Reports:
    return services(ledger, page_size=3, clock=lambda: datetime.fromisoformat(now)).reports


def studio(ledger: SlaLedger, template: str = "vivition-business") -> None:
    record(ledger, signed("studio", effective_from="2026-01-01T00:00:00+01:00", template=template))


def test_a_late_resolution_changes_the_answer_and_as_of_still_shows_the_breach(
    ledger: SlaLedger,
) -> None:
    studio(ledger)
    reports = service(ledger)
    # Friday 24 April 2026 15:00, medium: due Tuesday 28 April 11:00 (King's Day in between)
    record(ledger, ticket_opened("t-1", "2026-04-24T15:00:00+02:00", "medium", "studio"))
    before = datetime.now(UTC)
    time.sleep(0.01)
    record(ledger, ticket_step("t-1", "resolved", "2026-04-28T10:30:00+02:00"))
    now = reports.ticket("t-1")
    assert (now.state, now.business_seconds_used, now.met_at) == (
        "met",
        3 * 3600 + 1800,
        datetime(2026, 4, 28, 8, 30, tzinfo=UTC),
    )
    then = reports.ticket("t-1", as_of=before)
    # known then: open since Friday, and by 1 May (the query's "now") long past its due time
    assert (then.state, then.due_at) == ("breached", datetime(2026, 4, 28, 9, 0, tzinfo=UTC))
    assert [e.type for e in then.evidence] == ["contract.signed", "ticket.opened"]


def test_the_table_answer_equals_the_recomputation(ledger: SlaLedger) -> None:
    studio(ledger, "vivition-extended")
    reports = service(ledger)
    record(
        ledger,
        ticket_opened("t-1", "2026-03-28T21:00:00+01:00", "high", "studio"),
        ticket_step("t-1", "paused", "2026-03-29T09:00:00+02:00"),
        ticket_step("t-1", "resumed", "2026-03-29T10:00:00+02:00"),
        ticket_step("t-1", "resolved", "2026-03-29T12:00:00+02:00"),
    )
    current = reports.ticket("t-1")
    assert reports.runner.view.ticket_row("t-1") is not None
    recomputed = reports.ticket("t-1", as_of=datetime.now(UTC))
    assert current.model_dump(exclude=WHEN) == recomputed.model_dump(exclude=WHEN)
    # 1 h Saturday 21:00-22:00, Sunday (clocks forward at 02:00) 08:00-09:00 and 10:00-12:00
    assert (current.state, current.business_seconds_used) == ("met", 4 * 3600)


def test_a_retroactive_amendment_remeasures_open_tickets(ledger: SlaLedger) -> None:
    studio(ledger)
    reports = service(ledger)
    record(ledger, ticket_opened("t-1", "2026-04-14T09:00:00+02:00", "medium", "studio"))
    first = reports.ticket("t-1")
    assert first.due_at == datetime(2026, 4, 14, 11, 0, tzinfo=UTC)  # 13:00 local
    cut = datetime.now(UTC)
    time.sleep(0.01)
    eight_hours = {
        "priorities": {
            "medium": {
                "targets": [{"metric": "resolution", "seconds": 28_800, "calendar": "business"}]
            }
        }
    }
    record(
        ledger,
        amended(
            "studio", "2026-03-01T00:00:00+01:00", template="vivition-business", support=eight_hours
        ),
    )
    second = reports.ticket("t-1")
    assert second.target_seconds == 28_800
    assert second.due_at == datetime(2026, 4, 14, 15, 0, tzinfo=UTC)  # 17:00 local
    assert reports.ticket("t-1", as_of=cut).target_seconds == 14_400


def test_tickets_of_a_month_by_priority(ledger: SlaLedger) -> None:
    studio(ledger)
    reports = service(ledger, now="2026-04-30T12:00:00+02:00")
    record(
        ledger,
        ticket_opened("met", "2026-04-14T10:00:00+02:00", "high", "studio"),
        ticket_step("met", "resolved", "2026-04-14T11:00:00+02:00"),
        ticket_opened("breached", "2026-04-15T10:00:00+02:00", "high", "studio"),
        ticket_step("breached", "resolved", "2026-04-16T10:00:00+02:00"),
        ticket_opened("open", "2026-04-30T10:00:00+02:00", "medium", "studio"),
        ticket_opened("low", "2026-04-20T10:00:00+02:00", "low", "studio"),
        ticket_opened("may", "2026-05-01T00:30:00+02:00", "high", "studio"),
        ticket_opened("march", "2026-03-31T23:30:00+02:00", "high", "studio"),
    )
    month = reports.tickets("studio", Month(2026, 4))
    assert [line.ticket_id for line in month.tickets] == ["met", "breached", "low", "open"]
    counts = {
        c.priority: (c.opened, c.met, c.breached, c.open, c.no_target) for c in month.by_priority
    }
    assert counts == {"high": (2, 1, 1, 0, 0), "low": (1, 0, 0, 0, 1), "medium": (1, 0, 0, 1, 0)}
    # as of a recorded time, the clocks are read at that time: today, the open one is overdue
    later = reports.tickets("studio", Month(2026, 4), as_of=datetime.now(UTC))
    assert {line.ticket_id: line.state for line in later.tickets} == {
        "met": "met",
        "breached": "breached",
        "low": "no_target",
        "open": "breached",
    }


def test_at_risk_lists_running_tickets_due_soon_and_names_overdue_ones(ledger: SlaLedger) -> None:
    studio(ledger)
    record(
        ledger,
        ticket_opened("soon", "2026-04-14T09:00:00+02:00", "high", "studio"),  # due 13:00
        ticket_opened("later", "2026-04-14T11:30:00+02:00", "high", "studio"),  # due 15:30
        ticket_opened("late", "2026-04-13T09:00:00+02:00", "high", "studio"),  # due yesterday
        ticket_opened("paused", "2026-04-14T09:30:00+02:00", "high", "studio"),
        ticket_step("paused", "paused", "2026-04-14T10:00:00+02:00"),
    )
    found = service(ledger, now="2026-04-14T12:30:00+02:00").at_risk(3_600)
    assert [(t.ticket_id, t.seconds_left) for t in found.tickets] == [("soon", 1_800)]
    assert found.overdue == ["late"]


def test_at_risk_counts_business_time_left_over_a_weekend(ledger: SlaLedger) -> None:
    studio(ledger)
    record(ledger, ticket_opened("friday", "2026-04-17T15:00:00+02:00", "high", "studio"))
    # Friday 16:30: 1 h 30 min of the 4 business hours used, 30 min more until 17:00, then the
    # last 2 h on Monday: due 11:00 in Amsterdam, 66 h 30 min of real time away.
    found = service(ledger, now="2026-04-17T16:30:00+02:00").at_risk(3 * 86_400)
    [item] = found.tickets
    assert item.due_at == datetime.fromisoformat("2026-04-20T11:00:00+02:00")
    assert item.business_seconds_left == 9_000
    assert item.seconds_left == 66 * 3_600 + 1_800
    assert item.timezone == "Europe/Amsterdam"


def test_rebuilt_ticket_rows_equal_the_incremental_ones(ledger: SlaLedger) -> None:
    studio(ledger, "vivition-extended")
    facts = _random_tickets(random.Random(4), 12)
    reports = service(ledger)
    for fact in facts:
        record(ledger, fact)
    reports.runner.catch_up()
    incremental = {t: reports.runner.view.ticket_row(t) for t in _ids(facts)}
    reports.runner.rebuild()
    for ticket, row in incremental.items():
        rebuilt = reports.runner.view.ticket_row(ticket)
        assert row is not None and rebuilt is not None
        if not row.live:  # live tickets are recomputed when read
            assert _without_when(rebuilt.report) == _without_when(row.report), ticket


def _without_when(report: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(report)
    for key in WHEN:
        data.pop(key)
    return data


def _ids(facts: list[Fact]) -> list[str]:
    return sorted({f["ticket_id"] for f in facts})


def _random_tickets(rng: random.Random, count: int) -> list[Fact]:
    """Tickets with random priorities, pauses, responses, resolutions and reopenings."""
    facts: list[Fact] = []
    for n in range(count):
        name = f"t-{n}"
        when = datetime(2026, 3, rng.randint(1, 28), rng.randint(0, 23), tzinfo=UTC).timestamp()
        priority = rng.choice(["high", "medium", "low"])
        steps: list[Fact] = [ticket_opened(name, _iso(when), priority, "studio")]
        paused = resolved = False
        for _ in range(rng.randint(1, 6)):
            when += rng.choice([600, 3_600, 14_400, 86_400])
            options = ["priority_changed", "responded"]
            options += ["resumed"] if paused else ([] if resolved else ["paused"])
            options += ["reopened"] if resolved else ["resolved"]
            step = rng.choice(options)
            if step == "priority_changed":
                new = rng.choice([p for p in ("high", "medium", "low") if p != priority])
                steps.append(ticket_step(name, step, _iso(when), priority=new))
                priority = new
                continue
            steps.append(ticket_step(name, step, _iso(when)))
            paused = step == "paused" or (paused and step not in ("resumed", "resolved"))
            resolved = step == "resolved" or (resolved and step != "reopened")
        facts += steps
    return facts


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat()


@pytest.mark.parametrize("seed", [1, 2])
def test_reports_do_not_depend_on_the_order_independent_events_were_imported(
    database_url: str, tmp_path: Any, seed: int
) -> None:
    rng = random.Random(seed)
    facts = _random_tickets(rng, 10)
    by_ticket: dict[str, list[Fact]] = {}
    for fact in facts:
        by_ticket.setdefault(fact["ticket_id"], []).append(fact)
    interleaved: list[Fact] = []
    queues = [list(steps) for steps in by_ticket.values()]
    while queues:  # another order: tickets interleaved at random, each ticket's own order kept
        queue = rng.choice(queues)
        interleaved.append(queue.pop(0))
        queues = [q for q in queues if q]
    answers = []
    for order, url in ((facts, database_url), (interleaved, f"sqlite:///{tmp_path}/other.db")):
        ledger = open_ledger(url)
        try:
            studio(ledger, "vivition-extended")
            for fact in order:
                record(ledger, fact)
            reports = service(ledger)
            answers.append(
                [reports.ticket(t).model_dump(exclude=WHEN | {"evidence"}) for t in by_ticket]
            )
        finally:
            ledger.close()
    assert answers[0] == answers[1]


def test_at_risk_counts_a_response_due_before_the_resolution(ledger: SlaLedger) -> None:
    """Rule `at_risk_due`: answer within 1 business hour, resolve within 4."""
    targets = [
        {"metric": "response", "seconds": 3_600, "calendar": "business"},
        {"metric": "resolution", "seconds": 14_400, "calendar": "business"},
    ]
    record(
        ledger,
        signed(
            "studio",
            effective_from="2026-01-01T00:00:00+01:00",
            template="vivition-business",
            support={"priorities": {"high": {"targets": targets}}},
        ),
        ticket_opened("t-1", "2026-04-14T11:30:00+02:00", "high", "studio"),
    )
    noon = service(ledger, now="2026-04-14T12:00:00+02:00").at_risk(3_600)
    assert [(t.ticket_id, t.seconds_left) for t in noon.tickets] == [("t-1", 1_800)]
    record(ledger, ticket_step("t-1", "responded", "2026-04-14T12:10:00+02:00"))
    answered = service(ledger, now="2026-04-14T12:15:00+02:00")
    assert answered.at_risk(3_600).tickets == []  # the resolution is due at 15:30
    assert [t.seconds_left for t in answered.at_risk(4 * 3_600).tickets] == [3 * 3_600 + 900]
