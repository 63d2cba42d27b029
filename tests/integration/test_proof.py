"""The hash chain, tampered with as a database superuser would: `verify` names every tampering.

Each test records a small log through the ledger (so every batch is chained and signed), then
changes the database by raw SQL - triggers dropped or disabled first - and asks `verify`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from api.bootstrap import Services, open_services
from api.proof import Verification, verify
from api.settings import Settings
from ledger.chain import GENESIS, ChainedRow, link
from ledger.store.location import StoreLocation
from tests.factories import outage, record, signed

Tamper = Callable[[str], None]


@pytest.fixture
def store(database_url: str) -> Iterator[tuple[Services, str]]:
    services = open_services(Settings(database_url=database_url))
    try:
        record(services.ledger, signed("acme"), signed("beta"))
        record(services.ledger, outage("o-1", "2026-04-05T12:00:00Z", "2026-04-05T12:30:00Z"))
        record(services.ledger, outage("o-2", "2026-04-06T12:00:00Z", "2026-04-06T12:10:00Z"))
        yield services, database_url
    finally:
        services.close()


def raw(url: str, *statements: str) -> None:
    """Run SQL as the database's owner, immutability triggers out of the way."""
    location = StoreLocation.parse(url)
    if location.backend == "sqlite":
        with sqlite3.connect(location.path) as connection:
            for trigger in connection.execute(
                "SELECT name FROM sqlite_master WHERE type='trigger'"
            ):
                connection.execute(f"DROP TRIGGER {trigger[0]}")
            for statement in statements:
                connection.execute(statement)
        return
    schema = f'"{location.schema}"'
    with psycopg.connect(location.connection_string(), autocommit=True) as connection:
        for table in ("slaledger_events", "slaledger_event_chain", "slaledger_checkpoints"):
            connection.execute(f"ALTER TABLE {schema}.{table} DISABLE TRIGGER ALL")
        for statement in statements:
            connection.execute(statement.replace("{s}", schema))


def names(url: str) -> dict[str, str]:
    if StoreLocation.parse(url).backend == "sqlite":
        return {
            "events": "stored_events",
            "pos": "rowid",
            "chain": "event_chain",
            "checkpoints": "checkpoints",
        }
    return {
        "events": "{s}.slaledger_events",
        "pos": "notification_id",
        "chain": "{s}.slaledger_event_chain",
        "checkpoints": "{s}.slaledger_checkpoints",
    }


def first(found: Verification) -> tuple[int, str]:
    assert found.status == "tampered" and found.first_departure is not None
    return found.first_departure.position, found.first_departure.kind


def test_an_untouched_log_is_intact(store: tuple[Services, str]) -> None:
    services, _ = store
    found = verify(services)
    assert (found.status, found.events, found.head, found.checkpoints) == ("intact", 6, 6, 3)
    assert found.last_checkpoint == 6


def test_an_edited_payload_is_found(store: tuple[Services, str]) -> None:
    services, url = store
    n = names(url)
    text = "CAST(state AS TEXT)" if "sqlite" in url else "convert_from(state, 'UTF8')"
    shortened = (
        f"UPDATE {n['events']} SET state = CAST(replace({text}, '12:30:00', '12:20:00') AS BLOB)"
        if "sqlite" in url
        else f"UPDATE {n['events']} SET state = convert_to(replace({text}, '12:30:00', "
        "'12:20:00'), 'UTF8')"
    )
    raw(url, f"{shortened} WHERE {n['pos']} = 4")
    assert first(verify(services)) == (4, "edited_event")


def test_an_edited_recorded_time_is_found(store: tuple[Services, str]) -> None:
    services, url = store
    n = names(url)
    later = "recorded_at + 1" if "sqlite" in url else "recorded_at + interval '1 second'"
    raw(url, f"UPDATE {n['events']} SET recorded_at = {later} WHERE {n['pos']} = 5")
    assert first(verify(services)) == (5, "edited_event")


