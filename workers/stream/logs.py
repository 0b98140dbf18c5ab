"""The worker's log, readable in an outage and a crash.

Rate-limited logs: during a broker outage the Kafka clients repeat the same warnings and
errors many times a second (3,034 lines in 32 s were seen). The first of a kind passes; repeats
within a window are counted, not printed, and the next one that passes says how many were held
back. The worker logs broker state changes itself (stream/app.py: Health.broker_state).

One record per traceback: faust's worker (mode) replaces sys.stderr with a proxy that logs each
write as a WARNING, and Python prints an uncaught exception of a thread in many small writes, so a
traceback arrived as ~40 records of one token each ("asyncio.exceptions", ".", "CancelledError")."""

from __future__ import annotations

import logging
import re
import sys
import threading
import time

from workers import metrics

WINDOW_S = 60.0
MAX_KINDS = 1000  # distinct messages remembered; forgotten all at once past this


class RepeatFilter(logging.Filter):
    def __init__(self, window_s: float = WINDOW_S) -> None:
        super().__init__()
        self.window_s = window_s
        self.kinds: dict[tuple[str, int, str], list[float]] = {}  # kind -> [first seen, held back]

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        # A message's template, numbers folded: "Unable connect to node 1/2/3" is one kind.
        kind = (record.name, record.levelno, re.sub(r"\d+", "#", str(record.msg)))
        now = time.monotonic()
        seen = self.kinds.get(kind)
        if seen is not None and now - seen[0] < self.window_s:
            seen[1] += 1
            metrics.LOG_SUPPRESSED.labels(record.name).inc()
            return False
        if seen is not None and seen[1]:
            record.msg = f"{record.msg} [{seen[1]:.0f} like it held back in the last {self.window_s:.0f}s]"
        if len(self.kinds) >= MAX_KINDS:
            self.kinds.clear()
        self.kinds[kind] = [now, 0]
        return True


def quiet_repeats(window_s: float = WINDOW_S) -> None:
    """Put the filter on every handler of the root logger (faust installs its handlers when the
    worker starts, so call this from a task that runs after that)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RepeatFilter) for f in handler.filters):
            handler.addFilter(RepeatFilter(window_s))


def one_record_per_traceback() -> None:
    """An exception that no code catches, in a thread or in the main thread, is logged as one
    ERROR record with its traceback (Python's own hooks print it token by token, in C)."""
    log = logging.getLogger("workers.uncaught")

    def in_thread(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is not SystemExit:
            name = args.thread.name if args.thread is not None else "?"
            log.error("thread %s failed", name, exc_info=(args.exc_type, args.exc_value, args.exc_traceback))

    threading.excepthook = in_thread
    sys.excepthook = lambda kind, value, tb: log.critical("uncaught exception", exc_info=(kind, value, tb))
