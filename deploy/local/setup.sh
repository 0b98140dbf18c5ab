#!/usr/bin/env bash
# Installs everything newsworker's demo and tests need on a fresh Debian machine, idempotently:
# Java + Maven (to fetch and run Apache Kafka), openssl (certificates of the secured local broker),
# Prometheus + promtool, uv, and the locked venv.
# `--browser` installs chromium for the browser tests (`make test`); `--test-env` builds .venv-test:
# the same set plus the `camel` extra (torch, ~5 GB), for `make test-camel` only, so that .venv stays
# lean (no torch, no CUDA wheels).
set -euo pipefail
cd "$(dirname "$0")/../.."

need_apt=()
command -v java >/dev/null || need_apt+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || need_apt+=(maven)
command -v openssl >/dev/null || need_apt+=(openssl)  # the secured local broker's certificates
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

# venv LOCK: a venv pinned by LOCK, with newsworker installed editable, checked consistent.
venv() {
  [ -x "$1/bin/python" ] || uv venv --quiet --python 3.11 "$1"
  # Bytecode now: with PYTHONDONTWRITEBYTECODE set (as on CI) every start would compile ~2 s of it.
  uv pip sync --quiet --compile-bytecode -p "$1" "$2"
  uv pip install --quiet -p "$1" --no-deps -e .
  # camel-tools declares torch and transformers, which only the `camel` extra needs (pyproject's
  # [tool.uv] override leaves them out); where they are absent, its metadata is made to say so,
  # so that `pip check` judges what is really installed.
  "$1/bin/python" - <<'PY'
import importlib.metadata as md, importlib.util as iu, pathlib
dist = md.distribution("camel-tools")
if iu.find_spec("torch") is None:
    meta = pathlib.Path(dist._path) / "METADATA"
    lines = meta.read_text().splitlines(keepends=True)
    meta.write_text("".join(l for l in lines if not l.startswith(("Requires-Dist: torch", "Requires-Dist: transformers"))))
PY
  uv pip check --quiet -p "$1"
}

if [ "${1:-}" = "--browser" ]; then
  # the browser tests (tests/browser/, part of `make test`) drive Debian's chromium with Playwright
  # (dev extra): no browser download; the demo and the runtime do not need it
  if ! command -v chromium >/dev/null; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "setup: installing chromium from Debian (browser tests)"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
  fi
  exit 0
fi
if [ "${1:-}" = "--test-env" ]; then
  venv .venv-test requirements-camel.lock
  echo "setup: .venv-test ready (with the camel extra: $(du -sh .venv-test | cut -f1))"
  exit 0
fi
venv .venv requirements.lock
echo "setup: ready (.venv, Java $(java -version 2>&1 | awk -F\" 'NR==1{print $2}'), $(prometheus --version 2>&1 | head -1 | cut -d' ' -f1-3))"
