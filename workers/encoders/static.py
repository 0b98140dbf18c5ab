"""Static piece vectors distilled from e5 (distill.py, `newsworker train encoders`): a sentence
vector is the mean of its pieces' rows, L2-normalised. Tens of thousands of sentences a second
on one core; weaker than the contextual encoder, most of all across languages (see the model
card, `workers/data/encoders/MODEL_CARD.md`)."""

from __future__ import annotations

import itertools
from functools import cache
from pathlib import Path

import numpy as np

from workers.cache import mapped_once, version_key
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
        self.tokenizer = e5.tokenizer()
        # the compressed file unpacked once into the user cache and mapped from there: int8 rows,
        # scaled on use, 20 MB that the worker's processes share (80 MB of fp32 each, unpacked)
        data = mapped_once("e5-static", version_key((), (path,)), lambda: dict(np.load(path)))
        self.rows, self.scales = data["rows"], data["scales"][:, 0]
        self.row_of = np.full(self.tokenizer.size, -1, np.int32)  # piece -> row, -1: none
        self.row_of[data["pieces"]] = np.arange(len(data["pieces"]), dtype=np.int32)
        self.means = dict(zip(data["languages"].tolist(), data["language_means"], strict=True))

    def language_mean(self, code: str) -> np.ndarray:
        """The mean vector of a language's sentences (a direction that says which language, not
        what is said); for a language the table was not fitted on, the mean of those it was."""
        mean = self.means.get(code)
        return mean if mean is not None else np.mean(list(self.means.values()), axis=0)

    def encode(self, texts: list[str]) -> np.ndarray:
        """(len(texts), 256) L2-normalised vectors; a text without known pieces is all zeros."""
        ids = self.tokenizer.piece_ids(texts)
        counts = np.fromiter(map(len, ids), np.int64, len(ids))
        # one look-up for the batch (a list to an array per text costs more than its sum)
        rows = self.row_of[np.fromiter(itertools.chain.from_iterable(ids), np.int32, int(counts.sum()))]
        out = np.zeros((len(texts), self.rows.shape[1]), np.float32)
        for i, (begin, end) in enumerate(itertools.pairwise([0, *np.cumsum(counts).tolist()])):
            known = rows[begin:end]
            known = known[known >= 0]
            if len(known):  # the sum's direction is the mean's; the scales weight the int8 rows
                out[i] = self.scales[known] @ self.rows[known].astype(np.float32)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)


@cache
def pretrained() -> Static:
    return Static()
