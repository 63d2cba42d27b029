"""The schema is created once, under a lock; an open that finds it current runs no DDL.

The concurrency tests run on a PostgreSQL cluster the test run starts itself (`own_pg_url`)."""

from __future__ import annotations

import threading

import psycopg
import pytest

from api.bootstrap import open_services
from api.settings import Settings
from ledger.store.location import StoreLocation
from ledger.store.opening import open_ledger
from ledger.store.schema import schema_versions
from tests.factories import record, signed

CURRENT = {"events": 2, "read_models": 1, "keys": 1}


def test_a_new_store_records_the_version_of_each_part(database_url: str) -> None:
    services = open_services(Settings(database_url=database_url))
    try:
        assert schema_versions(services.ledger.datastore) == CURRENT
    finally:
        services.close()


def test_a_store_from_before_the_versions_table_is_brought_up_to_date(database_url: str) -> None:
    ledger = open_ledger(database_url)
    record(ledger, signed("acme"))
    location = StoreLocation.parse(database_url)
    table = "schema_versions"
    if location.backend == "postgresql":
        table = f'"{location.schema}".slaledger_schema_versions'
    with ledger.datastore.transaction(commit=True) as cursor:
        cursor.execute(f"DROP TABLE {table}")
    ledger.close()
    services = open_services(Settings(database_url=database_url))
    try:
        assert schema_versions(services.ledger.datastore) == CURRENT
        assert services.ledger.reader.head()[0] == 1  # the events were left as they were
    finally:
        services.close()


@pytest.mark.postgres
def test_concurrent_first_opens_do_not_deadlock(own_pg_url: str) -> None:
    failures: list[BaseException] = []
    start = threading.Barrier(8)

    def open_once() -> None:
        start.wait(timeout=30)
        try:
            open_services(Settings(database_url=own_pg_url)).close()
        except BaseException as error:  # collected: the test fails on any of them
            failures.append(error)

    threads = [threading.Thread(target=open_once) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []


@pytest.mark.postgres
def test_an_open_does_not_wait_behind_a_writers_table_lock(own_pg_url: str) -> None:
    open_services(Settings(database_url=own_pg_url)).close()
    location = StoreLocation.parse(own_pg_url)
    with psycopg.connect(location.connection_string()) as writer:
        writer.execute(f'LOCK TABLE "{location.schema}".slaledger_events IN EXCLUSIVE MODE')
        opened: list[object] = []
        thread = threading.Thread(
            target=lambda: opened.append(open_services(Settings(database_url=own_pg_url)))
        )
        thread.start()
        thread.join(timeout=60)
        finished = not thread.is_alive()
        writer.rollback()  # lets a blocked open finish either way
    thread.join(timeout=60)
    for services in opened:
        services.close()  # type: ignore[attr-defined]
    assert finished, "the open waited for the table lock: it ran DDL on a current schema"
