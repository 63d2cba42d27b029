"""Receipts on every JSON report, and checking a report handed back with its receipt.

`receipted` signs a report as the CLI or the API is about to hand it out. `check_report` checks
one: offline (the signature holds under the public key, the body matches its digest) and, with
the ledger, that the chain up to the receipt's position is intact, that the cited events are in
it with those hashes, and that the same report recomputed as of the same position is identical.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from importlib.metadata import version
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from api.bootstrap import Services
from api.proof import signing_key
from api.schemas import adjustment_page, breach_page
from ledger.errors import InvalidQuery
from ledger.receipts import (
    Receipt,
    body_digest,
    cited_positions,
    evidence_digest,
    receipt_message,
)
from ledger.signing import signature_holds
from ledger.timevalues import Month, parse_instant
from ledger.verification import Vouched
from projections.reports import KnownBy, Reports

__all__ = ["ReportCheck", "check_report", "receipted"]

Model = TypeVar("Model", bound=BaseModel)


def _versions() -> dict[str, str]:
    return {name: version(name) for name in ("sla-ledger", "tzdata", "holidays")}


def _position(body: dict[str, Any]) -> int:
    return int(body.get("vs_position") or body.get("as_of_position") or 0)


def receipted(services: Services, report: Model, kind: str, query: dict[str, Any]) -> Model:
    """`report` with its receipt, signed with the ledger's key (rule `receipts`)."""
    signer = services.ledger.signer
    key = signing_key(services)  # a ledger opened without its key signs nothing, and says so
    assert signer is not None
    body = report.model_dump(mode="json", exclude={"receipt"})
    position = _position(body)
    reader = services.ledger.reader
    cited = cited_positions(body)
    hashes = reader.chain_hashes(sorted({*cited, position}))
    unsigned = Receipt(
        ledger_id=reader.ledger_id(),
        report=kind,
        query=query,
        as_of_position=position,
        recorded_at=reader.recorded_at_of(position) if position else None,
        query_time=body.get("query_time") or body.get("vs"),
        chain_hash=hashes.get(position, "0" * 64),
        evidence_digest=evidence_digest([hashes.get(p, "") for p in cited]),
        body_digest=body_digest(body),
        versions=_versions(),
        key_id=key.key_id,
        signature="",
    )
    signed = unsigned.model_copy(update={"signature": signer.sign(receipt_message(unsigned))})
    return report.model_copy(update={"receipt": signed})


class ReportCheck(BaseModel):
    """What checking a report found: `valid`, or every reason it is not (field named)."""

    model_config = ConfigDict(frozen=True)

    valid: bool
    checked_against_ledger: bool
    problems: list[str]


def check_report(
    document: dict[str, Any], public_key: str, services: Services | None = None
) -> ReportCheck:
    """Check a report with its receipt: offline with `public_key`; against the ledger too when
    `services` are given (then every altered field is named).

    Raises:
        InvalidQuery: the document has no well-formed receipt (the field is named).
    """
    receipt = _receipt_of(document)
    signed = signature_holds(public_key, receipt_message(receipt), receipt.signature)
    matches = body_digest(document) == receipt.body_digest
    if services is None:
        problems = [] if signed else ["receipt: the signature does not hold for this key"]
        if not matches:
            problems.append("body: does not match receipt.body_digest (check it against the "
                            "ledger to name the fields)")  # fmt: skip
        return ReportCheck(valid=not problems, checked_against_ledger=False, problems=problems)
    problems = _receipt_fields(document, receipt, services)
    if not signed and not problems:
        problems.append("receipt.signature: does not hold (receipt.report, .query, .query_time "
                        "or .versions were altered, or the key is not this ledger's)")  # fmt: skip
    if not problems:  # the receipt holds: now the log, and the report recomputed from it
        problems += _against_ledger(document, receipt, services)
    return ReportCheck(valid=not problems, checked_against_ledger=True, problems=problems)


def _receipt_fields(document: dict[str, Any], receipt: Receipt, services: Services) -> list[str]:
    """The receipt's fields the ledger can vouch for, each named where it differs."""
    reader = services.ledger.reader
    position = receipt.as_of_position
    cited = cited_positions(document)
    hashes = reader.chain_hashes(sorted({*cited, position}))
    recorded = reader.recorded_at_of(position) if position else None
    expected = {
        "ledger_id": reader.ledger_id(),
        "as_of_position": _position(document),
        "recorded_at": recorded,
        "chain_hash": hashes.get(position, "0" * 64),
        "evidence_digest": evidence_digest([hashes.get(p, "") for p in cited]),
        "key_id": signing_key(services).key_id,
    }
    problems = [
        f"receipt.{name}: not what the ledger holds"
        for name, value in expected.items()
        if getattr(receipt, name) != value
    ]
    if "receipt.ledger_id: not what the ledger holds" in problems:
        return ["receipt.ledger_id: the report comes from another ledger"]
    return problems