def test_an_edited_chain_entry_is_found(store: tuple[Services, str]) -> None:
    services, url = store
    raw(url, f"UPDATE {names(url)['chain']} SET chain_hash = '{'ab' * 32}' WHERE position = 3")
    assert first(verify(services)) == (3, "edited_chain")


def test_a_deleted_row_is_found(store: tuple[Services, str]) -> None:
    services, url = store
    n = names(url)
    raw(url, f"DELETE FROM {n['events']} WHERE {n['pos']} = 3")
    assert first(verify(services)) == (3, "deleted")


def test_a_forged_row_without_a_chain_entry_is_found(store: tuple[Services, str]) -> None:
    services, url = store
    _forge(url, chain=False)
    assert first(verify(services)) == (7, "inserted")


def test_a_forged_row_with_a_matching_chain_entry_is_found(store: tuple[Services, str]) -> None:
    """The forger computes the chain entry right, but cannot sign a checkpoint for it."""
    services, url = store
    _forge(url, chain=True)
    assert first(verify(services)) == (7, "unsigned_tail")


def test_two_swapped_rows_are_found(store: tuple[Services, str]) -> None:
    services, url = store
    n = names(url)
    raw(
        url,
        f"UPDATE {n['events']} SET {n['pos']} = -1 WHERE {n['pos']} = 4",
        f"UPDATE {n['events']} SET {n['pos']} = 4 WHERE {n['pos']} = 5",
        f"UPDATE {n['events']} SET {n['pos']} = 5 WHERE {n['pos']} = -1",
    )
    assert first(verify(services)) == (4, "swapped")


def test_a_truncated_tail_is_found_against_the_checkpoint(store: tuple[Services, str]) -> None:
    services, url = store
    n = names(url)
    raw(
        url,
        f"DELETE FROM {n['events']} WHERE {n['pos']} >= 5",
        f"DELETE FROM {n['chain']} WHERE position >= 5",
    )
    assert first(verify(services)) == (5, "truncated")


def test_a_forged_checkpoint_is_found(store: tuple[Services, str]) -> None:
    services, url = store
    n = names(url)
    raw(url, f"UPDATE {n['checkpoints']} SET signature = '{'00' * 64}' WHERE position = 2")
    assert first(verify(services)) == (2, "forged_checkpoint")


def _forge(url: str, *, chain: bool) -> None:
    """Append a copy of the last event as position 7, with or without a matching chain entry."""
    n = names(url)
    location = StoreLocation.parse(url)
    services = open_services(Settings(database_url=url))
    try:
        rows = list(services.ledger.reader.chain_rows())
    finally:
        services.close()
    last = rows[-1]
    forged = ChainedRow(7, last.recorded_at, "forged", last.type, last.actor, last.originator_id,
                        last.originator_version + 1, last.valid_at, last.content_hash, last.state,
                        None)  # fmt: skip
    previous = GENESIS
    for row in rows:
        previous = link(previous, row)
    entry = link(previous, forged).hex()
    if location.backend == "sqlite":
        statements: list[Any] = [
            f"INSERT INTO {n['events']} (rowid, originator_id, originator_version, topic, state, "
            "event_id, valid_at, recorded_at, content_hash, actor) SELECT 7, originator_id, "
            "originator_version + 1, topic, state, 'forged', valid_at, recorded_at, "
            f"content_hash, actor FROM {n['events']} WHERE rowid = 6"
        ]
    else:
        statements = [
            f"INSERT INTO {n['events']} (notification_id, originator_id, originator_version, "
            "topic, state, event_id, valid_at, recorded_at, content_hash, actor) SELECT 7, "
            "originator_id, originator_version + 1, topic, state, 'forged', valid_at, "
            f"recorded_at, content_hash, actor FROM {n['events']} WHERE notification_id = 6"
        ]
    if chain:
        statements.append(f"INSERT INTO {n['chain']} VALUES (7, '{entry}')")
    raw(url, *statements)
