"""Signing the log's head: the checkpoints that let anyone holding the public key prove the log.

`HeadSigning` holds the ledger's key (set by whoever opens the store) and signs, for every append
batch, the (ledger id, position, recorded-at, chain hash) the batch left; the recorder calls it
inside the append transaction, so a batch and its checkpoint commit together.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ledger.signing import Signer, checkpoint_message
from ledger.store.ports import LedgerReader, WriteReceipt
from ledger.timevalues import instant_micros
from ledger.verification import Checkpoint, LogVerdict, Vouched, verify_log

__all__ = ["HeadSigning"]


class HeadSigning:
    """The key that signs the log's checkpoints (none: the log is chained but unsigned)."""

    def __init__(self, reader: LedgerReader) -> None:
        self._reader = reader
        self._signer: Signer | None = None
        self._ledger_id = ""

    @property
    def signer(self) -> Signer | None:
        return self._signer

    @signer.setter
    def signer(self, signer: Signer | None) -> None:
        self._signer = signer
        self._ledger_id = self._reader.ledger_id() if signer is not None else ""
        # The recorder signs each batch's new head inside the append transaction: one commit.
        self._reader.head_signer = self.signed_head if signer is not None else None  # type: ignore[attr-defined]

    def signed_head(self, position: int, recorded_at: datetime, chain_hash: str) -> Checkpoint:
        """Rule `checkpoints`: the signed checkpoint saying the log held `position` events ending
        in `chain_hash`, recorded at `recorded_at`."""
        assert self._signer is not None
        micros = instant_micros(recorded_at)
        ledger_id = self._ledger_id or self._reader.ledger_id()
        message = checkpoint_message(ledger_id, position, micros, chain_hash)
        return Checkpoint(
            position,
            micros,
            chain_hash,
            self._signer.key_id,
            self._signer.sign(message),
            datetime.now(UTC).isoformat(),
        )

    def after_append(self, receipt: WriteReceipt) -> None:
        """Sign the batch's new head, unless the recorder already did in its transaction."""
        if self._signer is None or receipt.recorded_at is None or receipt.chain_hash is None:
            return
        if not receipt.checkpointed:
            self.write_checkpoint(receipt.positions[-1], receipt.recorded_at, receipt.chain_hash)

    def write_checkpoint(self, position: int, recorded_at: datetime, chain_hash: str) -> None:
        """Sign that the log held `position` events ending in `chain_hash`, and keep it."""
        self._reader.write_checkpoint(self.signed_head(position, recorded_at, chain_hash))

    def verify(self, public_key: str, vouched: tuple[Vouched, ...] = ()) -> LogVerdict:
        """Recompute the chain over the whole log and hold it against the checkpoints (and the
        positions `vouched` for by receipts)."""
        reader = self._reader
        return verify_log(
            reader.chain_rows(),
            reader.chain_extent(),
            reader.checkpoints(),
            ledger_id=reader.ledger_id(),
            public_key=public_key,
            vouched=vouched,
        )
