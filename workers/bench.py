"""Throughput and latency of the offline core and of the whole Kafka path (numbers, no asserts)."""

from __future__ import annotations

import dataclasses
import importlib
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import orjson

from workers.config import Settings
from workers.kafka_client import ensure_topics
from workers.kafka_local import LocalKafka, free_port
from workers.local_run import WorkerProcess, read_topic
from workers.pipeline import Pipeline, default_pipeline
from workers.processing import Limits, process
from workers.records import read_inputs
from workers.replay import articles, replay


@dataclass(frozen=True)
class Result:
    count: int
    seconds: float
    latencies: list[float]
    stories_s: float = 0.0  # of `seconds`, what the story features took (offline runs)

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0

    def line(self, name: str) -> str:
        stories = (
            f"; story features {1000 * self.stories_s / self.count:.1f} ms an article,"
            f" {100 * self.stories_s / self.seconds:.0f}% of the time"
            if self.stories_s and self.count
            else ""
        )
        return (
            f"{name}: {self.count} articles in {self.seconds:.2f}s = {self.rate:,.0f} articles/s; "
            f"latency p50 {self.percentile(0.5) * 1000:.1f} ms, p99 {self.percentile(0.99) * 1000:.1f} ms"
            + stories
        )


def bench_offline(path: Path, limits: Limits | None = None, pipeline: Pipeline | None = None) -> Result:
    limits = limits or Limits()
    items = list(read_inputs(path))
    process(items[0].payload, items[0].source, limits, pipeline=pipeline)  # load models outside the clock
    latencies = []
    stories = 0.0
    started = time.perf_counter()
    for item in items:
        t0 = time.perf_counter()
        outcome = process(item.payload, item.source, limits, pipeline=pipeline)
        latencies.append(time.perf_counter() - t0)
        stories += outcome.stage_seconds.get("stories", 0.0)
    return Result(len(items), time.perf_counter() - started, latencies, stories)


def lexicon_only_pipeline() -> Pipeline:
    """The default pipeline with the events stage's learned decisions off: every lexicon
    candidate, no sentence vectors (what the decisions cost, side by side)."""
    from workers.events import EventStage

    default = default_pipeline(event_decisions="static")
    stages = [EventStage(learned=False) if s.name == "events" else s for s in default.stages]
    return Pipeline(stages, default.max_text_chars)


def stage_shares(path: Path, max_record_bytes: int = Settings.max_record_bytes) -> dict[str, float]:
    """Each stage's share of the core's time over the articles of `path`."""
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


def startup() -> list[str]:
    """What a user waits for at the start, each in a fresh interpreter (warm disk cache)."""
    lines = []
    for name, args in (
        ("newsworker --help", ["--help"]),
        ("newsworker enrich of one article", ["enrich", "seeds/000_d82f3b9495a6aa15.txt"]),
    ):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "workers", *args], capture_output=True, check=True)
        lines.append(f"start-up: {name}: {time.perf_counter() - started:.2f}s wall")
    loads = subprocess.run(
        [sys.executable, "-c", "from workers.bench import load_breakdown; load_breakdown()"],
        capture_output=True,
        check=True,
    )
    parts = orjson.loads(loads.stdout)
    lines.append("start-up: loading the core: " + ", ".join(f"{k} {v:.2f}s" for k, v in parts.items()))
    return lines


def load_breakdown() -> None:
    """Print, as JSON, the seconds each part of the core takes to import and load."""
    stages = (
        ("language", "workers.language", "LanguageStage"),
        ("entities (gazetteer from the cache, CRF)", "workers.entities", "EntityStage"),
        ("events (lexicon, classifiers)", "workers.events", "EventStage"),
    )
    parts: dict[str, float] = {}
    for name, module, stage in stages:
        started = time.perf_counter()
        getattr(importlib.import_module(module), stage)()
        parts[name] = time.perf_counter() - started
    print(orjson.dumps(parts).decode())


def encoder_speeds(articles: Path) -> list[str]:
    """Sentences/s of each encoder on 30-word sentences of `articles`, one thread."""
    from threadpoolctl import threadpool_limits

    from workers.encoders.evaluate import measured, news_sentences

    sentences = news_sentences(articles)
    with threadpool_limits(1):
        return [
            f"encoder {name}: {speed} ({len(sentences)} 30-word sentences, one thread), +{added:.0f} MB"
            for name, _, speed, added in measured(sentences)
        ]


@dataclass(frozen=True)
class WorkerRun:
    result: Result
    ready_s: float  # from the worker's start to its first /readyz 200
    peak_rss: int  # bytes, the worker and its enrichment processes together


def bench_kafka(path: Path, loops: int, settings: Settings, rate: float = 0.0) -> WorkerRun:
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
        ensure_topics(s)  # existing topics, as a restarted worker finds them
        worker = WorkerProcess(s, Path(tmp) / "worker.log")
        peak = [0]
        sampling = threading.Event()

        def sample() -> None:
            while not sampling.wait(0.25):
                peak[0] = max(peak[0], worker.rss_bytes())

        sampler = threading.Thread(target=sample, daemon=True)
        try:
            started = time.perf_counter()
            worker.start().wait_ready()
            ready_s = time.perf_counter() - started
            sampler.start()
            ids = [key.decode() for key, _ in articles([path], loops)]
            replay((str(path),), s, rate=rate, loops=loops)
            raw = read_topic(s, s.raw_topic, until=ids, timeout=600)
            out = read_topic(s, s.enriched_topic, until=ids, timeout=600)
        finally:
            sampling.set()
            worker.stop()
            broker.stop()
    done = [i for i in ids if i in out]
    latencies = [out[i][0].timestamp - raw[i][0].timestamp for i in done]
    first = min(raw[i][0].timestamp for i in ids)
    last = max(out[i][0].timestamp for i in done) if done else first
    return WorkerRun(Result(len(done), last - first, latencies), ready_s, peak[0])
