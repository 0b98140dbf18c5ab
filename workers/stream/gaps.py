"""Records faust skipped: a guard against silent loss.

faust's fetch loop treats a jump in one partition's offsets as a gap and commits through it, and
around a worker's start or a rebalance it can hand an agent offsets with holes (faust issues #216
and #596: races around recovery's seek to the committed offsets). Here, after a kill -9 and a
restart with a backlog, that happened in about half of the runs, and once three records were lost
for good (recovery.py now seeks before the partitions resume: none since, in the same test). A
jump can also be harmless: transaction markers and compaction leave offsets without records, and
records below the group's commit were done before. So on a forward jump an agent asks the broker,
with a consumer of its own, whether the skipped offsets at or past the group's commit hold
records; if they do, the worker exits (75) before acknowledging anything past the jump, and its
restart replays from the last commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from workers.config import Settings
from workers.kafka_client import client_config

LOOK_S = 10.0  # the broker's answer for a few offsets comes in milliseconds


@dataclass(frozen=True)
class Jump:
    topic: str
    partition: int
    start: int  # the first offset not delivered
    end: int  # the offset delivered after it

    def __str__(self) -> str:
        return f"{self.topic}[{self.partition}] offsets {self.start}-{self.end - 1}"


class Offsets:
    """The last offset an agent was given, per partition, since its latest assignment."""

    def __init__(self) -> None:
        self.last: dict[tuple[str, int], int] = {}

    def jumps(self, messages: Iterable[Any]) -> list[Jump]:
        """The forward jumps in these messages' offsets. A jump back is a replay (a seek to the
        committed offset), never a loss."""
        found = []
        for m in messages:
            tp = (m.topic, m.partition)
            previous = self.last.get(tp)
            if previous is not None and m.offset > previous + 1:
                found.append(Jump(m.topic, m.partition, previous + 1, m.offset))
            self.last[tp] = m.offset
        return found

    def forget(self) -> None:
        """After a rebalance: a partition may resume where another worker committed."""
        self.last.clear()


def holds_records(settings: Settings, jump: Jump) -> bool:
    """Whether the broker has records at the skipped offsets the group has not committed past
    (blocking: run it off the loop). Reading the commit does not join the group."""
    consumer = KafkaConsumer(**client_config(settings), group_id=settings.group_id, enable_auto_commit=False)
    try:
        tp = TopicPartition(jump.topic, jump.partition)
        consumer.assign([tp])
        start = max(jump.start, consumer.committed(tp) or 0)
        if start >= jump.end:  # done before: the group committed past them
            return False
        consumer.seek(tp, start)
        for _ in range(int(LOOK_S / 0.5)):
            for record in consumer.poll(timeout_ms=500, max_records=1).get(tp, []):
                return record.offset < jump.end  # the first record at or after the jump's start
        raise TimeoutError(f"the broker did not answer for {jump} within {LOOK_S:g}s")
    finally:
        consumer.close()
