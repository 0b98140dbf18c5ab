"""Throughput and latency of the offline core and of the whole Kafka path (numbers, no asserts)."""

from __future__ import annotations

import dataclasses
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from workers.config import Settings
from workers.kafka_local import LocalKafka, free_port
from workers.local_run import WorkerProcess, read_topic
from workers.processing import Limits, process
from workers.records import read_inputs
from workers.replay import articles, replay


@dataclass(frozen=True)
class Result:
    count: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0

    def line(self, name: str) -> str:
        return (
            f"{name}: {self.count} articles in {self.seconds:.2f}s = {self.rate:,.0f} articles/s; "
            f"latency p50 {self.percentile(0.5) * 1000:.1f} ms, p99 {self.percentile(0.99) * 1000:.1f} ms"
        )


def bench_offline(path: Path, limits: Limits | None = None) -> Result:
    limits = limits or Limits()
    items = list(read_inputs(path))
    process(items[0].payload, items[0].source, limits)  # load models outside the clock
    latencies = []
    started = time.perf_counter()
    for item in items:
        t0 = time.perf_counter()
        process(item.payload, item.source, limits)
        latencies.append(time.perf_counter() - t0)
    return Result(len(items), time.perf_counter() - started, latencies)


def stage_shares(path: Path, max_record_bytes: int = Settings.max_record_bytes) -> dict[str, float]:
    """Each stage's share of the core's time over the articles of `path`."""
    from workers.pipeline import default_pipeline
    from workers.records import decode_article

    pipeline = default_pipeline()
    totals: dict[str, float] = {}
    for item in read_inputs(path):
        for stage, seconds in pipeline.enrich(
            decode_article(item.payload, max_record_bytes)
        ).stage_seconds.items():
            totals[stage] = totals.get(stage, 0.0) + seconds
    whole = sum(totals.values()) or 1.0
    return {stage: seconds / whole for stage, seconds in totals.items()}


def bench_kafka(path: Path, loops: int, settings: Settings, rate: float = 0.0) -> Result:
    """A fresh local broker and worker; latency = enriched record's broker timestamp minus the
    raw record's; throughput over the span from the first raw to the last enriched record."""
    with tempfile.TemporaryDirectory(prefix="newsworker-bench-") as tmp:
        broker = LocalKafka(Path(tmp) / "kafka", free_port())
        broker.start()
        s = dataclasses.replace(
            settings,
            bootstrap_servers=broker.bootstrap,
            state_dir=tmp,
            group_id="bench",
            web_port=free_port(),
        )
        worker = WorkerProcess(s, Path(tmp) / "worker.log")
        try:
            worker.start().wait_ready()
            ids = [key.decode() for key, _ in articles([path], loops)]
            replay((str(path),), s, rate=rate, loops=loops)
            raw = read_topic(s, s.raw_topic, until=ids, timeout=600)
            out = read_topic(s, s.enriched_topic, until=ids, timeout=600)
        finally:
            worker.stop()
            broker.stop()
    done = [i for i in ids if i in out]
    latencies = [out[i][0].timestamp - raw[i][0].timestamp for i in done]
    first = min(raw[i][0].timestamp for i in ids)
    last = max(out[i][0].timestamp for i in done) if done else first
    return Result(len(done), last - first, latencies)
