"""bench_availability: rebuilding monthly availability from a year of events, and as-of reports.

Data: one year for N accounts (default 10,000 accounts, 1,000,000 outage and maintenance events;
24 service-wide outages). A second, small store holds only the first 1% of the accounts with
the same events each (about 10,000 events), so the same account-months are queried at both sizes.

For each back end, alternating the floor and the ledger for each round:
  floor    - read every stored event (all ledger columns) and json.loads its payload, with plain
             sqlite3 / psycopg (binary server-side cursor)
  rebuild  - `sla-ledger rebuild`: drop the read models, fold the whole log, write every row
  as-of    - p50/p99 of one account-month report as of a recorded time, at 10k and at 1M events
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
from collections.abc import Callable, Iterable
from typing import Any

import psycopg
from benchlib import Series, Store, machine_line, ratio_median, report, stores, timed
from sampledata import availability_year

from api.bootstrap import wire
from ledger.application import SlaLedger
from ledger.importing import parse_fact
from ledger.store.location import StoreLocation
from ledger.store.opening import open_ledger
from ledger.timevalues import Month

COLUMNS = "rowid, recorded_at, event_id, topic, originator_id, originator_version, valid_at, state"
IMPORT_CHUNK = 50_000


def load(ledger: SlaLedger, facts: Iterable[dict[str, Any]]) -> None:
    chunk: list[Any] = []
    for fact in facts:
        chunk.append((len(chunk) + 1, parse_fact(fact)))
        if len(chunk) == IMPORT_CHUNK:
            ledger.record(chunk)
            chunk = []
    if chunk:
        ledger.record(chunk)


def small_subset(facts: list[dict[str, Any]], accounts: set[str]) -> list[dict[str, Any]]:
    """The facts of `accounts` plus every service-wide fact (entities followed by id)."""
    kept: list[dict[str, Any]] = []
    entities: set[str] = set()
    for fact in facts:
        entity = fact.get("outage_id") or fact.get("maintenance_id")
        if fact["type"] == "contract.signed":
            if fact["account_id"] in accounts:
                kept.append(fact)
        elif fact["type"] in ("outage.started", "maintenance.scheduled"):
            if fact.get("scope") == "all" or set(fact.get("accounts") or ()) & accounts:
                entities.add(entity)
                kept.append(fact)
        elif entity in entities:
            kept.append(fact)
    return kept


def sqlite_floor(url: str) -> int:
    with sqlite3.connect(StoreLocation.parse(url).path) as conn:
        count = 0
        for row in conn.execute(f"SELECT {COLUMNS} FROM stored_events ORDER BY rowid"):
            json.loads(row[7])
            count += 1
    return count


def postgres_floor(url: str) -> int:
    location = StoreLocation.parse(url)
    columns = COLUMNS.replace("rowid", "notification_id")
    with psycopg.connect(location.connection_string()) as conn, conn.transaction():
        cursor = conn.cursor(name="floor", binary=True)
        cursor.itersize = 10_000
        cursor.execute(
            f"SELECT {columns} FROM {location.schema}.slaledger_events ORDER BY notification_id"
        )
        count = 0
        for row in cursor:
            json.loads(row[7])
            count += 1
    return count


def as_of_latencies(
    stores: list[SlaLedger], accounts: list[str], samples: int, seed: int
) -> list[list[float]]:
    """Time the same account-month as-of reports on each store, alternating between the stores
    query by query so that both see the same machine."""
    rng = random.Random(seed)
    services = [wire(store, catch_up=False).reports for store in stores]
    recorded = [store.reader.head()[1] for store in stores]
    timings: list[list[float]] = [[] for _ in stores]
    for sample in range(samples):
        account, month = rng.choice(accounts), Month(2026, rng.randint(1, 12))
        order = list(range(len(stores)))
        if sample % 2:
            order.reverse()
        for index in order:
            started = time.perf_counter()
            services[index].availability(account, month, as_of=recorded[index])
            timings[index].append(time.perf_counter() - started)
    return timings


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def read_floor(store: Store) -> Callable[[str], int]:
    return sqlite_floor if store.name == "SQLite" else postgres_floor


def bench(
    store: Store, args: argparse.Namespace, facts: list[dict[str, Any]], queried: list[str]
) -> list[tuple[str, ...]]:
    name, big_url, small_url = store.name, store.url("big"), store.url("small")
    floor = read_floor(store)
    print(f"{name}: importing {len(facts):,} facts ...", flush=True)
    big = open_ledger(big_url)
    started = time.perf_counter()
    load(big, facts)
    print(f"  imported in {time.perf_counter() - started:.0f} s", flush=True)
    small = open_ledger(small_url)
    load(small, small_subset(facts, set(queried)))
    events = big.reader.head()[0]
    # What the benchmark holds in memory is not part of what it measures: keep the collector
    # from walking a million fact dicts in the middle of a timing.
    gc.collect()
    gc.freeze()
    floor_series, rebuild_series = Series("floor"), Series("rebuild")
    rows = 0
    for _ in range(args.rounds):
        with timed() as phase:
            count = floor(big_url)
        floor_series.add(count / phase.seconds, phase)
        store.before_write()
        with timed() as phase:
            result = wire(big).runner.rebuild()
        rebuild_series.add(events / phase.seconds, phase)
        rows = result.availability_rows
        print(
            f"  round: floor {count / floor_series.values[-1]:.1f} s, "
            f"rebuild {phase.seconds:.1f} s",
            flush=True,
        )
    at_big, at_small = as_of_latencies([big, small], queried, args.samples, seed=3)
    small_events = small.reader.head()[0]
    big.close()
    small.close()
    floor_seconds = events / floor_series.median
    rebuild_seconds = events / rebuild_series.median
    p99_big, p99_small = percentile(at_big, 0.99), percentile(at_small, 0.99)
    noisy = floor_series.noisy_runs + rebuild_series.noisy_runs
    return [
        (
            name,
            "rebuild",
            f"{events:,} events, {rows:,} account-month rows",
            f"{rebuild_seconds:.1f} s ({rebuild_series.median:,.0f} ev/s)",
            f"floor {floor_seconds:.1f} s",
            f"{1 / ratio_median(rebuild_series, floor_series):.2f}x",
            "<= 2.5x",
            f"{noisy} noisy phase(s)" if noisy else "quiet",
        ),
        (
            name,
            "as-of report",
            f"{events:,} events",
            f"p50 {statistics.median(at_big) * 1e3:.1f} ms, p99 {p99_big * 1e3:.1f} ms",
            f"at {small_events:,} events: p99 {p99_small * 1e3:.1f} ms",
            f"{p99_big / p99_small:.2f}x",
            "p99 < 50 ms, <= 1.2x",
            "",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--samples", type=int, default=2_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args(argv)
    print(machine_line())
    facts = list(availability_year(args.accounts, args.events))
    queried = [f"acct-{n:05d}" for n in range(max(1, args.accounts // 100))]
    rows = [("store", "scenario", "data", "ledger", "floor", "ratio", "target", "machine")]
    with stores(args.backend) as chosen:
        for store in chosen:
            rows += bench(store, args, facts, queried)
    print()
    print(report(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
