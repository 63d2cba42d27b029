"""How a report command writes its answer: text, JSON, CSV or PDF, to stdout or a file."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.console import Console

from api.cli_common import fail, out
from api.export_csv import report_csv
from api.web.pdf import pdf_of

__all__ = ["FormatOption", "OutputOption", "emit"]

FormatOption = Annotated[
    str,
    typer.Option(
        "--format",
        help="text, json or csv; pdf for availability and credits (with --output FILE).",
    ),
]
OutputOption = Annotated[
    Path | None, typer.Option("--output", help="Write the report to this file.", dir_okay=False)
]


def emit(
    report: BaseModel,
    output_format: str,
    json_output: bool,
    text: Callable[[Console, Any], None],
    output: Path | None,
) -> None:
    """Print (or write to `output`) the report as text, JSON, CSV, or PDF."""
    chosen = "json" if json_output else output_format
    if chosen == "pdf":
        if output is None:
            fail(2, "--format pdf needs --output FILE")
        try:
            output.write_bytes(pdf_of(report))
        except ValueError as error:
            fail(2, f"--format pdf: {error}")
        except OSError as error:
            fail(2, f"--output {output}: {error.strerror}")
        out.print(f"wrote {output}")
        return
    if chosen == "text" and output is None:
        text(out, report)
        return
    if chosen not in ("json", "csv", "text"):
        fail(2, f"--format must be text, json, csv or pdf, not {chosen!r}")
    data = report.model_dump(mode="json")
    rendered = report_csv(data) if chosen == "csv" else report.model_dump_json(indent=2) + "\n"
    if chosen == "text":
        buffer = Console(file=io.StringIO(), width=100, highlight=False)
        text(buffer, report)
        rendered = buffer.file.getvalue()  # type: ignore[attr-defined]
    if output is None:
        sys.stdout.write(rendered)
        return
    try:
        output.write_text(rendered, encoding="utf-8", newline="")
    except OSError as error:
        fail(2, f"--output {output}: {error.strerror}")
