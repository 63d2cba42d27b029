"""The terminal output a person reads (see test_cli_reports for the hand-computed figures): local
times with their offset, human durations, money in cents, met / MISSED, provisional months, an
as-of before anything was recorded said plainly, a correction's reason shown."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_cli_import import run, write
from tests.e2e.test_cli_reports import as_json, seed
from tests.factories import corrected, ndjson


def test_reports_read_as_a_person_reads_them(database_url: str, tmp_path: Path) -> None:
    seed(database_url, tmp_path)

    ticket = run(database_url, "ticket", "T-1").stdout
    assert "opened 2026-04-24 15:00 +02:00" in ticket  # 13:00Z on the studio's clock
    assert "used 3 h 30 min" in ticket and "target 4 h 00 min" in ticket

    march = run(database_url, "availability", "--account", "acme", "--month", "2026-03").stdout
    assert "MISSED" in march and "unavailable 1 h 00 min" in march
    assert "evidence: 5 events" in march and "provisional" not in march
    assert (
        as_json(database_url, "availability", "--account", "acme", "--month", "2026-03")[
            "provisional"
        ]
        is False
    )

    future = ["availability", "--account", "acme", "--month", "2026-12", "--as-of"]
    later = as_json(database_url, *future, "2099-01-01T00:00:00Z")
    assert later["provisional"] is (later["month_end"] > later["query_time"])
    statement = run(database_url, "credits", "--account", "acme", "--term", "1").stdout
    assert "100.00 EUR" in statement and "credit owed: 100.00 EUR" in statement
    assert "99.8655" in statement and "MISSED" in statement and "…" not in statement

    empty = run(database_url, "breaches", "--month", "2026-03", "--as-of", "2020-01-01T00:00:00Z")
    assert "nothing had been recorded yet" in empty.stdout
    assert "0 account" not in empty.stdout
    before = ["availability", "--account", "acme", "--month", "2026-03"]
    unknown = run(database_url, *before, "--as-of", "2020-01-01T00:00:00Z")
    assert unknown.returncode == 4 and "nothing had been recorded yet" in unknown.stderr

    fix = {
        **corrected("o-1", "2026-03-10T10:00:00Z", "2026-03-10T10:30:00Z"),
        "reason": "monitor clock was 30 min fast",
    }
    assert run(database_url, "import", write(tmp_path, "fix.ndjson", ndjson(fix))).returncode == 0
    march = run(database_url, "availability", "--account", "acme", "--month", "2026-03").stdout
    assert "monitor clock was 30 min fast" in march
    assert "met" in march and "unavailable 30 min" in march
