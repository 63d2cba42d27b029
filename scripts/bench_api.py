"""bench_api: concurrent writers and readers against `sla-ledger serve` on PostgreSQL (loopback).

Setup: a throwaway database; N accounts (default 200), half with availability terms and four
outages each, half with support terms and two six-step tickets each; an operator key for the
writers and an auditor key for the readers. The real server (`python -m api.cli serve`, read
models followed in the same process) runs as a subprocess on a loopback port.

Each round, the floor first, then the API, each phase after a CHECKPOINT:
  floor  W psycopg processes each INSERT one ~300-byte JSON row per commit under LOCK TABLE ... IN
         EXCLUSIVE MODE (performance.md §3a(e)); R psycopg processes each SELECT one row by primary
         key; for --floor-seconds.
  API    W writer processes post single facts (outage start and end, ticket opening and its
         steps), each with its own event_id; R reader processes ask for an account-month's
         availability, a ticket's clock or an account's tickets of a month; for --seconds.
Every process runs a closed loop (the next request when the last is answered) on one connection
(one keep-alive httpx client for the API); a latency is the wall time of one request or commit.
Writes/s counts acknowledged writes (HTTP 200/201); any other answer is an error. Ratios are
API/floor per round, and the median is reported. Afterwards the server is stopped with SIGINT
and every acknowledged event_id is looked up in the store; its positions must have no gaps.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import math
import multiprocessing
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from benchlib import (
    Phase,
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
from sampledata import (
    YEAR_START,
    availability_terms,
    contract,
    outage_pair,
    random_instant,
    support_terms,
    ticket_life,
)

from api.keys import KeyStore
from ledger.importing import parse_fact
from ledger.store.location import StoreLocation
from ledger.store.opening import open_ledger

REPO = Path(__file__).resolve().parent.parent
HISTORY_SECONDS = 300 * 86400  # valid times from January to October 2026, all in the past
MONTHS = [f"2026-{month:02d}" for month in range(1, 11)]
WRITE_PREFIX = "load"
FLOOR_TABLE = "floor.events"
FLOOR_INSERT = f"INSERT INTO {FLOOR_TABLE} (stream, version, topic, state) VALUES (%s, 1, %s, %s)"
FLOOR_SELECT = f"SELECT id, stream, version, topic, state, created FROM {FLOOR_TABLE} WHERE id = %s"
SUMMARY_HEADER = (
    "scenario",
    "writes/s",
    "reads/s",
    "write p50/p99",
    "read p50/p99",
    "errors",
    "API/floor",
    "machine",
)
Fact = dict[str, Any]
Worker = tuple[Callable[..., None], tuple[Any, ...]]


# --- data ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dataset:
    availability_accounts: list[str]
    support_accounts: list[str]
    tickets: list[str]
    facts: list[Fact]


def past_instant(rng: random.Random) -> datetime:
    return random_instant(rng, seconds=HISTORY_SECONDS)


def seed_data(accounts: int, rng: random.Random) -> Dataset:
    """Contracts, then four outages per availability account and two tickets per support one."""
    measured = [f"acct-{n:04d}" for n in range(accounts // 2)]
    supported = [f"studio-{n:04d}" for n in range(accounts - accounts // 2)]
    facts = [contract(name, availability_terms("1000.00")) for name in measured]
    facts += [
        contract(name, support_terms("business" if n % 2 else "extended", "800.00"))
        for n, name in enumerate(supported)
    ]
    for name in measured:
        for n in range(4):
            facts += outage_pair(f"seed-{name}-{n}", past_instant(rng), rng.randint(1, 240), [name])
    tickets = [f"seed-{name}-{n}" for name in supported for n in range(2)]
    for ticket in tickets:
        account = ticket.removeprefix("seed-").rsplit("-", 1)[0]
        facts += ticket_life(ticket, account, past_instant(rng), rng)
    return Dataset(measured, supported, tickets, facts)


def seed_store(url: str, data: Dataset) -> tuple[str, str, int]:
    """Record the seed facts; return an operator key, an auditor key and the events stored."""
    ledger = open_ledger(url)
    try:
        ledger.record([(n, parse_fact(fact)) for n, fact in enumerate(data.facts, 1)])
        keys = KeyStore(ledger.datastore)
        operator, auditor = keys.create("operator")[1], keys.create("auditor")[1]
        return operator, auditor, ledger.reader.head()[0]
    finally:
        ledger.close()


def writer_facts(rng: random.Random, tag: str, data: Dataset) -> Iterator[Fact]:
    """Endless valid facts of one writer: outage pairs and ticket lives, each with an event_id."""
    for serial in itertools.count():
        if serial % 2 == 0:
            account = rng.choice(data.availability_accounts)
            facts = outage_pair(
                f"{tag}-o{serial}", past_instant(rng), rng.randint(1, 240), [account]
            )
        else:
            account = rng.choice(data.support_accounts)
            facts = ticket_life(f"{tag}-t{serial}", account, past_instant(rng), rng)
        for step, fact in enumerate(facts):
            yield {**fact, "event_id": f"{tag}-{serial}-{step}"}


def api_request(fact: Fact) -> tuple[str, Fact]:
    """The write endpoint of a fact and the body it takes there."""
    kind = fact["type"]
    body = {name: value for name, value in fact.items() if name != "type"}
    if kind == "outage.started":
        return "/outages", body
    if kind == "outage.ended":
        return f"/outages/{body.pop('outage_id')}/end", body
    if kind == "ticket.opened":
        return "/tickets", body
    ticket = body.pop("ticket_id")
    return f"/tickets/{ticket}/events", {"type": kind.removeprefix("ticket."), **body}


def read_request(rng: random.Random, data: Dataset) -> tuple[str, str, dict[str, str]]:
    """A random read of seeded data: (kind, path, query parameters)."""
    month = rng.choice(MONTHS)
    choice = rng.randrange(3)
    if choice == 0:
        account = rng.choice(data.availability_accounts)
        return "GET availability", f"/accounts/{account}/availability/{month}", {}
    if choice == 1:
        return "GET ticket", f"/tickets/{rng.choice(data.tickets)}", {}
    account = rng.choice(data.support_accounts)
    return "GET tickets of a month", f"/accounts/{account}/tickets", {"month": month}


def floor_payload() -> bytes:
    """About 300 bytes of JSON, like one stored outage event."""
    fact = outage_pair("outage-floor", YEAR_START, 30, ["acct-0000"])[0]
    fact["event_id"] = f"{WRITE_PREFIX}-r0w0-0-0"
    padding = 300 - len(json.dumps({**fact, "source": ""}))
    return json.dumps({**fact, "source": "m" * max(padding, 0)}).encode()


# --- load processes -----------------------------------------------------------------------------


@dataclass
class Tally:
    """What one load process did."""

    kind: str  # "write" or "read"
    done: int = 0
    elapsed: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)


def closed_loop(seconds: float, barrier: Any, step: Callable[[], None]) -> float:
    """Wait for every process, then repeat `step` for `seconds`; return the time it ran."""
    barrier.wait()
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        step()
    return time.perf_counter() - started


def post_fact(client: httpx.Client, fact: Fact, tally: Tally) -> None:
    path, body = api_request(fact)
    started = time.perf_counter()
    try:
        answer = client.post(path, json=body)
    except httpx.TransportError as error:
        tally.errors.append(f"POST {fact['type']} -> {type(error).__name__}: {path} {error}")
        return
    tally.latencies[f"POST {fact['type']}"].append(time.perf_counter() - started)
    if answer.status_code in (200, 201):
        written = answer.json()["events"][0]["event_id"]
        if written == fact["event_id"]:
            tally.acknowledged.append(written)
            tally.done += 1
            return
    tally.errors.append(f"POST {fact['type']} -> {answer.status_code}: {path} {answer.text[:300]}")


def get_report(client: httpx.Client, rng: random.Random, data: Dataset, tally: Tally) -> None:
    kind, path, params = read_request(rng, data)
    started = time.perf_counter()
    try:
        answer = client.get(path, params=params)
    except httpx.TransportError as error:
        tally.errors.append(f"{kind} -> {type(error).__name__}: {path} {error}")
        return
    tally.latencies[kind].append(time.perf_counter() - started)
    if answer.status_code == 200:
        tally.done += 1
    else:
        tally.errors.append(f"{kind} -> {answer.status_code}: {path} {answer.text[:300]}")


def api_writer(
    base_url: str, key: str, tag: str, seconds: float, data: Dataset, barrier: Any, results: Any
) -> None:
    tally, facts = Tally("write"), writer_facts(random.Random(tag), tag, data)
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
        client.get("/healthz")  # the keep-alive connection, opened before the clock starts
        tally.elapsed = closed_loop(seconds, barrier, lambda: post_fact(client, next(facts), tally))
    results.put(tally)


def api_reader(
    base_url: str, key: str, tag: str, seconds: float, data: Dataset, barrier: Any, results: Any
) -> None:
    tally, rng = Tally("read"), random.Random(tag)
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
        client.get("/healthz")
        tally.elapsed = closed_loop(seconds, barrier, lambda: get_report(client, rng, data, tally))
    results.put(tally)


def floor_writer(conninfo: str, seconds: float, barrier: Any, results: Any) -> None:
    tally, state = Tally("write"), floor_payload()
    with psycopg.connect(conninfo, autocommit=True) as conn:

        def insert_one() -> None:
            started = time.perf_counter()
            with conn.transaction():
                conn.execute(f"LOCK TABLE {FLOOR_TABLE} IN EXCLUSIVE MODE")
                conn.execute(FLOOR_INSERT, (uuid.uuid4(), "outage.started", state))
            tally.latencies["INSERT + commit"].append(time.perf_counter() - started)
            tally.done += 1

        tally.elapsed = closed_loop(seconds, barrier, insert_one)
    results.put(tally)


def floor_reader(conninfo: str, rows: int, seconds: float, barrier: Any, results: Any) -> None:
    tally, rng = Tally("read"), random.Random()
    with psycopg.connect(conninfo, autocommit=True) as conn:

        def select_one() -> None:
            started = time.perf_counter()
            found = conn.execute(FLOOR_SELECT, (rng.randint(1, rows),)).fetchone()
            tally.latencies["SELECT by id"].append(time.perf_counter() - started)
            if found is None:
                tally.errors.append("SELECT by id -> no row: ")
            else:
                tally.done += 1

        tally.elapsed = closed_loop(seconds, barrier, select_one)
    results.put(tally)


# --- phases ---------------------------------------------------------------------------------------


@dataclass
class Measured:
    """One phase of load: the rates, every latency by request kind, errors and written ids."""

    writes_per_second: float
    reads_per_second: float
    latencies: dict[str, dict[str, list[float]]]  # "write"/"read": kind: seconds
    errors: list[str]
    acknowledged: list[str]
    phase: Phase


def run_processes(workers: list[Worker], seconds: float) -> tuple[list[Tally], Phase]:
    """Start the workers, release them together, and collect what each did."""
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(len(workers) + 1), context.Queue()
    processes = [
        context.Process(target=target, args=(*args, barrier, results)) for target, args in workers
    ]
    for process in processes:
        process.start()
    barrier.wait(timeout=120)
    with timed() as phase:
        tallies = [results.get(timeout=seconds + 120) for _ in processes]
        for process in processes:
            process.join()
    return tallies, phase


def measure(workers: list[Worker], seconds: float) -> Measured:
    tallies, phase = run_processes(workers, seconds)
    latencies: dict[str, dict[str, list[float]]] = {
        "write": defaultdict(list),
        "read": defaultdict(list),
    }
    for tally in tallies:
        for kind, values in tally.latencies.items():
            latencies[tally.kind][kind] += values

    def rate(kind: str) -> float:
        mine = [tally for tally in tallies if tally.kind == kind]
        elapsed = max((tally.elapsed for tally in mine), default=0.0)
        return sum(tally.done for tally in mine) / elapsed if elapsed else 0.0

    return Measured(
        rate("write"),
        rate("read"),
        latencies,
        [error for tally in tallies for error in tally.errors],
        [written for tally in tallies for written in tally.acknowledged],
        phase,
    )


def create_floor_table(database: StoreLocation, rows: int) -> None:
    """The floor's table (performance.md §3), holding as many rows as the ledger's seed."""
    state = floor_payload()
    with psycopg.connect(database.connection_string(), autocommit=True) as conn:
        conn.execute("CREATE SCHEMA floor")
        conn.execute(
            f"CREATE TABLE {FLOOR_TABLE} (id bigserial PRIMARY KEY, stream uuid NOT NULL, "
            "version int NOT NULL, topic text NOT NULL, state bytea NOT NULL, "
            "created timestamptz NOT NULL DEFAULT now(), UNIQUE (stream, version))"
        )
        with conn.cursor() as cursor:
            cursor.executemany(
                FLOOR_INSERT, [(uuid.uuid4(), "outage.started", state) for _ in range(rows)]
            )


def floor_workers(args: argparse.Namespace, database: StoreLocation, rows: int) -> list[Worker]:
    conninfo = database.connection_string()
    seconds = args.floor_seconds
    writers: list[Worker] = [(floor_writer, (conninfo, seconds)) for _ in range(args.writers)]
    readers: list[Worker] = [(floor_reader, (conninfo, rows, seconds)) for _ in range(args.readers)]
    return writers + readers


def api_workers(
    args: argparse.Namespace, server: Server, data: Dataset, round_number: int
) -> list[Worker]:
    def worker(target: Callable[..., None], key: str, tag: str) -> Worker:
        return (target, (server.base_url, key, tag, args.seconds, data))

    tag = f"{WRITE_PREFIX}-r{round_number}"
    return [worker(api_writer, server.operator_key, f"{tag}w{n}") for n in range(args.writers)] + [
        worker(api_reader, server.auditor_key, f"{tag}r{n}") for n in range(args.readers)
    ]


# --- the server -----------------------------------------------------------------------------------


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path
    operator_key: str
    auditor_key: str


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def readiness(server: Server) -> dict[str, Any]:
    # readiness details (the lag) need an operator key
    headers = {"Authorization": f"Bearer {server.operator_key}"}
    answer = httpx.get(f"{server.base_url}/readyz", headers=headers, timeout=5)
    found: dict[str, Any] = answer.json() if answer.status_code == 200 else {}
    return found


def wait_until_caught_up(server: Server) -> None:
    """Until /readyz answers 200 with the read models at the head of the log."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            log = server.log.read_text(errors="replace")
            raise SystemExit(f"the server exited with {server.process.returncode}:\n{log}")
        with contextlib.suppress(httpx.TransportError):
            if readiness(server).get("projection_lag_events") == 0:
                return
        time.sleep(0.2)
    raise SystemExit("the server was not ready within 120 s")


