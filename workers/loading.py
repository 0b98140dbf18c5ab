"""Models loaded on a record's behalf (spaCy's pipelines, on their language's first text): the
process's cost, once, not the record's. `loading()` pauses the record's time budget
(processing.time_budget, a SIGALRM timer) and counts itself in a counter the worker shares with its
enrichment processes (stream/offload.py), whose deadline for the record then waits the load out."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_loads: Any = None  # a multiprocessing Value("i") in an enrichment process: loads under way


def share(counter: Any) -> None:
    """In an enrichment process: count loads in the worker's `counter`."""
    global _loads
    _loads = counter


@contextmanager
def loading() -> Iterator[None]:
    left, _ = signal.setitimer(signal.ITIMER_REAL, 0)
    _count(+1)
    try:
        yield
    finally:
        _count(-1)
        if left:
            signal.setitimer(signal.ITIMER_REAL, left)


def _count(step: int) -> None:
    if _loads is not None:
        with _loads.get_lock():
            _loads.value += step
