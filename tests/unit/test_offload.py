"""The enrichment processes: a record that hangs in C code or kills its process costs that
record (a dead letter), never its neighbours, the worker or the partition."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import orjson

from workers.processing import Limits, Outcome
from workers.stream.offload import Item, Offload, process_item


def poisoned(item: Item, limits: Limits) -> Outcome:
    """The real core, except for two poison pills no real input is known to make."""
    if item[0] == b"crash":
        os._exit(1)  # as a segfault or the OOM killer would
    if item[0] == b"unpicklable":
        return Outcome(b"k", lambda: None)  # cannot travel back to the worker
    if item[0] == b"hang":
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})  # as a long C call would
        time.sleep(60)
    return process_item(item, limits)


def run(payloads: list[bytes], processes: int = 1) -> list[Outcome]:
    offload = Offload(processes, Limits(timeout_s=1.0), target=poisoned)
    items = [
        (p, {"topic": "raw", "partition": 0, "offset": i}, f"k{i}".encode()) for i, p in enumerate(payloads)
    ]
    try:
        return asyncio.run(offload.run(items))
    finally:
        offload.close()


def good(i: int) -> bytes:
    return orjson.dumps({"id": f"good-{i}", "text": "The talks in Geneva went on for a third day."})


def test_a_record_that_kills_its_process_is_dead_lettered_and_the_rest_enriched():
    outcomes = run([good(0), b"crash", good(2), good(3)])
    assert [o.reason for o in outcomes] == [None, "enrich_crashed", None, None]
    assert [o.key for o in outcomes] == [b"good-0", b"k1", b"good-2", b"good-3"]
    letter = orjson.loads(outcomes[1].value)
    assert letter["source"]["offset"] == 1 and letter["payload"] == "crash"


def test_a_record_that_hangs_past_the_deadline_is_dead_lettered_and_the_rest_enriched():
    started = time.monotonic()
    outcomes = run([good(0), b"hang", good(2)])
    assert [o.reason for o in outcomes] == [None, "enrich_timeout", None]
    assert "twice" in orjson.loads(outcomes[1].value)["error"]
    assert time.monotonic() - started < 60  # two deadlines of 2 s and three pool starts, not the hang


def test_a_slow_record_is_interrupted_in_its_process_without_a_recycle():
    text = "سوريا " * 16_000
    offload = Offload(1, Limits(timeout_s=0.05))
    item = (
        orjson.dumps({"id": "slow", "text": text}),
        {"topic": "raw", "partition": 0, "offset": 0},
        b"slow",
    )
    try:
        [outcome] = asyncio.run(offload.run([item]))
    finally:
        offload.close()
    assert outcome.reason == "enrich_timeout"
    assert "over 0.05s" in orjson.loads(outcome.value)["error"]


def test_an_outcome_that_cannot_travel_back_is_dead_lettered_without_a_recycle():
    outcomes = run([good(0), b"unpicklable", good(2)])
    assert [o.reason for o in outcomes] == [None, "enrich_error", None]


def test_a_records_deadline_starts_once_the_processes_have_loaded_the_models():
    # loading the models takes seconds; the deadline here is 1.2 s: a record sent to a cold pool
    # must not count the pool's start against it (a recycle would kill the loading processes)
    from workers import metrics

    recycles = metrics.ENRICH_RECYCLES._value.get()
    offload = Offload(1, Limits(timeout_s=0.2))
    item = (good(0), {"topic": "raw", "partition": 0, "offset": 0}, b"k0")
    try:
        [outcome] = asyncio.run(offload.run([item]))
    finally:
        offload.close()
    assert outcome.reason is None and outcome.key == b"good-0"
    assert metrics.ENRICH_RECYCLES._value.get() == recycles


def test_a_recycle_during_the_start_up_warm_up_does_not_crash_it():
    async def start_and_recycle() -> None:
        warming = asyncio.ensure_future(offload.warm())  # the worker's start-up task
        await asyncio.sleep(0.5)
        await offload._recycle()  # a record ran past its deadline meanwhile
        await warming  # must end quietly: the recycle warmed the new pool

    offload = Offload(1, Limits(timeout_s=1.0))
    try:
        asyncio.run(start_and_recycle())
    finally:
        offload.close()
    assert offload.is_warm
