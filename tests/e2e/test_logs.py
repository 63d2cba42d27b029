"""Structured logs: one JSON line on stderr per write, per refused batch, per projection page."""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.test_cli_import import run
from tests.factories import ndjson, outage, signed


def json_lines(stderr: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def test_a_write_a_refusal_and_projection_pages_each_log_one_json_line(database_url: str) -> None:
    facts = ndjson(signed("acme"), outage("o-1", "2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z"))
    done = run(database_url, "import", "-", stdin=facts)
    assert done.returncode == 0, done.stderr
    [write] = [line for line in json_lines(done.stderr) if line["event"] == "write"]
    assert (write["level"], write["actor"], write["recorded"], write["positions"]) == (
        "INFO", "cli", 3, [1, 2, 3],
    )  # fmt: skip
    assert len(write["event_ids"]) == 3 and write["time"].endswith("+00:00")

    refused = run(database_url, "import", "-", stdin=ndjson(outage("o-2", "x", "y")))
    assert refused.returncode == 1
    [line] = json_lines(refused.stderr)
    assert (line["event"], line["level"], line["reason"]) == ("refused", "WARNING", "invalid")

    pages = run(database_url, "project", "--once")
    assert pages.returncode == 0, pages.stderr
    [page] = [line for line in json_lines(pages.stderr) if line["event"] == "projection page"]
    assert (page["first_position"], page["last_position"], page["events"]) == (1, 3, 3)


def test_the_level_is_configurable(database_url: str) -> None:
    quiet = run(database_url, "--log-level", "warning", "import", "-", stdin=ndjson(signed("a")))
    assert quiet.returncode == 0 and json_lines(quiet.stderr) == []