def _receipt_of(document: dict[str, Any]) -> Receipt:
    found = document.get("receipt")
    if not isinstance(found, dict):
        raise InvalidQuery("receipt: the report carries no receipt object")
    try:
        return Receipt.model_validate(found)
    except ValidationError as error:
        item = error.errors()[0]
        field = ".".join(str(part) for part in item["loc"])
        raise InvalidQuery(f"receipt.{field}: {item['msg']}") from None


def _against_ledger(document: dict[str, Any], receipt: Receipt, services: Services) -> list[str]:
    key = signing_key(services)
    verdict = services.ledger.verify(
        key.public_key, (Vouched(receipt.as_of_position, receipt.chain_hash, "receipt"),)
    )
    early = [d for d in verdict.departures if d.position <= receipt.as_of_position]
    if early:
        first = min(early, key=lambda d: d.position)
        return [f"log: tampered at position {first.position} ({first.kind}): {first.detail}"]
    recomputed = _recompute(receipt, services)
    return [f"{path}: differs from the report recomputed as of position "
            f"{receipt.as_of_position}" for path in _differences(document, recomputed)]  # fmt: skip


def _recompute(receipt: Receipt, services: Services) -> dict[str, Any]:
    as_of = receipt.query.get("as_of")
    known = KnownBy(
        receipt.as_of_position,
        receipt.query_time,
        parse_instant(as_of) if isinstance(as_of, str) else None,
    )
    reports = services.reports.pinned_at(known)
    make = _RECOMPUTE.get(receipt.report)
    if make is None:
        raise InvalidQuery(f"receipt.report: unknown report {receipt.report!r}")
    return make(reports, receipt.query)


def _differences(given: Any, recomputed: Any, path: str = "") -> list[str]:
    if isinstance(given, dict) and isinstance(recomputed, dict):
        found: list[str] = []
        for key in sorted(set(given) | set(recomputed)):
            if key == "receipt":
                continue
            found += _differences(given.get(key), recomputed.get(key), f"{path}.{key}".lstrip("."))
        return found
    if isinstance(given, list) and isinstance(recomputed, list) and len(given) == len(recomputed):
        return [d for i, (a, b) in enumerate(zip(given, recomputed, strict=True))
                for d in _differences(a, b, f"{path}[{i}]")]  # fmt: skip
    return [] if given == recomputed else [path or "(report)"]


def _at(value: Any) -> datetime | None:
    return parse_instant(value) if isinstance(value, str) else None


def _dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude={"receipt"})


_RECOMPUTE: dict[str, Callable[[Reports, dict[str, Any]], dict[str, Any]]] = {
    "availability": lambda r, q: _dump(
        r.availability(q["account_id"], Month.parse(q["month"]), _at(q.get("as_of")))
    ),
    "breaches": lambda r, q: _dump(r.breaches(Month.parse(q["month"]), _at(q.get("as_of")))),
    "ticket": lambda r, q: _dump(r.ticket(q["ticket_id"], _at(q.get("as_of")))),
    "tickets": lambda r, q: _dump(
        r.tickets(q["account_id"], Month.parse(q["month"]), _at(q.get("as_of")))
    ),
    "credits": lambda r, q: _dump(
        r.credits(
            q["account_id"], term=q.get("term"), at=_at(q.get("at")), as_of=_at(q.get("as_of"))
        )
    ),
    "adjustments": lambda r, q: _dump(r.adjustments(_at(q.get("as_of")))),
    "breaches_page": lambda r, q: _dump(
        breach_page(
            r.breaches(Month.parse(q["month"]), _at(q.get("as_of"))),
            q.get("account_id"),
            q["limit"],
            q["offset"],
        )
    ),
    "adjustments_page": lambda r, q: _dump(
        adjustment_page(
            r.adjustments(_at(q.get("as_of"))), q.get("account_id"), q["limit"], q["offset"]
        )
    ),
    "diff": lambda r, q: _dump(
        r.diff(
            q["account_id"],
            Month.parse(q["month"]),
            parse_instant(q["as_of"]),
            parse_instant(q["vs"]),
        )
    ),
    "replay": lambda r, q: _dump(
        r.replay(
            q["terms"],
            Month.parse(q["from_month"]),
            Month.parse(q["to_month"]),
            q.get("account_id"),
            all_accounts=bool(q.get("all_accounts")),
            as_of=_at(q.get("as_of")),
        )
    ),
}
