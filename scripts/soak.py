"""soak: `sla-ledger serve` under steady writes and reads for --minutes; its RSS and the slope.

A throwaway PostgreSQL cluster (loopback); one writer posting closed outages (their own
event_ids, one per account and day, the days advancing so no report keeps growing); two readers
asking for a recently written month's availability, a page of events and /readyz, in closed
loops. A failed request is counted and the loop goes on. The server's RSS (/proc/<pid>/status
VmRSS) is sampled every --sample-seconds; the slope is a least-squares fit over the samples after
the first minute (warm-up: caches and pools fill) and over the last half alone, in MiB per
minute: growth without bound keeps the second slope up, a filling cache brings it down to 0.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import threading
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from chaos import ACCOUNTS, Server, cli

from tests.pgcluster import ThrowawayPostgres


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def slope(points: list[tuple[float, float]]) -> float:
    n = len(points)
    if n < 2:
        return 0.0
    mean_t = sum(t for t, _ in points) / n
    mean_r = sum(r for _, r in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    return sum((t - mean_t) * (r - mean_r) for t, r in points) / var if var else 0.0


FIRST_DAY = date(1950, 1, 1)
DAYS = 365 * 70  # then round again: a 30-minute soak at 60 writes/s writes about 27,000 days


def soak_outage(n: int) -> tuple[str, str, list[dict[str, object]]]:
    """The n-th write: a 7-minute outage of one account, closed, on the account's next day. The
    log grows by new days and months, as a ledger's does, so no one report keeps growing (each
    account-month holds at most 31 outages): growth that remains is the server's, not the data's.
    """
    account = ACCOUNTS[n % len(ACCOUNTS)]
    day = FIRST_DAY + timedelta(days=(n // len(ACCOUNTS)) % DAYS)
    start = f"{day.isoformat()}T10:00:00Z"
    facts: list[dict[str, object]] = [
        {"type": "outage.started", "outage_id": f"soak-{n}", "event_id": f"soak-{n}-s",
         "at": start, "accounts": [account]},
        {"type": "outage.ended", "outage_id": f"soak-{n}", "event_id": f"soak-{n}-e",
         "at": start.replace("T10:00", "T10:07")},
    ]  # fmt: skip
    return account, day.isoformat()[:7], facts


def write_loop(
    base: str, secret: str, stop: threading.Event, counts: Counter[str], latest: list[int]
) -> None:
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/x-ndjson"}
    with httpx.Client(base_url=base, timeout=30) as client:
        for n in itertools.count():
            if stop.is_set():
                return
            body = "".join(json.dumps(fact) + "\n" for fact in soak_outage(n)[2])
            try:
                answer = client.post("/events", content=body, headers=headers)
            except httpx.HTTPError as error:
                counts[f"write {type(error).__name__}"] += 1
                continue
            counts["writes" if answer.is_success else f"write {answer.status_code}"] += 1
            latest[0] = n


def read_loop(
    base: str, secret: str, stop: threading.Event, counts: Counter[str], latest: list[int]
) -> None:
    """Reads what was just written: the month of a recent outage, a page of events, /readyz."""
    headers = {"Authorization": f"Bearer {secret}"}
    with httpx.Client(base_url=base, timeout=30) as client:
        for turn in itertools.count():
            if stop.is_set():
                return
            account, month, _ = soak_outage(max(0, latest[0] - turn % 50))
            path = [f"/accounts/{account}/availability/{month}", "/events", "/readyz"][turn % 3]
            try:
                answer = client.get(path, headers=headers)
            except httpx.HTTPError as error:  # counted; the loop goes on
                counts[f"read {type(error).__name__}"] += 1
                continue
            counts["reads" if answer.is_success else f"read {answer.status_code}"] += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--sample-seconds", type=float, default=10.0)
    args = parser.parse_args()
    cluster = ThrowawayPostgres()
    server = Server(cluster.url, cluster.dir / "soak-server.log")
    try:
        contracts = "".join(
            json.dumps(
                {
                    "type": "contract.signed",
                    "account_id": a,
                    "effective_from": "1950-01-01T00:00:00Z",
                    "terms": {"template": "lifesize-extreme"},
                }
            )
            + "\n"
            for a in ACCOUNTS
        )
        assert cli(cluster.url, "import", "-", stdin=contracts).returncode == 0
        secret = cli(cluster.url, "keys", "create", "--role", "operator").stdout.strip()
        server.start()
        assert server.process is not None
        pid = server.process.pid
        stop = threading.Event()
        counts: Counter[str] = Counter()
        latest = [0]
        shared = (server.base, secret, stop, counts, latest)
        threads = [threading.Thread(target=write_loop, args=shared)]
        threads += [threading.Thread(target=read_loop, args=shared) for _ in range(2)]
        for thread in threads:
            thread.start()
        started = time.monotonic()
        samples: list[tuple[float, float]] = []
        try:
            while (elapsed := time.monotonic() - started) < args.minutes * 60:
                samples.append((elapsed / 60, rss_mib(pid)))
                print(
                    f"{elapsed / 60:6.2f} min  RSS {samples[-1][1]:7.1f} MiB  {dict(counts)}",
                    flush=True,
                )
                time.sleep(args.sample_seconds)
            samples.append(((time.monotonic() - started) / 60, rss_mib(pid)))
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
        after_warmup = [s for s in samples if s[0] >= 1.0] or samples
        last_half = [s for s in samples if s[0] >= args.minutes / 2] or samples
        print(
            f"minutes {args.minutes:g}; RSS {samples[0][1]:.1f} -> {samples[-1][1]:.1f} MiB "
            f"(peak {max(r for _, r in samples):.1f}); slope after the first minute "
            f"{slope(after_warmup):+.2f} MiB/min, over the last half {slope(last_half):+.2f} "
            f"MiB/min; {dict(counts)}"
        )
        failed = sum(v for k, v in counts.items() if k not in ("writes", "reads"))
        return 1 if failed else 0
    finally:
        server.stop()
        cluster.destroy()


if __name__ == "__main__":
    raise SystemExit(main())
