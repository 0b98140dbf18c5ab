"""Raw bytes in, one outcome out: the enriched record or a dead letter, never an exception.

Shared by `newsworker enrich` and the stream worker (which runs it in executor processes), so
both dead-letter the same inputs for the same reasons. Every failure tied to a record (its bytes,
its schema, a stage, its time budget, serialising or sizing its output) ends here as a dead letter;
only failures that are not the record's fault (the broker) are left to the caller.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson

from workers.config import Settings
from workers.encoders import runtime, use
from workers.pipeline import Pipeline, default_pipeline
from workers.records import (
    ENRICH_ERROR,
    ENRICH_TIMEOUT,
    OUTPUT_TOO_LARGE,
    RECORD_HEADROOM,
    SERIALIZE_ERROR,
    TOPIC_MAX_BYTES,
    RecordError,
    dead_letter,
    decode_article,
)
from workers.stories.features import features

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    """Per-record bounds; picklable, so it travels to the enrichment processes."""

    max_record_bytes: int = Settings.max_record_bytes  # larger raw records: too_large
    max_output_bytes: int = TOPIC_MAX_BYTES  # the enriched topic's max.message.bytes
    max_letter_bytes: int = TOPIC_MAX_BYTES  # the dead-letter topic's max.message.bytes
    timeout_s: float = Settings.enrich_timeout_s  # enrichment time budget per record (0: none)
    max_text_chars: int = Settings.max_text_chars  # code points of title and text analysed
    ner_backend: str = Settings.ner_backend
    min_event_confidence: float = Settings.min_event_confidence
    event_decisions: str = Settings.event_decisions

    def pipeline(self) -> Pipeline:
        """The process-wide pipeline these settings ask for (loaded once per process), after the
        stories' encoder, so that no record waits on loading either."""
        use.pretrained()
        pipeline = default_pipeline(
            self.ner_backend, self.max_text_chars, self.min_event_confidence, self.event_decisions
        )
        runtime.compiled()  # the graphs compiled meanwhile, in the background
        return pipeline


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
    # what the story index needs (workers/stories/features.py); the record gets its `story` field
    # where the index lives: the worker's story agent, or `newsworker enrich`
    story_features: bytes = b""

    @property
    def dead(self) -> bool:
        return self.reason is not None


def letter(
    error: RecordError, payload: bytes | None, source: dict[str, Any], key: bytes | None, limits: Limits
) -> Outcome:
    """The dead-letter outcome of a record, sized to the dead-letter topic."""
    return Outcome(
        key or b"", dead_letter(error, payload, source, limits.max_letter_bytes), reason=error.reason
    )


def process(
    payload: bytes | None,
    source: dict[str, Any],
    limits: Limits,
    key: bytes | None = None,
    pipeline: Pipeline | None = None,
) -> Outcome:
    try:
        try:
            article = decode_article(payload, limits.max_record_bytes)
        except RecordError:
            raise
        except Exception as exc:  # a bug in decoding must cost one record too, never the worker
            log.exception("decoding failed")
            raise RecordError(ENRICH_ERROR, f"decoding failed: {type(exc).__name__}: {exc}") from exc
        # Loaded before the clock starts: the first record's budget is for the record, not for
        # loading the models (seconds, more on a busy machine).
        pipeline = pipeline or limits.pipeline()
        runtime.compiled()  # a graph still compiling in the background is no record's time either
        try:
            with time_budget(limits.timeout_s):
                enrichment = pipeline.enrich(article)
        except BudgetExceeded:
            raise RecordError(ENRICH_TIMEOUT, f"enrichment took over {limits.timeout_s:g}s") from None
        except Exception as exc:  # a bug in a stage must cost one record, not the worker
            log.exception("enrichment failed for article %s", article.get("id"))
            raise RecordError(ENRICH_ERROR, f"{type(exc).__name__}: {exc}") from exc
        record = enrichment.record
        try:
            started = time.perf_counter()
            story_features = features(record).to_bytes()
            enrichment.stage_seconds["stories"] = time.perf_counter() - started
        except Exception as exc:  # as any stage's bug: one record's dead letter
            log.exception("story features failed for article %s", record.get("id"))
            raise RecordError(ENRICH_ERROR, f"story features: {type(exc).__name__}: {exc}") from exc
        try:
            value = orjson.dumps(record)
        except orjson.JSONEncodeError as exc:  # e.g. metadata nested deeper than orjson writes
            raise RecordError(
                SERIALIZE_ERROR, f"the enriched record cannot be written as JSON: {exc}"
            ) from None
        if len(value) > limits.max_output_bytes - RECORD_HEADROOM:
            raise RecordError(
                OUTPUT_TOO_LARGE,
                f"the enriched record is {len(value):,} bytes; the enriched topic takes"
                f" {limits.max_output_bytes:,} (less {RECORD_HEADROOM:,} for key and headers)",
            )
    except RecordError as error:
        return letter(error, payload, source, key, limits)
    return Outcome(
        record["id"].encode("utf-8"),
        value,
        stage_seconds=enrichment.stage_seconds,
        language=record["language"]["code"],
        entity_types=[entity["type"] for entity in record["entities"]],
        event_types=[event["plover"]["type"] for event in record["events"]],
        story_features=story_features,
    )


class BudgetExceeded(BaseException):
    """Raised into the enrichment by SIGALRM. A BaseException, so that no stage's `except
    Exception` swallows it."""


def _expire(signum: int, frame: Any) -> None:
    raise BudgetExceeded


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Interrupt the block after `seconds` of wall time. Signals reach only the main thread: in
    other threads (the worker's `--enrich-processes 0` debug mode) the block runs unbounded. Code
    inside one long C call is interrupted only when it returns; the worker's parent-side deadline
    (stream/offload.py) covers that."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
