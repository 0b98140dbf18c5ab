# The two commands of the README: `make demo` and `make test`. Both set the machine up first.
.PHONY: setup demo test lock

setup:
	@deploy/local/setup.sh

demo: setup
	.venv/bin/newsworker demo

test: setup
	.venv/bin/ruff check .
	.venv/bin/pytest

# Re-resolve pinned versions after changing pyproject.toml dependencies.
lock:
	uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock
	uv pip compile pyproject.toml --python-version 3.11 -o requirements-runtime.lock
