"""Progress of long passes (rebuild, what-if over every account): stage, done, total.

The callers only report; how progress is shown (a bar on a terminal, summary lines otherwise) is
the command line's business.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

__all__ = ["Progress", "counted", "silent"]

Item = TypeVar("Item")
Progress = Callable[[str, int, int], None]  # (stage, done, total); done == total: stage finished


def silent(stage: str, done: int, total: int) -> None:
    """Report nothing."""


def counted(
    items: Iterable[Item], total: int, stage: str, report: Progress, every: int = 5000
) -> Iterator[Item]:
    """`items`, reporting every `every` items and once at the end (as `total` done)."""
    report(stage, 0, total)
    for done, item in enumerate(items, 1):
        yield item
        if done % every == 0:
            report(stage, min(done, total), total)
    report(stage, total, total)
