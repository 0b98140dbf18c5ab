"""A real Prometheus server scrapes a real worker on a real Kafka broker (all on 127.0.0.1)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, SEEDS
from workers.kafka_local import free_port
from workers.local_run import WorkerProcess, read_topic
from workers.replay import articles, replay

pytestmark = pytest.mark.e2e
RULES = REPO / "deploy" / "prometheus" / "rules.yml"
DASHBOARD = REPO / "deploy" / "grafana" / "newsworker.json"


class Prometheus:
    def __init__(self, url: str) -> None:
        self.url = url

    def api(self, path: str, **params: str) -> dict:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        with urllib.request.urlopen(f"{self.url}/api/v1/{path}{query}", timeout=10) as response:
            body = json.load(response)
        assert body["status"] == "success", body
        return body["data"]

    def value(self, expr: str) -> float | None:
        result = self.api("query", query=expr)["result"]
        return float(result[0]["value"][1]) if result else None

    def wait_for(self, expr: str, expected: float, timeout: float = 60) -> float | None:
        deadline = time.monotonic() + timeout
        while (value := self.value(expr)) != expected and time.monotonic() < deadline:
            time.sleep(1)
        return value


@pytest.fixture
def worker(start_worker) -> WorkerProcess:
    return start_worker()


@pytest.fixture
def prometheus(worker: WorkerProcess, tmp_path: Path) -> Iterator[Prometheus]:
    binary = shutil.which("prometheus")
    assert binary, "prometheus missing: run deploy/local/setup.sh"
    rules = yaml.safe_load(RULES.read_text())
    for group in rules["groups"]:
        group["interval"] = "1s"  # the same rules, evaluated every second for the test
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(rules))
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(tmp_path / "rules.yml")],
        "scrape_configs": [
            {
                "job_name": "newsworker",
                "static_configs": [{"targets": [f"{worker.settings.web_host}:{worker.settings.web_port}"]}],
            }
        ],
    }
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    log = (tmp_path / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/-/ready", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                assert process.poll() is None, (tmp_path / "prometheus.log").read_text()
                assert time.monotonic() < deadline, "prometheus not ready"
                time.sleep(0.5)
        server = Prometheus(url)
        # Scraped once before the test sends anything, so counters are seen rising from 0.
        assert server.wait_for('up{job="newsworker"}', 1) == 1
        yield server
    finally:
        process.terminate()
        process.wait(30)
        log.close()


def test_prometheus_sees_what_was_replayed_and_every_rule_evaluates(settings, worker, prometheus):
    ids = [
        key.decode() for key, _ in articles([SEEDS / "000_d82f3b9495a6aa15.txt", SEEDS / "ant-sample.jsonl"])
    ]
    assert replay((str(SEEDS),), settings) == len(ids)
    read_topic(settings, settings.enriched_topic, until=ids, timeout=120)

    assert prometheus.wait_for('sum(newsworker_articles_enriched_total{job="newsworker"})', len(ids)) == len(
        ids
    )
    assert prometheus.value("sum(newsworker_articles_consumed_total)") == len(ids)
    assert prometheus.value("sum(newsworker_articles_dead_lettered_total)") == 0
    assert prometheus.value('up{job="newsworker"}') == 1

    # every rule has been evaluated, without error, and no alert fires on a healthy worker
    deadline = time.monotonic() + 30
    while True:
        rules = [r for g in prometheus.api("rules")["groups"] for r in g["rules"]]
        if all(r.get("lastEvaluation", "").startswith("20") for r in rules) or time.monotonic() > deadline:
            break
        time.sleep(1)
    expected = {
        r.get("record") or r.get("alert")
        for g in yaml.safe_load(RULES.read_text())["groups"]
        for r in g["rules"]
    }
    assert {r["name"] for r in rules} == expected
    for rule in rules:
        assert rule["health"] == "ok", (rule["name"], rule.get("lastError"))
        if rule["type"] == "recording":
            prometheus.api("query", query=rule["query"])
    deadline = time.monotonic() + 30  # a rate needs two scrapes, then a rule evaluation
    while not (prometheus.value("sum(newsworker:articles_enriched:rate5m)") or 0) > 0:
        assert time.monotonic() < deadline, "the enriched-rate recording rule stays empty"
        time.sleep(1)
    firing = [a for a in prometheus.api("alerts")["alerts"] if a["state"] == "firing"]
    assert firing == []


def test_every_dashboard_query_runs_on_exported_metrics(settings, worker, prometheus):
    replay((str(SEEDS / "000_d82f3b9495a6aa15.txt"),), settings)
    assert prometheus.wait_for("sum(newsworker_articles_enriched_total)", 1) == 1
    exported = {name.split("{")[0] for name in worker.metrics()}
    recorded = {
        r["record"] for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"] if "record" in r
    }
    dashboard = json.loads(DASHBOARD.read_text())
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            expr = target["expr"]
            prometheus.api("query", query=expr)  # parses and evaluates: status success
            bare = re.sub(r"\"[^\"]*\"", '""', expr)  # label values are not metric names
            names = set(re.findall(r"\b(newsworker[a-z0-9_:]*)", bare)) | set(re.findall(r"\b(up)\{", bare))
            unknown = names - exported - recorded - {"up"}
            assert not unknown, f"{panel['title']}: {unknown} is not exported by the worker"
