"""The enrichment core: `Pipeline.enrich(article) -> enriched record`, pure and I/O-free.

A stage is a small callable over one record that fills the output fields it owns (the language
stage fills `language`, ...). The pipeline times each stage; the shell turns those timings into
metrics, so stages never touch Kafka, files or Prometheus.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from workers import __version__
from workers.records import Article, now_rfc3339


class Stage(Protocol):
    name: str  # key in pipeline.stages_ms and the stage label of the duration histogram
    backend: str  # what produced the stage's fields, recorded in pipeline.backends

    def __call__(self, record: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class Enrichment:
    record: dict[str, Any]
    stage_seconds: dict[str, float]


class Pipeline:
    def __init__(self, stages: list[Stage]) -> None:
        self.stages = stages

    def enrich(self, article: Article) -> Enrichment:
        started = time.perf_counter()
        # Output lists exist even when no stage fills them, so the record always validates.
        record: dict[str, Any] = {**article, "entities": [], "events": []}
        seconds: dict[str, float] = {}
        for stage in self.stages:
            t0 = time.perf_counter()
            stage(record)
            seconds[stage.name] = time.perf_counter() - t0
        record["pipeline"] = {
            "version": __version__,
            "enriched_at": now_rfc3339(),
            "duration_ms": round((time.perf_counter() - started) * 1000, 3),
            "backends": {stage.name: stage.backend for stage in self.stages},
            "stages_ms": {name: round(s * 1000, 3) for name, s in seconds.items()},
        }
        return Enrichment(record, seconds)


@cache
def default_pipeline(ner_backend: str = "crf") -> Pipeline:
    """The process-wide pipeline: heavy resources load once and are shared by CLI and worker."""
    from workers.entities import EntityStage
    from workers.events import EventStage
    from workers.language import LanguageStage

    return Pipeline([LanguageStage(), EntityStage(ner_backend), EventStage()])
