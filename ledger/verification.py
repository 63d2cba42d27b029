"""Verifying the log: the chain recomputed, then held against the signed checkpoints.

The chain alone finds an edited, deleted, inserted or swapped row. What it cannot find - a log
cut short, or rewritten with a recomputed chain - the checkpoints find: each one is the ledger's
signature of (position, recorded at, chain hash), written after every append batch. A receipt
handed out with a report is checked the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from ledger.chain import ChainedRow, Departure, verify_chain
from ledger.signing import checkpoint_message, signature_holds

__all__ = ["Checkpoint", "HeadSigner", "LogVerdict", "Vouched", "verify_log"]


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement that the log held `position` events, ending in `chain_hash`."""

    position: int
    recorded_at: int  # Unix microseconds of the event at `position`
    chain_hash: str
    key_id: str
    signature: str  # hex Ed25519 signature over `checkpoint_message`
    signed_at: str


# Signs a batch's new head (position, recorded at, chain hash) inside its append transaction.
HeadSigner = Callable[[int, datetime, str], Checkpoint]


@dataclass(frozen=True)
class Vouched:
    """A position some signed statement vouches for: its chain hash, and who vouches."""

    position: int
    chain_hash: str
    source: str  # "checkpoint" or "receipt"


@dataclass(frozen=True)
class LogVerdict:
    """What verifying the log found."""

    events: int
    head: int
    head_hash: str
    checkpoints: int
    last_checkpoint: int | None
    departures: list[Departure]

    @property
    def intact(self) -> bool:
        return not self.departures

    @property
    def first(self) -> Departure | None:
        return min(self.departures, key=lambda d: d.position) if self.departures else None


def verify_log(
    rows: Iterable[ChainedRow],
    extent: tuple[int, int],
    checkpoints: list[Checkpoint],
    *,
    ledger_id: str,
    public_key: str,
    vouched: tuple[Vouched, ...] = (),
) -> LogVerdict:
    """Recompute the chain over `rows` and hold it against every checkpoint (and receipt).

    Rule `verify`: the log is intact when every link holds, every checkpoint is the ledger's
    signature, each vouched position holds the chain hash vouched for, and no event lies
    beyond the last checkpoint.
    """
    statements = [*(Vouched(c.position, c.chain_hash, "checkpoint") for c in checkpoints), *vouched]
    verdict = verify_chain(rows, watch=frozenset(s.position for s in statements))
    departures = list(verdict.departures)
    _, head_of_chain = extent
    if not departures and head_of_chain > verdict.head:
        departures.append(
            Departure(
                verdict.head + 1,
                "truncated",
                f"chain entries reach position "
                f"{head_of_chain} but the log ends at {verdict.head}: events were removed "
                "from its end",
            )
        )
    departures += _forged(checkpoints, ledger_id, public_key)
    for statement in statements:
        departure = _held(statement, verdict.head, verdict.hashes, bool(verdict.departures))
        if departure is not None:
            departures.append(departure)
    last = max((c.position for c in checkpoints), default=None)
    if not departures and verdict.head and (last is None or last < verdict.head):
        first_unsigned = (last or 0) + 1
        departures.append(
            Departure(
                first_unsigned,
                "unsigned_tail",
                f"positions {first_unsigned}-"
                f"{verdict.head} are after the last signed checkpoint "
                f"({last or 'none'}): recorded after it, or forged; if a writer stopped "
                "between appending and signing, `sla-ledger checkpoint` signs the head",
            )
        )
    return LogVerdict(
        verdict.events, verdict.head, verdict.head_hash, len(checkpoints), last, departures
    )


def _forged(checkpoints: list[Checkpoint], ledger_id: str, public_key: str) -> list[Departure]:
    return [
        Departure(
            c.position,
            "forged_checkpoint",
            f"the checkpoint at position {c.position} is not this ledger's signature",
        )
        for c in checkpoints
        if not signature_holds(
            public_key,
            checkpoint_message(ledger_id, c.position, c.recorded_at, c.chain_hash),
            c.signature,
        )
    ]


def _held(statement: Vouched, head: int, hashes: dict[int, str], broken: bool) -> Departure | None:
    if statement.position > head and not broken:
        return Departure(
            head + 1,
            "truncated",
            f"a signed {statement.source} vouches for position "
            f"{statement.position} but the log ends at {head}: events were removed from its end",
        )
    found = hashes.get(statement.position)
    if found is not None and found != statement.chain_hash:
        return Departure(
            statement.position,
            "rewritten",
            f"the log at position {statement.position} is not "
            f"what the signed {statement.source} vouches for: it was rewritten",
        )
    return None
