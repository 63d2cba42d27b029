"""Splitting CPU-bound read-model work across the machine's cores.

A full rebuild folds the whole log into one in-memory history, then computes a document for every
account-month. The second part is independent per account, so it is split across forked worker
processes that share the folded history copy-on-write and send back only their finished rows.
A forked child of a process with other threads (e.g. a database pool's) inherits their locks in
whatever state they were. The children here only compute documents from data already in memory,
write them to their pipe and `_exit`: they take no lock, open no connection and run no cleanup.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

__all__ = ["collector_paused", "map_in_processes"]

Item = TypeVar("Item")
Result = TypeVar("Result")


def map_in_processes(
    work: Callable[[Sequence[Item]], list[Result]], items: Sequence[Item], *, minimum: int = 200
) -> list[Result]:
    """`work(items)`, split into one slice per core when worthwhile; results keep their order."""
    workers = min(os.cpu_count() or 1, 8)
    if workers < 2 or len(items) < minimum or not _can_fork():
        return work(items)
    size = -(-len(items) // workers)
    slices = [items[i : i + size] for i in range(0, len(items), size)]
    children = [_fork(work, part) for part in slices[1:]]
    results = work(slices[0])
    for pid, reader in children:
        results += _collect(pid, reader)
    return results


def _can_fork() -> bool:
    return hasattr(os, "fork")


def _fork(work: Callable[[Sequence[Item]], list[Result]], part: Sequence[Item]) -> tuple[int, int]:
    reader, writer = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns about forking with threads alive; see the module docstring.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: compute, send, and leave without running any cleanup of the parent
        os.close(reader)
        status = 0
        try:
            payload = pickle.dumps(work(part), protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException as error:  # the parent re-raises it
            payload, status = _pickled_error(error), 1
        with os.fdopen(writer, "wb") as pipe:
            pipe.write(payload)
        os._exit(status)
    os.close(writer)
    return pid, reader


def _pickled_error(error: BaseException) -> bytes:
    try:
        return pickle.dumps(error)
    except Exception:
        return pickle.dumps(RuntimeError(f"worker failed: {error!r}"))


def _collect(pid: int, reader: int) -> list[Result]:
    with os.fdopen(reader, "rb") as pipe:
        payload = pipe.read()
    _, status = os.waitpid(pid, 0)
    result = pickle.loads(payload)
    if status != 0 or isinstance(result, BaseException):
        raise result if isinstance(result, BaseException) else RuntimeError("worker failed")
    results: list[Result] = result
    return results


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a rebuild or a replay allocates millions of small
    objects. None of them form reference cycles, so nothing is left for the collector to find; its
    repeated passes over a large live heap would only cost time (a third of a rebuild).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
