"""The worker against a secured broker (SASL_SSL, SCRAM-SHA-512, ACLs on), as production runs it:
with exactly the ACLs workers/acls.py lists and nothing more, and a refusal (password, certificate,
ACL) that stops it at once with one line naming the setting to change."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.admin import NewTopic

from tests.conftest import ANT_SAMPLE, WORKER_USER
from tests.integration.test_stream import ids_of, send_raw
from workers import acls
from workers.cli import main
from workers.config import Settings, cli_args, secret_env
from workers.kafka_client import client_config
from workers.kafka_local import LocalKafka, free_port
from workers.local_run import WorkerProcess, children, read_topic
from workers.stream.gaps import Jump, holds_records

pytestmark = pytest.mark.kafka
PRINCIPAL = f"User:{WORKER_USER}"


@pytest.fixture
def secured(secured_kafka: LocalKafka, tmp_path: Path) -> tuple[Settings, Settings]:
    """The admin's and the worker's settings for this test's own topics and group; the admin has
    made the raw, enriched and dead-letter topics, as a platform team would."""
    run = uuid.uuid4().hex[:8]
    names = {
        "raw_topic": f"s{run}.raw",
        "enriched_topic": f"s{run}.enriched",
        "dlq_topic": f"s{run}.dlq",
        "group_id": f"sg{run}",
        "partitions": 2,
        "web_port": free_port(),
        "state_dir": str(tmp_path / "state"),
        "session_timeout_s": 6.0,
    }
    admin = secured_kafka.client_settings(**names)
    make_topics(admin, [admin.raw_topic, admin.enriched_topic, admin.dlq_topic])
    return admin, secured_kafka.client_settings(WORKER_USER, **names)


def make_topics(admin: Settings, names: list[str]) -> None:
    client = KafkaAdminClient(**client_config(admin))
    client.create_topics([NewTopic(name, admin.partitions, 1) for name in names])
    client.close()


def grant(admin: Settings, grants: list[acls.Grant]) -> None:
    client = KafkaAdminClient(**client_config(admin))
    acls.create(client, grants, PRINCIPAL)
    client.close()


def flags(settings: Settings, *names: str) -> list[str]:
    args = cli_args(settings)
    return [
        a for i in range(0, len(args), 2) if args[i][2:].replace("-", "_") in names for a in args[i : i + 2]
    ]


def by_env(settings: Settings) -> Settings:
    """The same user with the password in NEWSWORKER_SASL_PASSWORD instead of a file."""
    return dataclasses.replace(settings, sasl_password=settings.password, sasl_password_file="")


KAFKA = ("bootstrap_servers", "security_protocol", "sasl_mechanism", "sasl_username", "ssl_cafile")


def test_a_worker_with_exactly_its_acls_enriches_over_sasl_ssl(secured, tmp_path):
    admin, worker = secured
    # the ACLs as `newsworker acls --apply` creates them, with the admin's credentials
    named = ("raw_topic", "enriched_topic", "dlq_topic", "group_id", "sasl_password_file", *KAFKA)
    result = CliRunner().invoke(main, ["acls", "--apply", "--principal", PRINCIPAL, *flags(admin, *named)])
    assert result.exit_code == 0, result.output
    # `newsworker replay` over SASL_SSL, the password from the environment
    articles = tmp_path / "articles.jsonl"
    articles.write_bytes(b"".join(ANT_SAMPLE.open("rb").readlines()[:20]))
    replayer = by_env(admin)
    replayed = subprocess.run(
        [sys.executable, "-m", "workers", "replay", str(articles), *flags(replayer, "raw_topic", *KAFKA)],
        env={**os.environ, **secret_env(replayer)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert replayed.returncode == 0, replayed.stderr
    ids = ids_of(articles)
    # the gap guard, with the worker's own credentials: does an offset of the raw topic hold a record?
    first = next(iter(read_topic(admin, admin.raw_topic, until=ids[:1], timeout=30)[ids[0]]))
    assert holds_records(worker, Jump(worker.raw_topic, first.partition, first.offset, first.offset + 1))
    send_raw(admin, [(b"bad-json", b'{"title": "unterminated')])

    process = WorkerProcess(by_env(worker), tmp_path / "worker.log").start()
    try:
        process.wait_ready()
        enriched = read_topic(admin, admin.enriched_topic, until=ids, timeout=120)
        assert set(ids) <= set(enriched)
        assert read_topic(admin, admin.dlq_topic, until=["bad-json"], timeout=30)["bad-json"]
        # the worker made its own topics under its prefix: the stories hop, the table's changelog
        changelog = f"{worker.group_id}-stories-changelog"
        assert set(ids) <= set(read_topic(admin, worker.story_topic, until=ids, timeout=30))
        consumer = KafkaConsumer(**client_config(admin))
        assert consumer.end_offsets([TopicPartition(changelog, 0)])[TopicPartition(changelog, 0)] >= len(ids)
        consumer.close()
        lag = drained_lag(process)
        assert sum(f'topic="{worker.raw_topic}"' in k for k in lag) == worker.partitions
        assert sum(f'topic="{worker.story_topic}"' in k for k in lag) == 1
        # the password: not in the process list, the log, /metrics or `newsworker config`
        password = worker.password
        for pid in [process.process.pid, *children(process.process.pid)]:
            assert password not in Path(f"/proc/{pid}/cmdline").read_text()
        with urllib.request.urlopen(process.url + "/metrics", timeout=5) as response:
            assert password not in response.read().decode()
        shown = CliRunner().invoke(main, ["config"], env=secret_env(by_env(worker))).output
        assert "NEWSWORKER_SASL_PASSWORD=***" in shown and password not in shown
    finally:
        process.stop()
    assert password not in (tmp_path / "worker.log").read_text()
    assert process.process.returncode == 0


def drained_lag(process: WorkerProcess, wait_s: float = 60.0) -> dict[str, float]:
    """The lag gauges once they read zero everywhere (they are measured every few seconds)."""
    deadline = time.monotonic() + wait_s
    while True:
        lag = {k: v for k, v in process.metrics().items() if k.startswith("newsworker_consumer_lag_records{")}
        if (lag and not any(lag.values())) or time.monotonic() > deadline:
            assert lag and not any(lag.values()), lag
            return lag
        time.sleep(1)


def test_a_refusal_stops_the_worker_at_once_with_one_line_naming_what_to_change(secured):
    admin, worker = secured
    grant(admin, [g for g in acls.worker_grants(worker) if g.resource != "group"])
    # another group of the same user: its ACLs, but the dead-letter topic only readable
    read_only = dataclasses.replace(
        worker, group_id=worker.group_id + "-b", dlq_topic=worker.dlq_topic + "-b"
    )
    make_topics(admin, [read_only.dlq_topic])
    dlq = acls.Grant("topic", read_only.dlq_topic, ("Read", "DescribeConfigs"))
    grant(admin, [dlq if g.name == read_only.dlq_topic else g for g in acls.worker_grants(read_only)])
    password = worker.password
    cases = {
        "wrong password": (
            dataclasses.replace(by_env(worker), sasl_password="not-" + password),
            (
                "refused the credentials of user 'newsworker' (SASL_SSL, SCRAM-SHA-512)",
                "NEWSWORKER_SASL_PASSWORD",
            ),
        ),
        "untrusted certificate": (
            dataclasses.replace(worker, ssl_cafile=""),
            ("TLS certificate is not trusted by the system CAs", "set --ssl-cafile / NEWSWORKER_SSL_CAFILE"),
        ),
        "no ACL on the group": (
            worker,
            (f"denied user 'newsworker' Read on the consumer group '{worker.group_id}'", "newsworker acls"),
        ),
        "no Write on a topic": (
            read_only,
            (f"denies user 'newsworker' Write on topic '{read_only.dlq_topic}'", "newsworker acls"),
        ),
    }
    started = time.monotonic()
    running = {  # side by side: each waits on the broker, not on the CPU
        case: subprocess.Popen(
            [sys.executable, "-m", "workers", "worker", *cli_args(settings)],
            env={**os.environ, **secret_env(settings)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for case, (settings, _) in cases.items()
    }
    for case, process in running.items():
        output, _ = process.communicate(timeout=120)
        took = time.monotonic() - started
        assert process.returncode == 1, (case, output)
        [line] = output.strip().splitlines()  # one line, no traceback, no client log flood
        assert all(part in line for part in cases[case][1]), (case, line)
        assert password not in output
        # the 30 s is measured, not asserted (tests assert no timings); a hang fails above
        print(f"{case}: exit 1 after {took:.1f} s")
