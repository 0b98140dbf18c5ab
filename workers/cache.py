"""Resources that are slow to build and pure functions of their inputs (the gazetteer's tables:
~2.5 s from 44k names) are built once and kept in a user cache, under a key that changes with
every input: package versions, data files, the source of the code that builds them. A missing,
stale or unreadable entry is rebuilt; an unwritable cache only costs the build."""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import os
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


def cache_dir() -> Path:
    """NEWSWORKER_CACHE_DIR, else $XDG_CACHE_HOME/newsworker, else ~/.cache/newsworker."""
    if os.environ.get("NEWSWORKER_CACHE_DIR"):
        return Path(os.environ["NEWSWORKER_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newsworker"


def version_key(packages: tuple[str, ...], files: tuple[Path, ...]) -> str:
    digest = hashlib.blake2b(digest_size=10)
    for package in packages:
        digest.update(f"{package}=={importlib.metadata.version(package)}\n".encode())
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def built_once(name: str, key: str, build: Callable[[], T]) -> T:
    path = cache_dir() / f"{name}-{key}.pickle"
    try:
        with path.open("rb") as f:
            return pickle.load(f)
    except FileNotFoundError:
        pass
    except Exception as exc:  # a truncated or foreign file: rebuild over it
        log.warning("ignoring unreadable cache %s: %r", path, exc)
    value = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{name}-", delete=False) as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(f.name, path)  # atomic: concurrent workers never read half a file
        for stale in path.parent.glob(f"{name}-*.pickle"):
            if stale != path:
                stale.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("cannot keep %s in the cache (%s): it is rebuilt at every start", name, exc)
    return value
