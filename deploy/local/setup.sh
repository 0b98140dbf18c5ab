#!/usr/bin/env bash
# Installs everything newsworker's demo and tests need on a fresh Debian machine, idempotently:
# Java + Maven (to fetch and run Apache Kafka), Prometheus + promtool, uv, and the locked venv.
set -euo pipefail
cd "$(dirname "$0")/../.."

need_apt=()
command -v java >/dev/null || need_apt+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || need_apt+=(maven)
command -v promtool >/dev/null || need_apt+=(prometheus)  # ships prometheus and promtool
if ((${#need_apt[@]})); then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${need_apt[*]} from Debian"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
# Debian's package starts a system Prometheus on :9090; the tests run their own on free ports.
if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then
  systemctl stop prometheus || true
fi

command -v uv >/dev/null || python3 -m pip install --quiet uv
# torch and friends come from uv's cache after the first install on a machine.
[ -x .venv/bin/python ] || uv venv --quiet --python 3.11 .venv
uv pip sync --quiet -p .venv requirements.lock
uv pip install --quiet -p .venv --no-deps -e .
uv pip check --quiet -p .venv
echo "setup: ready (.venv, Java $(java -version 2>&1 | awk -F\" 'NR==1{print $2}'), $(prometheus --version 2>&1 | head -1 | cut -d' ' -f1-3))"
