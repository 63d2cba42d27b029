"""The SQLite store's hash chain, checkpoints and identity (schema version 2).

`event_chain` holds one chain hash per position, computed in the append transaction;
`checkpoints` holds signed (position, recorded at, chain hash); `ledger_meta` the ledger's id.
All three refuse UPDATE and DELETE, like the events.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from eventsourcing.sqlite import SQLiteCursor, SQLiteDatastore

from ledger.chain import GENESIS, ChainedRow, link
from ledger.verification import Checkpoint, HeadSigner

__all__ = ["SQLiteChain"]

_IMMUTABLE = "ledger events are immutable: corrections are new events"
_ROW = (
    "e.rowid, e.recorded_at, e.event_id, e.topic, COALESCE(e.actor, ''), e.originator_id, "
    "e.originator_version, e.valid_at, e.content_hash, e.state"
)


class SQLiteChain:
    """The chain, checkpoint and identity tables of the SQLite recorder (a mixin)."""

    datastore: SQLiteDatastore
    events_table_name: str
    head_signer: HeadSigner | None = None  # set by the ledger when it has its key

    def chain_statements(self) -> list[str]:
        statements = [
            "CREATE TABLE IF NOT EXISTS event_chain (position INTEGER PRIMARY KEY, "
            "chain_hash TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS checkpoints (position INTEGER PRIMARY KEY, "
            "recorded_at INTEGER NOT NULL, chain_hash TEXT NOT NULL, key_id TEXT NOT NULL, "
            "signature TEXT NOT NULL, signed_at TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS ledger_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        ]
        for target in ("event_chain", "checkpoints", "ledger_meta"):
            for operation in ("UPDATE", "DELETE"):
                statements.append(
                    f"CREATE TRIGGER IF NOT EXISTS {target}_refuse_{operation.lower()} "
                    f"BEFORE {operation} ON {target} BEGIN "
                    f"SELECT RAISE(ABORT, '{_IMMUTABLE}'); END"
                )
        return statements

    def upgrade_to_chain(self) -> None:
        """Version 1 -> 2: the actor column, the chain (computed once over every stored event,
        and said so), the checkpoints and the ledger's id."""
        with self.datastore.transaction(commit=True) as c:
            c.execute(f"PRAGMA table_info({self.events_table_name})")
            if "actor" not in [row[1] for row in c.fetchall()]:
                c.execute(f"ALTER TABLE {self.events_table_name} ADD COLUMN actor TEXT")
            for statement in self.chain_statements():
                c.execute(statement)
            c.execute(
                "INSERT OR IGNORE INTO ledger_meta VALUES ('ledger_id', ?)", (str(uuid.uuid4()),)
            )
            c.execute("SELECT COUNT(*) FROM event_chain")
            if c.fetchone()[0]:
                return
            c.execute(f"SELECT {_ROW} FROM {self.events_table_name} e ORDER BY e.rowid")
            previous, written = GENESIS, 0
            while rows := c.sqlite_cursor.fetchmany(10_000):
                links = []
                for row in rows:
                    previous = link(previous, _chained(row, None))
                    links.append((row[0], previous.hex()))
                c.sqlite_cursor.executemany("INSERT INTO event_chain VALUES (?, ?)", links)
                written += len(links)
            if written:
                print(
                    f"sla-ledger: computed the hash chain over {written} stored events "
                    "(first open after the upgrade)",
                    file=sys.stderr,
                )

    def _append_chain(
        self, c: SQLiteCursor, rows: Sequence[tuple[int, int, tuple[Any, ...]]]
    ) -> str:
        """Link the rows just inserted (position, recorded_at, params) onto the chain."""
        c.execute("SELECT chain_hash FROM event_chain ORDER BY position DESC LIMIT 1")
        last = c.fetchone()
        previous = bytes.fromhex(last[0]) if last else GENESIS
        links = []
        for position, recorded_at, params in rows:
            oid, version, topic, state, event_id, valid_at, _, content_hash, actor = params
            previous = link(
                previous,
                ChainedRow(
                    position, recorded_at, event_id, topic, actor, oid, version, valid_at,
                    content_hash, state, None,
                ),
            )  # fmt: skip
            links.append((position, previous.hex()))
        c.executemany("INSERT INTO event_chain VALUES (?, ?)", links)
        return previous.hex()

    def chain_rows(self, upto: int | None = None) -> Iterator[ChainedRow]:
        """Every stored event with its stored chain hash, in position order (a full scan)."""
        stop = 2**62 if upto is None else upto
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT {_ROW}, ch.chain_hash FROM {self.events_table_name} e "
                "LEFT JOIN event_chain ch ON ch.position = e.rowid WHERE e.rowid <= ? "
                "ORDER BY e.rowid",
                (stop,),
            )
            while rows := c.sqlite_cursor.fetchmany(10_000):
                for row in rows:
                    yield _chained(row, row[10])

    def chain_extent(self) -> tuple[int, int]:
        """The last position of the events, and of the chain entries."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT (SELECT COALESCE(MAX(rowid), 0) FROM {self.events_table_name}), "
                "(SELECT COALESCE(MAX(position), 0) FROM event_chain)"
            )
            events, chain = c.fetchone()
        return int(events), int(chain)

    def chain_hashes(self, positions: list[int]) -> dict[int, str]:
        found: dict[int, str] = {}
        with self.datastore.transaction(commit=False) as c:
            for start in range(0, len(positions), 500):
                chunk = positions[start : start + 500]
                c.execute(
                    "SELECT position, chain_hash FROM event_chain "
                    f"WHERE position IN ({','.join('?' * len(chunk))})",
                    chunk,
                )
                found.update({row[0]: row[1] for row in c.fetchall()})
        return found

    def write_checkpoint(self, checkpoint: Checkpoint) -> None:
        with self.datastore.transaction(commit=True) as c:
            self._insert_checkpoint(c, checkpoint)

    def _insert_checkpoint(self, c: Any, checkpoint: Checkpoint) -> None:
        c.execute(
            "INSERT OR IGNORE INTO checkpoints VALUES (?, ?, ?, ?, ?, ?)",
            (
                checkpoint.position,
                checkpoint.recorded_at,
                checkpoint.chain_hash,
                checkpoint.key_id,
                checkpoint.signature,
                checkpoint.signed_at,
            ),
        )

    def checkpoints(self) -> list[Checkpoint]:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT * FROM checkpoints ORDER BY position")
            return [Checkpoint(*row) for row in c.fetchall()]

    def ledger_id(self) -> str:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT value FROM ledger_meta WHERE name = 'ledger_id'")
            row = c.fetchone()
        return str(row[0]) if row else ""


def _chained(row: Any, stored: str | None) -> ChainedRow:
    # A row edited by hand may hold any type in any column: read what is there, as it is.
    state = row[9].encode() if isinstance(row[9], str) else bytes(row[9] or b"")
    return ChainedRow(
        row[0], row[1], str(row[2]), str(row[3]), str(row[4]), str(row[5]), row[6], row[7],
        str(row[8]), state, stored,
    )  # fmt: skip
