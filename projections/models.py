"""The base of every report model (pydantic: the JSON shape of the CLI and the HTTP API)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["ReportModel"]


class ReportModel(BaseModel):
    """A report or part of one: immutable once made."""

    model_config = ConfigDict(frozen=True)
