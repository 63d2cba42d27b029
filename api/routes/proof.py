"""Proof: the log verified against its hash chain and checkpoints; the ledger's public key."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import Caller, StateDep
from api.errors import ERRORS, Hidden
from api.proof import SigningKey, Verification, signing_key, verify
from api.receipts import ReportCheck, check_report
from api.schemas import SignedReport

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


@router.post("/verify-report", response_model=ReportCheck)
def verify_report(document: SignedReport, app: StateDep, key: Caller) -> ReportCheck:
    """Check a report and its receipt against this ledger: the signature, the body's digest,
    the chain up to the receipt's position, the cited events, and the report recomputed as of
    that position (any key may ask: the report is the caller's)."""
    return check_report(document.model_dump(mode="json"), signing_key(app).public_key, app)
