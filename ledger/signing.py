"""Signatures: the ledger's Ed25519 key signs checkpoints and report receipts.

A signed message is canonical JSON (sorted keys, no spaces) of what it vouches for, so anyone
holding the public key can check it with any Ed25519 implementation. The key itself lives in a
file of the operator's (`ledger.store.keyfile`), never in the event store.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "Signer",
    "canonical",
    "checkpoint_message",
    "key_id_of",
    "signature_holds",
]


def canonical(value: Any) -> bytes:
    """The canonical JSON bytes of a value: what is hashed and signed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def key_id_of(public_key: str) -> str:
    """A short id for a public key (hex): the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(bytes.fromhex(public_key)).hexdigest()[:16]


class Signer:
    """Signs with the ledger's private key; tells its public key."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        raw = private_key.public_key().public_bytes_raw()
        self.public_key = raw.hex()
        self.key_id = key_id_of(self.public_key)

    def sign(self, message: bytes) -> str:
        return self._key.sign(message).hex()


def signature_holds(public_key: str, message: bytes, signature: str) -> bool:
    """Whether `signature` (hex) is the key's signature of `message`."""
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key))
        key.verify(bytes.fromhex(signature), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def checkpoint_message(ledger_id: str, position: int, recorded_at: int, chain_hash: str) -> bytes:
    """What a checkpoint signs: this ledger held `position` events, the last recorded at
    `recorded_at` (Unix microseconds), its chain ending in `chain_hash`."""
    return canonical(
        {
            "kind": "sla-ledger checkpoint",
            "ledger_id": ledger_id,
            "position": position,
            "recorded_at": recorded_at,
            "chain_hash": chain_hash,
        }
    )
