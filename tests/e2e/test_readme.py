"""The README's examples run (issue 13 item 7): every block of facts imports cleanly into a fresh
store, and the curl walkthrough runs against a served API without a refusal or a non-2xx."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_cli_import import run, write
from tests.e2e.test_served_api import Served, served  # noqa: F401 (the fixture)

README = (Path(__file__).parents[2] / "README.md").read_text()


def fact_blocks() -> list[list[dict[str, Any]]]:
    """Every ```json block that holds facts: one per line (NDJSON), or one written over lines."""
    found = []
    for block in re.findall(r"```json\n(.*?)```", README, re.S):
        try:
            facts = [json.loads(line) for line in block.splitlines() if line.strip()]
        except json.JSONDecodeError:
            facts = [json.loads(block)]
        if all(isinstance(fact, dict) and "type" in fact for fact in facts):
            found.append(facts)
    return found


BLOCKS = fact_blocks()


def test_the_readme_has_its_fact_blocks() -> None:
    assert len(BLOCKS) >= 4  # the import format, the amendment, the two source SLAs


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_a_readme_block_of_facts_imports_cleanly(
    index: int, database_url: str, tmp_path: Path
) -> None:
    facts = BLOCKS[index]
    text = "".join(json.dumps(fact) + "\n" for fact in facts)
    imported = run(database_url, "import", write(tmp_path, "block.ndjson", text), "--json")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    result = json.loads(imported.stdout)
    assert result["recorded"] == len(facts) and result["warnings"] == []


def walkthrough() -> str:
    blocks = [b for b in re.findall(r"```sh\n(.*?)```", README, re.S) if "curl" in b]
    assert len(blocks) == 1
    return str(blocks[0])


def test_the_readme_curl_walkthrough_runs(served: Served, tmp_path: Path) -> None:  # noqa: F811
    script = walkthrough().replace("http://127.0.0.1:8000", served.base_url)
    prelude = (
        "set -euo pipefail\n"
        # every call fails the script on a non-2xx answer; every wait is bounded
        'curl() { command curl --silent --show-error --fail-with-body --max-time 30 "$@"; '
        "echo; }\n"
    )
    (tmp_path / "facts.ndjson").write_text("".join(json.dumps(fact) + "\n" for fact in BLOCKS[0]))
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        "SLA_LEDGER_DATABASE_URL": served.database_url,
    }
    done = subprocess.run(
        ["bash", "-c", prelude + script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    answers = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    replay = answers[-1]
    # April: o-17 corrected to 11:55-12:40, 2 700 s of 2 592 000: 99.8958 %, below 99.9: 10 % of
    # 1000.00. The what-if's stricter target keeps the fee and the tiers (a patch): the same.
    assert replay["totals"]["EUR"] == {"old": "100.00", "new": "100.00", "difference": "0.00"}
    now, then = (a for a in answers if a.get("month") == "2026-04" and "target_percent" in a)
    assert then["as_of"] is not None and now["as_of"] is None
