import time

from workers.stream.app import LAG_INTERVAL_S, Health


def test_not_ready_without_partitions_or_broker():
    health = Health()
    assert health.ready(0) == (False, "no input partitions assigned")
    ok, why = health.ready(3)
    assert not ok and "broker" in why
    health.broker_ok_at = time.monotonic()
    assert health.ready(3) == (True, "ready: 3 partitions")
    health.broker_ok_at = time.monotonic() - 4 * LAG_INTERVAL_S
    assert health.ready(3)[0] is False
