"""Receipts: what a report carries so that anyone holding the public key can check it.

A receipt names the ledger, the report and the query that made it, the log position it was
answered as of with that position's recorded time and chain hash, a digest of the evidence it
cites (over their chain hashes, in position order), a digest of the report's body, the versions
that shaped the answer, and the ledger's signature over all of that.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from ledger.signing import canonical

__all__ = ["Receipt", "body_digest", "cited_positions", "evidence_digest", "receipt_message"]


class Receipt(BaseModel):
    """The proof a report carries (see `sla-ledger verify-report`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ledger_id: str
    report: str
    query: dict[str, Any]
    as_of_position: int
    recorded_at: datetime | None
    query_time: datetime
    chain_hash: str
    evidence_digest: str
    body_digest: str
    versions: dict[str, str]
    key_id: str
    signature: str


def receipt_message(receipt: Receipt) -> bytes:
    """What the signature covers: every field of the receipt but the signature."""
    return canonical(receipt.model_dump(mode="json", exclude={"signature"}))


def body_digest(body: dict[str, Any]) -> str:
    """SHA-256 of the report's canonical JSON body, its receipt left out."""
    return hashlib.sha256(canonical({k: v for k, v in body.items() if k != "receipt"})).hexdigest()


def cited_positions(body: Any) -> list[int]:
    """The positions of every event the report cites (evidence, changed_by, renewal, ...)."""
    return sorted(set(_positions(body)))


def _positions(value: Any) -> Iterator[int]:
    if isinstance(value, dict):
        if isinstance(value.get("position"), int) and "event_id" in value:
            yield value["position"]
        for key, item in value.items():
            if key != "receipt":
                yield from _positions(item)
    elif isinstance(value, list):
        for item in value:
            yield from _positions(item)


def evidence_digest(chain_hashes: list[str]) -> str:
    """SHA-256 over the cited events' chain hashes, in position order."""
    return hashlib.sha256("".join(chain_hashes).encode()).hexdigest()
