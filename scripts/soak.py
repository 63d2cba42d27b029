"""soak: `sla-ledger serve` under steady writes and reads for --minutes; its RSS and the slope.

A throwaway PostgreSQL cluster (loopback), one writer posting outages with their own event_ids and
two readers asking for availability, events and /readyz, in closed loops. The server's RSS
(/proc/<pid>/status VmRSS) is sampled every --sample-seconds; the slope is a least-squares fit
over the samples after the first minute (warm-up: caches and pools fill), in MiB per minute.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import threading
import time
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


def write_loop(base: str, secret: str, stop: threading.Event, counts: dict[str, int]) -> None:
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/x-ndjson"}
    with httpx.Client(base_url=base, timeout=30) as client:
        for n in itertools.count():
            if stop.is_set():
                return
            fact = {
                "type": "outage.started",
                "outage_id": f"soak-{n}",
                "event_id": f"soak-{n}",
                "at": f"2026-04-{1 + n % 28:02d}T10:00:00Z",
                "accounts": [ACCOUNTS[n % 4]],
            }
            answer = client.post("/events", content=json.dumps(fact) + "\n", headers=headers)
            counts["writes" if answer.is_success else "errors"] += 1


def read_loop(base: str, secret: str, stop: threading.Event, counts: dict[str, int]) -> None:
    headers = {"Authorization": f"Bearer {secret}"}
    paths = [f"/accounts/{a}/availability/2026-04" for a in ACCOUNTS] + ["/events", "/readyz"]
    with httpx.Client(base_url=base, timeout=30) as client:
        for path in itertools.cycle(paths):
            if stop.is_set():
                return
            answer = client.get(path, headers=headers)
            counts["reads" if answer.is_success else "errors"] += 1


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
                    "effective_from": "2026-01-01T00:00:00Z",
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
        counts = {"writes": 0, "reads": 0, "errors": 0}
        threads = [threading.Thread(target=write_loop, args=(server.base, secret, stop, counts))]
        threads += [
            threading.Thread(target=read_loop, args=(server.base, secret, stop, counts))
            for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        started = time.monotonic()
        samples: list[tuple[float, float]] = []
        try:
            while (elapsed := time.monotonic() - started) < args.minutes * 60:
                samples.append((elapsed / 60, rss_mib(pid)))
                print(
                    f"{elapsed / 60:6.2f} min  RSS {samples[-1][1]:7.1f} MiB  {counts}", flush=True
                )
                time.sleep(args.sample_seconds)
            samples.append(((time.monotonic() - started) / 60, rss_mib(pid)))
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
        after_warmup = [s for s in samples if s[0] >= 1.0] or samples
        print(
            f"minutes {args.minutes:g}; RSS {samples[0][1]:.1f} -> {samples[-1][1]:.1f} MiB; "
            f"slope after the first minute {slope(after_warmup):+.2f} MiB/min; {counts}"
        )
        return 0
    finally:
        server.stop()
        cluster.destroy()


if __name__ == "__main__":
    raise SystemExit(main())
