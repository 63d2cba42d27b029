"""The hash chain over the log: each stored event's hash covers the one before it.

`link(previous, row)` is SHA-256 over the previous chain hash (32 zero bytes before the first
event) and every stored column of the event, in a fixed byte layout anyone can recompute:

    previous (32 bytes) | position (int8) | recorded_at (int8, Unix microseconds) |
    event_id (text) | type (text) | actor (text) | originator_id (text, 32 lowercase hex) |
    originator_version (int8) | valid_at (int8 Unix microseconds, -2**63 when null) |
    content_hash (text) | state (bytes)

int8 is big-endian signed 8 bytes; text is UTF-8 and bytes are raw, each after its length as a
big-endian 4-byte integer. Both stores compute it in the append transaction (PostgreSQL in SQL,
with the same layout); `verify_chain` recomputes it and names the first place the log departs.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "GENESIS",
    "ChainedRow",
    "Departure",
    "Verdict",
    "link",
    "verify_chain",
]

GENESIS = bytes(32)
NULL_MICROS = -(2**63)


@dataclass(frozen=True, slots=True)
class ChainedRow:
    """One stored event as the chain sees it, with the chain hash stored beside it (if any)."""

    position: int
    recorded_at: int  # Unix microseconds
    event_id: str
    type: str
    actor: str
    originator_id: str  # 32 lowercase hex digits
    originator_version: int
    valid_at: int | None  # Unix microseconds
    content_hash: str
    state: bytes
    stored_hash: str | None  # None: the event has no chain entry


def _text(value: str) -> bytes:
    data = value.encode("utf-8")
    return struct.pack(">i", len(data)) + data


def link(previous: bytes, row: ChainedRow) -> bytes:
    """The chain hash of `row` after `previous` (see the module's layout)."""
    valid = NULL_MICROS if row.valid_at is None else row.valid_at
    payload = b"".join(
        (
            previous,
            struct.pack(">qq", row.position, row.recorded_at),
            _text(row.event_id),
            _text(row.type),
            _text(row.actor),
            _text(row.originator_id),
            struct.pack(">qq", row.originator_version, valid),
            _text(row.content_hash),
            struct.pack(">i", len(row.state)),
            row.state,
        )
    )
    return hashlib.sha256(payload).digest()


Kind = Literal[
    "edited_event",
    "edited_chain",
    "deleted",
    "inserted",
    "swapped",
    "truncated",
    "rewritten",
    "forged_checkpoint",
    "unsigned_tail",
]


@dataclass(frozen=True)
class Departure:
    """Where and how the log departs from its chain."""

    position: int
    kind: Kind
    detail: str


@dataclass(frozen=True)
class Verdict:
    """What verifying the chain found: the head, the chain hash there, and departures."""

    events: int
    head: int
    head_hash: str
    departures: list[Departure]
    hashes: dict[int, str]  # the recomputed chain hash at each watched position

    @property
    def intact(self) -> bool:
        return not self.departures


def verify_chain(rows: Iterable[ChainedRow], *, watch: frozenset[int] = frozenset()) -> Verdict:
    """Recompute the chain over `rows` (in position order) and report the first departure;
    keep the recomputed hash at the `watch`ed positions (checkpoints, receipts).

    An edited event breaks its own link while the stored chain goes on (the next link holds from
    the stored hash); an edited chain entry breaks its own link and the next one, which holds
    from the recomputed hash instead; a missing position is a deleted row; an event without a
    chain entry, or a chain that holds from neither, is an inserted (forged) row; two adjacent
    events whose links hold when exchanged were swapped.
    """
    previous, expected_position, count = GENESIS, 1, 0
    hashes: dict[int, str] = {}
    departures: list[Departure] = []
    window = _pairs(iter(rows))
    for row, following in window:
        count += 1
        if row.position != expected_position:
            departures.append(
                Departure(
                    expected_position,
                    "deleted",
                    f"positions {expected_position}"
                    f"-{row.position - 1} are missing: rows were deleted",
                )
            )
            break
        computed = link(previous, row)
        if row.stored_hash is None:
            departures.append(
                Departure(
                    row.position,
                    "inserted",
                    "the event has no chain entry: it was "
                    "inserted without going through the ledger",
                )
            )
            break
        if computed.hex() != row.stored_hash:
            departures.append(_explain(previous, row, following))
            break
        previous, expected_position = computed, row.position + 1
        if row.position in watch:
            hashes[row.position] = computed.hex()
    return Verdict(count, expected_position - 1, previous.hex(), departures, hashes)


def _explain(previous: bytes, row: ChainedRow, following: ChainedRow | None) -> Departure:
    stored = bytes.fromhex(row.stored_hash or "")
    if following is not None and following.stored_hash is not None:
        if _swapped(previous, row, following):
            return Departure(
                row.position, "swapped", f"positions {row.position} and {following.position} "
                "hold each other's events: rows were swapped"
            )  # fmt: skip
        if link(stored, following).hex() == following.stored_hash:
            return Departure(
                row.position, "edited_event", "the event's stored content or metadata differs "
                "from what its chain entry covers: the event row was edited"
            )  # fmt: skip
        if link(link(previous, row), following).hex() == following.stored_hash:
            return Departure(
                row.position, "edited_chain", "the chain entry differs from the hash of the "
                "event it covers, and the next entry was made from the right one: the chain "
                "row was edited"
            )  # fmt: skip
        return Departure(
            row.position, "inserted", "neither the event nor its chain entry links to the log "
            "before it: a row was inserted or forged"
        )  # fmt: skip
    return Departure(
        row.position, "edited_event", "the last event's content or metadata differs from what "
        "its chain entry covers"
    )  # fmt: skip


def _swapped(previous: bytes, row: ChainedRow, following: ChainedRow) -> bool:
    """Whether exchanging the two rows' contents (keeping positions) makes both links hold."""
    from dataclasses import replace

    first = replace(following, position=row.position, stored_hash=row.stored_hash)
    second = replace(row, position=following.position, stored_hash=following.stored_hash)
    first_hash = link(previous, first)
    return first_hash.hex() == row.stored_hash and link(first_hash, second).hex() == (
        following.stored_hash
    )


def _pairs(rows: Iterator[ChainedRow]) -> Iterator[tuple[ChainedRow, ChainedRow | None]]:
    current = next(rows, None)
    while current is not None:
        following = next(rows, None)
        yield current, following
        current = following
