"""Reading the topics' max.message.bytes survives a broker that describes a new topic late."""

from __future__ import annotations

from workers.kafka_client import KAFKA_DEFAULT_MAX_MESSAGE_BYTES, _max_message_bytes


class LateBroker:
    """Describes a topic without its configs for the first `late` calls, as a KRaft broker did in
    CI right after creating it (the worker then exited with a KeyError)."""

    def __init__(self, late: int, values: dict[str, int]) -> None:
        self.late, self.values, self.calls = late, values, 0

    def describe_configs(self, resources, config_filter=None):
        assert config_filter == "all"  # inherited values too, not only the ones set on the topic
        self.calls += 1
        ready = self.calls > self.late
        return {
            "topic": {
                r.name: ({"max.message.bytes": {"value": str(self.values[r.name])}} if ready else {})
                for r in resources
            }
        }


def test_asks_again_until_the_broker_describes_the_new_topic():
    broker = LateBroker(late=3, values={"raw": 16_777_216, "dlq": 2_000_000})
    assert _max_message_bytes(broker, ["raw", "dlq"]) == {"raw": 16_777_216, "dlq": 2_000_000}
    assert broker.calls == 4


def test_a_topic_never_described_gets_kafkas_default_not_a_crash():
    broker = LateBroker(late=10**6, values={"raw": 16_777_216})
    assert _max_message_bytes(broker, ["raw"], wait_s=0.5) == {"raw": KAFKA_DEFAULT_MAX_MESSAGE_BYTES}
