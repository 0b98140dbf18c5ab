"""Run the CPU-bound core off the event loop, so heartbeats and commits never wait on it.

Processes (spawned, not forked: the worker has threads and a running loop) give real parallelism;
`processes=0` runs the core in one thread of the worker process, for debugging.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

from workers.processing import Outcome, process

Item = tuple[bytes | None, dict[str, Any], bytes | None]  # payload, source, input key


def process_batch(items: list[Item], max_record_bytes: int, ner_backend: str) -> list[Outcome]:
    return [
        process(payload, source, max_record_bytes, key, ner_backend=ner_backend)
        for payload, source, key in items
    ]


def _child_init(parent: int, ner_backend: str) -> None:
    from workers.pipeline import default_pipeline

    # A worker killed with -9 cannot shut its pool down: children leave when the parent is gone.
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()
    default_pipeline(ner_backend)  # load models at start-up, not on the first record


class Offload:
    def __init__(self, processes: int, max_record_bytes: int, ner_backend: str) -> None:
        self.max_record_bytes = max_record_bytes
        self.ner_backend = ner_backend
        self.executor: Executor = (
            ProcessPoolExecutor(
                processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_child_init,
                initargs=(os.getpid(), ner_backend),
            )
            if processes > 0
            else ThreadPoolExecutor(1, thread_name_prefix="enrich")
        )

    async def run(self, items: list[Item]) -> list[Outcome]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self.executor, process_batch, items, self.max_record_bytes, self.ner_backend
        )

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
