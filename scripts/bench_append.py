"""bench_append: importing 100,000 events and recording 2,000 single facts, against the raw floor.

For each back end and each round (floors and ledger alternate):
  ledger import  - parse + validate + append 100,000 NDJSON facts in one atomic import
  floor import   - the same stored rows (events and their scope-index rows), read back from the
                   ledger's tables, written with plain sqlite3/psycopg, 100 events per transaction
  ledger single  - 2,000 facts, each through SlaLedger.record (validation, idempotency, one commit)
  floor single   - the same rows, one event per commit, under the same table lock
Ratios are ledger/floor per round; the median ratio is reported with the absolute rates.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from benchlib import (
    Series,
    checkpoint,
    machine_line,
    postgres_database,
    ratio_median,
    report,
    schema_url,
    scratch_dir,
    timed,
)
from sampledata import availability_terms, contract, mixed_facts, outage_pair, random_instant

from ledger.application import SlaLedger
from ledger.importing import parse_fact, parse_lines
from ledger.store.keyfile import load_signer
from ledger.store.location import StoreLocation
from ledger.store.opening import open_ledger

EVENT_COLUMNS = (
    "originator_id, originator_version, topic, state, event_id, valid_at, recorded_at, content_hash"
)


def single_facts(count: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Setup contracts, then `count` facts: outage starts and ends on existing accounts."""
    import random

    rng = random.Random(5)
    accounts = [f"acct-{n:03d}" for n in range(50)]
    setup = [contract(name, availability_terms("1000.00")) for name in accounts]
    facts: list[dict[str, Any]] = []
    for n in range(count // 2):
        facts += outage_pair(f"single-{n}", random_instant(rng), 12, [rng.choice(accounts)])
    return setup, facts


class Backend:
    """Where a round's stores live, and how to write floor rows there."""

    name = ""

    def url(self, label: str) -> str:
        raise NotImplementedError

    def rows(self, url: str, after: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        raise NotImplementedError

    def write_batched(self, url: str, events: list[Any], scopes: list[Any], batch: int) -> None:
        raise NotImplementedError

    def write_single(self, url: str, events: list[Any], scopes: list[Any]) -> None:
        raise NotImplementedError

    def before_write(self) -> None:
        """Flush the database's dirty pages so that no checkpoint lands inside a timing."""


def _scopes_by_position(scopes: list[tuple[Any, ...]]) -> dict[int, list[tuple[Any, ...]]]:
    grouped: dict[int, list[tuple[Any, ...]]] = {}
    for row in scopes:
        grouped.setdefault(row[0], []).append(row)
    return grouped


class SQLiteBackend(Backend):
    name = "SQLite"

    def __init__(self, directory: Any) -> None:
        self.directory = directory
        self.serial = 0

    def url(self, label: str) -> str:
        self.serial += 1
        return f"sqlite:///{self.directory}/{label}-{self.serial}.db"

    def rows(self, url: str, after: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        path = StoreLocation.parse(url).path
        with sqlite3.connect(path) as conn:
            events = conn.execute(
                f"SELECT rowid, {EVENT_COLUMNS} FROM stored_events WHERE rowid > ? ORDER BY rowid",
                (after,),
            ).fetchall()
            scopes = conn.execute(
                "SELECT * FROM event_scopes WHERE position > ? ORDER BY position", (after,)
            ).fetchall()
        return events, scopes

    def _connect(self, url: str) -> sqlite3.Connection:
        conn = sqlite3.connect(StoreLocation.parse(url).path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")  # as the library sets it
        return conn

    def write_batched(self, url: str, events: list[Any], scopes: list[Any], batch: int) -> None:
        grouped = _scopes_by_position(scopes)
        conn = self._connect(url)
        for start in range(0, len(events), batch):
            chunk = events[start : start + batch]
            conn.execute("BEGIN")
            conn.executemany(
                f"INSERT INTO stored_events (rowid, {EVENT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)",
                chunk,
            )
            conn.executemany(
                "INSERT INTO event_scopes VALUES (?,?,?,?,?,?)",
                [scope for row in chunk for scope in grouped.get(row[0], [])],
            )
            conn.execute("COMMIT")
        conn.close()

    def write_single(self, url: str, events: list[Any], scopes: list[Any]) -> None:
        grouped = _scopes_by_position(scopes)
        conn = self._connect(url)
        for row in events:
            conn.execute("BEGIN IMMEDIATE")  # SQLite's write lock: the table lock's equivalent
            conn.execute(
                f"INSERT INTO stored_events (rowid, {EVENT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)",
                row,
            )
            conn.executemany(
                "INSERT INTO event_scopes VALUES (?,?,?,?,?,?)", grouped.get(row[0], [])
            )
            conn.execute("COMMIT")
        conn.close()


class PostgresBackend(Backend):
    name = "PostgreSQL"

    def __init__(self, database: StoreLocation) -> None:
        self.database = database
        self.serial = 0

    def url(self, label: str) -> str:
        self.serial += 1
        return schema_url(self.database, f"{label}_{self.serial}")

    def _schema(self, url: str) -> str:
        return StoreLocation.parse(url).schema

    def rows(self, url: str, after: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        schema = self._schema(url)
        with psycopg.connect(self.database.connection_string()) as conn:
            events = conn.execute(
                f"SELECT notification_id, {EVENT_COLUMNS} FROM {schema}.slaledger_events "
                "WHERE notification_id > %s ORDER BY notification_id",
                (after,),
            ).fetchall()
            scopes = conn.execute(
                f"SELECT * FROM {schema}.slaledger_event_scopes "
                "WHERE position > %s ORDER BY position",
                (after,),
            ).fetchall()
        return events, scopes

    def _insert_events(self, schema: str) -> str:
        return (
            f"INSERT INTO {schema}.slaledger_events (notification_id, {EVENT_COLUMNS}) "
            "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)"
        )

    def write_batched(self, url: str, events: list[Any], scopes: list[Any], batch: int) -> None:
        schema, grouped = self._schema(url), _scopes_by_position(scopes)
        with psycopg.connect(self.database.connection_string()) as conn:
            for start in range(0, len(events), batch):
                chunk = events[start : start + batch]
                with conn.transaction(), conn.cursor() as cur:
                    cur.executemany(self._insert_events(schema), chunk)
                    cur.executemany(
                        f"INSERT INTO {schema}.slaledger_event_scopes VALUES (%s,%s,%s,%s,%s,%s)",
                        [scope for row in chunk for scope in grouped.get(row[0], [])],
                    )

    def write_single(self, url: str, events: list[Any], scopes: list[Any]) -> None:
        schema, grouped = self._schema(url), _scopes_by_position(scopes)
        with psycopg.connect(self.database.connection_string()) as conn:
            for row in events:
                with conn.transaction(), conn.cursor() as cur:
                    cur.execute(f"LOCK TABLE {schema}.slaledger_events IN EXCLUSIVE MODE")
                    cur.execute(self._insert_events(schema), row)
                    cur.executemany(
                        f"INSERT INTO {schema}.slaledger_event_scopes VALUES (%s,%s,%s,%s,%s,%s)",
                        grouped.get(row[0], []),
                    )

    def before_write(self) -> None:
        checkpoint(self.database)


def fresh_store(url: str) -> SlaLedger:
    ledger = open_ledger(url)
    # Checkpoints are signed after every batch, as a served or CLI ledger does.
    ledger.signer = load_signer(Path(tempfile.mkdtemp()) / "bench-signing.key")
    return ledger


def bench_backend(
    backend: Backend, rounds: int, events: int, singles: int
) -> list[tuple[str, ...]]:
    lines = [json.dumps(fact) for fact in mixed_facts(events)]
    setup, single = single_facts(singles)
    single_parsed = [parse_fact(fact) for fact in single]
    series = {name: Series(name) for name in ("import", "import floor", "single", "single floor")}
    for _ in range(rounds):
        # ledger import
        url = backend.url("imp")
        ledger = fresh_store(url)
        backend.before_write()
        with timed() as phase:
            facts, errors = parse_lines(lines)
            outcome = ledger.record(facts, earlier_errors=errors)
        assert outcome.recorded == len(lines), "the benchmark's facts must all be valid"
        series["import"].add(len(lines) / phase.seconds, phase)
        ledger.close()
        # floor import: the very rows the ledger wrote, into an identical, fresh table
        rows, scopes = backend.rows(url, 0)
        floor_url = backend.url("impfloor")
        fresh_store(floor_url).close()
        backend.before_write()
        with timed() as phase:
            backend.write_batched(floor_url, rows, scopes, 100)
        series["import floor"].add(len(rows) / phase.seconds, phase)
        # ledger single facts
        url = backend.url("one")
        ledger = fresh_store(url)
        ledger.record([(n, parse_fact(fact)) for n, fact in enumerate(setup, 1)])
        base = ledger.reader.head()[0]
        backend.before_write()
        with timed() as phase:
            for fact in single_parsed:
                ledger.record_fact(fact)
        series["single"].add(len(single_parsed) / phase.seconds, phase)
        ledger.close()
        # floor single
        rows, scopes = backend.rows(url, base)
        floor_url = backend.url("onefloor")
        fresh_store(floor_url).close()
        backend.before_write()
        with timed() as phase:
            backend.write_single(floor_url, rows, scopes)
        series["single floor"].add(len(rows) / phase.seconds, phase)
        print(
            f"  {backend.name} round: import {series['import'].values[-1]:,.0f}/s "
            f"(floor {series['import floor'].values[-1]:,.0f}/s), "
            f"single {series['single'].values[-1]:,.0f}/s "
            f"(floor {series['single floor'].values[-1]:,.0f}/s)",
            flush=True,
        )
    return [
        (
            backend.name,
            f"import {events:,} events",
            f"{series['import'].median:,.0f} ev/s",
            f"{series['import floor'].median:,.0f} rows/s (100/txn)",
            f"{ratio_median(series['import'], series['import floor']):.2f}x",
            "0.30x",
            _noise(series["import"], series["import floor"]),
        ),
        (
            backend.name,
            f"record {singles:,} single facts",
            f"{series['single'].median:,.0f} facts/s",
            f"{series['single floor'].median:,.0f} rows/s (1/commit, locked)",
            f"{ratio_median(series['single'], series['single floor']):.2f}x",
            "0.30x",
            _noise(series["single"], series["single floor"]),
        ),
    ]


def _noise(*series: Series) -> str:
    noisy = sum(s.noisy_runs for s in series)
    return f"{noisy} noisy phase(s)" if noisy else "quiet"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--singles", type=int, default=2_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args(argv)
    print(machine_line())
    rows = [("store", "scenario", "ledger", "floor", "median ratio", "target", "machine")]
    runners: list[Callable[[], list[tuple[str, ...]]]] = []
    with scratch_dir() as directory, postgres_database("sla_ledger_bench") as database:
        if args.backend in ("sqlite", "both"):
            runners.append(
                lambda: bench_backend(
                    SQLiteBackend(directory), args.rounds, args.events, args.singles
                )
            )
        if args.backend in ("postgres", "both"):
            runners.append(
                lambda: bench_backend(
                    PostgresBackend(database), args.rounds, args.events, args.singles
                )
            )
        for run in runners:
            rows += run()
    print()
    print(report(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
