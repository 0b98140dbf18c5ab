"""The English ACLED sub-type classifier on top of the trigger lexicon.

Input: a sentence, the lexicon's events in it (as tokens such as `P_ASSAULT T_shelled`) and, by
default, its multilingual-e5-small vector; output: which ACLED sub-event type the sentence reports
(CASE-2021 labels). The vector knows what the words mean beyond the 246 labelled snippets: 5-fold
CV weighted F1 0.658 -> 0.709 (README "Events"); the fast profile's model reads no vector.
Whether an event is real at all is decided in decisions.py. The only labelled data here is the
shared development data, so `newsworker train events` fits on all of it and `newsworker eval
events` reports k-fold cross-validated scores of the same fit. Training and evaluation use
scikit-learn; the fitted model is exported to numbers that linear.py applies without it.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from workers.events import linear
from workers.events.ontology import acled_types


def event_tokens(events: list[dict[str, Any]]) -> str:
    """What the lexicon found in the sentence, as tokens for the classifier."""
    tokens = []
    for e in events:
        tokens += [f"P_{e['plover']['type']}", f"T_{e['trigger']['text']}"]
        if e["acled"]:
            tokens.append("A_" + e["acled"]["sub_event_type"].replace(" ", "_"))
        if e["negated"] or e["hypothetical"]:
            tokens.append("FLAGGED")
    return " ".join(tokens) or "NONE"


def load_sentence_encoder() -> None:
    """Compile the sentence encoder now (~1 s, ~200 MB), with the stage, not on the first English
    article."""
    from workers.encoders import e5

    _ = e5.pretrained().run


def sentence_vectors(texts: list[str]) -> np.ndarray:
    """The sentences' multilingual-e5-small vectors (e5's prefix for classification input)."""
    from workers.encoders import e5

    return e5.pretrained().encode(texts, prefix="query: ")


class SentenceClassifier:
    """TF-IDF of words and word pairs, plus the lexicon's event tokens, plus (vector_weight > 0)
    the sentence vectors scaled by vector_weight (which sets how freely the model uses them)."""

    def __init__(self, c: float, vector_weight: float = 0.0) -> None:
        self.c = c
        self.vector_weight = vector_weight

    def fit(
        self, texts: list[str], tokens: list[str], labels: list[Any], vectors: np.ndarray | None = None
    ) -> SentenceClassifier:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        self.text = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
        self.events = TfidfVectorizer(token_pattern=r"\S+", lowercase=False)
        self.text.fit(texts)
        self.events.fit(tokens)
        matrix = self._matrix(texts, tokens, vectors)
        self.model = LogisticRegression(C=self.c, class_weight="balanced", max_iter=5000).fit(matrix, labels)
        return self

    def _matrix(self, texts: list[str], tokens: list[str], vectors: np.ndarray | None):
        from scipy.sparse import csr_matrix, hstack

        parts = [self.text.transform(texts), linear.EVENT_WEIGHT * self.events.transform(tokens)]
        if self.vector_weight:
            parts.append(csr_matrix(self.vector_weight * vectors))
        return hstack(parts).tocsr()

    def probabilities(
        self, texts: list[str], tokens: list[str], vectors: np.ndarray | None = None
    ) -> np.ndarray:
        return self.model.predict_proba(self._matrix(texts, tokens, vectors))

    def export(self) -> linear.LinearModel:
        """The fitted numbers, for inference without scikit-learn."""
        return linear.LinearModel(
            linear.Tfidf({t: int(i) for t, i in self.text.vocabulary_.items()}, self.text.idf_),
            linear.Tfidf({t: int(i) for t, i in self.events.vocabulary_.items()}, self.events.idf_),
            self.model.coef_,
            self.model.intercept_,
            list(self.model.classes_),
            self.vector_weight,
        )

    @property
    def classes(self) -> list[Any]:
        return list(self.model.classes_)


# (C, vector weight) chosen by 5-fold cross-validation on the development data: "en-acled" is the
# fast profile's model (no vectors); "en-acled-e5" the default's, from the grid NESTED_GRID
# (the weights 6-8 and C 16-32 scored within 0.005 of each other).
SETTINGS = {"en-acled": (32.0, 0.0), "en-acled-e5": (16.0, 8.0)}
NESTED_GRID = [(c, w) for w in (0.0, 4.0, 8.0, 16.0) for c in (16.0, 32.0)]
Prediction = tuple[Any, float]  # the most likely class and its probability


def training_sets(data: Path, annotate: Callable[[str, str], str]) -> tuple[list[str], list[str], list[str]]:
    """CASE-2021's English snippets: (texts, event tokens, labels); `annotate(text, language)` runs
    the lexicon."""
    codes = set(acled_types())
    case = [
        json.loads(line) for line in (data / "case2021-acled-subtypes" / "dev.jsonl").open(encoding="utf-8")
    ]
    case = [r for r in case if r["subtype"] in codes]
    texts = [r["text"] for r in case]
    return texts, [annotate(t, "en") for t in texts], [r["subtype"] for r in case]


def _splits(labels: list[Any], folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    from sklearn.model_selection import StratifiedKFold

    counts = {label: list(labels).count(label) for label in set(labels)}
    # A class seen once cannot be split; it stays in training only.
    strata = np.array([str(label) if counts[label] > 1 else "__rare__" for label in labels])
    with warnings.catch_warnings():  # the rare stratum may hold one row: it then trains in every fold
        warnings.filterwarnings("ignore", "The least populated class", UserWarning)
        return list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(strata, strata))


def _rows(values, rows: np.ndarray):
    """The given rows of a list or an array (None stays None)."""
    if values is None:
        return None
    if isinstance(values, np.ndarray):
        return values[rows]
    return [values[i] for i in rows]


def _fit_predict(
    setting: tuple[float, float], texts, tokens, labels, vectors, train: np.ndarray, test: np.ndarray
) -> list[Prediction]:
    model = SentenceClassifier(*setting).fit(
        *(_rows(values, train) for values in (texts, tokens, labels, vectors))
    )
    probabilities = model.probabilities(*(_rows(values, test) for values in (texts, tokens, vectors)))
    return [(model.classes[int(np.argmax(p))], float(p.max())) for p in probabilities]


def cross_validated(
    setting: tuple[float, float], texts, tokens, labels, vectors=None, folds: int = 5, seed: int = 0
) -> list[Prediction]:
    """Out-of-fold predictions of the model with this (C, vector weight)."""
    out: list[Any] = [None] * len(labels)
    for train, test in _splits(labels, folds, seed):
        guesses = _fit_predict(setting, texts, tokens, labels, vectors, train, test)
        for i, guess in zip(test, guesses, strict=True):
            out[i] = guess
    return out


def nested_cross_validated(
    texts, tokens, labels, vectors, score: Callable[[list[int], list[Prediction]], float], folds: int = 5
) -> tuple[list[Prediction], list[tuple[float, float]]]:
    """Out-of-fold predictions where each fold's (C, vector weight) is chosen from NESTED_GRID by
    an inner cross-validation of its training part (`score(rows, predictions)`, higher is better):
    the honest number for a setting chosen on the same data. Returns the predictions and the
    settings chosen."""
    out: list[Any] = [None] * len(labels)
    chosen = []
    for train, test in _splits(labels, folds, 0):
        inner = [_rows(values, train) for values in (texts, tokens, labels, vectors)]
        best = max(
            NESTED_GRID,
            key=lambda setting, inner=inner, train=train: score(
                list(train), cross_validated(setting, *inner, folds=4, seed=1)
            ),
        )
        chosen.append(best)
        guesses = _fit_predict(best, texts, tokens, labels, vectors, train, test)
        for i, guess in zip(test, guesses, strict=True):
            out[i] = guess
    return out, chosen


def train(data: Path, annotate: Callable[[str, str], str], out: Path = linear.MODELS) -> dict[str, int]:
    texts, tokens, labels = training_sets(data, annotate)
    vectors = sentence_vectors(texts)
    models = {
        name: SentenceClassifier(*setting).fit(texts, tokens, labels, vectors).export()
        for name, setting in SETTINGS.items()
    }
    linear.save(models, out)
    linear.classifiers.cache_clear()
    return {name: len(texts) for name in models}
