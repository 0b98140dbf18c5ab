"""Records faust skipped: a guard against silent loss.

Seen once here (a kill -9 test, after the restart): three consecutive raw records never reached
the `enrich` agent, and the commit passed them. faust's fetch loop treats a jump in one
partition's offsets as a gap and commits through it (faust issues #216 and #221 report records
skipped around seeks and rebalances). A jump can also be Kafka's own: transaction markers and
compaction leave offsets without records. So on a forward jump an agent asks the broker, with a
consumer of its own, whether the skipped offsets hold records; if they do, the worker exits before
acknowledging anything past the jump, and its restart replays from the last commit.
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
    """Whether the broker has records at the skipped offsets (blocking: run it off the loop)."""
    consumer = KafkaConsumer(**client_config(settings), enable_auto_commit=False)
    try:
        tp = TopicPartition(jump.topic, jump.partition)
        consumer.assign([tp])
        consumer.seek(tp, jump.start)
        for _ in range(int(LOOK_S / 0.5)):
            for record in consumer.poll(timeout_ms=500, max_records=1).get(tp, []):
                return record.offset < jump.end  # the first record at or after the jump's start
        raise TimeoutError(f"the broker did not answer for {jump} within {LOOK_S:g}s")
    finally:
        consumer.close()
