"""camel-tools' character sets from the user cache.

Importing `camel_tools.utils.charsets` (which the word tokenizer and the normalisers import) sorts
all 1.1 million Unicode code points into sets: 0.5 s of CPU in every process that enriches (the CLI,
the worker, each enrichment process). The sets depend only on that module's source, the emoji
package and Python's Unicode database, so they are computed once into the user cache
(workers/cache.py) and this import finder, installed by `workers/__init__.py`, fills the module
from there (~0.03 s). The module keeps its file, name and every upper-case name it defines.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import unicodedata
from pathlib import Path
from types import ModuleType

NAME = "camel_tools.utils.charsets"


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path, target=None):
        if name != NAME:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _CachedLoader(spec.loader)
        return spec


class _CachedLoader(importlib.abc.Loader):
    def __init__(self, real: importlib.abc.Loader) -> None:
        self.real = real

    def create_module(self, spec):
        return None  # the default module object

    def exec_module(self, module: ModuleType) -> None:
        from workers.cache import built_once, version_key

        def computed() -> dict:
            self.real.exec_module(module)
            return {name: value for name, value in vars(module).items() if name.isupper()}

        key = version_key(("camel-tools", "emoji"), (Path(module.__file__),), unicodedata.unidata_version)
        vars(module).update(built_once("camel-charsets", key, computed))


def install() -> None:
    if not any(isinstance(finder, _Finder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
