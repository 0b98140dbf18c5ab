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
from workers.config import Settings
from workers.records import Article, now_rfc3339


class Stage(Protocol):
    name: str  # key in pipeline.stages_ms and the stage label of the duration histogram
    backend: str  # what produced the stage's fields, recorded in pipeline.backends

    def __call__(self, record: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class Enrichment:
    record: dict[str, Any]
    stage_seconds: dict[str, float]


# Output proportional to the article: a text of one name repeated 300,000 times would otherwise
# make a record of 37 MB. A list is cut right after the stage that fills it, so later stages
# (events point at entities by index) only see what is kept.
LIST_CAPS = {"entities": 1000, "events": 500}
ANALYSED_FIELDS = ("title", "text")
OUTPUT_FIRST = ("id", "language", "entities", "events", "pipeline", "warnings")


class Pipeline:
    def __init__(self, stages: list[Stage], max_text_chars: int = Settings.max_text_chars) -> None:
        self.stages = stages
        self.max_text_chars = max_text_chars

    def enrich(self, article: Article) -> Enrichment:
        started = time.perf_counter()
        # Output lists exist even when no stage fills them, so the record always validates.
        record: dict[str, Any] = {**article, "entities": [], "events": []}
        # Stages analyse the first max_text_chars of each field: offsets into a prefix hold in
        # the whole field, which the record keeps.
        long = [
            name
            for name in ANALYSED_FIELDS
            if isinstance(record.get(name), str) and len(record[name]) > self.max_text_chars
        ]
        record |= {name: record[name][: self.max_text_chars] for name in long}
        capped = list(long)
        seconds: dict[str, float] = {}
        for stage in self.stages:
            t0 = time.perf_counter()
            stage(record)
            seconds[stage.name] = time.perf_counter() - t0
            for name, cap in LIST_CAPS.items():
                if len(record[name]) > cap:
                    record[name] = record[name][:cap]
                    capped.append(name)
        record |= {name: article[name] for name in long}
        record["pipeline"] = {
            "version": __version__,
            "enriched_at": now_rfc3339(),
            "duration_ms": round((time.perf_counter() - started) * 1000, 3),
            "backends": {stage.name: stage.backend for stage in self.stages},
            "stages_ms": {name: round(s * 1000, 3) for name, s in seconds.items()},
        }
        if capped:
            record["pipeline"]["capped"] = capped
        # What was added first, then the producer's fields: `head` of an output shows the enrichment.
        record = {name: record[name] for name in OUTPUT_FIRST if name in record} | record
        return Enrichment(record, seconds)


@cache
def default_pipeline(
    ner_backend: str = Settings.ner_backend,
    max_text_chars: int = Settings.max_text_chars,
    min_event_confidence: float = Settings.min_event_confidence,
    event_decisions: str = Settings.event_decisions,
) -> Pipeline:
    """The process-wide pipeline: heavy resources load once and are shared by CLI and worker."""
    from workers.entities import EntityStage
    from workers.events import EventStage
    from workers.language import LanguageStage

    events = EventStage(min_event_confidence, contextual=event_decisions == "contextual")
    stages = [LanguageStage(), EntityStage(ner_backend), events]
    return Pipeline(stages, max_text_chars)
