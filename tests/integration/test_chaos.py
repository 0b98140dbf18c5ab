"""Chaos on the real broker, bounded: three workers share six partitions of 1,000 real articles mixed
with every known poison pill; one worker is killed with -9, the broker restarts, a fourth worker
joins. Every input id must end exactly once, as enriched or dead-lettered (a replay may repeat an
output, never change it), no other worker may die, and the group must drain. Workers are supervised as
in production: one that exits with 75 (faust skipped records after a rebalance, stream/gaps.py) is
restarted from the last commit; a few such restarts are allowed, a crash loop is not."""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from tests.conftest import ANT_SAMPLE
from tests.integration.test_poison import TRIALS
from tests.integration.test_stream import send_raw
from workers.kafka_client import client_config
from workers.kafka_local import free_port
from workers.local_run import WorkerProcess, read_topic
from workers.replay import articles

pytestmark = pytest.mark.kafka

LOOPS = 5  # 1,000 real ANT articles (distinct ids per pass)


def lag(settings) -> int:
    """Records of the raw and stories topics (both hops) the group has not committed past."""
    return sum(lags(settings).values())


def lags(settings) -> dict[str, int]:
    """The same, per partition ("topic:partition")."""
    admin = KafkaAdminClient(**client_config(settings))
    consumer = KafkaConsumer(**client_config(settings))
    try:
        committed = admin.list_group_offsets(settings.group_id)[settings.group_id]
        parts = [
            TopicPartition(topic, p)
            for topic in (settings.raw_topic, settings.story_topic)
            for p in consumer.partitions_for_topic(topic) or ()
        ]
        ends = consumer.end_offsets(parts)
        return {
            f"{tp.topic}:{tp.partition}": end - (committed[tp].offset if tp in committed else 0)
            for tp, end in ends.items()
        }
    finally:
        admin.close()
        consumer.close()


def pill(key: bytes, value: bytes | None, n: int) -> tuple[bytes, bytes | None]:
    """The n-th copy of a poison pill, with an id of its own in the key and in the JSON."""
    name = f"{key.decode()}-{n}"
    for spacing in (b'"id": "', b'"id":"'):  # written by hand or by orjson
        if value is not None:
            value = value.replace(spacing + key + b'"', spacing + name.encode() + b'"', 1)
    return name.encode(), value


def without_timing(record: dict) -> dict:
    """An output with what legitimately differs between two runs of it removed."""
    record = dict(record)
    record.pop("pipeline", None)
    record.pop("received_at", None)
    return record


def test_chaos_every_id_ends_once_no_worker_dies_the_group_drains(kafka, settings, tmp_path):
    # the fast profile: this is about the stream, and the contextual decisions cost a third more
    settings = dataclasses.replace(settings, partitions=6, event_decisions="static")
    workers: list[WorkerProcess] = []

    def add_worker() -> WorkerProcess:
        s = dataclasses.replace(settings, web_port=free_port())
        worker = WorkerProcess(s, tmp_path / f"worker-{len(workers)}.log").start().supervise()
        workers.append(worker)
        return worker

    try:
        for _ in range(3):
            add_worker()
        for worker in workers:
            worker.wait_ready()
        good = list(articles([ANT_SAMPLE], LOOPS))
        pills = [pill(key, value, n) for n in range(3) for key, (value, _, _) in TRIALS.items()]
        ids = [key.decode() for key, _ in good + pills]
        # Poison pills among the articles: one batch of each kind per third of the stream.
        third = len(good) // 3
        batches = [
            good[:third],
            pills[: len(TRIALS)],
            good[third : 2 * third],
            pills[len(TRIALS) : 2 * len(TRIALS)],
        ]
        batches += [good[2 * third :], pills[2 * len(TRIALS) :]]
        sender = threading.Thread(target=lambda: [send_raw(settings, b) for b in batches])
        sender.start()

        deadline = time.monotonic() + 90
        # each worker counts what it enriches, not only the one that owns the stories partition
        while (enriched := [w.metrics().get("newsworker_articles_enriched_total", 0) for w in workers]) and (
            sum(enriched) < 150 or min(enriched) == 0
        ):
            assert time.monotonic() < deadline, f"enriched per worker: {enriched}"
            time.sleep(0.2)
        workers[0].kill()  # kill -9 mid-stream
        kafka.stop()  # the broker goes away for a while, then comes back
        time.sleep(5)
        kafka.start()
        add_worker().wait_ready()  # a worker joins: another rebalance
        sender.join(120)

        deadline = time.monotonic() + 150
        while time.monotonic() < deadline and lag(settings) > 0:
            time.sleep(2)
        assert lag(settings) == 0, f"the group did not drain: {lags(settings)}"
        enriched = read_topic(settings, settings.enriched_topic, until=ids, timeout=60)
        letters = read_topic(settings, settings.dlq_topic, timeout=10)
        missing = [i for i in ids if i not in enriched and i not in letters]
        exits = [(w.process.poll(), w.restarts) for w in workers]
        assert not missing, f"{len(missing)} ids never came out, e.g. {missing[:5]}; exits {exits}"
        for article_id in ids:
            outputs = enriched.get(article_id, []) + letters.get(article_id, [])
            assert (article_id in enriched) != (article_id in letters), f"{article_id} went both ways"
            first = without_timing(outputs[0].record)
            for o in outputs[1:]:
                again = without_timing(o.record)
                changed = {
                    k: (first.get(k), again.get(k))
                    for k in first.keys() | again.keys()
                    if first.get(k) != again.get(k)
                }
                assert not changed, f"{article_id} changed on replay: {changed}"
        assert [w.process.poll() for w in workers[1:]] == [None] * (len(workers) - 1), "a worker died"
        restarts = [w.restarts for w in workers]
        assert max(restarts) <= 3, f"restarts per worker {restarts}: a crash loop"
        replays = sum(len(v) - 1 for v in enriched.values()) + sum(len(v) - 1 for v in letters.values())
        print(f"chaos: {len(ids)} ids, {replays} replays, {len(workers)} workers, restarts {restarts}")
    finally:
        for worker in workers:
            worker.stop()
        if kafka.pid() is None:
            kafka.start()
