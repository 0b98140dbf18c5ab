"""The recovery that keeps faust from skipping records (workers/stream/recovery.py) and the guard
against any it still skips (workers/stream/gaps.py): forward jumps in an agent's offsets, and, on
the real broker, skipped offsets that hold records told from Kafka's own gaps (a transaction's
commit marker) and from records the group has committed past."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.structs import OffsetAndMetadata

from workers.kafka_client import client_config
from workers.stream.gaps import Jump, Offsets, holds_records
from workers.stream.recovery import SeekFirstRecovery


def message(partition: int, offset: int) -> SimpleNamespace:
    return SimpleNamespace(topic="raw", partition=partition, offset=offset)


def test_only_forward_jumps_within_a_partition_are_reported():
    offsets = Offsets()
    assert offsets.jumps([message(0, 5), message(1, 9), message(0, 6)]) == []  # first sight: no jump
    jumps = offsets.jumps([message(0, 10), message(1, 10), message(1, 3)])  # 1 -> 3: a replay
    assert jumps == [Jump("raw", 0, 7, 10)]
    offsets.forget()  # a rebalance: the partition may resume where another worker committed
    assert offsets.jumps([message(0, 50)]) == []


def test_the_worker_seeks_its_stream_partitions_before_they_resume(settings):
    from workers.stream.app import build_app

    assert isinstance(build_app(settings).tables.recovery, SeekFirstRecovery)


@pytest.mark.kafka
def test_skipped_records_are_told_from_a_transaction_marker_and_from_records_done(settings):
    topic = settings.raw_topic
    admin = KafkaAdminClient(**client_config(settings))
    admin.create_topics([NewTopic(topic, 1, 1)])
    admin.close()
    producer = KafkaProducer(**client_config(settings), transactional_id=f"{settings.group_id}-tx")
    producer.init_transactions()
    for batch in (b"ab", b"cd"):  # offsets 0, 1, marker 2; 3, 4, marker 5
        producer.begin_transaction()
        for value in batch:
            producer.send(topic, bytes([value]), partition=0)
        producer.commit_transaction()
    producer.close()
    assert holds_records(settings, Jump(topic, 0, 0, 2))  # records 0 and 1, never delivered
    assert holds_records(settings, Jump(topic, 0, 1, 3))
    assert not holds_records(settings, Jump(topic, 0, 2, 3))  # the first commit marker

    # Offsets below the group's commit were done before (by this worker or another): no loss.
    consumer = KafkaConsumer(**client_config(settings), group_id=settings.group_id)
    consumer.commit({TopicPartition(topic, 0): OffsetAndMetadata(3, "", -1)})
    consumer.close()
    assert not holds_records(settings, Jump(topic, 0, 0, 2))
    assert holds_records(settings, Jump(topic, 0, 0, 4))  # record 3 is past the commit
