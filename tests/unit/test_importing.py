"""The import format refuses what it cannot measure, and says where and why."""

from __future__ import annotations

import json

import pytest

from ledger.idempotency import content_hash, event_id_for
from ledger.importing import parse_fact, parse_lines
from tests.factories import maintenance, outage_started, signed, ticket_opened


def problems(*lines: str) -> list[tuple[int, str, str]]:
    _, errors = parse_lines(lines)
    return [(e.line, e.field, e.reason) for e in errors]


def test_a_naive_datetime_is_refused_with_a_fix() -> None:
    [(line, field, reason)] = problems(
        json.dumps({"type": "outage.ended", "outage_id": "o-1", "at": "2026-04-05T12:30:00"})
    )
    assert (line, field) == (1, "at")
    assert "has no UTC offset" in reason and "2026-04-05T12:30:00Z" in reason


def test_a_bare_date_is_not_an_instant() -> None:
    [(_, field, reason)] = problems(
        json.dumps({"type": "outage.ended", "outage_id": "o-1", "at": "2026-04-05"})
    )
    assert field == "at" and "date" in reason


def test_unknown_type_unknown_field_and_malformed_json_are_each_named() -> None:
    found = problems(
        '{"type": "outage.exploded", "outage_id": "o-1"}',
        json.dumps({**outage_started("o-2", "2026-04-05T12:00:00Z"), "colour": "red"}),
        '{"type": "outage.started", ',
        "[1, 2]",
        '{"outage_id": "o-3"}',
    )
    assert [(line, field) for line, field, _ in found] == [
        (1, "type"),
        (2, "colour"),
        (3, "(line)"),
        (4, "(line)"),
        (5, "type"),
    ]
    assert "unknown type 'outage.exploded'" in found[0][2]
    assert found[1][2] == "unknown field"
    assert "not valid JSON" in found[2][2]
    assert "missing" in found[4][2]


def test_every_bad_line_is_reported_and_good_lines_parse() -> None:
    lines = [
        json.dumps(signed()),
        json.dumps(outage_started("o-1", "2026-04-05T12:00:00")),
        json.dumps(outage_started("o-2", "2026-04-05T12:00:00Z")),
        "not json",
    ]
    facts, errors = parse_lines(lines)
    assert [line for line, _ in facts] == [1, 3]
    assert [error.line for error in errors] == [2, 4]


def test_blank_lines_are_skipped_but_keep_the_numbering() -> None:
    facts, errors = parse_lines(["", json.dumps(signed()), "   "])
    assert errors == [] and [line for line, _ in facts] == [2]


@pytest.mark.parametrize(
    ("fact", "field", "reason"),
    [
        (
            maintenance("m-1", "2026-04-05T12:00:00Z", "2026-04-05T11:00:00Z"),
            "(fact)",
            "end must be after start",
        ),
        (
            {
                "type": "outage.corrected",
                "outage_id": "o",
                "started_at": "2026-04-05T12:00:00Z",
                "ended_at": "2026-04-05T12:00:00Z",
            },
            "(fact)",
            "ended_at must be after started_at",
        ),
        (
            {"type": "outage.started", "outage_id": "o", "at": "2026-04-05T12:00:00Z"},
            "(fact)",
            "scope",
        ),
        (
            {
                "type": "outage.started",
                "outage_id": "o",
                "at": "2026-04-05T12:00:00Z",
                "scope": "all",
                "accounts": ["a"],
            },
            "(fact)",
            "either",
        ),
        (
            {
                "type": "outage.started",
                "outage_id": "o",
                "at": "2026-04-05T12:00:00Z",
                "accounts": [],
            },
            "(fact)",
            "at least one",
        ),
        (
            maintenance("m-1", "2026-04-05T12:00:00Z", "2026-04-05T13:00:00Z", kind="whenever"),
            "kind",
            "Input should be",
        ),
        (
            {
                "type": "renewal.completed",
                "account_id": "a",
                "at": "2026-04-05T12:00:00Z",
                "credit_applied": {"amount": "-1", "currency": "EUR"},
            },
            "credit_applied.amount",
            "greater than or equal",
        ),
        ({**ticket_opened("t 1", "2026-04-05T12:00:00Z")}, "ticket_id", "pattern"),
    ],
)
def test_rules_of_a_single_fact(fact: dict[str, object], field: str, reason: str) -> None:
    [(_, found_field, found_reason)] = problems(json.dumps(fact))
    assert found_field == field
    assert reason in found_reason


def test_the_same_instant_written_in_two_offsets_is_the_same_fact() -> None:
    utc = parse_fact(outage_started("o-1", "2026-04-05T12:00:00Z"))
    amsterdam = parse_fact(outage_started("o-1", "2026-04-05T14:00:00+02:00"))
    assert content_hash(utc) == content_hash(amsterdam)
    assert event_id_for(utc, content_hash(utc)) == event_id_for(amsterdam, content_hash(amsterdam))


def test_a_given_event_id_is_kept_and_a_missing_one_is_derived_from_content() -> None:
    given = parse_fact({**outage_started("o-1", "2026-04-05T12:00:00Z"), "event_id": "monitor-42"})
    assert event_id_for(given, content_hash(given)) == "monitor-42"
    other = parse_fact(outage_started("o-2", "2026-04-05T12:00:00Z"))
    assert event_id_for(other, content_hash(other)).startswith("auto:")
    assert content_hash(given) != content_hash(other)


def test_valid_time_of_each_fact() -> None:
    assert parse_fact(signed(effective_from="2026-01-01T00:00:00+01:00")).valid_at is not None
    retraction = parse_fact({"type": "outage.retracted", "outage_id": "o", "reason": "test"})
    assert retraction.valid_at is None


def test_ndjson_is_split_on_newlines_only() -> None:
    from ledger.jsontext import split_lines

    text = 'a\r\n"b\u2028c\u0085d"\n\ne\n'
    assert split_lines(text) == ["a", '"b\u2028c\u0085d"', "", "e"]
    assert split_lines("a") == ["a"]
    assert split_lines("") == []
