"""The faust shell: consume raw records, enrich off the loop, produce, dead-letter, commit.

At-least-once: `take_events` acks a batch's input events only after this agent's loop body
returns, and the body returns only after the broker acknowledged every output record of the
batch. Outputs are keyed by article id, so a replay after a crash overwrites rather than adds.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path
from typing import Any

import faust
from faust.types import EventT
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from workers import metrics
from workers.config import Settings
from workers.kafka_client import MAX_MESSAGE_BYTES, faust_credentials
from workers.stream.offload import Item, Offload

log = logging.getLogger(__name__)

LAG_INTERVAL_S = 5.0
EXIT_PRODUCE_FAILED = 75  # EX_TEMPFAIL: a supervisor (systemd, Kubernetes) should restart us
LOOP_CHECK_S = 1.0


class Health:
    """What /readyz reports: partitions assigned and a recent successful broker round trip."""

    def __init__(self) -> None:
        self.broker_ok_at = 0.0

    def ready(self, assigned: int) -> tuple[bool, str]:
        if assigned == 0:
            return False, "no input partitions assigned"
        age = time.monotonic() - self.broker_ok_at
        if age > 3 * LAG_INTERVAL_S:
            return False, f"no successful broker round trip for {age:.0f}s"
        return True, f"ready: {assigned} partitions"


def build_app(settings: Settings) -> faust.App:
    datadir = Path(settings.state_dir) / f"worker-{settings.group_id}-{settings.web_port}"
    datadir.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        settings.group_id,
        broker=[f"kafka://{server}" for server in settings.bootstrap_servers.split(",")],
        broker_credentials=faust_credentials(settings),
        broker_session_timeout=settings.session_timeout_s,
        broker_heartbeat_interval=min(3.0, settings.session_timeout_s / 3),
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        producer_max_request_size=MAX_MESSAGE_BYTES + 64 * 1024,
        topic_partitions=settings.partitions,
        web_bind=settings.web_host,
        web_host=settings.web_host,
        web_port=settings.web_port,
        datadir=str(datadir),
    )
    raw_codec = {"key_serializer": "raw", "value_serializer": "raw"}
    raw_topic = app.topic(settings.raw_topic, **raw_codec)
    enriched_topic = app.topic(settings.enriched_topic, **raw_codec)
    dlq_topic = app.topic(settings.dlq_topic, **raw_codec)
    offload = Offload(settings.enrich_processes, settings.max_record_bytes, settings.ner_backend)
    health = Health()

    async def handle(events: list[EventT]) -> None:
        items: list[Item] = [
            (
                ev.message.value,
                {
                    "topic": ev.message.topic,
                    "partition": ev.message.partition,
                    "offset": ev.message.offset,
                    "key": _text(ev.message.key),
                },
                ev.message.key,
            )
            for ev in events
        ]
        metrics.CONSUMED.inc(len(items))
        outcomes = await offload.run(items)
        deliveries = [
            await (dlq_topic if out.dead else enriched_topic).send(key=out.key, value=out.value)
            for out in outcomes
        ]
        await asyncio.gather(*deliveries)  # broker acks: only now may the inputs be committed
        done = time.time()
        for ev, out in zip(events, outcomes, strict=True):
            if out.dead:
                metrics.DEAD_LETTERED.labels(out.reason).inc()
            else:
                metrics.ENRICHED.inc()
                metrics.LANGUAGES.labels(out.language).inc()
                for entity_type in out.entity_types:
                    metrics.ENTITIES.labels(entity_type).inc()
                for event_type in out.event_types:
                    metrics.EVENTS.labels(event_type).inc()
                for stage, seconds in out.stage_seconds.items():
                    metrics.STAGE_SECONDS.labels(stage).observe(seconds)
                metrics.STAGE_SECONDS.labels("all").observe(sum(out.stage_seconds.values()))
            if ev.message.timestamp:
                metrics.END_TO_END.observe(max(0.0, done - ev.message.timestamp))

    # Two agent instances per enrichment process: one batch is enriched while the previous one's
    # outputs are produced. faust commits only contiguous acked offsets, so this stays at-least-once.
    @app.agent(raw_topic, concurrency=2 * max(1, settings.enrich_processes))
    async def enrich(stream: faust.Stream) -> None:
        async for events in stream.take_events(settings.batch_size, within=settings.batch_wait_s):
            try:
                await handle(events)
            except Exception as exc:
                # An output the broker refused. Exit at once: take_events would ack the batch on
                # its way out and faust would restart the agent past it, losing the batch. After a
                # restart the worker resumes from the last commit, so nothing is lost.
                log.critical("could not produce a batch; exiting to retry from the last commit: %r", exc)
                logging.shutdown()
                os._exit(EXIT_PRODUCE_FAILED)

    @app.task
    async def warm_offload() -> None:
        await offload.run([])  # spawn and load models before the first records wait on it

    def input_partitions() -> list:
        return sorted(tp for tp in app.consumer.assignment() if tp.topic == settings.raw_topic)

    @app.timer(interval=LAG_INTERVAL_S)
    async def measure_lag() -> None:
        consumer = app.consumer
        assigned = input_partitions()
        metrics.ASSIGNED.set(len(assigned))
        if not assigned:
            return
        highwaters = await consumer.highwaters(*assigned)  # a broker round trip
        health.broker_ok_at = time.monotonic()
        for tp in assigned:
            done = consumer._committed_offset.get(tp)  # faust's last committed offset, if any
            position = done if done is not None else await consumer.position(tp)
            lag = max(0, (highwaters.get(tp) or 0) - (position or 0))
            metrics.CONSUMER_LAG.labels(tp.topic, str(tp.partition)).set(lag)

    @app.task
    async def measure_loop_lag() -> None:
        while not app.should_stop:
            expected = time.monotonic() + LOOP_CHECK_S
            await asyncio.sleep(LOOP_CHECK_S)
            metrics.LOOP_LAG.set(max(0.0, time.monotonic() - expected))

    @app.page("/metrics")
    async def metrics_page(web: Any, request: Any) -> Any:
        return web.bytes(generate_latest(), content_type=CONTENT_TYPE_LATEST.split(";")[0])

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        return web.text("ok\n")

    @app.page("/readyz")
    async def readyz(web: Any, request: Any) -> Any:
        ok, why = health.ready(len(input_partitions()))
        return web.text(why + "\n", status=200 if ok else 503)

    @app.on_before_shutdown.connect
    async def stop_offload(app_: Any, **kwargs: Any) -> None:
        offload.close()

    return app


def _text(key: bytes | None) -> str | None:
    return None if key is None else key.decode("utf-8", "replace")