@contextlib.contextmanager
def serving(url: str, log: Path, operator_key: str, auditor_key: str) -> Iterator[Server]:
    """`python -m api.cli serve` on a free loopback port, stopped with SIGINT afterwards."""
    port = free_port()
    env = {**os.environ, "SLA_LEDGER_DATABASE_URL": url}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}", process, log, operator_key, auditor_key)
    try:
        wait_until_caught_up(server)
        yield server
    finally:
        stop(server)


def stop(server: Server) -> int | None:
    """SIGINT, as an operator would; the exit code (None if it had to be killed)."""
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGINT)
        try:
            server.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
            return None
    return server.process.returncode


# --- the store afterwards -------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreCheck:
    acknowledged: int
    found: int
    stored_by_load: int
    events: int
    first: int
    last: int

    @property
    def missing(self) -> int:
        return self.acknowledged - self.found

    @property
    def gap_free(self) -> bool:
        return self.first == 1 and self.last - self.first + 1 == self.events

    @property
    def ok(self) -> bool:
        return self.missing == 0 and self.gap_free


def one_row(conn: psycopg.Connection[Any], query: str, params: tuple[Any, ...] = ()) -> Any:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return row


def check_store(url: str, acknowledged: list[str]) -> StoreCheck:
    """Count the acknowledged event ids in the store, and the log's positions."""
    location = StoreLocation.parse(url)
    table = f"{location.schema}.slaledger_events"
    ids = sorted(set(acknowledged))
    with psycopg.connect(location.connection_string()) as conn:
        (found,) = one_row(conn, f"SELECT count(*) FROM {table} WHERE event_id = ANY(%s)", (ids,))
        (by_load,) = one_row(
            conn, f"SELECT count(*) FROM {table} WHERE event_id LIKE %s", (f"{WRITE_PREFIX}-%",)
        )
        events, first, last = one_row(
            conn, f"SELECT count(*), min(notification_id), max(notification_id) FROM {table}"
        )
    return StoreCheck(len(ids), found, by_load, events, first or 0, last or 0)


