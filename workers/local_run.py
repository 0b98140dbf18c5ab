"""Run a worker process and read its topics and metrics: the demo, benchmarks and tests share it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from kafka import KafkaConsumer, TopicPartition
from prometheus_client.parser import text_string_to_metric_families

from workers.config import Settings, cli_args, secret_env
from workers.kafka_client import client_config


@dataclass
class WorkerProcess:
    """`newsworker worker` as a child process, stopped by its pid."""

    settings: Settings
    log_path: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None
    supervised: bool = False
    restarts: int = 0  # exits with 75 answered by `supervise`
    stopping: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://{self.settings.web_host}:{self.settings.web_port}"

    def start(self) -> WorkerProcess:
        args = [sys.executable, "-m", "workers", "worker", *cli_args(self.settings)]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                args,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **secret_env(self.settings), **self.extra_env},
            )
        return self

    def supervise(self) -> WorkerProcess:
        """Restart the worker whenever it exits with 75 (EX_TEMPFAIL: retry from the last commit),
        as docker-compose's `restart: unless-stopped` and Kubernetes do."""

        def watch() -> None:
            while not self.stopping.wait(0.2):
                if self.process is not None and self.process.poll() == 75:
                    self.restarts += 1
                    self.start()

        self.supervised = True
        threading.Thread(target=watch, daemon=True).start()
        return self

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = self.process.poll() if self.process is not None else None
            if code is not None and not (self.supervised and code == 75):  # else restarted
                raise RuntimeError(f"worker exited with {code}; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.5)
        raise TimeoutError(f"worker not ready after {timeout:.0f}s; see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL: the crash the at-least-once guarantee must survive."""
        self.stopping.set()
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self, timeout: float = 30.0) -> None:
        self.stopping.set()
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def rss_bytes(self) -> int:
        """Resident memory of the worker and its enrichment processes together."""
        if self.process is None:
            return 0
        return sum(rss(pid) for pid in [self.process.pid, *children(self.process.pid)])

    def metrics(self) -> dict[str, float]:
        """Scraped samples, keyed `name{label="value",...}` (labels sorted) or bare `name`."""
        with urllib.request.urlopen(self.url + "/metrics", timeout=5) as response:
            text = response.read().decode("utf-8")
        samples: dict[str, float] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
                samples[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
        return samples


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def rss(pid: int | str = "self") -> int:
    """Resident memory of a process in bytes (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


@dataclass(frozen=True)
class Received:
    record: dict
    partition: int
    offset: int
    timestamp: float  # the record's Kafka timestamp, seconds


def read_topic(
    settings: Settings, topic: str, until: Iterable[str] = (), timeout: float = 60.0
) -> dict[str, list[Received]]:
    """Records of `topic` from the beginning, by key, until every key in `until` was seen (with no
    keys: until the topic is drained, a second without a record) or `timeout` passed."""
    wanted = set(until)
    consumer = KafkaConsumer(
        **client_config(settings),
        enable_auto_commit=False,
        consumer_timeout_ms=1000,
        fetch_max_bytes=64 * 1024 * 1024,
        max_partition_fetch_bytes=32 * 1024 * 1024,
    )
    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    by_key: dict[str, list[Received]] = defaultdict(list)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            for message in consumer:  # ends after consumer_timeout_ms without a record
                key = message.key.decode("utf-8") if message.key else ""
                by_key[key].append(
                    Received(
                        orjson.loads(message.value),
                        message.partition,
                        message.offset,
                        message.timestamp / 1000.0,
                    )
                )
            if not wanted or wanted.issubset(by_key):
                break
    finally:
        consumer.close()
    return dict(by_key)
