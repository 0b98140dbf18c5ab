"""The faust shell: consume raw records, enrich off the loop, produce, dead-letter, commit.

At-least-once: each input event holds an extra reference until the broker has acknowledged its
output, so faust cannot commit past a record whose output is not safe. Outputs are keyed by
article id, so a replay after a crash overwrites rather than adds.

Order: one agent instance produces the outputs of each batch in input order, so the versions of
one article id leave in the order they came. The enrichment of the next batch overlaps with the
broker's acknowledgement of the previous one.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path
from typing import Any, NoReturn

import faust
from faust.types import EventT
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from workers import metrics
from workers.config import Settings
from workers.kafka_client import MAX_MESSAGE_BYTES, faust_credentials
from workers.processing import Limits, Outcome, letter
from workers.records import OUTPUT_TOO_LARGE, RecordError
from workers.stream.logs import quiet_repeats
from workers.stream.offload import Item, Offload

log = logging.getLogger(__name__)

LAG_INTERVAL_S = 5.0
EXIT_PRODUCE_FAILED = 75  # EX_TEMPFAIL: a supervisor (systemd, Kubernetes) should restart us
LOOP_CHECK_S = 1.0


class Health:
    """What /readyz reports: partitions assigned, a recent successful broker round trip, and no
    record enriching past its time budget."""

    def __init__(self) -> None:
        self.broker_ok_at = 0.0
        self.broker_down_logged = False

    def ready(self, assigned: int, offload: Offload) -> tuple[bool, str]:
        if assigned == 0:
            return False, "no input partitions assigned"
        age = time.monotonic() - self.broker_ok_at
        if age > 3 * LAG_INTERVAL_S:
            return False, f"no successful broker round trip for {age:.0f}s"
        if not offload.is_warm:
            return False, "enrichment processes are starting (loading models)"
        stuck = offload.stuck_for()
        if stuck > 0 and offload.inflight:  # stuck_for is 0 without a record in flight
            return False, f"record {offload.inflight[1]} has run {stuck:.0f}s past its time budget"
        return True, f"ready: {assigned} partitions"

    def broker_state(self, ok: bool, detail: str = "") -> None:
        """One log line per change of the broker's reachability, not one per failed call."""
        if ok:
            self.broker_ok_at = time.monotonic()
            if self.broker_down_logged:
                log.warning("broker reachable again")
        elif not self.broker_down_logged:
            log.error("broker unreachable: %s (repeats of client errors are rate-limited)", detail)
        self.broker_down_logged = not ok


def too_large(exc: BaseException) -> bool:
    """The broker or the producer refused one record for its size (MessageSizeTooLargeError,
    RecordTooLargeError, ...): the record's fault, not the broker's."""
    return "TooLarge" in type(exc).__name__


