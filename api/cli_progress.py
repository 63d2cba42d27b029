"""Progress of a long command: a bar per stage on a terminal, one summary line per stage otherwise.

The summary lines go to stderr, so that stdout keeps only the command's answer.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from projections.progress import Progress as Report

__all__ = ["staged"]


@contextmanager
def staged(console: Console, errors: Console, *, quiet: bool = False) -> Iterator[Report]:
    """A progress callback for `projections.progress`: bars on a terminal, else summary lines."""
    started: dict[str, float] = {}
    finished: set[str] = set()
    if quiet or not console.is_terminal:

        def summary(stage: str, done: int, total: int) -> None:
            started.setdefault(stage, time.perf_counter())
            if done >= total and stage not in finished:
                finished.add(stage)
                seconds = time.perf_counter() - started[stage]
                errors.print(f"{stage}: {total:,} done in {seconds:.2f} s", markup=False)

        yield summary if not quiet else (lambda stage, done, total: None)
        return
    columns = (
        TextColumn("{task.description:<20}"), BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,}"), TimeElapsedColumn(),
    )  # fmt: skip
    tasks: dict[str, TaskID] = {}
    with Progress(*columns, console=console, transient=True) as bars:

        def bar(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bars.add_task(stage, total=max(total, 1))
            bars.update(tasks[stage], completed=done if total else 1)

        yield bar
