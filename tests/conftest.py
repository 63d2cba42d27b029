"""Shared fixtures: a real store per test, on SQLite and on PostgreSQL.

PostgreSQL: each test run creates its own database on the server named by
`SLA_LEDGER_TEST_POSTGRES_URL` (default postgresql://postgres@127.0.0.1:5432/postgres) and drops it
at the end; each test gets its own schema inside it. If no server can be reached, every PostgreSQL
test fails with a message saying how to get one - it never passes silently.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from ledger.application import SlaLedger
from ledger.store.location import StoreLocation
from ledger.store.opening import open_ledger
from tests.pgcluster import ThrowawayPostgres

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
_schemas = itertools.count(1)

HOW_TO_GET_POSTGRES = (
    "PostgreSQL tests need a server. Start one (e.g. `pg_ctlcluster 15 main start`, or "
    "`docker run -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:15`) or point "
    "SLA_LEDGER_TEST_POSTGRES_URL at one (a user that may CREATE DATABASE). scripts/test starts "
    "a throwaway cluster itself when initdb and pg_ctl are installed."
)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test depends on the developer's own configuration; each signs with a key of its own."""
    for key in list(os.environ):
        if key.startswith(("SLA_LEDGER_", "SLALEDGER_")) and key != "SLA_LEDGER_TEST_POSTGRES_URL":
            monkeypatch.delenv(key)
    monkeypatch.setenv("SLA_LEDGER_SIGNING_KEY_FILE", str(tmp_path / "test.signing-key"))


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[StoreLocation]:
    """A database of this test run's own, dropped when the run ends."""
    server = StoreLocation.parse(os.environ.get("SLA_LEDGER_TEST_POSTGRES_URL", DEFAULT_SERVER))
    name = f"sla_ledger_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect(server.connection_string(), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        pytest.fail(
            f"cannot reach PostgreSQL at {server.describe()}: {error}\n{HOW_TO_GET_POSTGRES}"
        )
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield StoreLocation(
            "postgresql",
            host=server.host,
            port=server.port,
            user=server.user,
            password=server.password,
            dbname=name,
        )
    finally:
        with psycopg.connect(server.connection_string(), autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="session")
def own_postgres() -> Iterator[StoreLocation]:
    """A PostgreSQL cluster this test run starts itself (initdb/pg_ctl), for the tests of
    concurrent opens and racing retries; destroyed when the run ends."""
    try:
        cluster = ThrowawayPostgres()
    except RuntimeError as error:
        pytest.fail(str(error))
    try:
        yield StoreLocation.parse(cluster.url)
    finally:
        cluster.destroy()


@pytest.fixture
def own_pg_url(own_postgres: StoreLocation) -> str:
    """A new, empty store URL on the cluster this run started itself."""
    return postgres_url(own_postgres)


def postgres_url(database: StoreLocation) -> str:
    """A fresh schema in the run's database: a store no other test sees."""
    schema = f"t{os.getpid()}_{next(_schemas)}"
    password = f":{database.password}" if database.password else ""
    return (
        f"postgresql://{database.user}{password}@{database.host}:{database.port}/"
        f"{database.dbname}?schema={schema}"
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty store URL on each back end."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    database: StoreLocation = request.getfixturevalue("postgres_database")
    return postgres_url(database)


@pytest.fixture
def ledger(database_url: str) -> Iterator[SlaLedger]:
    opened = open_ledger(database_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.db'}"


@pytest.fixture
def pg_url(postgres_database: StoreLocation) -> str:
    """A new, empty PostgreSQL store URL (for tests of PostgreSQL alone)."""
    return postgres_url(postgres_database)
