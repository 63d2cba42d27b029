"""chaos: an operator's bad day, on loopback, against a throwaway PostgreSQL cluster of its own.

Scenarios (each bounded by its options):
  server   `kill -9` of `sla-ledger serve` under W writers (--kills times), restarted each time
  import   `kill -9` of `sla-ledger import` of an L-line file (--import-kills times): all or nothing
  postgres `restart -m fast`, `restart -m immediate`, and a --stop-seconds stop, under load
  project  `kill -9` of `sla-ledger project` (--project-kills times), then the read models are
           compared with a rebuild
Writers post two facts (an outage's start and end) with their own event_ids and retry the same
request after any failure; an acknowledged write is a 2xx. At the end every acknowledged event_id
is looked up: lost = acknowledged but not stored; twice = one event_id stored more than once.
Prints acknowledged / stored / lost / stored twice / 5xx other than 503 / read-model differences,
and exits 1 if any of lost, twice, non-503 5xx or differences is not 0.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.bootstrap import open_services
from api.settings import Settings
from ledger.timevalues import Month
from tests.pgcluster import ThrowawayPostgres, _free_port

ACCOUNTS = [f"acct-{n}" for n in range(4)]
CLOCK = datetime(2027, 1, 1, tzinfo=UTC)


def cli(url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SLA_LEDGER_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


class Server:
    def __init__(self, url: str, log: Path, follow: bool = True) -> None:
        self.url, self.log, self.follow = url, log, follow
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**os.environ, "SLA_LEDGER_DATABASE_URL": self.url}
        follow = "--follow" if self.follow else "--no-follow"
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "api.cli", "serve", "--port", str(self.port), follow],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise SystemExit("the server did not start within 60 s")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.acknowledged: list[str] = []
        self.statuses: Counter[int] = Counter()
        self.bad: list[str] = []


def writer(server: Server, secret: str, tag: str, stop: threading.Event, tally: Tally) -> None:
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/x-ndjson"}
    n = 0
    with httpx.Client(timeout=30) as client:
        while not stop.is_set():
            n += 1
            ids = [f"{tag}-{n}-s", f"{tag}-{n}-e"]
            account = ACCOUNTS[n % len(ACCOUNTS)]
            day = 1 + n % 28
            start = {
                "type": "outage.started",
                "outage_id": f"o-{tag}-{n}",
                "event_id": ids[0],
                "at": f"2026-04-{day:02d}T10:00:00Z",
                "accounts": [account],
            }
            end = {
                "type": "outage.ended",
                "outage_id": f"o-{tag}-{n}",
                "event_id": ids[1],
                "at": f"2026-04-{day:02d}T10:07:00Z",
            }
            body = json.dumps(start) + "\n" + json.dumps(end) + "\n"
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:  # retry the same request until acknowledged
                try:
                    answer = client.post(f"{server.base}/events", content=body, headers=headers)
                except httpx.TransportError:
                    time.sleep(0.1)
                    continue
                with tally.lock:
                    tally.statuses[answer.status_code] += 1
                    if answer.status_code >= 500 and answer.status_code != 503:
                        tally.bad.append(answer.text[:200])
                if answer.is_success:
                    with tally.lock:
                        tally.acknowledged.extend(ids)
                    break
                time.sleep(0.1)


def under_load(server: Server, secret: str, writers: int, tally: Tally, chaos: Any) -> None:
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=writer, args=(server, secret, f"w{i}-{time.monotonic_ns()}", stop, tally)
        )
        for i in range(writers)
    ]
    for thread in threads:
        thread.start()
    try:
        chaos()
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=180)


def stored_ids(url: str) -> Counter[str]:
    services = open_services(Settings(database_url=url, follow=False), catch_up=False)
    try:
        reader = services.ledger.reader
        head = reader.head()[0]
        found: Counter[str] = Counter()
        after = 0
        while True:
            rows = reader.list_events(
                account=None, valid_from=None, valid_to=None, upto=head, after=after, limit=1000
            )
            if not rows:
                return found
            for row in rows:
                found[str(row.data().get("event_id"))] += 1
            after = rows[-1].position
    finally:
        services.close()


def read_models_differ(url: str) -> int:
    """Reports from the read models the killed projection kept that differ from a rebuild's."""
    services = open_services(
        Settings(database_url=url, follow=False), catch_up=False, clock=lambda: CLOCK
    )
    try:
        services.runner.catch_up()
        months = [Month(2026, m) for m in range(1, 13)]

        def snapshot() -> dict[str, Any]:
            return {
                f"{a} {m}": services.reports.availability(a, m).model_dump(mode="json")
                for a in ACCOUNTS
                for m in months
            }

        kept = snapshot()
        services.runner.rebuild()
        rebuilt = snapshot()
        return sum(1 for key in kept if kept[key] != rebuilt[key])
    finally:
        services.close()


