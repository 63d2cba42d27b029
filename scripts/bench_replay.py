"""bench_replay: what-if replay of a year under proposed terms, for one account and for all.

Data: one year for N accounts (default 10,000 accounts, 1,000,000 outage and maintenance events),
the same generator as bench_availability. The proposed terms tighten the target from 99.9 % to
99.95 % and add a 5 % tier below it. Every replay runs in a fresh process, so its peak memory
(max RSS) is its own, and is asked for 2026-01..2026-12 with the clock fixed after the year, so
two runs must answer byte for byte the same (checked by a digest of the JSON).

For each back end, alternating in every round:
  floor (all)  - read every stored event and json.loads its payload (plain sqlite3 / psycopg)
  replay (all) - `sla-ledger replay --all-accounts`: every account-year, old vs new terms
  rebuild      - `sla-ledger rebuild` of the read models, for scale (S5 asks replay <= rebuild)
  floor (one)  - plain SQL: one account's events through the scope index, json-decoded
  replay (one) - `sla-ledger replay --account A`: one account-year (several accounts, median)
Peak memory is the replay process's own; the workers it forks to split the comparisons across
cores share its pages copy-on-write and are not added.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from bench_availability import load, read_floor
from benchlib import Series, Store, machine_line, ratio_median, report, stores, timed
from sampledata import availability_terms, availability_year

from api.bootstrap import wire
from ledger.store.location import StoreLocation
from ledger.store.opening import open_ledger
from ledger.timevalues import Month

PROPOSED: dict[str, Any] = {
    **availability_terms("1000.00"),
    "availability": {"target_percent": "99.95"},
}
PROPOSED["credits"] = {
    **PROPOSED["credits"],
    "availability_tiers": [
        {"below_percent": "99.95", "credit_percent": "5"},
        *PROPOSED["credits"]["availability_tiers"],
    ],
}
AFTER_THE_YEAR = datetime(2027, 2, 1, tzinfo=UTC)
COLUMNS = "recorded_at, event_id, topic, originator_id, originator_version, valid_at, state"


def peak_rss_kib() -> int:
    """This process's peak resident memory (VmHWM). Not `ru_maxrss`: Linux carries that over
    from the parent through fork and exec, and the parent holds the whole generated year."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(url: str, account: str | None) -> None:
    """Run one replay in this (fresh) process and print seconds, peak RSS and a digest."""
    ledger = open_ledger(url)
    reports = wire(ledger, catch_up=False, clock=lambda: AFTER_THE_YEAR).reports
    started = time.perf_counter()
    every = account is None
    replay = reports.replay(PROPOSED, Month(2026, 1), Month(2026, 12), account, all_accounts=every)
    seconds = time.perf_counter() - started
    answer = replay.model_dump_json(exclude={"query_time"})
    peak_kib = peak_rss_kib()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_mib": peak_kib / 1024,
                "digest": hashlib.sha256(answer.encode()).hexdigest(),
                "months": len(replay.months),
                "difference": {c: t["difference"] for c, t in replay.totals.items()},
            }
        )
    )


def replay_in_fresh_process(url: str, account: str | None) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__)), "--child", url]
    if account:
        command += ["--account", account]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"replay failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def sqlite_account_floor(url: str, account: str) -> int:
    with sqlite3.connect(StoreLocation.parse(url).path) as conn:
        rows = conn.execute(
            f"SELECT rowid, {COLUMNS} FROM stored_events WHERE originator_id IN "
            "(SELECT originator_id FROM event_scopes WHERE account_key IN (?, '*')) "
            "ORDER BY rowid",
            (account,),
        ).fetchall()
    for row in rows:
        json.loads(row[7])
    return len(rows)


def postgres_account_floor(url: str, account: str) -> int:
    location = StoreLocation.parse(url)
    with psycopg.connect(location.connection_string()) as conn:
        rows = conn.execute(
            f"SELECT notification_id, {COLUMNS} FROM {location.schema}.slaledger_events "
            "WHERE originator_id IN (SELECT originator_id FROM "
            f"{location.schema}.slaledger_event_scopes WHERE account_key IN (%s, '*')) "
            "ORDER BY notification_id",
            (account,),
            binary=True,
        ).fetchall()
    for row in rows:
        json.loads(row[7])
    return len(rows)


