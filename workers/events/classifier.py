"""The English ACLED sub-type classifier on top of the trigger lexicon.

Input: a sentence and the lexicon's events in it (as tokens such as `P_ASSAULT T_shelled`); output:
which ACLED sub-event type the sentence reports (CASE-2021 labels). Whether an event is real at
all is decided in decisions.py. The only labelled data here is the shared development data, so
`newsworker train events` fits on all of it and `newsworker eval events` reports k-fold
cross-validated scores of the same fit. Training and evaluation use scikit-learn; the fitted
model is exported to numbers that linear.py applies without it.
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


class SentenceClassifier:
    """TF-IDF of words and word pairs, plus the lexicon's event tokens."""

    def __init__(self, c: float) -> None:
        self.c = c

    def fit(self, texts: list[str], tokens: list[str], labels: list[Any]) -> SentenceClassifier:
        from scipy.sparse import hstack
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        self.text = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
        self.events = TfidfVectorizer(token_pattern=r"\S+", lowercase=False)
        matrix = hstack(
            [
                self.text.fit_transform(texts),
                linear.EVENT_WEIGHT * self.events.fit_transform(tokens),
            ]
        )
        self.model = LogisticRegression(C=self.c, class_weight="balanced", max_iter=3000).fit(matrix, labels)
        return self

    def probabilities(self, texts: list[str], tokens: list[str]) -> np.ndarray:
        from scipy.sparse import hstack

        matrix = hstack([self.text.transform(texts), linear.EVENT_WEIGHT * self.events.transform(tokens)])
        return self.model.predict_proba(matrix)

    def export(self) -> linear.LinearModel:
        """The fitted numbers, for inference without scikit-learn."""
        return linear.LinearModel(
            linear.Tfidf({t: int(i) for t, i in self.text.vocabulary_.items()}, self.text.idf_),
            linear.Tfidf({t: int(i) for t, i in self.events.vocabulary_.items()}, self.events.idf_),
            self.model.coef_,
            self.model.intercept_,
            list(self.model.classes_),
        )

    @property
    def classes(self) -> list[Any]:
        return list(self.model.classes_)


# Regularisation chosen by cross-validation on the development data.
SETTINGS = {"en-acled": 32.0}


def training_sets(data: Path, annotate: Callable[[str, str], str]) -> dict[str, tuple[list, list, list]]:
    """name -> (texts, event tokens, labels); `annotate(text, language)` runs the lexicon."""
    codes = set(acled_types())
    case = [
        json.loads(line) for line in (data / "case2021-acled-subtypes" / "dev.jsonl").open(encoding="utf-8")
    ]
    case = [r for r in case if r["subtype"] in codes]
    texts = [r["text"] for r in case]
    return {"en-acled": (texts, [annotate(t, "en") for t in texts], [r["subtype"] for r in case])}


def cross_validated(name: str, texts: list, tokens: list, labels: list, folds: int = 5) -> list[Any]:
    """Out-of-fold predictions: (label, probability) of the most likely class."""
    c = SETTINGS[name]
    y = np.array(labels, dtype=object)
    out: list[Any] = [None] * len(y)
    counts = {label: list(labels).count(label) for label in set(labels)}
    # A class seen once cannot be split; it stays in training only.
    strata = np.array([str(label) if counts[label] > 1 else "__rare__" for label in labels])
    from sklearn.model_selection import StratifiedKFold

    with warnings.catch_warnings():  # the rare stratum may hold one row: it then trains in every fold
        warnings.filterwarnings("ignore", "The least populated class", UserWarning)
        splits = list(StratifiedKFold(folds, shuffle=True, random_state=0).split(texts, strata))
    for train, test in splits:
        model = SentenceClassifier(c).fit(
            [texts[i] for i in train], [tokens[i] for i in train], list(y[train])
        )
        probabilities = model.probabilities([texts[i] for i in test], [tokens[i] for i in test])
        for row, i in enumerate(test):
            best = int(np.argmax(probabilities[row]))
            out[i] = (model.classes[best], float(probabilities[row][best]))
    return out


def train(data: Path, annotate: Callable[[str, str], str], out: Path = linear.MODELS) -> dict[str, int]:
    models = {}
    sizes = {}
    for name, (texts, tokens, labels) in training_sets(data, annotate).items():
        models[name] = SentenceClassifier(SETTINGS[name]).fit(texts, tokens, labels).export()
        sizes[name] = len(texts)
    linear.save(models, out)
    linear.classifiers.cache_clear()
    return sizes
