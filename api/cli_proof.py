"""`sla-ledger verify`, `signing-key` and `checkpoint`: proving the log is the one recorded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from api.cli_common import (
    JsonOption,
    app,
    fail,
    opened,
    out,
    print_json,
    read_json_object,
    read_text,
)
from api.proof import TAMPERED_EXIT, signing_key, verify
from api.receipts import check_report
from ledger.verification import Vouched

__all__ = ["checkpoint", "signing_key_command", "verify_command", "verify_report"]


@app.command("verify")
def verify_command(
    receipt: Annotated[
        Path | None, typer.Option("--receipt", help="Also hold the log against this receipt.")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Recompute the hash chain over the whole log; name the first position where it departs.

    Exit status 0 when intact, 5 when tampered.
    """
    vouched = _vouched(receipt) if receipt is not None else ()
    with opened() as services:
        found = verify(services, vouched)
    if json_output:
        print_json(found)
    elif found.status == "intact":
        out.print(
            f"intact: {found.events:,} events, chain hash {found.head_chain_hash} at position "
            f"{found.head}; {found.checkpoints:,} signed checkpoints, the last at "
            f"{found.last_checkpoint or '-'}",
            markup=False,
        )
    else:
        first = found.first_departure
        assert first is not None
        out.print(
            f"TAMPERED at position {first.position}: {first.kind}: {first.detail}", markup=False
        )
        for later in found.departures[1:]:
            out.print(f"  also at {later.position}: {later.kind}: {later.detail}", markup=False)
    if found.status != "intact":
        raise SystemExit(TAMPERED_EXIT)


def _vouched(file: Path) -> tuple[Vouched, ...]:
    try:
        document = json.loads(read_text(file))
        receipt = document.get("receipt", document)
        return (Vouched(int(receipt["as_of_position"]), str(receipt["chain_hash"]), "receipt"),)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        fail(2, f"{file}: not a receipt (as_of_position and chain_hash): {error}")


@app.command("signing-key")
def signing_key_command(json_output: JsonOption = False) -> None:
    """The ledger's public key (Ed25519, hex): checkpoints and receipts verify against it."""
    with opened() as services:
        key = signing_key(services)
    if json_output:
        print_json(key)
        return
    out.print(f"{key.public_key}  (Ed25519, key id {key.key_id})", markup=False)


@app.command("checkpoint")
def checkpoint() -> None:
    """Sign the log's head now (one is written after every append batch anyway)."""
    with opened() as services:
        found = verify(services)
        broken = [d for d in found.departures if d.kind != "unsigned_tail"]
        if broken:
            fail(
                TAMPERED_EXIT, f"not signing: the log is tampered at position {broken[0].position}"
            )
        if found.head == 0:
            fail(1, "nothing to sign: the log is empty")
        recorded = services.ledger.reader.recorded_at_of(found.head)
        assert recorded is not None
        services.ledger.write_checkpoint(found.head, recorded, found.head_chain_hash)
    out.print(
        f"signed a checkpoint at position {found.head} ({found.head_chain_hash})", markup=False
    )


@app.command("verify-report")
def verify_report(
    file: Annotated[Path, typer.Argument(help="A report in JSON with its receipt.")],
    public_key: Annotated[
        str | None,
        typer.Option("--public-key", help="Check offline: signature and body only, this key."),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Check a report and its receipt: offline with --public-key, else against the ledger too
    (the chain up to its position, its evidence, and the report recomputed as of then).

    Exit status 0 when the report is valid, 5 when it is not, 2 when it is not a report.
    """
    document = read_json_object(file, "a report is")
    if public_key is not None:
        found = check_report(document, public_key)
    else:
        with opened() as services:
            found = check_report(document, signing_key(services).public_key, services)
    if json_output:
        print_json(found)
    elif found.valid:
        where = "against the ledger" if found.checked_against_ledger else "offline"
        out.print(f"valid ({where}): the receipt's signature holds and the report matches")
    else:
        for problem in found.problems:
            out.print(f"INVALID: {problem}", markup=False)
    if not found.valid:
        raise SystemExit(TAMPERED_EXIT)
