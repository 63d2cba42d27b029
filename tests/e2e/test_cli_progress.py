"""Progress on `rebuild` and `replay --all-accounts`: bars on a terminal, else summary lines."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import time
from pathlib import Path

from tests.e2e.test_cli_import import run
from tests.factories import ndjson, outage, signed

FACTS = ndjson(
    signed("acme"), signed("beta"), outage("o-1", "2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z")
)


def test_summary_lines_when_not_on_a_terminal(database_url: str, tmp_path: Path) -> None:
    assert run(database_url, "import", "-", stdin=FACTS).returncode == 0
    rebuilt = run(database_url, "--log-level", "WARNING", "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    stages = [line.split(":")[0] for line in rebuilt.stderr.splitlines()]
    assert stages == ["reading the log", "availability", "tickets", "writing"]
    assert "reading the log: 4 done in" in rebuilt.stderr
    assert rebuilt.stdout.startswith("rebuilt the read models from 4 events")

    terms = tmp_path / "terms.json"
    terms.write_text(json.dumps({"template": "lifesize-extreme"}))
    args = ["replay", "--terms", str(terms), "--from", "2026-03", "--to", "2026-03"]
    every = run(database_url, *args, "--all-accounts", "--json")
    assert every.returncode == 0, every.stderr
    assert (
        "reading the log: 4 done" in every.stderr and "comparing accounts: 2 done" in every.stderr
    )
    assert json.loads(every.stdout)["accounts"] == ["acme", "beta"]  # stdout is only the answer
    one = run(database_url, *args, "--account", "acme", "--json")
    assert one.returncode == 0 and "done in" not in one.stderr


def test_a_bar_on_a_terminal(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    assert run(url, "import", "-", stdin=FACTS).returncode == 0
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "--log-level", "WARNING", "rebuild"],
        stdout=follower, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "SLA_LEDGER_DATABASE_URL": url, "COLUMNS": "120"},
    )  # fmt: skip
    os.close(follower)
    output = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the command exited
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    assert process.wait(timeout=60) == 0
    text = output.decode(errors="replace")
    assert "reading the log" in text and "4/4" in text  # the bar, drawn then cleared
    assert "rebuilt the read models from 4 events" in text
    assert process.stderr is not None
    with process.stderr:
        assert "done in" not in process.stderr.read()
