"""Proof: the log verified against its hash chain and checkpoints; the ledger's public key."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import Caller, StateDep
from api.errors import ERRORS, Hidden
from api.proof import SigningKey, Verification, signing_key, verify

router = APIRouter(tags=["proof"], responses=ERRORS)


@router.get("/verify", response_model=Verification)
def verify_log(app: StateDep, key: Caller) -> Verification:
    """Recompute the hash chain over the whole log and hold it against every signed checkpoint:
    `intact`, or the first position where the log departs and how (operators and auditors)."""
    if key.role == "customer":
        raise Hidden("not found")
    return verify(app)


@router.get("/signing-key", response_model=SigningKey, responses={})
def public_key(app: StateDep) -> SigningKey:
    """The ledger's public key (Ed25519, hex): checkpoints and receipts verify against it (no
    key needed)."""
    return signing_key(app)
