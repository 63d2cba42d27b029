"""bench_verify: `verify` over a whole log against the floor of reading and hashing its rows.

Data: the availability year of bench_availability (N events, default 1,000,000), imported
through the ledger, so every event is chained and every batch signed.

For each back end, alternating the floor and the ledger each round:
  floor   - read every event and its chain entry with plain sqlite3 / psycopg (binary
            server-side cursor) and hash them in a plain hashlib loop (sha256 of the previous
            digest and the row's columns), comparing with the stored chain hash
  verify  - `SlaLedger.verify`: the same read, the chain's byte layout recomputed, every
            checkpoint's signature checked
Target: verify at >= 0.5x the floor's rate.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import sqlite3
import sys
import time
from typing import Any

import psycopg
from bench_availability import load
from benchlib import Series, Store, machine_line, ratio_median, report, stores, timed
from sampledata import availability_year

from api.bootstrap import open_services
from api.settings import Settings
from ledger.store.location import StoreLocation

SQLITE_ROWS = (
    "SELECT e.rowid, e.recorded_at, e.event_id, e.topic, e.actor, e.originator_id, "
    "e.originator_version, e.valid_at, e.content_hash, e.state, c.chain_hash "
    "FROM stored_events e LEFT JOIN event_chain c ON c.position = e.rowid ORDER BY e.rowid"
)


def _hash_rows(rows: Any) -> int:
    previous, count = bytes(32), 0
    for row in rows:
        digest = hashlib.sha256(previous)
        for value in row[:10]:
            digest.update(value if isinstance(value, bytes) else str(value).encode())
        previous = digest.digest()
        if row[10] is None:
            raise AssertionError("an event without its chain entry")
        count += 1
    return count


def sqlite_floor(url: str) -> int:
    with sqlite3.connect(StoreLocation.parse(url).path) as conn:
        return _hash_rows(conn.execute(SQLITE_ROWS))


def postgres_floor(url: str) -> int:
    location = StoreLocation.parse(url)
    statement = (
        "SELECT e.notification_id, e.recorded_at, e.event_id, e.topic, e.actor, "
        "e.originator_id, e.originator_version, e.valid_at, e.content_hash, e.state, "
        f"c.chain_hash FROM {location.schema}.slaledger_events e LEFT JOIN "
        f"{location.schema}.slaledger_event_chain c ON c.position = e.notification_id "
        "ORDER BY e.notification_id"
    )
    with psycopg.connect(location.connection_string()) as conn, conn.transaction():
        cursor = conn.cursor(name="floor", binary=True)
        cursor.itersize = 10_000
        cursor.execute(statement)
        return _hash_rows(cursor)


def bench(store: Store, args: argparse.Namespace, facts: list[dict[str, Any]]) -> tuple[str, ...]:
    url = store.url("verify")
    key = f"/tmp/sla-ledger-bench-verify-{store.name}.key"
    services = open_services(Settings(database_url=url, signing_key_file=key))
    print(f"{store.name}: importing {len(facts):,} facts ...", flush=True)
    started = time.perf_counter()
    load(services.ledger, facts)
    print(f"  imported in {time.perf_counter() - started:.0f} s", flush=True)
    assert services.ledger.signer is not None
    public_key = services.ledger.signer.public_key
    events = services.ledger.reader.head()[0]
    gc.collect()
    gc.freeze()
    floor = sqlite_floor if store.name == "SQLite" else postgres_floor
    floor_series, verify_series = Series("floor"), Series("verify")
    for _ in range(args.rounds):
        with timed() as phase:
            count = floor(url)
        floor_series.add(count / phase.seconds, phase)
        with timed() as phase:
            verdict = services.ledger.verify(public_key)
        assert verdict.intact, verdict.departures[:1]
        verify_series.add(events / phase.seconds, phase)
        print(
            f"  round: floor {count / floor_series.values[-1]:.1f} s, verify {phase.seconds:.1f} s"
            f" ({verdict.checkpoints} checkpoints)",
            flush=True,
        )
    services.close()
    noisy = floor_series.noisy_runs + verify_series.noisy_runs
    return (
        store.name,
        f"{events:,} events",
        f"{events / verify_series.median:.1f} s ({verify_series.median:,.0f} ev/s)",
        f"{events / floor_series.median:.1f} s ({floor_series.median:,.0f} rows/s)",
        f"{ratio_median(verify_series, floor_series):.2f}x",
        ">= 0.5x",
        f"{noisy} noisy phase(s)" if noisy else "quiet",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args(argv)
    print(machine_line())
    facts = list(availability_year(args.accounts, args.events))
    rows = [("store", "data", "verify", "floor (read + hashlib)", "ratio", "target", "machine")]
    with stores(args.backend) as chosen:
        rows += [bench(store, args, facts) for store in chosen]
    print()
    print(report(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
