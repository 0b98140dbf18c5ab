"""Static piece vectors distilled from e5 (distill.py, `newsworker train encoders`): a sentence
vector is the mean of its pieces' rows, L2-normalised. Tens of thousands of sentences a second
on one core; weaker than the contextual encoder, most of all across languages (see the model
card, `workers/data/encoders/MODEL_CARD.md`)."""

from __future__ import annotations

import itertools
from functools import cache
from pathlib import Path

import numpy as np

from workers.encoders import e5

TABLE = Path(__file__).resolve().parent.parent / "data" / "encoders" / "e5-static.npz"
DIMENSIONS = 256


def save_table(path: Path, pieces: np.ndarray, table: np.ndarray, means: dict[str, np.ndarray]) -> None:
    """int8 rows with one scale each (a quarter of fp32; the rows' cosines move < 0.001), and the
    mean sentence vector of each training language."""
    scales = np.abs(table).max(1, keepdims=True) / 127.0
    scales[scales == 0] = 1.0
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        pieces=pieces.astype(np.int32),
        rows=np.round(table / scales).astype(np.int8),
        scales=scales.astype(np.float32),
        languages=np.array(sorted(means)),
        language_means=np.array([means[code] for code in sorted(means)], np.float32),
    )


class Static:
    def __init__(self, path: Path = TABLE) -> None:
        with np.load(path, allow_pickle=False) as data:
            # int8 rows, scaled on use: 20 MB in each worker process instead of 80 MB of fp32
            self.rows, self.scales = data["rows"], data["scales"]
            self.row_of = {int(p): i for i, p in enumerate(data["pieces"])}
            self.means = dict(zip(data["languages"].tolist(), data["language_means"], strict=True))
        self.tokenizer = e5.tokenizer()
        self._rows: dict[str, list[int]] = {}  # word -> its pieces' rows (words repeat in news)

    def language_mean(self, code: str) -> np.ndarray:
        """The mean vector of a language's sentences (a direction that says which language, not
        what is said); for a language the table was not fitted on, the mean of those it was."""
        mean = self.means.get(code)
        return mean if mean is not None else np.mean(list(self.means.values()), axis=0)

    def encode(self, texts: list[str]) -> np.ndarray:
        """(len(texts), 256) L2-normalised vectors; a text without known pieces is all zeros."""
        rows: list[int] = []
        bounds = [0]
        for text in texts:
            for word in self.tokenizer.plain_words(text):
                found = self._rows.get(word)
                if found is None:
                    found = self._rows[word] = [
                        r for p, _, _ in self.tokenizer.split(word) if (r := self.row_of.get(p)) is not None
                    ]
                rows += found
            bounds.append(len(rows))
        if len(self._rows) > 500_000:  # bounded, as the tokenizer's own cache
            self._rows.clear()
        out = np.zeros((len(texts), self.rows.shape[1]), np.float32)
        gathered = self.rows[rows] * self.scales[rows]
        # a slice sum per text: 10x faster here than np.add.reduceat, whose 2-D path is slow, and
        # without scipy.sparse on the worker's path
        for i, (begin, end) in enumerate(itertools.pairwise(bounds)):
            if end > begin:
                out[i] = gathered[begin:end].sum(0) / (end - begin)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return (out / np.where(norms == 0, 1.0, norms)).astype(np.float32)


@cache
def pretrained() -> Static:
    return Static()