def build_app(settings: Settings, limits: Limits | None = None) -> faust.App:
    limits = limits or settings.limits()
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
    offload = Offload(settings.enrich_processes, limits)
    health = Health()

    def items(events: list[EventT]) -> list[Item]:
        return [
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

    async def send(out: Outcome) -> asyncio.Future:
        return await (dlq_topic if out.dead else enriched_topic).send(key=out.key, value=out.value)

    async def confirm(
        events: list[EventT], batch: list[Item], outcomes: list[Outcome], sent: list[asyncio.Future]
    ) -> None:
        """Wait for the broker's acknowledgement of every output, then release the inputs. Any
        failure here that is not one record's exits: inputs still referenced would otherwise
        never be committed, and their partitions would stall."""
        try:
            results = await asyncio.gather(*sent, return_exceptions=True)
            for i, result in enumerate(results):
                if isinstance(result, BaseException):
                    if not too_large(result) or outcomes[i].dead:
                        _exit_to_retry(result)
                    # The topic is smaller than it said: the record becomes an output_too_large letter.
                    error = RecordError(
                        OUTPUT_TOO_LARGE, f"the enriched topic refused the record: {result!r}"
                    )
                    payload, source, key = batch[i]
                    outcomes[i] = letter(error, payload, source, key, limits)
                    await (await send(outcomes[i]))
        except Exception as exc:
            _exit_to_retry(exc)
        health.broker_state(True)
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
            ev.ack()  # the last reference: faust may now commit past it

    # One instance: two would produce the outputs of one partition out of order.
    @app.agent(raw_topic)
    async def enrich(stream: faust.Stream) -> None:
        previous: asyncio.Task | None = None
        async for events in stream.take_events(settings.batch_size, within=settings.batch_wait_s):
            for ev in events:  # take_events' own ack on the next turn must not commit them
                ev.message.incref()
            metrics.CONSUMED.inc(len(events))
            try:
                batch = items(events)
                outcomes = await offload.run(batch)  # meanwhile the previous batch is confirmed
                sent = [await send(out) for out in outcomes]  # queued in input order
                if previous is not None:
                    await previous
            except Exception as exc:  # not a record's failure (those are outcomes): the broker's
                _exit_to_retry(exc)
            previous = asyncio.create_task(confirm(events, batch, outcomes, sent))

    @app.task
    async def warm_offload() -> None:
        quiet_repeats()  # faust has installed its log handlers by now
        await offload.warm()  # spawn and load models before the first records wait on them

    def input_partitions() -> list:
        return sorted(tp for tp in app.consumer.assignment() if tp.topic == settings.raw_topic)

    @app.task
    async def lag_loop() -> None:
        # Not a faust timer: a timer first fires one interval after start, and /readyz waits for
        # the first measurement. Until partitions arrive, look every second.
        while not app.should_stop:
            await asyncio.sleep(LAG_INTERVAL_S if await measure_lag() else 1.0)

    async def measure_lag() -> bool:
        """Lag per assigned input partition; False while none is assigned."""
        consumer = app.consumer
        assigned = input_partitions()
        metrics.ASSIGNED.set(len(assigned))
        if not assigned:
            return False
        # A rebalance may revoke any of these partitions while this task awaits: every call that
        # depends on the assignment tolerates that (aiokafka raises IllegalStateError).
        try:
            # A broker round trip; it would wait out a whole outage, so it is bounded.
            highwaters = await asyncio.wait_for(consumer.highwaters(*assigned), LAG_INTERVAL_S)
        except Exception as exc:
            health.broker_state(False, repr(exc))
            return True
        health.broker_state(True)
        for tp in assigned:
            done = consumer._committed_offset.get(tp)  # faust's last committed offset, if any
            try:
                position = done if done is not None else await consumer.position(tp)
            except Exception:  # revoked meanwhile: its new owner reports it
                continue
            lag = max(0, (highwaters.get(tp) or 0) - (position or 0))
            metrics.CONSUMER_LAG.labels(tp.topic, str(tp.partition)).set(lag)
        return True

    @app.task
    async def measure_loop_lag() -> None:
        while not app.should_stop:
            expected = time.monotonic() + LOOP_CHECK_S
            await asyncio.sleep(LOOP_CHECK_S)
            metrics.LOOP_LAG.set(max(0.0, time.monotonic() - expected))
            metrics.ENRICH_STUCK.set(offload.stuck_for())

    @app.page("/metrics")
    async def metrics_page(web: Any, request: Any) -> Any:
        return web.bytes(generate_latest(), content_type=CONTENT_TYPE_LATEST.split(";")[0])

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        return web.text("ok\n")

    @app.page("/readyz")
    async def readyz(web: Any, request: Any) -> Any:
        ok, why = health.ready(len(input_partitions()), offload)
        return web.text(why + "\n", status=200 if ok else 503)

    @app.on_before_shutdown.connect
    async def stop_offload(app_: Any, **kwargs: Any) -> None:
        offload.close()

    return app


def _exit_to_retry(exc: BaseException) -> NoReturn:
    """An output the broker refused, not for the record's sake (unreachable, unauthorised). Exit at
    once: faust would restart the agent past the batch and lose it. After a restart the worker
    resumes from the last commit, so nothing is lost."""
    log.critical("could not produce a batch; exiting to retry from the last commit: %r", exc)
    logging.shutdown()
    os._exit(EXIT_PRODUCE_FAILED)


def _text(key: bytes | None) -> str | None:
    return None if key is None else key.decode("utf-8", "replace")
