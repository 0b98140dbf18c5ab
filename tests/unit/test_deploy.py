"""deploy/: every manifest parses, validates, and agrees with what the worker really serves."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from tests.conftest import REPO
from workers.config import ALL, Settings, env_name

DEPLOY = REPO / "deploy"
K8S = DEPLOY / "k8s"
SETTINGS_ENV = {env_name(name) for name in ALL}


def k8s_docs() -> list[dict]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name != "kustomization.yaml":
            docs.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    return docs


def one(kind: str) -> dict:
    [doc] = [d for d in k8s_docs() if d["kind"] == kind]
    return doc


def test_dockerfile_is_lint_clean_multistage_non_root_with_healthcheck():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    hadolint = shutil.which("hadolint") or str(Path(REPO / ".venv/bin/hadolint"))
    result = subprocess.run([hadolint, str(DEPLOY / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(re.findall(r"^FROM ", dockerfile, re.M)) == 2
    assert re.search(r"^USER 10001", dockerfile, re.M)
    assert re.search(r"^HEALTHCHECK .*\n.*/healthz", dockerfile, re.M)
    assert 'ENTRYPOINT ["newsworker", "worker"]' in dockerfile
    # the image installs exactly what the runtime lock pins, and that holds no torch or CUDA wheel
    runtime = (REPO / "requirements-runtime.lock").read_text()
    assert "--no-deps -r requirements-runtime.lock" in dockerfile
    assert not re.search(r"^(torch|triton|nvidia-|cuda-|transformers)", runtime, re.M)


def test_core_manifests_validate_against_kubernetes_schemas():
    # CRDs (PodMonitor, KEDA) have no upstream schema: their fields are checked by the tests below.
    core = [d for d in k8s_docs() if "." not in d["apiVersion"].split("/")[0]]
    assert {d["kind"] for d in core} >= {"Deployment", "ConfigMap", "Secret", "PodDisruptionBudget"}
    for doc in core:
        kubernetes_validate.validate(doc, "1.37.0", strict=True)


def test_kustomization_applies_every_manifest():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    files = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files


def test_probes_ports_and_paths_match_the_worker():
    container = one("Deployment")["spec"]["template"]["spec"]["containers"][0]
    config = one("ConfigMap")["data"]
    [port] = container["ports"]
    assert port["name"] == "metrics"
    assert port["containerPort"] == int(config["NEWSWORKER_WEB_PORT"]) == Settings().web_port
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    assert container["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}
    [endpoint] = one("PodMonitor")["spec"]["podMetricsEndpoints"]
    assert (endpoint["port"], endpoint["path"]) == ("metrics", "/metrics")
    assert config["NEWSWORKER_WEB_HOST"] == "0.0.0.0"  # the kubelet probes the pod IP
    labels = one("Deployment")["spec"]["template"]["metadata"]["labels"]
    for selector in (one("PodMonitor")["spec"]["selector"], one("PodDisruptionBudget")["spec"]["selector"]):
        assert selector["matchLabels"].items() <= labels.items()
    assert "limits" in container["resources"] and "requests" in container["resources"]


def test_worker_serves_the_probed_paths(tmp_path):
    from workers.stream.app import build_app

    app = build_app(Settings(state_dir=str(tmp_path)))
    assert {"/healthz", "/readyz", "/metrics"} <= set(app.web.views)


def test_config_and_secret_keys_are_real_settings():
    config = one("ConfigMap")["data"]
    secret = one("Secret")["stringData"]
    unknown = (set(config) | {k for k in secret if k.startswith("NEWSWORKER_")}) - SETTINGS_ENV
    assert not unknown, f"not settings of the worker: {unknown}"
    assert {"NEWSWORKER_SASL_USERNAME", "NEWSWORKER_SASL_PASSWORD"} <= set(secret)
    assert config["NEWSWORKER_SECURITY_PROTOCOL"] in {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"}
    auth = one("TriggerAuthentication")
    for ref in auth["spec"]["secretTargetRef"]:
        assert ref["name"] == one("Secret")["metadata"]["name"] and ref["key"] in secret


def test_keda_scales_on_lag_within_the_partition_count():
    config = one("ConfigMap")["data"]
    scaled = one("ScaledObject")["spec"]
    assert scaled["scaleTargetRef"]["name"] == one("Deployment")["metadata"]["name"]
    assert 1 <= scaled["minReplicaCount"] <= scaled["maxReplicaCount"] <= int(config["NEWSWORKER_PARTITIONS"])
    [trigger] = scaled["triggers"]
    assert trigger["type"] == "kafka"
    meta = trigger["metadata"]
    assert meta["consumerGroup"] == config["NEWSWORKER_GROUP_ID"]
    assert meta["topic"] == config["NEWSWORKER_RAW_TOPIC"]
    assert meta["bootstrapServers"] == config["NEWSWORKER_BOOTSTRAP_SERVERS"]
    assert int(meta["lagThreshold"]) > 0


def test_compose_runs_kafka_two_workers_replay_prometheus_grafana():
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"kafka", "worker", "replay", "prometheus", "grafana"}
    assert re.fullmatch(r"apache/kafka:4\.\d+\.\d+", services["kafka"]["image"])
    assert "broker,controller" in services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"]
    assert services["worker"]["deploy"]["replicas"] == 2
    assert services["replay"]["entrypoint"][:2] == ["newsworker", "replay"]
    for name in ("worker", "replay"):
        assert set(services[name]["environment"]) <= SETTINGS_ENV
    for name in ("prometheus", "grafana"):
        for volume in services[name]["volumes"]:
            assert (DEPLOY / volume.split(":")[0]).exists(), volume
        assert all(p.startswith("127.0.0.1:") for p in services[name]["ports"])
    scrape = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    [job] = scrape["scrape_configs"]
    assert job["job_name"] == "newsworker" and job["dns_sd_configs"][0]["port"] == Settings().web_port


@pytest.mark.parametrize("command", [["check", "rules", "rules.yml"], ["test", "rules", "rules.test.yml"]])
def test_promtool_rules(command):
    promtool = shutil.which("promtool")
    assert promtool, "promtool missing: run deploy/local/setup.sh"
    result = subprocess.run([promtool, *command], cwd=DEPLOY / "prometheus", capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_has_promtool_cases():
    rules = yaml.safe_load((DEPLOY / "prometheus" / "rules.yml").read_text())
    alerts = {r["alert"] for g in rules["groups"] for r in g["rules"] if "alert" in r}
    assert alerts == {
        "NewsworkerDown",
        "NewsworkerConsumerLagGrowing",
        "NewsworkerDeadLetterRatioHigh",
        "NewsworkerLatencyHigh",
        "NewsworkerNoOutput",
        "NewsworkerRestarting",
    }
    tests = yaml.safe_load((DEPLOY / "prometheus" / "rules.test.yml").read_text())["tests"]
    for alert in alerts:
        cases = [c for t in tests for c in t["alert_rule_test"] if c["alertname"] == alert]
        assert any(c["exp_alerts"] for c in cases), f"{alert}: no firing case"
        assert any(not c["exp_alerts"] for c in cases), f"{alert}: no quiet case"


def test_dashboard_panels_have_queries():
    dashboard = json.loads((DEPLOY / "grafana" / "newsworker.json").read_text())
    assert dashboard["uid"] == "newsworker"
    for panel in dashboard["panels"]:
        assert panel["targets"] and all(t["expr"] for t in panel["targets"]), panel["title"]


def test_the_kafka_user_holds_exactly_the_acls_the_worker_needs():
    from workers.acls import strimzi_acls, worker_grants

    config = one("ConfigMap")["data"]
    names = ("raw_topic", "enriched_topic", "dlq_topic", "group_id", "stories_topic")
    settings = Settings(**{name: config[env_name(name)] for name in names if env_name(name) in config})
    user = yaml.safe_load((K8S / "acls" / "kafkauser.yaml").read_text())
    assert user["kind"] == "KafkaUser"
    assert user["metadata"]["name"] == one("Secret")["stringData"]["NEWSWORKER_SASL_USERNAME"]
    assert user["spec"]["authentication"]["type"] == config["NEWSWORKER_SASL_MECHANISM"].lower()
    assert user["spec"]["authorization"]["acls"] == strimzi_acls(worker_grants(settings))
