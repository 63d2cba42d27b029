"""JSON text as the ledger reads it: NDJSON split on newlines only, objects with unique keys."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["MAX_LINE_BYTES", "DuplicateKey", "decode_json", "split_lines"]

MAX_LINE_BYTES = 1 << 20  # one NDJSON line (one fact), UTF-8; README "Limits and errors"


def split_lines(text: str) -> list[str]:
    """Rule `ndjson_lines`: split an NDJSON document on `\n` (a `\r` before it is dropped) only.

    `str.splitlines()` also breaks at U+2028, U+2029, U+0085 and others, which are valid inside a
    JSON string: a valid fact would be refused and errors would name lines the file does not have.
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


class DuplicateKey(ValueError):
    """A JSON object names the same key twice (JSON parsers disagree on which one wins)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"the key {key!r} appears twice in one object")
        self.key = key


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise DuplicateKey(key)
        found[key] = value
    return found


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def decode_json(raw: str | bytes) -> Any:
    """Rule `strict_json`: decode JSON text, refusing duplicate keys (naming the key) and NaN.

    Raises:
        DuplicateKey: an object names a key twice.
        ValueError: the text is not JSON.
    """
    return json.loads(raw, object_pairs_hook=_unique_pairs, parse_constant=_no_constant)
