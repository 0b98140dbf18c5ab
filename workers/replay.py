"""Replay article files into the raw topic (kafka-python producer, acks=all, idempotent)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import orjson
from kafka import KafkaProducer
from tqdm import tqdm

from workers.config import Settings
from workers.kafka_client import MAX_MESSAGE_BYTES, connected
from workers.records import expand_paths, read_inputs, stable_id


class ReplayError(ValueError):
    """A malformed input file; the message names the file and line."""


def articles(paths: list[Path | None], loops: int = 1) -> Iterator[tuple[bytes, bytes]]:
    """(key, value) pairs; pass k > 0 of a loop gives ids a `~k` suffix so every record is new."""
    for k in range(loops):
        for path in paths:
            for item in read_inputs(path):
                try:
                    article = orjson.loads(item.payload)
                except orjson.JSONDecodeError as exc:
                    raise ReplayError(f"{item.file}:{item.line}: invalid JSON: {exc}") from None
                if not isinstance(article, dict):
                    raise ReplayError(f"{item.file}:{item.line}: expected a JSON object")
                article_id = str(article.get("id") or stable_id(article))
                if k:
                    article_id = f"{article_id}~{k}"
                article["id"] = article_id
                yield article_id.encode("utf-8"), orjson.dumps(article)


def replay(
    raw_paths: tuple[str, ...],
    settings: Settings,
    topic: str | None = None,
    rate: float = 0.0,
    loops: int = 1,
    progress: bool = False,
) -> int:
    """Send every article; returns how many the broker acknowledged. Raises on any failure
    (KafkaAccessError, in one line, when the broker cannot be reached or refuses us)."""
    paths = expand_paths(raw_paths)
    if None in paths and loops > 1:
        raise ReplayError("--loop reads the input again: name files, not - (stdin can be read once)")
    producer = connected(
        settings,
        KafkaProducer,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_request_size=MAX_MESSAGE_BYTES,
    )
    target = topic or settings.raw_topic
    failures: list[Exception] = []
    sent = 0
    started = time.monotonic()
    try:
        with tqdm(desc=f"replay → {target}", unit=" articles", disable=not progress) as bar:
            for key, value in articles(paths, loops):
                if rate > 0:  # hold the average at `rate` records per second
                    ahead = sent / rate - (time.monotonic() - started)
                    if ahead > 0:
                        time.sleep(ahead)
                producer.send(target, key=key, value=value).add_errback(failures.append)
                sent += 1
                bar.update()
        producer.flush()
    finally:
        producer.close()
    if failures:
        raise RuntimeError(f"{len(failures)} of {sent} records were not acknowledged: {failures[0]!r}")
    return sent
