"""Run the CPU-bound core off the event loop, so heartbeats and commits never wait on it.

Processes (spawned, not forked: the worker has threads and a running loop) give real parallelism
and contain what a record can do to the process that enriches it. Each record has a time budget:
the child interrupts a record over it (SIGALRM, see processing.time_budget); should a record hang
inside C code or kill its process, the parent's deadline or the broken pool says so, the pool is
recycled and the record is tried once more alone: a second failure dead-letters it
(enrich_timeout / enrich_crashed), so no record can stall its partition or crash-loop the group.
`processes=0` runs the core in one thread of the worker process, for debugging, without budget.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from workers import loading, metrics
from workers.processing import Limits, Outcome, letter, process
from workers.records import ENRICH_CRASHED, ENRICH_ERROR, ENRICH_TIMEOUT, RecordError

log = logging.getLogger(__name__)

Item = tuple[bytes | None, dict[str, Any], bytes | None]  # payload, source, input key
Target = Callable[[Item, Limits], Outcome]  # what runs a record in the children


# A model loading in a child on a record's behalf extends that record's deadline by at most this.
MAX_LOAD_S = 120.0


# Beyond its budget, how long the parent waits for a record before it recycles the process: the
# child's own alarm normally fires first.
def deadline_s(timeout_s: float) -> float | None:
    return timeout_s + max(1.0, timeout_s / 2) if timeout_s > 0 else None


def process_item(item: Item, limits: Limits) -> Outcome:
    payload, source, key = item
    return process(payload, source, limits, key)


def process_batch(
    items: list[Item], limits: Limits, target: Callable[[Item, Limits], Outcome]
) -> list[Outcome]:
    return [target(item, limits) for item in items]


def _child_init(parent: int, limits: Limits, loads: Any) -> None:
    # A worker killed with -9 cannot shut its pool down: children leave when the parent is gone.
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()
    loading.share(loads)
    limits.pipeline()  # load models now, not on a record (a language's spaCy model: on its first)


def _ready() -> None:
    """A no-op task: its completion says a process has started and loaded the models."""


class Offload:
    def __init__(self, processes: int, limits: Limits, target: Target = process_item) -> None:
        self.processes = processes
        self.limits = limits
        self.target = target  # a picklable module-level function: what runs in the children
        # models loading in the children on a record's behalf (workers/loading.py)
        self.loads = multiprocessing.get_context("spawn").Value("i", 0)
        self.executor = self._new_executor()
        # (when, source) of the record the worker waits on; /readyz and a gauge report its age.
        self.inflight: tuple[float, dict[str, Any]] | None = None
        self.is_warm = False  # every process started with its models loaded
        self._warming: tuple[Executor, list[Future]] | None = None  # `start`'s

    @property
    def deadline_s(self) -> float | None:
        return deadline_s(self.limits.timeout_s)

    def _new_executor(self) -> Executor:
        if self.processes == 0:
            return ThreadPoolExecutor(1, thread_name_prefix="enrich")
        return ProcessPoolExecutor(
            self.processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_child_init,
            initargs=(os.getpid(), self.limits, self.loads),
        )

    def start(self) -> None:
        """Spawn the processes and have them load the models now, before the event loop runs:
        they load while the worker connects and joins its group. `warm` waits for them."""
        self._warming = (self.executor, self._submit_ready())

    def _submit_ready(self) -> list[Future]:
        return [self.executor.submit(_ready) for _ in range(max(1, self.processes))]

    async def warm(self) -> None:
        """Start every process and load the models before records wait on them."""
        executor, self.is_warm = self.executor, False
        started, self._warming = self._warming, None
        futures = started[1] if started is not None and started[0] is executor else self._submit_ready()
        try:
            await asyncio.gather(*(asyncio.wrap_future(f) for f in futures))
        except BrokenProcessPool:
            if executor is self.executor:
                raise  # a process died loading the models: nothing to enrich with
            return  # the pool was recycled meanwhile, and the recycle warms the new one
        self.is_warm = executor is self.executor

    async def run(self, items: list[Item]) -> list[Outcome]:
        """One outcome per item, in order."""
        if self.processes == 0:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self.executor, process_batch, items, self.limits, self.target)
        if not self.is_warm:
            # A record's deadline starts with a pool that has loaded its models: a slow start (a
            # busy machine, several workers starting at once) is no record's fault, and a recycle
            # for it would kill the loading processes and start over.
            await self.warm()
        outcomes: list[Outcome] = []
        while len(outcomes) < len(items):
            rest = items[len(outcomes) :]
            futures = [self.executor.submit(self.target, item, self.limits) for item in rest]
            for item, future in zip(rest, futures, strict=True):
                outcome = await self._wait(item, future)
                if isinstance(outcome, str):  # the pool was lost on this record or a neighbour
                    outcomes.append(await self._alone(item))
                    break
                outcomes.append(outcome)
        return outcomes

    async def _wait(self, item: Item, future: Future) -> Outcome | str:
        """The record's outcome, or why the pool was lost on it (a dead-letter reason)."""
        self.inflight = (time.monotonic(), item[1])
        try:
            return await self._result(future)
        except TimeoutError:
            failure = ENRICH_TIMEOUT
            log.warning(
                "record %s ran past its %gs deadline; recycling the enrichment processes",
                item[1],
                self.deadline_s,
            )
        except BrokenProcessPool:
            failure = ENRICH_CRASHED
            log.warning("an enrichment process died on or beside record %s; recycling", item[1])
        except Exception as exc:  # e.g. an outcome that cannot cross back: the record's, not the pool's
            log.exception("enriching record %s failed outside the core", item[1])
            payload, source, key = item
            return letter(
                RecordError(ENRICH_ERROR, f"{type(exc).__name__}: {exc}"), payload, source, key, self.limits
            )
        finally:
            self.inflight = None
        await self._recycle()
        return failure

    async def _result(self, future: Future) -> Outcome:
        """The future's outcome within the deadline, which a model loading in a child (a
        language's first text) extends by up to MAX_LOAD_S: the child's own budget pauses too."""
        result = asyncio.wrap_future(future)
        waited = 0.0
        while True:
            try:
                return await asyncio.wait_for(asyncio.shield(result), self.deadline_s)
            except TimeoutError:
                waited += self.deadline_s or 0.0
                if not self.loads.value or waited > MAX_LOAD_S:
                    result.cancel()  # the pool is recycled: nobody waits for it any more
                    raise

    async def _alone(self, item: Item) -> Outcome:
        """The record's second try, alone in a fresh pool; a second failure dead-letters it."""
        outcome = await self._wait(item, self.executor.submit(self.target, item, self.limits))
        if isinstance(outcome, Outcome):
            return outcome
        message = {
            ENRICH_TIMEOUT: f"no result within {self.deadline_s:g}s, twice; its process was recycled",
            ENRICH_CRASHED: "the enrichment process died on this record, twice",
        }[outcome]
        payload, source, key = item
        return letter(RecordError(outcome, message), payload, source, key, self.limits)

    async def _recycle(self) -> None:
        """Kill the pool's processes (a hung one ignores anything gentler) and start afresh."""
        for child in list(getattr(self.executor, "_processes", {}).values()):
            child.kill()
        self.loads.value = 0  # a killed child's load never ends
        self.executor.shutdown(wait=False, cancel_futures=True)
        metrics.ENRICH_RECYCLES.inc()
        self.executor = self._new_executor()
        await self.warm()

    def stuck_for(self) -> float:
        """Seconds the awaited record has run past its budget (0 when none)."""
        if self.inflight is None or self.limits.timeout_s <= 0:
            return 0.0
        return max(0.0, time.monotonic() - self.inflight[0] - self.limits.timeout_s)

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
