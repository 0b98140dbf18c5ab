"""The English ACLED sub-type classifier at inference, with numpy alone: TF-IDF (words 1-2, plus
the lexicon's event tokens), optionally the sentence's e5 vector, and a logistic regression,
exported from scikit-learn at training time (classifier.py). Importing scikit-learn costs a
worker ~2.5 s at every start; this reads the same numbers from one .npz and computes the same
probabilities (tests/unit/test_events.py compares them)."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from workers.events.ontology import DATA

MODELS = DATA / "classifiers.npz"
EVENT_WEIGHT = 3.0  # the lexicon's tokens count three times the text's features (classifier.py)
_WORD = re.compile(r"(?u)\b\w\w+\b")


def word_ngrams(text: str, high: int = 2) -> list[str]:
    """scikit-learn's default word analyzer: lowercase tokens of 2+ word characters, 1..high-grams."""
    tokens = _WORD.findall(text.lower())
    grams = list(tokens)
    for n in range(2, min(high, len(tokens)) + 1):
        grams += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return grams


@dataclass(frozen=True)
class Tfidf:
    vocabulary: dict[str, int]
    idf: np.ndarray

    def row(self, grams: list[str]) -> dict[int, float]:
        """Sublinear tf times idf, l2-normalised: {column: value}."""
        counts = Counter(self.vocabulary[g] for g in grams if g in self.vocabulary)
        values = {j: (1.0 + math.log(c)) * self.idf[j] for j, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in values.values())) or 1.0
        return {j: v / norm for j, v in values.items()}


@dataclass(frozen=True)
class LinearModel:
    text: Tfidf
    events: Tfidf
    coef: np.ndarray  # (classes, text features + event features [+ vector dimensions])
    intercept: np.ndarray
    classes: list
    vector_weight: float = 0.0  # > 0: the model also reads sentence vectors, scaled by this

    def probabilities(
        self, texts: list[str], tokens: list[str], vectors: np.ndarray | None = None
    ) -> np.ndarray:
        """One row of class probabilities per sentence, as LogisticRegression.predict_proba;
        `vectors` (one row per sentence) when the model reads them."""
        width = len(self.text.idf)
        sparse = width + len(self.events.idf)
        scores = np.empty((len(texts), self.coef.shape[0]))
        for i, (text, found) in enumerate(zip(texts, tokens, strict=True)):
            features = self.text.row(word_ngrams(text))
            features |= {width + j: EVENT_WEIGHT * v for j, v in self.events.row(found.split()).items()}
            columns = np.fromiter(features, dtype=np.int64, count=len(features))
            values = np.fromiter(features.values(), dtype=np.float64, count=len(features))
            scores[i] = self.coef[:, columns] @ values + self.intercept
        if self.vector_weight:
            if vectors is None:
                raise ValueError("this classifier reads sentence vectors: pass `vectors`")
            scores += self.vector_weight * vectors @ self.coef[:, sparse:].T
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)


def save(models: dict[str, LinearModel], path: Path = MODELS) -> None:
    arrays: dict[str, np.ndarray] = {}
    for name, m in models.items():
        arrays |= {
            f"{name}/text_terms": np.array(sorted(m.text.vocabulary, key=m.text.vocabulary.get)),
            f"{name}/text_idf": m.text.idf,
            f"{name}/event_terms": np.array(sorted(m.events.vocabulary, key=m.events.vocabulary.get)),
            f"{name}/event_idf": m.events.idf,
            f"{name}/coef": m.coef.astype(np.float32),
            f"{name}/intercept": m.intercept,
            f"{name}/classes": np.array([str(c) for c in m.classes]),
            f"{name}/vector_weight": np.array(m.vector_weight),
        }
    np.savez_compressed(path, **arrays)


@cache
def classifiers(path: Path = MODELS) -> dict[str, LinearModel]:
    if not path.exists():
        return {}
    with np.load(path, allow_pickle=False) as data:
        names = sorted({key.split("/")[0] for key in data.files})
        return {name: _model(data, name) for name in names}


def _model(data: np.lib.npyio.NpzFile, name: str) -> LinearModel:
    def tfidf(kind: str) -> Tfidf:
        terms = data[f"{name}/{kind}_terms"].tolist()
        return Tfidf({t: i for i, t in enumerate(terms)}, data[f"{name}/{kind}_idf"])

    return LinearModel(
        tfidf("text"),
        tfidf("event"),
        data[f"{name}/coef"].astype(np.float64),
        data[f"{name}/intercept"],
        data[f"{name}/classes"].tolist(),
        float(data[f"{name}/vector_weight"]),
    )
