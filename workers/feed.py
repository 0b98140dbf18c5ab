"""Enriched records to read: JSONL files, or the enriched topic (up to its end, or followed).

`newsworker export` and `newsworker dashboard` read through here. A payload that is not an enriched
record as `schemas/enriched-article.schema.json` describes it is refused with its origin, never
passed on: what they show is what the record contract promises.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import orjson
from kafka import KafkaConsumer, TopicPartition

from workers.config import Settings
from workers.kafka_client import MAX_MESSAGE_BYTES, client_config
from workers.records import expand_paths, read_inputs, schema_errors

Payload = tuple[str, bytes | None]  # (origin: file:line or topic/partition@offset, the value)


class FeedError(ValueError):
    """A payload that is not an enriched record; the message names its origin."""


def decode(origin: str, payload: bytes | None) -> dict[str, Any]:
    if payload is None:
        raise FeedError(f"{origin}: a tombstone (no value)")
    try:
        record = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise FeedError(f"{origin}: invalid JSON: {exc}") from None
    errors = schema_errors("enriched-article", record)
    if errors:
        raise FeedError(f"{origin}: not an enriched article: {errors[0]}")
    return record


def from_files(paths: tuple[str, ...]) -> Iterator[Payload]:
    """Lines of JSONL / .jsonl.gz files (a folder: its files; `-`: stdin)."""
    for path in expand_paths(paths):
        for item in read_inputs(path):
            yield f"{item.file}:{item.line}", item.payload


def from_topic(
    settings: Settings, follow: bool = False, stop: threading.Event | None = None
) -> Iterator[Payload]:
    """The enriched topic from its beginning: up to the end offsets it had when the read began
    (a bounded read), or on and on with `follow` until `stop` is set."""
    stop = stop or threading.Event()
    consumer = KafkaConsumer(
        **client_config(settings),
        enable_auto_commit=False,
        fetch_max_bytes=64 * 1024 * 1024,
        max_partition_fetch_bytes=MAX_MESSAGE_BYTES,
    )
    try:
        partitions = _partitions(consumer, settings.enriched_topic)
        while follow and not partitions and not stop.wait(1.0):  # the worker has not created it yet
            partitions = _partitions(consumer, settings.enriched_topic)
        if not partitions:
            return
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        while not stop.is_set():
            if not follow and all(consumer.position(tp) >= ends[tp] for tp in partitions):
                return
            for tp, messages in consumer.poll(timeout_ms=500).items():
                for message in messages:
                    if follow or message.offset < ends[tp]:
                        yield f"{tp.topic}/{tp.partition}@{message.offset}", message.value
    finally:
        consumer.close()


def _partitions(consumer: KafkaConsumer, topic: str) -> list[TopicPartition]:
    return [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
