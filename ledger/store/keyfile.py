"""The signing key's file: created on first use, readable by its owner only."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.errors import LedgerError
from ledger.signing import Signer

__all__ = ["KeyFileError", "load_signer"]


class KeyFileError(LedgerError):
    """The signing key's file is unusable (readable by others, unreadable, or not a key)."""


def load_signer(path: Path) -> Signer:
    """The ledger's signer from the key file at `path`, created (mode 0600) if missing.

    Raises:
        KeyFileError: the file is readable by group or others, cannot be read, or holds no
            Ed25519 private key.
    """
    if not path.exists():
        return Signer(_create(path))
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(
            f"the signing key file {path} can be read by others (mode {stat.S_IMODE(mode):o}); "
            f"make it private: chmod 600 {path}"
        )
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as error:
        raise KeyFileError(f"cannot read the signing key file {path}: {error}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path} does not hold an Ed25519 private key")
    return Signer(key)


def _create(path: Path) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it meanwhile: use theirs
        return _existing(path)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
    return key


def _existing(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return key