# --- the report -----------------------------------------------------------------------------------


@dataclass
class Results:
    """Every round of one scenario (the floor or the API)."""

    writes: Series
    reads: Series
    latencies: dict[str, dict[str, list[float]]] = field(
        default_factory=lambda: {"write": defaultdict(list), "read": defaultdict(list)}
    )
    errors: list[str] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)
    lag_after_load: list[int] = field(default_factory=list)
    foreign_shares: list[float] = field(default_factory=list)

    def add(self, measured: Measured) -> None:
        self.writes.add(measured.writes_per_second, measured.phase)
        self.reads.add(measured.reads_per_second, measured.phase)
        self.foreign_shares.append(measured.phase.foreign_share)
        for direction, kinds in measured.latencies.items():
            for kind, values in kinds.items():
                self.latencies[direction][kind] += values
        self.errors += measured.errors
        self.acknowledged += measured.acknowledged

    def all_latencies(self, direction: str) -> list[float]:
        return [value for values in self.latencies[direction].values() for value in values]


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def p50_p99(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{percentile(values, 0.5) * 1e3:.1f} / {percentile(values, 0.99) * 1e3:.1f} ms"


def noise(results: Results) -> str:
    noisy, worst = results.writes.noisy_runs, max(results.foreign_shares)
    shares = f"other processes up to {worst:.0%} CPU"
    return f"{noisy} noisy phase(s): {shares}" if noisy else f"quiet ({shares})"


def scenario_row(name: str, results: Results, ratio: str) -> tuple[str, ...]:
    return (
        name,
        f"{results.writes.median:,.0f}",
        f"{results.reads.median:,.0f}",
        p50_p99(results.all_latencies("write")),
        p50_p99(results.all_latencies("read")),
        str(len(results.errors)),
        ratio,
        noise(results),
    )


def ratio_text(api: Series, floor: Series) -> str:
    if not all(floor.values):
        return "-"
    return f"{ratio_median(api, floor):.2f}x"


def summary_table(args: argparse.Namespace, floor: Results, api: Results) -> str:
    load = f"{args.writers} writers + {args.readers} readers"
    ratio = (
        f"writes {ratio_text(api.writes, floor.writes)}, reads {ratio_text(api.reads, floor.reads)}"
    )
    rows: list[tuple[str, ...]] = [
        SUMMARY_HEADER,
        scenario_row(f"floor: psycopg, {load}, table lock", floor, "-"),
        scenario_row(f"API: HTTP, {load}", api, ratio),
    ]
    return report(rows)


def request_table(api: Results) -> str:
    rows: list[tuple[str, ...]] = [("API request", "count", "p50 / p99")]
    for direction in ("write", "read"):
        for kind, values in sorted(api.latencies[direction].items()):
            rows.append((kind, f"{len(values):,}", p50_p99(values)))
    return report(rows)


def print_errors(errors: list[str]) -> None:
    """How many errors of each kind (request and answer), with the first example of each."""
    kinds: dict[str, list[str]] = defaultdict(list)
    for error in errors:
        kind, _, detail = error.partition(": ")
        kinds[kind].append(detail)
    for kind, details in sorted(kinds.items()):
        print(f"  {len(details):,} x {kind}, e.g. {details[0]}")


def print_first_traceback(log: str, lines: int = 12) -> None:
    start = log.find("Traceback")
    if start < 0:
        return
    print("first traceback in the server's log, last lines:")
    for line in log[start:].split("\nINFO:", maxsplit=1)[0].splitlines()[-lines:]:
        print(f"  {line}")


# --- main -----------------------------------------------------------------------------------------


def run_rounds(
    args: argparse.Namespace, database: StoreLocation, server: Server, data: Dataset, rows: int
) -> tuple[Results, Results]:
    floor = Results(Series("floor writes"), Series("floor reads"))
    api = Results(Series("API writes"), Series("API reads"))
    for round_number in range(args.rounds):
        checkpoint(database)
        floor.add(measure(floor_workers(args, database, rows), args.floor_seconds))
        checkpoint(database)
        api.add(measure(api_workers(args, server, data, round_number), args.seconds))
        api.lag_after_load.append(int(readiness(server).get("projection_lag_events", -1)))
        print(
            f"  round {round_number + 1}: floor {floor.writes.values[-1]:,.0f} writes/s, "
            f"{floor.reads.values[-1]:,.0f} reads/s; API {api.writes.values[-1]:,.0f} writes/s, "
            f"{api.reads.values[-1]:,.0f} reads/s, {len(api.errors):,} errors so far",
            flush=True,
        )
    return floor, api


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60, help="API load per round")
    parser.add_argument("--floor-seconds", type=float, default=15, help="floor load per round")
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--accounts", type=int, default=200, help="seeded accounts")
    parser.add_argument("--rounds", type=int, default=1, help="floor and API alternate")
    parser.add_argument("--server-log", type=Path, help="keep the server's output in this file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(machine_line())
    data = seed_data(args.accounts, random.Random(11))
    with scratch_dir() as directory, postgres_database("sla_ledger_bench") as database:
        url = schema_url(database, "api")
        operator_key, auditor_key, seeded = seed_store(url, data)
        create_floor_table(database, seeded)
        print(f"seeded {seeded:,} events for {args.accounts} accounts; serving ...", flush=True)
        log = directory / "server.log"
        with serving(url, log, operator_key, auditor_key) as server:
            floor, api = run_rounds(args, database, server, data, seeded)
            exit_code = stop(server)
        server_log = log.read_text(errors="replace")
        if args.server_log:
            args.server_log.write_text(server_log)
        check = check_store(url, api.acknowledged)
    print()
    print(summary_table(args, floor, api))
    print()
    print(request_table(api))
    if api.errors or floor.errors:
        print(f"\nerrors ({len(api.errors) + len(floor.errors):,}):")
        print_errors(api.errors + floor.errors)
    print(
        f"\nstore: acknowledged {check.acknowledged:,}, found {check.found:,}, "
        f"missing {check.missing:,}; {check.stored_by_load - check.found:,} stored without "
        f"acknowledgement; {check.events:,} events at positions {check.first:,}..{check.last:,} "
        f"({'gap-free' if check.gap_free else 'GAPS'})"
    )
    print(
        f"server: exit code {exit_code} after SIGINT, {server_log.count('Traceback')} "
        f"traceback(s) in its log; read-model lag right after the load: "
        f"{', '.join(map(str, api.lag_after_load))} events"
    )
    print_first_traceback(server_log)
    return 0 if check.ok else 1


if __name__ == "__main__":
    sys.exit(main())
