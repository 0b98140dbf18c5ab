import logging
import subprocess
import sys
import time

from workers.processing import Limits
from workers.stream.app import LAG_INTERVAL_S, Health
from workers.stream.logs import RepeatFilter
from workers.stream.offload import Offload


def test_not_ready_without_partitions_or_broker_or_with_a_stuck_record():
    health = Health()
    offload = Offload(0, Limits(timeout_s=2.0))
    assert health.ready(0, offload) == (False, "no input partitions assigned")
    ok, why = health.ready(3, offload)
    assert not ok and "broker" in why
    health.broker_state(True)
    assert health.ready(3, offload) == (False, "enrichment processes are starting (loading models)")
    offload.is_warm = True
    assert health.ready(3, offload) == (True, "ready: 3 partitions")
    offload.inflight = (time.monotonic() - 5.0, {"topic": "raw", "partition": 1, "offset": 7})
    ok, why = health.ready(3, offload)
    assert not ok and "'offset': 7" in why and "past its time budget" in why
    offload.inflight = None
    health.broker_ok_at = time.monotonic() - 4 * LAG_INTERVAL_S
    assert health.ready(3, offload)[0] is False
    offload.close()


def test_repeated_client_errors_are_held_back_and_counted():
    quiet = RepeatFilter(window_s=60)

    def line(msg: str, *args: object, level: int = logging.ERROR) -> logging.LogRecord:
        return logging.LogRecord("aiokafka.conn", level, __file__, 1, msg, args, None)

    passed = [quiet.filter(line("Unable connect to node with id %s: %r", n, "refused")) for n in range(500)]
    assert passed.count(True) == 1  # one line for an outage of 500 identical errors
    assert quiet.filter(line("Heartbeat failed for group %s", "g"))  # another kind passes
    assert all(
        quiet.filter(line("fetched %s", n, level=logging.INFO)) for n in range(5)
    )  # info is never held
    quiet.kinds[("aiokafka.conn", logging.ERROR, "Unable connect to node with id %s: %r")][0] -= 61
    after = line("Unable connect to node with id %s: %r", 1, "refused")
    assert quiet.filter(after) and "499 like it held back" in after.getMessage()



THREAD_FAILS = """
import asyncio, logging, sys, threading
from mode.utils.logging import FileLogProxy
from workers.stream.logs import one_record_per_traceback
records = []
handler = logging.Handler()
handler.emit = records.append
logging.getLogger().addHandler(handler)
sys.stderr = FileLogProxy(logging.getLogger(), severity=logging.WARNING)  # as faust's worker does
if sys.argv[1] == "hooked":
    one_record_per_traceback()
def fail():
    raise asyncio.CancelledError
thread = threading.Thread(target=fail, name="doomed")
thread.start()
thread.join()
for record in records:
    text = logging.Formatter().format(record).replace(chr(10), " | ")
    print(logging.getLevelName(record.levelno), text, file=sys.__stdout__)
"""


def test_a_threads_traceback_is_one_log_record():
    """Python prints a thread's traceback in many writes; faust's stderr proxy logs each one."""

    def records(mode: str) -> list[str]:
        run = subprocess.run([sys.executable, "-c", THREAD_FAILS, mode], capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        return run.stdout.splitlines()

    assert len(records("python's hooks")) > 10  # the trouble: one token a record
    [record] = records("hooked")
    assert record.startswith("ERROR thread doomed failed | Traceback")
    assert "in fail" in record and record.endswith("asyncio.exceptions.CancelledError")
