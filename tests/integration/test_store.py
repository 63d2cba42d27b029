"""The event store on SQLite and PostgreSQL: append, idempotency, atomicity, immutability, as-of."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from ledger.application import SlaLedger
from ledger.errors import ConflictingFacts, RejectedFacts
from ledger.events import contract_id
from ledger.store.location import StoreLocation
from ledger.store.opening import open_ledger
from ledger.timevalues import Month
from projections.history import fold_history
from projections.log import iter_events
from tests.factories import (
    amended,
    corrected,
    maintenance,
    outage,
    outage_ended,
    outage_started,
    record,
    renewal,
    retracted,
    services,
    signed,
    ticket_opened,
    ticket_step,
)


def stored_count(ledger: SlaLedger) -> int:
    return ledger.reader.head()[0]


def rejection(ledger: SlaLedger, *facts: object) -> list[tuple[int, str, str]]:
    with pytest.raises(RejectedFacts) as rejected:
        record(ledger, *facts)  # type: ignore[arg-type]
    return [(e.line, e.field, e.reason) for e in rejected.value.errors]


def test_positions_are_gap_free_and_recorded_times_never_decrease(ledger: SlaLedger) -> None:
    first = record(ledger, signed("acme"), signed("beta"))
    second = record(ledger, outage("o-1", "2026-04-05T12:00:00Z", "2026-04-05T12:30:00Z"))
    positions = [fact.position for fact in first.facts + second.facts]
    assert positions == [1, 2, 3, 4]
    assert first.facts[0].recorded_at == first.facts[1].recorded_at  # one batch, one instant
    assert second.facts[0].recorded_at >= first.facts[0].recorded_at
    assert ledger.reader.head() == (4, second.facts[0].recorded_at)


def test_a_rejected_batch_leaves_no_gap_in_positions(ledger: SlaLedger) -> None:
    record(ledger, signed("acme"))
    rejection(ledger, signed("beta"), outage_ended("o-404", "2026-04-05T12:00:00Z"))
    after = record(ledger, signed("gamma"))
    assert after.facts[0].position == 2


def test_stored_events_keep_valid_time_apart_from_recorded_time(ledger: SlaLedger) -> None:
    record(ledger, signed("acme", effective_from="2026-01-01T00:00:00+01:00"))
    (event,) = list(iter_events(ledger.reader))
    assert event.valid_at == datetime(2025, 12, 31, 23, 0, tzinfo=UTC)
    assert event.recorded_at > datetime.now(UTC) - timedelta(minutes=5)
    assert event.payload["effective_from"] == "2026-01-01T00:00:00+01:00"  # as the user wrote it
    assert event.payload["terms"]["availability"]["target_percent"] == "99.9"


def test_reimporting_the_same_events_is_a_no_op_that_says_so(ledger: SlaLedger) -> None:
    facts = [signed("acme"), *outage("o-1", "2026-04-05T12:00:00Z", "2026-04-05T12:30:00Z")]
    first = record(ledger, *facts)
    again = record(ledger, *facts)
    assert (again.recorded, again.duplicates) == (0, 3)
    assert [f.position for f in again.facts] == [f.position for f in first.facts]
    assert stored_count(ledger) == 3


def test_a_duplicate_inside_one_batch_is_recorded_once(ledger: SlaLedger) -> None:
    fact = {**signed("acme"), "event_id": "contract-acme"}
    outcome = record(ledger, fact, fact)
    assert [f.status for f in outcome.facts] == ["recorded", "duplicate"]
    assert outcome.facts[0].position == outcome.facts[1].position == 1


def test_the_same_event_id_with_different_content_is_a_conflict(ledger: SlaLedger) -> None:
    record(ledger, {**signed("acme"), "event_id": "e-1"})
    with pytest.raises(ConflictingFacts) as conflict:
        record(ledger, signed("beta"), {**signed("gamma"), "event_id": "e-1"})
    (error,) = conflict.value.errors
    assert (error.line, error.field) == (2, "event_id")
    assert "already used by a different fact (position 1)" in error.reason
    assert stored_count(ledger) == 1  # beta was not appended either


def test_a_bad_line_means_nothing_from_the_file_is_appended(ledger: SlaLedger) -> None:
    record(ledger, signed("acme"))
    found = rejection(
        ledger,
        outage_started("o-1", "2026-04-05T12:00:00Z"),
        outage_ended("o-1", "2026-04-05T11:00:00Z"),
        ticket_step("t-404", "paused", "2026-04-05T12:00:00Z"),
        outage_started("o-2", "2026-04-05T12:00:00Z", accounts=["nobody"]),
    )
    assert [(line, field) for line, field, _ in found] == [
        (2, "at"),
        (3, "ticket_id"),
        (4, "accounts"),
    ]
    assert "is not after the start" in found[0][2]
    assert "unknown ticket 't-404'" in found[1][2]
    assert "unknown account 'nobody'" in found[2][2]
    assert stored_count(ledger) == 1


def test_events_for_unknown_outage_ticket_maintenance_and_account_are_refused(
    ledger: SlaLedger,
) -> None:
    found = rejection(
        ledger,
        outage_ended("o-1", "2026-04-05T12:00:00Z"),
        ticket_opened("t-1", "2026-04-05T12:00:00Z", account="acme"),
        {"type": "maintenance.cancelled", "maintenance_id": "m-1"},
        renewal("acme", "2027-01-01T00:00:00Z", "10.00"),
        amended("acme", "2026-02-01T00:00:00Z", template="lifesize-extreme"),
    )
    assert [field for _, field, _ in found] == [
        "outage_id",
        "account_id",
        "maintenance_id",
        "account_id",
        "account_id",
    ]


def test_ticket_rules_priority_and_time_order(ledger: SlaLedger) -> None:
    record(ledger, signed("studio", template="vivition-business"))
    found = rejection(
        ledger,
        ticket_opened("t-1", "2026-04-20T10:00:00+02:00", priority="urgent", account="studio"),
        ticket_opened("t-2", "2026-04-20T10:00:00+02:00", priority="high", account="studio"),
        ticket_step("t-2", "paused", "2026-04-20T09:00:00+02:00"),
        ticket_step("t-2", "resumed", "2026-04-20T11:00:00+02:00"),
        ticket_step("t-2", "priority_changed", "2026-04-20T11:00:00+02:00", priority="critical"),
    )
    assert [(line, field) for line, field, _ in found] == [
        (1, "priority"),
        (3, "at"),
        (4, "type"),
        (5, "priority"),
    ]
    assert "'urgent' is not a priority" in found[0][2]
    assert "an event cannot come before it" in found[1][2]
    assert "is not paused" in found[2][2]


def test_a_ticket_for_an_account_without_support_terms_is_refused(ledger: SlaLedger) -> None:
    record(ledger, signed("acme"))
    [(_, field, reason)] = rejection(ledger, ticket_opened("t-1", "2026-04-20T10:00:00Z"))
    assert field == "account_id" and "no support section" in reason


def test_late_ticket_events_are_checked_in_valid_time_order(ledger: SlaLedger) -> None:
    record(ledger, signed("studio", template="vivition-business"))
    record(ledger, ticket_opened("t-1", "2026-04-20T10:00:00+02:00", account="studio"))
    record(ledger, ticket_step("t-1", "resolved", "2026-04-20T15:00:00+02:00"))
    # a pause and resume reported after the resolution still fit before it in valid time
    record(
        ledger,
        ticket_step("t-1", "paused", "2026-04-20T11:00:00+02:00"),
        ticket_step("t-1", "resumed", "2026-04-20T12:00:00+02:00"),
    )
    # ... but a second pause inside the first one does not
    [(_, field, reason)] = rejection(
        ledger, ticket_step("t-1", "paused", "2026-04-20T11:30:00+02:00")
    )
    assert field == "type" and "already paused" in reason


def test_corrections_and_retractions_are_new_events_and_the_original_stays(
    ledger: SlaLedger,
) -> None:
    record(ledger, signed("acme"), outage("o-1", "2026-04-05T12:00:00Z", "2026-04-05T12:30:00Z"))
    record(ledger, corrected("o-1", "2026-04-05T11:55:00Z", "2026-04-05T12:40:00Z"))
    record(ledger, retracted("o-1"))
    types = [event.type for event in iter_events(ledger.reader)]
    assert types == [
        "contract.signed",
        "outage.started",
        "outage.ended",
        "outage.corrected",
        "outage.retracted",
    ]
    [(_, field, reason)] = rejection(ledger, corrected("o-1", "2026-04-05T11:00:00Z", None))
    assert field == "outage_id" and "was retracted" in reason


def test_a_second_start_or_a_second_end_is_refused(ledger: SlaLedger) -> None:
    record(ledger, signed("acme"), outage("o-1", "2026-04-05T12:00:00Z", "2026-04-05T12:30:00Z"))
    found = rejection(
        ledger,
        outage_started("o-1", "2026-04-06T12:00:00Z"),
        outage_ended("o-1", "2026-04-05T12:45:00Z"),
        maintenance("m-1", "2026-04-05T12:00:00Z", "2026-04-05T13:00:00Z"),
        maintenance("m-1", "2026-04-05T12:00:00Z", "2026-04-05T14:00:00Z"),
    )
    assert [(line, field) for line, field, _ in found] == [
        (1, "outage_id"),
        (2, "at"),
        (4, "maintenance_id"),
    ]
    assert "send outage.corrected" in found[1][2]


def test_contract_rules(ledger: SlaLedger) -> None:
    record(ledger, signed("acme", effective_from="2026-01-01T00:00:00Z"))
    found = rejection(
        ledger,
        signed("acme", effective_from="2026-03-01T00:00:00Z"),
        amended("acme", "2025-06-01T00:00:00Z", template="lifesize-extreme"),
        amended(
            "acme", "2026-06-01T00:00:00Z", template="lifesize-extreme", timezone="Europe/Amsterdam"
        ),
        {"type": "contract.terminated", "account_id": "acme", "at": "2025-12-01T00:00:00Z"},
    )
    assert [(line, field) for line, field, _ in found] == [
        (1, "account_id"),
        (2, "effective_from"),
        (3, "terms.timezone"),
        (4, "at"),
    ]
    assert "send contract.amended" in found[0][2]


def test_renewal_of_the_same_term_twice_is_refused(ledger: SlaLedger) -> None:
    terms = {
        "template": "lifesize-extreme",
        "credits": {"monthly_fee": {"amount": "100", "currency": "EUR"}},
    }
    record(ledger, signed("acme", **terms), renewal("acme", "2027-01-02T00:00:00Z", "10.00"))
    [(_, field, reason)] = rejection(ledger, renewal("acme", "2026-12-30T00:00:00Z", "12.00"))
    assert field == "term" and "term 1 was already renewed" in reason
    [(_, field, _)] = rejection(
        ledger, renewal("acme", "2027-06-30T00:00:00Z", "12.00", currency="USD")
    )
    assert field == "credit_applied.currency"


def test_events_as_of_a_recorded_time_show_only_what_was_known(ledger: SlaLedger) -> None:
    first = record(ledger, signed("acme"), outage_started("o-1", "2026-04-05T12:00:00Z"))
    time.sleep(0.01)
    record(ledger, outage_ended("o-1", "2026-04-05T12:30:00Z"))
    cut = ledger.reader.position_at(first.facts[-1].recorded_at)
    known_then = [event.type for event in iter_events(ledger.reader, upto=cut)]
    assert known_then == ["contract.signed", "outage.started"]
    assert ledger.reader.position_at(datetime(2000, 1, 1, tzinfo=UTC)) == 0


def test_events_of_one_account_include_service_wide_ones_and_filter_by_valid_time(
    ledger: SlaLedger,
) -> None:
    record(
        ledger,
        signed("acme"),
        signed("beta"),
        outage("o-acme", "2026-04-05T12:00:00Z", "2026-04-05T12:30:00Z", accounts=["acme"]),
        outage("o-beta", "2026-04-06T12:00:00Z", "2026-04-06T12:30:00Z", accounts=["beta"]),
        outage("o-all", "2026-05-01T12:00:00Z", "2026-05-01T12:30:00Z"),
    )
    acme = [e.position for e in iter_events(ledger.reader, account="acme")]
    assert acme == [1, 3, 4, 7, 8]
    april = iter_events(
        ledger.reader,
        account="acme",
        valid_from=datetime(2026, 4, 1, tzinfo=UTC),
        valid_to=datetime(2026, 5, 1, tzinfo=UTC),
    )
    assert [e.position for e in april] == [3, 4]


def test_paging_through_events_loses_nothing(ledger: SlaLedger) -> None:
    record(ledger, *[signed(f"account-{n:03d}") for n in range(25)])
    listed = [e.position for e in iter_events(ledger.reader, page_size=7)]
    assert listed == list(range(1, 26))


def test_a_new_connection_reads_what_another_wrote(database_url: str) -> None:
    writer = open_ledger(database_url)
    record(writer, signed("acme"), outage("o-1", "2026-04-05T12:00:00Z", "2026-04-05T12:30:00Z"))
    writer.close()
    reader = open_ledger(database_url)
    try:
        rows = reader.reader.rows_for([contract_id("acme")], reader.reader.head()[0])
        contract = fold_history(rows).contracts["acme"]
        assert contract.account_id == "acme" and contract.versions[0].terms.availability
        assert [e.type for e in iter_events(reader.reader)][-1] == "outage.ended"
    finally:
        reader.close()


# --- immutability, proved with raw SQL -------------------------------------------------------


def _raw_statements(location: StoreLocation) -> list[str]:
    events = (
        "stored_events" if location.backend == "sqlite" else f"{location.schema}.slaledger_events"
    )
    scopes = (
        "event_scopes"
        if location.backend == "sqlite"
        else f"{location.schema}.slaledger_event_scopes"
    )
    statements = [
        f"UPDATE {events} SET topic = 'outage.retracted'",
        f"DELETE FROM {events}",
        f"UPDATE {scopes} SET valid_to = NULL",
        f"DELETE FROM {scopes}",
    ]
    if location.backend == "postgresql":
        statements += [f"TRUNCATE {events}", f"TRUNCATE {scopes}"]
    return statements


def test_the_database_refuses_to_update_or_delete_stored_events(
    ledger: SlaLedger, database_url: str
) -> None:
    record(ledger, signed("acme"), outage("o-1", "2026-04-05T12:00:00Z", "2026-04-05T12:30:00Z"))
    location = StoreLocation.parse(database_url)
    for statement in _raw_statements(location):
        if location.backend == "sqlite":
            with (
                sqlite3.connect(location.path) as raw,
                pytest.raises(sqlite3.IntegrityError, match="ledger events are immutable"),
            ):
                raw.execute(statement)
        else:
            with (
                psycopg.connect(location.connection_string()) as raw,
                pytest.raises(
                    psycopg.errors.RestrictViolation, match="ledger events are immutable"
                ),
            ):
                raw.execute(statement)
    assert stored_count(ledger) == 3
    assert [e.type for e in iter_events(ledger.reader)] == [
        "contract.signed",
        "outage.started",
        "outage.ended",
    ]


def test_a_correction_said_again_after_another_is_recorded_and_a_retry_is_not(
    ledger: SlaLedger,
) -> None:
    """Rule `restatement`: end 14:00, then 12:30, then 14:00 again means 14:00; sending the same
    lines again changes nothing."""
    record(ledger, signed("acme"), outage("o-1", "2026-04-05T12:00:00Z", "2026-04-05T15:00:00Z"))
    lines = [
        corrected("o-1", "2026-04-05T12:00:00Z", "2026-04-05T14:00:00Z"),
        corrected("o-1", "2026-04-05T12:00:00Z", "2026-04-05T12:30:00Z"),
        corrected("o-1", "2026-04-05T12:00:00Z", "2026-04-05T14:00:00Z"),
    ]
    first = record(ledger, lines)
    assert [fact.status for fact in first.facts] == ["recorded"] * 3
    assert first.facts[2].event_id == first.facts[0].event_id + ":v5"
    assert unavailable_seconds(ledger) == 2 * 3600
    again = record(ledger, lines)
    assert [fact.status for fact in again.facts] == ["duplicate"] * 3
    back = record(ledger, lines[1])  # said again on its own: 12:30 is the end now
    assert back.facts[0].status == "recorded" and back.facts[0].event_id.endswith(":v6")
    assert record(ledger, lines[1]).facts[0].status == "duplicate"
    assert unavailable_seconds(ledger) == 1800


def test_sending_a_file_again_changes_nothing_whatever_follows_its_corrections(
    ledger: SlaLedger,
) -> None:
    """Rule `restatement`: a correction is restated only over another correction; a file whose
    correction was followed by an end, or by a correction with its own id, is a retry."""
    record(ledger, signed("acme"), outage("o-2", "2026-04-06T12:00:00Z", "2026-04-06T15:00:00Z"))
    reopened_then_ended = [
        outage_started("o-1", "2026-04-05T12:00:00Z"),
        corrected("o-1", "2026-04-05T11:00:00Z", None),
        outage_ended("o-1", "2026-04-05T13:00:00Z"),
    ]
    with_own_id = {**corrected("o-2", "2026-04-06T12:00:00Z", "2026-04-06T12:30:00Z")}
    with_own_id["event_id"] = "x"
    overruled = [corrected("o-2", "2026-04-06T12:00:00Z", "2026-04-06T14:00:00Z"), with_own_id]
    for lines in (reopened_then_ended, overruled):
        record(ledger, lines)
    down = unavailable_seconds(ledger)
    assert down == 2 * 3600 + 1800
    for lines in (reopened_then_ended, overruled):
        assert {fact.status for fact in record(ledger, lines).facts} == {"duplicate"}
    assert unavailable_seconds(ledger) == down


def test_an_amendment_said_again_after_another_for_the_same_date_is_recorded(
    ledger: SlaLedger,
) -> None:
    record(ledger, signed("acme"))
    stricter = amended("acme", "2026-06-01T00:00:00Z", template="lifesize-extreme")
    stricter["terms"]["availability"] = {"target_percent": "99.95"}
    looser = amended("acme", "2026-06-01T00:00:00Z", template="lifesize-extreme")
    looser["terms"]["availability"] = {"target_percent": "99.5"}
    statuses = [record(ledger, fact).facts[0].status for fact in (stricter, looser, stricter)]
    assert statuses == ["recorded"] * 3
    assert record(ledger, stricter).facts[0].status == "duplicate"
    june = services(ledger).reports.availability("acme", Month(2026, 6))
    assert june.target_percent == "99.95"


def unavailable_seconds(ledger: SlaLedger) -> int:
    return services(ledger).reports.availability("acme", Month(2026, 4)).unavailable_seconds
