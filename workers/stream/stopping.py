"""A bounded stop: SIGTERM or SIGINT ends the worker within seconds whatever the broker's state.

faust's graceful stop flushes the producer and commits offsets, which waits out the clients'
timeouts when the broker is unreachable (61 s were measured, with tracebacks on the way), and a
supervisor then kills the process anyway. Nothing is lost by not waiting: input not committed is
delivered again to whichever worker owns its partition (at-least-once, outputs keyed by id). So a
stop signal with the broker unreachable (the last broker call failed, or no bootstrap server
accepts a connection) exits at once, with one log line; any other stop that has not finished
within STOP_WITHIN_S exits then, with one log line more than faust's own.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections.abc import Callable

import faust

log = logging.getLogger(__name__)

STOP_WITHIN_S = 8.0  # under Kubernetes' default 30 s grace period, and the issue's 10 s


class Worker(faust.Worker):
    def __init__(
        self,
        app: faust.App,
        broker_unreachable: Callable[[], bool],
        stop_within_s: float = STOP_WITHIN_S,
        **kwargs,
    ) -> None:
        super().__init__(app, **kwargs)
        self.broker_unreachable = broker_unreachable
        self.stop_within_s = stop_within_s

    def _schedule_shutdown(self, signal: signal.Signals) -> None:
        if self.broker_unreachable():
            exit_now(f"{signal.name} with the broker unreachable: exiting without a graceful stop")
        if not self._signal_stop_time:  # the first signal starts the clock
            timer = threading.Timer(
                self.stop_within_s,
                exit_now,
                (f"{signal.name}: the graceful stop took over {self.stop_within_s:g}s; exiting",),
            )
            timer.daemon = True
            timer.start()
        super()._schedule_shutdown(signal)


def exit_now(why: str) -> None:
    log.warning("%s (input not committed is delivered again from the last commit)", why)
    logging.shutdown()
    os._exit(0)


def listening(bootstrap_servers: str, timeout_s: float = 0.5) -> bool:
    """Does any of the comma-separated host:port servers accept a TCP connection?"""
    for server in bootstrap_servers.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            socket.create_connection((host.strip("[]"), int(port)), timeout_s).close()
            return True
        except (OSError, ValueError):
            continue
    return False
