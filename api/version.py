"""The one version: the installed package's metadata (pyproject.toml `version`)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["VERSION"]

try:
    VERSION = version("sla-ledger")
except PackageNotFoundError:  # pragma: no cover - running from a source tree never installed
    VERSION = "0+unknown"
