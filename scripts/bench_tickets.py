"""bench_tickets: rebuilding the ticket read model from a year of tickets, and per-ticket reports.

Data: N tickets (default 100,000) with six events each (opened, responded, priority changed,
paused, resumed, resolved) over one year, for 1,000 studios on the two Dutch support plans
(business hours with Dutch holidays, or 08:00-22:00 every day): about 601,000 events.

For each back end, alternating the floor and the ledger in every round:
  floor      - read every stored event (all ledger columns) and json.loads its payload, with plain
               sqlite3 / psycopg (binary server-side cursor)
  rebuild    - `sla-ledger rebuild`: drop the read models, fold the whole log, run every ticket's
               business-hours clock, write every row
Then, alternating query by query over the same random tickets:
  fetch      - plain SQL: the ticket's events and its contract's events by entity id, json-decoded
               (what any per-ticket report must at least read)
  current    - `sla-ledger ticket T`: the report as it stands now (read model row)
  as-of      - `sla-ledger ticket T --as-of NOW`: rebuilt from the events known at that time
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import psycopg
from bench_availability import load, percentile, read_floor
from benchlib import Series, Store, machine_line, ratio_median, report, stores, timed
from sampledata import ticket_year

from api.bootstrap import wire
from ledger.events import contract_id, ticket_id
from ledger.store.location import StoreLocation
from ledger.store.opening import open_ledger
from projections.reports import Reports

COLUMNS = "rowid, recorded_at, event_id, topic, originator_id, originator_version, valid_at, state"

Fetch = Callable[[str, str], int]


def sqlite_fetch(url: str) -> Fetch:
    conn = sqlite3.connect(StoreLocation.parse(url).path)

    def fetch(ticket: str, account: str) -> int:
        ids = (ticket_id(ticket).hex, contract_id(account).hex)
        rows = conn.execute(
            f"SELECT {COLUMNS} FROM stored_events WHERE originator_id IN (?, ?) ORDER BY rowid",
            ids,
        ).fetchall()
        for row in rows:
            json.loads(row[7])
        return len(rows)

    return fetch


def postgres_fetch(url: str) -> Fetch:
    location = StoreLocation.parse(url)
    conn = psycopg.connect(location.connection_string(), autocommit=True)
    columns = COLUMNS.replace("rowid", "notification_id")
    query = (
        f"SELECT {columns} FROM {location.schema}.slaledger_events "
        "WHERE originator_id = ANY(%s) ORDER BY notification_id"
    )

    def fetch(ticket: str, account: str) -> int:
        rows = conn.execute(
            query, ([ticket_id(ticket), contract_id(account)],), binary=True
        ).fetchall()
        for row in rows:
            json.loads(row[7])
        return len(rows)

    return fetch


def report_latencies(
    reports: Reports, fetch: Fetch, owners: dict[str, str], samples: int, seed: int
) -> dict[str, list[float]]:
    """Time the floor fetch, the current report and the as-of report of the same tickets,
    rotating their order query by query so that all three see the same machine."""
    rng = random.Random(seed)
    tickets = sorted(owners)
    recorded = reports.ledger.reader.head()[1]
    steps: dict[str, Callable[[str], Any]] = {
        "fetch": lambda ticket: fetch(ticket, owners[ticket]),
        "current": reports.ticket,
        "as-of": lambda ticket: reports.ticket(ticket, as_of=recorded),
    }
    timings: dict[str, list[float]] = {name: [] for name in steps}
    names = list(steps)
    for sample in range(samples):
        ticket = rng.choice(tickets)
        shift = sample % len(names)
        for name in names[shift:] + names[:shift]:
            started = time.perf_counter()
            steps[name](ticket)
            timings[name].append(time.perf_counter() - started)
    return timings


def bench(
    store: Store, args: argparse.Namespace, facts: list[dict[str, Any]]
) -> list[tuple[str, ...]]:
    name, url, floor = store.name, store.url("tickets"), read_floor(store)
    fetch = sqlite_fetch if store.name == "SQLite" else postgres_fetch
    print(f"{name}: importing {len(facts):,} facts ...", flush=True)
    ledger = open_ledger(url)
    started = time.perf_counter()
    load(ledger, facts)
    print(f"  imported in {time.perf_counter() - started:.0f} s", flush=True)
    owners = {f["ticket_id"]: f["account_id"] for f in facts if f["type"] == "ticket.opened"}
    events = ledger.reader.head()[0]
    gc.collect()
    gc.freeze()  # the generated facts in memory are not part of what is measured
    floor_series, rebuild_series = Series("floor"), Series("rebuild")
    rows = 0
    for _ in range(args.rounds):
        with timed() as phase:
            count = floor(url)
        floor_series.add(count / phase.seconds, phase)
        store.before_write()
        with timed() as phase:
            result = wire(ledger).runner.rebuild()
        rebuild_series.add(events / phase.seconds, phase)
        rows = result.ticket_rows
        print(
            f"  round: floor {count / floor_series.values[-1]:.1f} s, "
            f"rebuild {phase.seconds:.1f} s",
            flush=True,
        )
    timings = report_latencies(
        wire(ledger, catch_up=False).reports, fetch(url), owners, args.samples, seed=5
    )
    ledger.close()
    noisy = floor_series.noisy_runs + rebuild_series.noisy_runs
    floor_p99 = percentile(timings["fetch"], 0.99)

    def latency(scenario: str) -> tuple[str, ...]:
        values = timings[scenario]
        p50, p99 = statistics.median(values), percentile(values, 0.99)
        return (
            name,
            f"ticket report, {scenario}",
            f"{len(values):,} random tickets",
            f"p50 {p50 * 1e3:.2f} ms, p99 {p99 * 1e3:.2f} ms",
            f"fetch p50 {statistics.median(timings['fetch']) * 1e3:.2f} ms, "
            f"p99 {floor_p99 * 1e3:.2f} ms",
            f"{p99 / floor_p99:.1f}x",
            "",
        )

    return [
        (
            name,
            "rebuild",
            f"{events:,} events, {rows:,} tickets",
            f"{events / rebuild_series.median:.1f} s ({rebuild_series.median:,.0f} ev/s)",
            f"floor {events / floor_series.median:.1f} s",
            f"{1 / ratio_median(rebuild_series, floor_series):.2f}x",
            f"{noisy} noisy phase(s)" if noisy else "quiet",
        ),
        latency("current"),
        latency("as-of"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--studios", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--samples", type=int, default=2_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args(argv)
    print(machine_line())
    facts = list(ticket_year(args.studios, args.tickets))
    rows = [("store", "scenario", "data", "ledger", "floor", "ratio", "machine")]
    with stores(args.backend) as chosen:
        for store in chosen:
            rows += bench(store, args, facts)
    print()
    print(report(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
