"""Interval arithmetic on whole Unix seconds: half-open [start, end) pairs.

Pure functions over sorted or unsorted input; results are always sorted and non-overlapping.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import TypeVar

__all__ = [
    "Interval",
    "clip",
    "intersect",
    "merge",
    "merge_labelled",
    "subtract",
    "total",
]

Interval = tuple[int, int]
Label = TypeVar("Label", bound=Hashable)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """The union of `intervals`; overlapping and touching intervals become one.

    Rule `merge_outages`: two reports of the same outage never count twice, and an outage that
    ends the second another begins is one continuous period.
    """
    merged: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def merge_labelled(
    items: Iterable[tuple[int, int, Label]],
) -> list[tuple[int, int, tuple[Label, ...]]]:
    """Like `merge`, keeping the labels (e.g. outage ids) of everything merged into each period."""
    merged: list[tuple[int, int, list[Label]]] = []
    for start, end, label in sorted((i for i in items if i[1] > i[0]), key=lambda i: (i[0], i[1])):
        if merged and start <= merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), last[2])
            if label not in last[2]:
                last[2].append(label)
        else:
            merged.append((start, end, [label]))
    return [(start, end, tuple(labels)) for start, end, labels in merged]


def subtract(intervals: Sequence[Interval], removed: Sequence[Interval]) -> list[Interval]:
    """`intervals` minus the union of `removed`."""
    cuts = merge(removed)
    result: list[Interval] = []
    for start, end in merge(intervals):
        cursor = start
        for cut_start, cut_end in cuts:
            if cut_end <= cursor:
                continue
            if cut_start >= end:
                break
            if cut_start > cursor:
                result.append((cursor, cut_start))
            cursor = max(cursor, cut_end)
            if cursor >= end:
                break
        if cursor < end:
            result.append((cursor, end))
    return result


def intersect(intervals: Sequence[Interval], other: Sequence[Interval]) -> list[Interval]:
    """The parts of `intervals` that are also inside `other`."""
    left, right = merge(intervals), merge(other)
    result: list[Interval] = []
    i = j = 0
    while i < len(left) and j < len(right):
        start, end = max(left[i][0], right[j][0]), min(left[i][1], right[j][1])
        if start < end:
            result.append((start, end))
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return result


def clip(interval: Interval, lower: int, upper: int) -> Interval | None:
    """`interval` cut to [lower, upper), or None if nothing is left."""
    start, end = max(interval[0], lower), min(interval[1], upper)
    return (start, end) if start < end else None


def total(intervals: Iterable[Interval]) -> int:
    return sum(end - start for start, end in intervals)