def bench(
    store: Store, args: argparse.Namespace, facts: list[dict[str, Any]]
) -> list[tuple[str, ...]]:
    name, url, floor = store.name, store.url("replay"), read_floor(store)
    account_floor = sqlite_account_floor if store.name == "SQLite" else postgres_account_floor
    print(f"{name}: importing {len(facts):,} facts ...", flush=True)
    ledger = open_ledger(url)
    started = time.perf_counter()
    load(ledger, facts)
    print(f"  imported in {time.perf_counter() - started:.0f} s", flush=True)
    events = ledger.reader.head()[0]
    gc.collect()
    gc.freeze()
    rng = random.Random(11)
    accounts = [f"acct-{n:05d}" for n in range(args.accounts)]
    series = {key: Series(key) for key in ("floor", "all", "rebuild", "floor-one", "one")}
    digests: set[str] = set()
    peaks: list[float] = []
    one_peaks: list[float] = []
    for _ in range(args.rounds):
        with timed() as phase:
            floor(url)
        series["floor"].add(phase.seconds, phase)
        everyone = replay_in_fresh_process(url, None)
        series["all"].add(everyone["seconds"])
        digests.add(everyone["digest"])
        peaks.append(everyone["peak_mib"])
        store.before_write()
        with timed() as phase:
            wire(ledger).runner.rebuild()
        series["rebuild"].add(phase.seconds, phase)
        for account in rng.sample(accounts, args.single):
            with timed() as phase:
                account_floor(url, account)
            series["floor-one"].add(phase.seconds, phase)
            one = replay_in_fresh_process(url, account)
            series["one"].add(one["seconds"])
            one_peaks.append(one["peak_mib"])
        print(
            f"  round: floor {series['floor'].values[-1]:.1f} s, replay all "
            f"{everyone['seconds']:.1f} s ({everyone['peak_mib']:.0f} MiB, {everyone['months']:,}"
            f" account-months, difference {everyone['difference']}), rebuild "
            f"{series['rebuild'].values[-1]:.1f} s, replay one {one['seconds'] * 1e3:.0f} ms",
            flush=True,
        )
    ledger.close()
    noisy = sum(s.noisy_runs for s in series.values())
    identical = "identical" if len(digests) == 1 else f"{len(digests)} DIFFERENT answers"
    return [
        (
            name,
            "replay, all accounts",
            f"{args.accounts:,} account-years, {events:,} events",
            f"{series['all'].median:.1f} s, peak RSS {max(peaks):,.0f} MiB",
            f"floor {series['floor'].median:.1f} s; rebuild {series['rebuild'].median:.1f} s",
            f"{ratio_median(series['all'], series['floor']):.2f}x floor, "
            f"{ratio_median(series['all'], series['rebuild']):.2f}x rebuild",
            f"{args.rounds} runs {identical}; {noisy} noisy phase(s)" if noisy else identical,
        ),
        (
            name,
            "replay, one account",
            f"1 account-year x {len(series['one'].values)}",
            f"median {series['one'].median * 1e3:.0f} ms, max {max(series['one'].values) * 1e3:.0f}"
            f" ms, peak RSS {max(one_peaks):,.0f} MiB",
            f"floor {series['floor-one'].median * 1e3:.1f} ms",
            f"{statistics.median(series['one'].values) / series['floor-one'].median:.1f}x",
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
    parser.add_argument("--single", type=int, default=3, help="one-account replays per round")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--child", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--account", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.account)
        return 0
    print(machine_line())
    facts = list(availability_year(args.accounts, args.events))
    rows = [("store", "scenario", "data", "ledger", "floor", "ratio", "notes")]
    with stores(args.backend) as chosen:
        for store in chosen:
            rows += bench(store, args, facts)
    print()
    print(report(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
