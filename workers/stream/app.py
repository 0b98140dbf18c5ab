"""The faust shell: consume raw records, enrich off the loop, place each in its story, produce,
dead-letter, commit.

Two hops. `enrich` (every input partition) runs the core and sends each enriched record, with its
story features in a header, to the stories topic: one partition, so that every article meets the
story index on one worker whichever raw partition it came from. `assign_stories` owns that
partition and the `stories` table (the window's articles, changelogged to Kafka): it assigns,
writes the table, and sends the record with its `story` field to the enriched topic. A restarted
or rebalanced worker rebuilds the index from the table; a replayed article finds its assignment.

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
from workers.records import ENRICH_ERROR, OUTPUT_TOO_LARGE, RecordError
from workers.stories.features import Features
from workers.stories.index import Assignment, StoryIndex, with_story
from workers.stream.gaps import Offsets, holds_records
from workers.stream.logs import one_record_per_traceback, quiet_repeats
from workers.stream.offload import Item, Offload
from workers.stream.recovery import SeekFirstTableManager

log = logging.getLogger(__name__)

LAG_INTERVAL_S = 5.0
EXIT_PRODUCE_FAILED = 75  # EX_TEMPFAIL: a supervisor (systemd, Kubernetes) should restart us
LOOP_CHECK_S = 1.0
# headers of the stories topic: the features the story index needs, the raw record's timestamp
STORY_FEATURES = "story-features"
RAW_TIMESTAMP = "raw-timestamp"


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

    def broker_unreachable(self) -> bool:
        """The last broker call failed."""
        return self.broker_down_logged


def too_large(exc: BaseException) -> bool:
    """The broker or the producer refused one record for its size (MessageSizeTooLargeError,
    RecordTooLargeError, ...): the record's fault, not the broker's."""
    return "TooLarge" in type(exc).__name__


def build_app(
    settings: Settings, limits: Limits | None = None, health: Health | None = None, warm_now: bool = False
) -> faust.App:
    """`health`: what /readyz reports, also read by the worker's stop (stream/stopping.py).
    `warm_now`: spawn the enrichment processes at once (the worker command), so that they load
    their models while faust starts and joins the group, instead of after."""
    limits = limits or settings.limits()
    one_record_per_traceback()  # before faust starts its threads
    datadir = Path(settings.state_dir) / f"worker-{settings.group_id}-{settings.web_port}"
    datadir.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        settings.group_id,
        broker=[f"kafka://{server}" for server in settings.bootstrap_servers.split(",")],
        broker_credentials=faust_credentials(settings),
        broker_session_timeout=settings.session_timeout_s,
        broker_heartbeat_interval=min(3.0, settings.session_timeout_s / 3),
        consumer_auto_offset_reset="earliest",
        TableManager=SeekFirstTableManager,  # stream/recovery.py: no records skipped after recovery
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
    stories_topic = app.topic(settings.story_topic, partitions=1, **raw_codec)
    # article id -> its features and assignment (index.py), for the window; changelogged
    # Written by assign_stories itself (keep), so that an input is committed only once the broker
    # has the state it changed; faust reads the changelog back into the table on recovery.
    stories_table = app.Table("stories", partitions=1, key_type=str, value_type=bytes)
    window_s = settings.story_window_h * 3600
    # The window as an index, derived from the table: built once the table is recovered, and only
    # on the worker that owns the stories partition; None anywhere else, and between a rebalance's
    # revocation and the end of its recovery (the table is incomplete then).
    stories: StoryIndex | None = None
    story_partition = faust.types.TP(settings.story_topic, 0)
    offload = Offload(settings.enrich_processes, limits)
    if warm_now:
        offload.start()
    raw_offsets, story_offsets = Offsets(), Offsets()  # what each agent was given (stream/gaps.py)
    health = health or Health()

    async def refuse_skips(offsets: Offsets, events: list[EventT]) -> None:
        """Exit before acknowledging records past offsets faust skipped; Kafka's own gaps pass."""
        for jump in offsets.jumps(ev.message for ev in events):
            try:
                skipped = await asyncio.get_running_loop().run_in_executor(
                    None, holds_records, settings, jump
                )
            except Exception as exc:  # no answer: the restart is the safe side
                _exit_to_retry(exc)
            if skipped:
                _exit_to_retry(LookupError(f"records at {jump} were never delivered to the agent"))
            log.debug("%s hold no records (transaction markers or compaction)", jump)

    def items(events: list[EventT]) -> list[Item]:
        return [(ev.message.value, _source(ev.message), ev.message.key) for ev in events]

    async def send(out: Outcome, raw_timestamp: float | None) -> asyncio.Future:
        if out.dead:
            return await dlq_topic.send(key=out.key, value=out.value)
        headers = {STORY_FEATURES: out.story_features, RAW_TIMESTAMP: str(raw_timestamp or 0).encode()}
        return await stories_topic.send(key=out.key, value=out.value, headers=headers)

    async def acknowledged(sent: list[asyncio.Future], refused: Any) -> None:
        """Wait for the broker's acknowledgement of every output. One refused for its size is
        handed to `refused(i, exc)`; any other failure exits (not the record's fault)."""
        results = await asyncio.gather(*sent, return_exceptions=True)
        for i, result in enumerate(results):
            if isinstance(result, BaseException):
                if not too_large(result):
                    _exit_to_retry(result)
                await refused(i, result)

    async def confirm(
        events: list[EventT], batch: list[Item], outcomes: list[Outcome], sent: list[asyncio.Future]
    ) -> None:
        """Wait for the broker's acknowledgement of every output, then release the inputs. Any
        failure here that is not one record's exits: inputs still referenced would otherwise
        never be committed, and their partitions would stall."""

        async def refused(i: int, exc: BaseException) -> None:
            if outcomes[i].dead:
                _exit_to_retry(exc)
            # The topic is smaller than it said: the record becomes an output_too_large letter.
            error = RecordError(OUTPUT_TOO_LARGE, f"the stories topic refused the record: {exc!r}")
            payload, source, key = batch[i]
            outcomes[i] = letter(error, payload, source, key, limits)
            await (await send(outcomes[i], None))

        try:
            await acknowledged(sent, refused)
        except Exception as exc:
            _exit_to_retry(exc)
        health.broker_state(True)
        for ev, out in zip(events, outcomes, strict=True):
            if out.dead:
                metrics.DEAD_LETTERED.labels(out.reason).inc()
                if ev.message.timestamp:
                    metrics.END_TO_END.observe(max(0.0, time.time() - ev.message.timestamp))
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
            ev.ack()  # the last reference: faust may now commit past it

    # One instance: two would produce the outputs of one partition out of order.
    @app.agent(raw_topic)
    async def enrich(stream: faust.Stream) -> None:
        previous: asyncio.Task | None = None
        async for events in stream.take_events(settings.batch_size, within=settings.batch_wait_s):
            for ev in events:  # take_events' own ack on the next turn must not commit them
                ev.message.incref()
            await refuse_skips(raw_offsets, events)
            metrics.CONSUMED.inc(len(events))
            try:
                batch = items(events)
                outcomes = await offload.run(batch)  # meanwhile the previous batch is confirmed
                # queued in input order
                sent = [
                    await send(out, ev.message.timestamp) for out, ev in zip(outcomes, events, strict=True)
                ]
                if previous is not None:
                    await previous
            except Exception as exc:  # not a record's failure (those are outcomes): the broker's
                _exit_to_retry(exc)
            previous = asyncio.create_task(confirm(events, batch, outcomes, sent))

    def report_window() -> None:
        for kind, size in (
            ("articles", len(stories or ())),
            ("stories", len(stories.stories) if stories else 0),
        ):
            metrics.STORY_WINDOW.labels(kind).set(size)

    watcher: asyncio.Task | None = None  # the latest assignment's

    @app.on_partitions_assigned.connect
    async def watch_recovery(sender: faust.App, assigned: set, **kwargs: Any) -> None:
        """faust's table recovery can wait forever for changelog events after the worker holding the
        table died (its log repeats "No event received for active tp"); the stories partition
        then stalls. A restarted process recovers, so exit to be restarted, as for a refused output."""
        nonlocal watcher
        raw_offsets.forget()
        story_offsets.forget()

        async def watch(seconds: float) -> None:
            await asyncio.sleep(seconds)
            if app.in_recovery:  # faust's own flag: reading changelogs, streams paused
                _exit_to_retry(TimeoutError(f"table recovery not done {seconds:g}s after a rebalance"))

        if watcher is not None:  # a newer assignment restarts the recovery and the clock
            watcher.cancel()
        if settings.recovery_stall_s > 0:
            watcher = asyncio.ensure_future(watch(settings.recovery_stall_s))

    @stories_table.on_recover
    async def reload_stories() -> None:
        """After each rebalance, with the table recovered and before the streams resume."""
        nonlocal stories
        stories = None
        if story_partition in app.consumer.assignment():
            stories = StoryIndex.restore(stories_table.items(), window_s, settings.story_max_articles)
            log.info("story index: %d articles of the window reloaded from Kafka", len(stories))
        report_window()  # zero on the other workers: the dashboard sums over workers

    @app.on_partitions_revoked.connect
    async def forget_stories(sender: faust.App, revoked: set, **kwargs: Any) -> None:
        nonlocal stories
        raw_offsets.forget()
        story_offsets.forget()
        if story_partition in revoked:  # another worker may write the table from now on
            stories = None
            report_window()

    # One instance, on the one partition of the stories topic.
    @app.agent(stories_topic)
    async def assign_stories(stream: faust.Stream) -> None:
        previous: asyncio.Task | None = None
        async for events in stream.take_events(settings.batch_size, within=settings.batch_wait_s):
            index = stories  # this batch's, even if a rebalance begins while it is answered
            if index is None:
                # Taken before a rebalance that revoked the partition: answered against a table
                # still recovering (or another worker's), they could contradict the owner. They
                # are delivered again from the committed offset to the owner; the extra reference,
                # never released, keeps faust from counting them as done and committing past them.
                for ev in events:
                    ev.message.incref()
                log.info("stories: %d records from before a rebalance left to the owner", len(events))
                continue
            for ev in events:
                ev.message.incref()
            await refuse_skips(story_offsets, events)
            try:
                kept, assigned = [], []
                for ev in events:
                    try:
                        f, _ = Features.from_bytes(dict(ev.message.headers or ())[STORY_FEATURES])
                    except Exception as exc:  # not written by `enrich` (by hand?): its dead letter
                        assigned.append(RecordError(ENRICH_ERROR, f"no readable story features: {exc!r}"))
                        continue
                    assignment, changes = index.assign(f)
                    kept += [await keep(key, value) for key, value in changes]
                    assigned.append(assignment)
                    if changes:  # a new answer, not a replay's
                        metrics.STORIES.labels(story_outcome(assignment, f.article_id)).inc()
                # Write-ahead: outputs leave once the state they came from is in Kafka, so that
                # after a crash the replay of an input finds that state and gives the same answer.
                await acknowledged(kept, lost)
                sent = [await send_storied(ev, a) for ev, a in zip(events, assigned, strict=True)]
                report_window()
                if previous is not None:
                    await previous
            except Exception as exc:  # the broker's, or a bug: retry from the last commit
                _exit_to_retry(exc)
            previous = asyncio.create_task(confirm_stories(events, sent, assigned))

    async def send_storied(ev: EventT, answer: Assignment | RecordError) -> asyncio.Future:
        message = ev.message
        if isinstance(answer, Assignment):
            return await enriched_topic.send(key=message.key, value=with_story(message.value, answer))
        out = letter(answer, message.value, _source(message), message.key, limits)
        return await dlq_topic.send(key=out.key, value=out.value)

    async def keep(key: str, value: bytes | None) -> asyncio.Future:
        """Write one change of the window to the table and its changelog; the future resolves when
        the broker has it. (Not `table[key] = value`: faust buffers that write and may commit before
        the broker has it.)"""
        if value is None:
            stories_table.data.pop(key, None)
        else:
            stories_table.data[key] = value
        changelog = stories_table.changelog_topic
        return await changelog.send(key=key, value=value, partition=0, value_serializer="raw")

    async def lost(i: int, exc: BaseException) -> None:
        _exit_to_retry(exc)  # a change of the window the broker refused: never the record's fault

    async def confirm_stories(
        events: list[EventT], sent: list[asyncio.Future], assigned: list[Assignment | RecordError]
    ) -> None:
        async def refused(i: int, exc: BaseException) -> None:
            if isinstance(assigned[i], RecordError):
                _exit_to_retry(exc)
            assigned[i] = RecordError(OUTPUT_TOO_LARGE, f"the enriched topic refused the record: {exc!r}")
            await (await send_storied(events[i], assigned[i]))

        try:
            await acknowledged(sent, refused)
        except Exception as exc:
            _exit_to_retry(exc)
        done = time.time()
        for ev, answer in zip(events, assigned, strict=True):
            if isinstance(answer, RecordError):
                metrics.DEAD_LETTERED.labels(answer.reason).inc()
            else:
                metrics.PUBLISHED.inc()
            raw_timestamp = float(dict(ev.message.headers or ()).get(RAW_TIMESTAMP, b"0"))
            if raw_timestamp:
                metrics.END_TO_END.observe(max(0.0, done - raw_timestamp))
            ev.ack()

    @app.task
    async def warm_offload() -> None:
        quiet_repeats()  # faust has installed its log handlers by now
        await offload.warm()  # spawn and load models before the first records wait on them

    def input_partitions(topics: tuple[str, ...] = (settings.raw_topic,)) -> list:
        return sorted(tp for tp in app.consumer.assignment() if tp.topic in topics)

    @app.task
    async def lag_loop() -> None:
        # Not a faust timer: a timer first fires one interval after start, and /readyz waits for
        # the first measurement. Until partitions arrive, look every second.
        while not app.should_stop:
            await asyncio.sleep(LAG_INTERVAL_S if await measure_lag() else 1.0)

    async def measure_lag() -> bool:
        """Lag per assigned partition of both hops (raw, stories); False while no raw partition is
        assigned."""
        consumer = app.consumer
        assigned = input_partitions((settings.raw_topic, settings.story_topic))
        raw = [tp for tp in assigned if tp.topic == settings.raw_topic]
        metrics.ASSIGNED.set(len(raw))
        if not raw:
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


def story_outcome(assignment: Assignment, article_id: str) -> str:
    if assignment.duplicate_of:
        return "duplicate"
    return "new" if assignment.story == article_id else "joined"


def _exit_to_retry(exc: BaseException) -> NoReturn:
    """An output the broker refused, not for the record's sake (unreachable, unauthorised), or a
    table recovery that stalled. Exit at once: faust would restart the agent past the batch and
    lose it. After a restart the worker resumes from the last commit, so nothing is lost."""
    log.critical("exiting to retry from the last commit: %r", exc)
    logging.shutdown()
    os._exit(EXIT_PRODUCE_FAILED)


def _source(message: Any) -> dict[str, Any]:
    return {
        "topic": message.topic,
        "partition": message.partition,
        "offset": message.offset,
        "key": _text(message.key),
    }


def _text(key: bytes | None) -> str | None:
    return None if key is None else key.decode("utf-8", "replace")
