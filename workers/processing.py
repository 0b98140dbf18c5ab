"""Raw bytes in, one outcome out: the enriched record or a dead letter.

Shared by `newsworker enrich` and the stream worker (which runs it in executor processes), so
both dead-letter the same inputs for the same reasons.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import orjson

from workers.pipeline import Pipeline, default_pipeline
from workers.records import ENRICH_ERROR, RecordError, dead_letter, decode_article

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What became of one raw record; picklable, so it crosses process boundaries."""

    key: bytes  # article id (enriched) or the input key (dead letter)
    value: bytes  # the serialised enriched record or dead letter
    reason: str | None = None  # dead-letter reason; None when enriched
    stage_seconds: dict[str, float] = field(default_factory=dict)
    language: str | None = None
    entity_types: list[str] = field(default_factory=list)
    event_types: list[str] = field(default_factory=list)

    @property
    def dead(self) -> bool:
        return self.reason is not None


def process(
    payload: bytes | None,
    source: dict[str, Any],
    max_record_bytes: int,
    key: bytes | None = None,
    pipeline: Pipeline | None = None,
    ner_backend: str = "crf",
) -> Outcome:
    try:
        article = decode_article(payload, max_record_bytes)
        try:
            enrichment = (pipeline or default_pipeline(ner_backend)).enrich(article)
        except Exception as exc:  # a bug in a stage must cost one record, not the worker
            log.exception("enrichment failed for article %s", article.get("id"))
            raise RecordError(ENRICH_ERROR, f"{type(exc).__name__}: {exc}") from exc
    except RecordError as error:
        letter = dead_letter(error, payload, source)
        return Outcome(key or b"", orjson.dumps(letter), reason=error.reason)
    record = enrichment.record
    return Outcome(
        record["id"].encode("utf-8"),
        orjson.dumps(record),
        stage_seconds=enrichment.stage_seconds,
        language=record["language"]["code"],
        entity_types=[entity["type"] for entity in record["entities"]],
        event_types=[event["plover"]["type"] for event in record["events"]],
    )
