"""The user cache: tables built once, then mapped; damaged entries rebuilt; camel-tools' sets."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from workers.cache import mapped_once


def test_arrays_are_built_once_then_mapped_and_a_damaged_entry_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSWORKER_CACHE_DIR", str(tmp_path))
    builds = []

    def build() -> dict[str, np.ndarray]:
        builds.append(1)
        return {"rows": np.arange(12, dtype=np.int8).reshape(3, 4), "names": np.array(["ar", "en"])}

    first = mapped_once("table", "k1", build)
    again = mapped_once("table", "k1", build)
    assert len(builds) == 1
    assert isinstance(again["rows"], np.memmap) and again["rows"].tolist() == first["rows"].tolist()
    assert again["names"].tolist() == ["ar", "en"]
    (tmp_path / "table-k1" / "rows.npy").write_bytes(b"garbage")
    assert mapped_once("table", "k1", build)["rows"][2, 3] == 11 and len(builds) == 2
    (tmp_path / "table-k1" / "complete").unlink()  # a half-written entry
    assert mapped_once("table", "k1", build)["rows"][2, 3] == 11 and len(builds) == 3
    assert (tmp_path / "table-k1" / "complete").exists()
    mapped_once("table", "k2", build)  # new inputs: a new entry, and the stale one goes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table-k2"]


def test_camel_tools_charsets_from_the_cache_equal_the_computed_ones(tmp_path):
    """The first process computes and keeps the sets; the second reads them; both as camel-tools."""
    code = """
import importlib, sys
import workers
from camel_tools.utils import charsets
names = sorted(n for n in vars(charsets) if n.isupper())
digest = [(n, len(getattr(charsets, n)), hash(frozenset(getattr(charsets, n)))) for n in names]
sys.meta_path = [f for f in sys.meta_path if type(f).__name__ != "_Finder"]
del sys.modules["camel_tools.utils.charsets"]
real = importlib.import_module("camel_tools.utils.charsets")
assert digest == [(n, len(getattr(real, n)), hash(frozenset(getattr(real, n)))) for n in names]
print(len(names), charsets.__file__ == real.__file__)
"""
    env = {"NEWSWORKER_CACHE_DIR": str(tmp_path), "PYTHONHASHSEED": "0", "PATH": "/usr/bin:/bin"}
    for _ in range(2):
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
        assert run.returncode == 0, run.stderr[-2000:]
        names, same_file = run.stdout.split()
        assert int(names) >= 25 and same_file == "True"  # the sets camel-tools defines, and more
    assert len(list(tmp_path.glob("camel-charsets-*.pickle"))) == 1
