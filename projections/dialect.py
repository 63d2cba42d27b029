"""How the read-model tables differ between SQLite and PostgreSQL: names, markers, instants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from ledger.timevalues import instant_micros, micros_instant

__all__ = ["Dialect", "updates"]


@dataclass(frozen=True)
class Dialect:
    """One back end's SQL: its table names, its parameter marker and how it keeps instants
    (SQLite: integer Unix microseconds; PostgreSQL: timestamptz)."""

    backend: Literal["sqlite", "postgresql"]
    schema: str = "public"

    @property
    def sqlite(self) -> bool:
        return self.backend == "sqlite"

    @property
    def marker(self) -> str:
        return "?" if self.sqlite else "%s"

    def markers(self, count: int) -> str:
        return ", ".join([self.marker] * count)

    def table(self, sqlite_name: str, postgres_name: str) -> str:
        """A table's name, qualified with the schema on PostgreSQL."""
        if self.sqlite:
            return sqlite_name
        return f"{_quoted(self.schema)}.{_quoted(postgres_name)}"

    def to_db(self, value: datetime | None) -> int | datetime | None:
        if value is None or not self.sqlite:
            return value
        return instant_micros(value)

    def from_db(self, value: int | datetime | None) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.astimezone(UTC)
        return micros_instant(value)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def updates(columns: str, key_count: int) -> str:
    """`name = excluded.name` for every column after the key's (an upsert's SET list)."""
    names = [name.strip() for name in columns.split(",")][key_count:]
    return ", ".join(f"{name} = excluded.{name}" for name in names)