def main() -> int:  # noqa: PLR0915 (one scenario after another, read top to bottom)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--kills", type=int, default=10, help="kill -9s of the server")
    parser.add_argument("--import-kills", type=int, default=5)
    parser.add_argument("--import-lines", type=int, default=20_000)
    parser.add_argument("--project-kills", type=int, default=5)
    parser.add_argument("--stop-seconds", type=float, default=10.0)
    args = parser.parse_args()

    cluster = ThrowawayPostgres()
    work = cluster.dir / "chaos"
    work.mkdir()
    url = cluster.url
    figures: dict[str, Any] = {}
    server = Server(url, work / "server.log")
    try:
        terms = {"template": "lifesize-extreme"}
        facts = "".join(
            json.dumps(
                {
                    "type": "contract.signed",
                    "account_id": a,
                    "effective_from": "2026-01-01T00:00:00Z",
                    "terms": terms,
                }
            )
            + "\n"
            for a in ACCOUNTS
        )
        assert cli(url, "import", "-", stdin=facts).returncode == 0
        secret = cli(url, "keys", "create", "--role", "operator").stdout.strip()
        tally = Tally()
        server.start()

        def kill_servers() -> None:
            for _ in range(args.kills):
                time.sleep(1.0)
                server.kill()
                server.start()
            time.sleep(1.0)

        under_load(server, secret, args.writers, tally, kill_servers)

        def postgres_blips() -> None:
            for mode in ("fast", "immediate"):
                time.sleep(1.0)
                cluster.restart(mode)
            time.sleep(1.0)
            cluster.stop("fast")
            time.sleep(args.stop_seconds)
            cluster.start()
            time.sleep(3.0)

        started = time.monotonic()
        under_load(server, secret, args.writers, tally, postgres_blips)
        figures["postgres phase seconds"] = round(time.monotonic() - started, 1)
        server.stop()

        # kill -9 of imports: each attempt appends all its lines or none
        before = sum(stored_ids(url).values())
        lines = "".join(
            json.dumps(
                {
                    "type": "outage.started",
                    "outage_id": f"imp-{n}",
                    "event_id": f"imp-{n}",
                    "at": "2026-05-01T10:00:00Z",
                    "accounts": [ACCOUNTS[n % 4]],
                }
            )
            + "\n"
            for n in range(args.import_lines)
        )
        path = work / "import.ndjson"
        path.write_text(lines)
        partial = 0
        env = {**os.environ, "SLA_LEDGER_DATABASE_URL": url}
        for attempt in range(args.import_kills):
            process = subprocess.Popen(
                [sys.executable, "-m", "api.cli", "import", str(path)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(0.5 + attempt * 0.7)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
            now = sum(stored_ids(url).values())
            if now not in (before, before + args.import_lines):
                partial += 1
        finished = cli(url, "import", str(path))
        assert finished.returncode == 0, finished.stderr
        after_import = sum(stored_ids(url).values())
        import_ok = after_import == before + args.import_lines
        figures["import kills partial"] = partial + (0 if import_ok else 1)

        # kill -9 of the projection process, beside a server that does not follow
        server = Server(url, work / "server2.log", follow=False)
        server.start()

        def kill_projection() -> None:
            for _ in range(args.project_kills):
                project = subprocess.Popen(
                    [sys.executable, "-m", "api.cli", "project", "--poll", "0.1"],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                time.sleep(1.5)
                project.send_signal(signal.SIGKILL)
                project.wait(timeout=30)

        under_load(server, secret, args.writers, tally, kill_projection)
        server.stop()
        differences = read_models_differ(url)

        stored = stored_ids(url)
        acknowledged = set(tally.acknowledged)
        lost = sum(1 for event_id in acknowledged if stored[event_id] == 0)
        twice = sum(1 for count in stored.values() if count > 1)
        non_503 = sum(n for status, n in tally.statuses.items() if status >= 500 and status != 503)
        results = {
            "acknowledged": len(acknowledged),
            "stored": sum(stored.values()),
            "lost": lost,
            "stored twice": twice,
            "5xx other than 503": non_503,
            "503 answers": tally.statuses.get(503, 0),
            "import kills leaving a partial import": figures["import kills partial"],
            "read models differing from a rebuild": differences,
            "server kills": args.kills,
            "import kills": args.import_kills,
            "projection kills": args.project_kills,
            "postgres": f"restart -m fast, restart -m immediate, stop {args.stop_seconds:g} s",
        }
        for name, value in results.items():
            print(f"{name:40} {value}")
        for text in tally.bad[:5]:
            print("  non-503:", text)
        failed = lost or twice or non_503 or differences or figures["import kills partial"]
        return 1 if failed else 0
    finally:
        server.stop()
        cluster.destroy()


if __name__ == "__main__":
    raise SystemExit(main())
