# The two commands of the README: `make demo` and `make test`. Both set the machine up first.
# `make test-camel` runs the few tests of the optional camel BERT backend, which need torch.
.PHONY: setup setup-test demo test test-camel lock

setup:
	@deploy/local/setup.sh

# .venv-test: the lean set plus the `camel` extra (torch with ~4 GB of CUDA wheels), apart from .venv.
setup-test: setup
	@deploy/local/setup.sh --test-env

# KEEP_RUNNING=1 make demo leaves the broker and the worker up to browse the metrics.
demo: setup
	.venv/bin/newsworker demo $(if $(KEEP_RUNNING),--keep-running)

# The whole suite but the camel backend's tests: no torch, no CUDA download.
test: setup
	.venv/bin/ruff check .
	.venv/bin/pytest -m "not camel"

test-camel: setup-test
	.venv-test/bin/pytest -m camel -p no:cacheprovider

# Re-resolve pinned versions after changing pyproject.toml dependencies. The camel lock ignores
# [tool.uv] (its override drops torch) and adds the dev tools, for .venv-test.
lock:
	uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock
	uv pip compile pyproject.toml --python-version 3.11 -o requirements-runtime.lock
	uv pip compile pyproject.toml --no-config --extra dev --extra camel -c requirements.lock --python-version 3.11 -o requirements-camel.lock
