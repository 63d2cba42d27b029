"""`sla-ledger import` and `sla-ledger events` run as a user runs them, on a real store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.factories import ndjson, outage, outage_ended, signed, ticket_opened


def run(
    database_url: str, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SLA_LEDGER_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_import_then_reimport_then_list(database_url: str, tmp_path: Path) -> None:
    file = write(
        tmp_path,
        "april.ndjson",
        ndjson(
            signed("acme"),
            outage("o-17", "2026-04-05T12:00:00Z", "2026-04-05T12:30:00Z", accounts=["acme"]),
        ),
    )
    first = run(database_url, "import", file)
    assert first.returncode == 0, first.stderr
    assert "recorded 3 events at positions 1-3" in first.stdout

    again = run(database_url, "import", file, "--json")
    result = json.loads(again.stdout)
    assert again.returncode == 0
    assert (result["recorded"], result["duplicates"]) == (0, 3)
    assert [event["position"] for event in result["events"]] == [1, 2, 3]

    listed = run(database_url, "events", "--account", "acme", "--json")
    events = json.loads(listed.stdout)
    assert [event["type"] for event in events] == [
        "contract.signed",
        "outage.started",
        "outage.ended",
    ]
    assert events[1]["valid_at"] == "2026-04-05T12:00:00Z"
    assert events[1]["payload"]["outage_id"] == "o-17"
    assert all(event["recorded_at"].endswith("Z") for event in events)


def test_a_bad_file_is_reported_line_by_line_and_appends_nothing(
    database_url: str, tmp_path: Path
) -> None:
    good = signed("acme")
    text = (
        ndjson(good)
        + "{not json\n"
        + ndjson(
            outage_ended("o-404", "2026-04-05T12:30:00Z"),
            ticket_opened("t-1", "2026-04-05T12:30:00"),
        )
    )
    result = run(database_url, "import", write(tmp_path, "bad.ndjson", text))
    assert result.returncode == 1
    assert "line 2: (line): not valid JSON" in result.stderr
    assert "line 3: outage_id: unknown outage 'o-404'" in result.stderr
    assert "line 4: at:" in result.stderr and "no UTC offset" in result.stderr
    assert "nothing was appended" in result.stderr

    as_json = run(database_url, "import", write(tmp_path, "bad.ndjson", text), "--json")
    assert as_json.returncode == 1
    assert [e["line"] for e in json.loads(as_json.stdout)["errors"]] == [2, 3, 4]

    listed = run(database_url, "events", "--json")
    assert json.loads(listed.stdout) == []


def test_import_from_stdin_and_a_conflict(database_url: str) -> None:
    first = run(database_url, "import", "-", stdin=ndjson({**signed("acme"), "event_id": "c-1"}))
    assert first.returncode == 0, first.stderr
    clash = run(database_url, "import", "-", stdin=ndjson({**signed("beta"), "event_id": "c-1"}))
    assert clash.returncode == 1
    assert "line 1: event_id: 'c-1' is already used by a different fact" in clash.stderr


def test_events_as_of_before_anything_was_recorded_is_empty(database_url: str) -> None:
    run(database_url, "import", "-", stdin=ndjson(signed("acme")))
    result = run(database_url, "events", "--as-of", "2020-01-01T00:00:00Z", "--json")
    assert json.loads(result.stdout) == []
    naive = run(database_url, "events", "--as-of", "2020-01-01T00:00:00")
    assert naive.returncode == 2 and "no UTC offset" in naive.stderr


def test_an_unreachable_store_is_a_clear_error(tmp_path: Path) -> None:
    result = run("postgresql://nobody@127.0.0.1:1/none", "events")
    assert result.returncode == 3
    assert "store unavailable" in result.stderr and "cannot reach PostgreSQL" in result.stderr
    bad_url = run("mysql://x", "events")
    assert bad_url.returncode == 3 and "not a supported database URL" in bad_url.stderr


def test_warnings_are_printed_and_never_block(database_url: str, tmp_path: Path) -> None:
    """Rule `warnings`: an import, a what-if and a customer key say what is probably not meant."""
    file = write(tmp_path, "start.ndjson", ndjson(signed("acme", "2026-01-01T00:00:00+01:00")))
    result = run(database_url, "import", file, "--json")
    assert result.returncode == 0, result.stderr
    assert [w["field"] for w in json.loads(result.stdout)["warnings"]] == ["effective_from"]
    shown = run(
        database_url,
        "import",
        write(tmp_path, "b.ndjson", ndjson(signed("beta", "2026-01-01T00:00:00+01:00"))),
    )
    assert shown.returncode == 0 and "recorded 1 events" in shown.stdout
    assert "warning: line 1: effective_from: " in shown.stderr
    key = run(database_url, "keys", "create", "--role", "customer", "--account", "nobody")
    assert key.returncode == 0 and key.stdout.startswith("slk_")
    assert "warning: account: account 'nobody' has no contract" in key.stderr
    bound = run(database_url, "keys", "create", "--role", "customer", "--account", "acme")
    assert bound.returncode == 0 and "warning" not in bound.stderr


def test_terms_shows_the_versions_and_what_each_changed(database_url: str, tmp_path: Path) -> None:
    """Item 2: `sla-ledger terms` and the diff above a what-if."""
    fee = {"monthly_fee": {"amount": "1000.00", "currency": "EUR"}}
    facts = [
        signed("acme", **{"template": "lifesize-extreme", "credits": fee}),
        {
            "type": "contract.amended",
            "account_id": "acme",
            "effective_from": "2026-03-01T00:00:00Z",
            "terms": {"availability": {"target_percent": "99.95"}},
        },
    ]
    assert run(database_url, "import", write(tmp_path, "t.ndjson", ndjson(*facts))).returncode == 0
    history = run(database_url, "terms", "--account", "acme", "--history")
    assert history.returncode == 0, history.stderr
    lines = history.stdout.splitlines()
    assert lines[1].startswith("version 1  effective 2026-01-01T00:00:00Z  recorded ")
    assert lines[3].startswith("version 2  effective 2026-03-01T00:00:00Z  recorded ")
    assert lines[4] == '  availability.target_percent: "99.9" -> "99.95"'
    february = run(
        database_url, "terms", "--account", "acme", "--at", "2026-02-01T00:00:00Z", "--json"
    )
    found = json.loads(february.stdout)
    assert found["in_force"]["terms"]["availability"]["target_percent"] == "99.9"
    assert found["in_force"]["terms"]["credits"]["monthly_fee"]["amount"] == "1000.00"
    assert [v["position"] for v in found["versions"]] == [1, 2]
    proposal = write(
        tmp_path, "p.json", json.dumps({"credits": {"monthly_fee": {"amount": "900"}}})
    )
    replay = run(
        database_url,
        "replay",
        "--terms",
        proposal,
        "--from",
        "2026-01",
        "--to",
        "2026-02",
        "--account",
        "acme",
    )
    assert replay.returncode == 0, replay.stderr
    shown = replay.stdout.splitlines()
    assert shown[:2] == [
        "acme: current terms -> proposed terms",
        '  credits.monthly_fee.amount: "1000.00" -> "900"',
    ]
    unknown = run(database_url, "terms", "--account", "nobody")
    assert unknown.returncode != 0 and "unknown account 'nobody'" in unknown.stderr
