"""Helpers shared by the benchmarks (see ../shared/reference/performance.md for the protocol).

Every benchmark measures a raw floor - plain sqlite3/psycopg doing the same I/O - in the same run,
alternates floor and ledger, and reports the median ratio beside the absolute figures. A phase in
which other processes used more than 5% of the CPU is flagged, not hidden.
"""

from __future__ import annotations

import contextlib
import os
import platform
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from ledger.store.location import StoreLocation

SERVER = os.environ.get(
    "SLA_LEDGER_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def machine_line() -> str:
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{platform.node()}: {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}"


def _busy_ticks() -> int:
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in fields]
    return sum(values) - values[3] - values[4]  # minus idle and iowait


def _own_ticks() -> int:
    """CPU ticks of this process and its descendants (live, and exited ones it waited for) and
    of the PostgreSQL server: our own load."""
    processes: dict[int, tuple[int, str, list[str]]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            text = stat.read_text()
            name = text[text.index("(") + 1 : text.rindex(")")]
            rest = text[text.rindex(")") + 2 :].split()
            processes[int(stat.parent.name)] = (int(rest[1]), name, rest)
    total = 0
    for pid, (_, name, rest) in processes.items():
        if pid == os.getpid() or name.startswith(("postgres", "postmaster")):
            # utime, stime, and the exited children's (a closed connection's backend process is
            # the postmaster's child)
            total += sum(int(v) for v in rest[11:15])
        elif _descends_from_us(pid, processes):
            total += int(rest[11]) + int(rest[12])
    return total


def _descends_from_us(pid: int, processes: dict[int, tuple[int, str, list[str]]]) -> bool:
    seen = 0
    while pid in processes and seen < 64:
        pid, seen = processes[pid][0], seen + 1
        if pid == os.getpid():
            return True
    return False


@dataclass
class Phase:
    """A timed phase and how busy the rest of the machine was meanwhile."""

    seconds: float = 0.0
    foreign_share: float = 0.0

    @property
    def noisy(self) -> bool:
        return self.foreign_share > 0.05


@contextlib.contextmanager
def timed() -> Iterator[Phase]:
    phase = Phase()
    busy, own = _busy_ticks(), _own_ticks()
    started = time.perf_counter()
    try:
        yield phase
    finally:
        phase.seconds = time.perf_counter() - started
        ticks_per_second = os.sysconf("SC_CLK_TCK")
        capacity = phase.seconds * ticks_per_second * (os.cpu_count() or 1)
        foreign = (_busy_ticks() - busy) - (_own_ticks() - own)
        phase.foreign_share = max(0.0, foreign / capacity) if capacity else 0.0


@dataclass
class Series:
    """Repeated measurements of one quantity."""

    name: str
    values: list[float] = field(default_factory=list)
    noisy_runs: int = 0

    def add(self, value: float, phase: Phase | None = None) -> None:
        self.values.append(value)
        if phase is not None and phase.noisy:
            self.noisy_runs += 1

    @property
    def median(self) -> float:
        return statistics.median(self.values)


def ratio_median(ledger: Series, floor: Series) -> float:
    """Median of the per-run ratios (each run's ledger rate divided by its own floor rate)."""
    return statistics.median(a / b for a, b in zip(ledger.values, floor.values, strict=True))


@contextlib.contextmanager
def postgres_database(prefix: str) -> Iterator[StoreLocation]:
    """A database of this run's own on the bench server, dropped afterwards."""
    server = StoreLocation.parse(SERVER)
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(server.connection_string(), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield StoreLocation(
            "postgresql",
            host=server.host,
            port=server.port,
            user=server.user,
            password=server.password,
            dbname=name,
        )
    finally:
        with psycopg.connect(server.connection_string(), autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def schema_url(database: StoreLocation, schema: str) -> str:
    return f"postgresql://{database.user}@{database.host}:{database.port}/{database.dbname}?schema={schema}"


@dataclass(frozen=True)
class Store:
    """One back end under benchmark: where its stores live, and what precedes a timed write."""

    name: str  # "SQLite" or "PostgreSQL"
    url: Callable[[str], str]  # a store's name -> its URL
    before_write: Callable[[], None]


@contextlib.contextmanager
def stores(choice: str) -> Iterator[list[Store]]:
    """The back ends `choice` names ("sqlite", "postgres" or "both"), in scratch space that is
    removed afterwards (a directory for SQLite, a database of this run's own for PostgreSQL)."""
    with scratch_dir() as directory, postgres_database("sla_ledger_bench") as database:
        chosen = []
        if choice in ("sqlite", "both"):
            chosen.append(
                Store("SQLite", lambda name: f"sqlite:///{directory}/{name}.db", _nothing)
            )
        if choice in ("postgres", "both"):
            chosen.append(
                Store(
                    "PostgreSQL",
                    lambda name: schema_url(database, name),
                    lambda: checkpoint(database),
                )
            )
        yield chosen


def _nothing() -> None:
    pass


def checkpoint(database: StoreLocation) -> None:
    with psycopg.connect(database.connection_string(), autocommit=True) as conn:
        conn.execute("CHECKPOINT")


@contextlib.contextmanager
def scratch_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="sla-ledger-bench-") as directory:
        yield Path(directory)


def report(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    )


def run_alternating(runs: int, steps: list[tuple[str, Callable[[int], Any]]]) -> None:
    """Run each step once per round, in order, for `runs` rounds (floor and ledger interleaved)."""
    for round_number in range(runs):
        for _, step in steps:
            step(round_number)
