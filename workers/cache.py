"""Resources that are slow to build and pure functions of their inputs (the gazetteer's tables:
~2.5 s from 44k names) are built once and kept in a user cache, under a key that changes with
every input: package versions, data files, the source of the code that builds them. A missing,
stale or unreadable entry is rebuilt; an unwritable cache only costs the build.

Numeric tables (`mapped_once`) are kept as uncompressed .npy files and mapped (never written): a start
reads no bytes it does not touch, and every process that maps a file shares its pages (one copy
of the weights in memory for a worker and all its enrichment processes)."""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import os
import pickle
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

log = logging.getLogger(__name__)
T = TypeVar("T")


def cache_dir() -> Path:
    """NEWSWORKER_CACHE_DIR, else $XDG_CACHE_HOME/newsworker, else ~/.cache/newsworker."""
    if os.environ.get("NEWSWORKER_CACHE_DIR"):
        return Path(os.environ["NEWSWORKER_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newsworker"


def version_key(packages: tuple[str, ...], files: tuple[Path, ...], extra: str = "") -> str:
    """A digest of the packages' versions, the files' bytes and `extra` (another input's version)."""
    digest = hashlib.blake2b(digest_size=10, key=extra.encode())
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


def mapped_once(name: str, key: str, build: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """`build()`'s arrays, mapped from the cache (built and kept there when missing). Processes
    that build at the same time each keep their own copy in memory until the first one's is in
    place; an unwritable cache costs the build at every start."""
    folder = cache_dir() / f"{name}-{key}"
    damaged = False
    try:
        return _mapped(folder)
    except FileNotFoundError:
        pass
    except Exception as exc:  # a damaged entry: rebuilt over
        log.warning("ignoring unreadable cache %s: %r", folder, exc)
        damaged = True
    arrays = build()
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{name}-"))
        for array_name, array in arrays.items():
            np.save(staging / f"{array_name}.npy", np.ascontiguousarray(array), allow_pickle=False)
        (staging / "complete").touch()
        if damaged:
            shutil.rmtree(folder, ignore_errors=True)
        try:
            staging.rename(folder)  # atomic: others see all of it or nothing
        except OSError:  # another process was first: theirs is as good
            shutil.rmtree(staging, ignore_errors=True)
        for stale in folder.parent.glob(f"{name}-*"):
            if stale != folder and stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)  # mapped pages stay valid for their users
        return _mapped(folder)
    except Exception as exc:
        log.warning("cannot keep %s in the cache (%r): it is rebuilt at every start", name, exc)
        return arrays


def _mapped(folder: Path) -> dict[str, np.ndarray]:
    if not (folder / "complete").exists():  # written last, before the folder is renamed in place
        if folder.exists():
            raise ValueError(f"{folder} is incomplete")
        raise FileNotFoundError(folder)
    # copy-on-write: the file is never changed, and libraries that insist on writable buffers
    # (OpenVINO's shared constants) take them; pages nobody writes stay shared
    return {path.stem: np.load(path, mmap_mode="c") for path in sorted(folder.glob("*.npy"))}
