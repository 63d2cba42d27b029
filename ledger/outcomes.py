"""What a write reports: for each submitted fact, recorded or a duplicate, where and when."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from ledger import importing as f
from ledger.idempotency import KnownEvent
from ledger.warnings import FactWarning

__all__ = ["RecordOutcome", "RecordedFact", "outcomes"]


@dataclass(frozen=True)
class RecordedFact:
    """What happened to one submitted fact."""

    line: int
    event_id: str
    type: str
    status: Literal["recorded", "duplicate"]
    position: int
    recorded_at: datetime


@dataclass(frozen=True)
class RecordOutcome:
    facts: list[RecordedFact]
    warnings: list[FactWarning] = field(default_factory=list)

    @property
    def recorded(self) -> int:
        return sum(1 for fact in self.facts if fact.status == "recorded")

    @property
    def duplicates(self) -> int:
        return sum(1 for fact in self.facts if fact.status == "duplicate")


def outcomes(
    batch: Sequence[tuple[int, f.AnyFact]],
    event_ids: list[str],
    recorded: list[tuple[int, str]],
    duplicates: dict[int, KnownEvent | int],
    appended: tuple[list[int], datetime | None],
) -> list[RecordedFact]:
    """What happened to each fact of a batch: recorded (at its position) or a duplicate (of a
    stored event, or of the batch's line that recorded it). `recorded` is (line, event id) of
    each appended fact, in append order; `appended` their positions and recorded time."""
    appended_positions, recorded_at = appended
    positions = {
        line: position for (line, _), position in zip(recorded, appended_positions, strict=True)
    }
    recorded_ids = dict(recorded)
    found = []
    for (line, fact), event_id in zip(batch, event_ids, strict=True):
        if line in positions:
            assert recorded_at is not None
            found.append(
                RecordedFact(
                    line, recorded_ids[line], fact.type, "recorded", positions[line], recorded_at
                )
            )
            continue
        earlier = duplicates[line]
        if isinstance(earlier, KnownEvent):
            found.append(
                RecordedFact(
                    line, event_id, fact.type, "duplicate", earlier.position, earlier.recorded_at
                )
            )
        else:
            assert recorded_at is not None
            found.append(
                RecordedFact(
                    line, event_id, fact.type, "duplicate", positions[earlier], recorded_at
                )
            )
    return found
