"""The proof answers the CLI and the HTTP API give alike: a verdict on the log, the public key."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from api.bootstrap import Services
from ledger.chain import Kind
from ledger.errors import LedgerError
from ledger.verification import LogVerdict, Vouched

__all__ = ["Departure", "SigningKey", "Verification", "verification_of", "verify"]

TAMPERED_EXIT = 5
"""`sla-ledger verify` exits with this status when the log departs from its chain."""


class Departure(BaseModel):
    model_config = ConfigDict(frozen=True)

    position: int
    kind: Kind
    detail: str


class Verification(BaseModel):
    """What `verify` found: intact, or the first position where the log departs and how."""

    model_config = ConfigDict(frozen=True)

    status: Literal["intact", "tampered"]
    events: int
    head: int
    head_chain_hash: str
    checkpoints: int
    last_checkpoint: int | None
    first_departure: Departure | None
    departures: list[Departure]
    public_key: str
    key_id: str


class SigningKey(BaseModel):
    model_config = ConfigDict(frozen=True)

    algorithm: Literal["Ed25519"]
    public_key: str
    key_id: str


class NoSigningKey(LedgerError):
    """The ledger was opened without its signing key."""


def signing_key(services: Services) -> SigningKey:
    signer = services.ledger.signer
    if signer is None:
        raise NoSigningKey("this ledger was opened without its signing key")
    return SigningKey(algorithm="Ed25519", public_key=signer.public_key, key_id=signer.key_id)


def verify(services: Services, vouched: tuple[Vouched, ...] = ()) -> Verification:
    """Recompute the chain and hold it against every checkpoint (and the vouched positions)."""
    key = signing_key(services)
    return verification_of(services.ledger.verify(key.public_key, vouched), key)


def verification_of(verdict: LogVerdict, key: SigningKey) -> Verification:
    departures = [Departure(position=d.position, kind=d.kind, detail=d.detail) for d in
                  sorted(verdict.departures, key=lambda d: d.position)]  # fmt: skip
    return Verification(
        status="intact" if verdict.intact else "tampered",
        events=verdict.events,
        head=verdict.head,
        head_chain_hash=verdict.head_hash,
        checkpoints=verdict.checkpoints,
        last_checkpoint=verdict.last_checkpoint,
        first_departure=departures[0] if departures else None,
        departures=departures,
        public_key=key.public_key,
        key_id=key.key_id,
    )
