"""Learned sentence classifiers on top of the trigger lexicon.

Input: a sentence and the lexicon's events in it (as tokens such as `P_ASSAULT T_قصف NEG`).
- `ar-ASSAULT`, `ar-PROTEST`: is this Arabic sentence a report of such an event? (OEDA labels)
- `en-acled`: which ACLED sub-event type does this English sentence report? (CASE-2021 labels)
The only labelled data here is the shared development data, so `newsworker train events` fits on
all of it and `newsworker eval events` reports k-fold cross-validated scores of the same fit.
Training and evaluation use scikit-learn; the fitted models are exported to numbers that
linear.py applies without it.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from workers.entities.arabic import normalize
from workers.events import linear
from workers.events.ontology import acled_types

ARABIC_TYPES = ("ASSAULT", "PROTEST")


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
    """TF-IDF of characters (Arabic) or words (English), plus the lexicon's event tokens."""

    def __init__(self, language: str, c: float) -> None:
        self.language, self.c = language, c

    def fit(self, texts: list[str], tokens: list[str], labels: list[Any]) -> SentenceClassifier:
        from scipy.sparse import hstack
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        if self.language == "ar":
            self.text = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True)
        else:
            self.text = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
        self.events = TfidfVectorizer(token_pattern=r"\S+", lowercase=False)
        matrix = hstack(
            [
                self.text.fit_transform(self._clean(texts)),
                linear.EVENT_WEIGHT * self.events.fit_transform(tokens),
            ]
        )
        self.model = LogisticRegression(C=self.c, class_weight="balanced", max_iter=3000).fit(matrix, labels)
        return self

    def probabilities(self, texts: list[str], tokens: list[str]) -> np.ndarray:
        from scipy.sparse import hstack

        matrix = hstack(
            [self.text.transform(self._clean(texts)), linear.EVENT_WEIGHT * self.events.transform(tokens)]
        )
        return self.model.predict_proba(matrix)

    def export(self) -> linear.LinearModel:
        """The fitted numbers, for inference without scikit-learn."""
        return linear.LinearModel(
            self.language,
            linear.Tfidf({t: int(i) for t, i in self.text.vocabulary_.items()}, self.text.idf_),
            linear.Tfidf({t: int(i) for t, i in self.events.vocabulary_.items()}, self.events.idf_),
            self.model.coef_,
            self.model.intercept_,
            list(self.model.classes_),
        )

    @property
    def classes(self) -> list[Any]:
        return list(self.model.classes_)

    def _clean(self, texts: list[str]) -> list[str]:
        return [normalize(t) for t in texts] if self.language == "ar" else texts


# Regularisation chosen by cross-validation on the development data. PROTEST has no model: with
# 35 positive sentences the classifier lowered its cross-validated F1 (0.313 -> 0.24-0.25 for C 1-16).
SETTINGS = {"ar-ASSAULT": ("ar", 4.0), "en-acled": ("en", 32.0)}


def training_sets(data: Path, annotate: Callable[[str, str], str]) -> dict[str, tuple[list, list, list]]:
    """name -> (texts, event tokens, labels); `annotate(text, language)` runs the lexicon."""
    sets: dict[str, tuple[list, list, list]] = {}
    oeda = [json.loads(line) for line in (data / "oeda-arabic-events" / "dev.jsonl").open(encoding="utf-8")]
    for plover in ARABIC_TYPES:
        rows = [r for r in oeda if r["plover_type"] == plover]
        texts = [r["text"] for r in rows]
        sets[f"ar-{plover}"] = (
            texts,
            [annotate(t, "ar") for t in texts],
            [r["label"] == "yes" for r in rows],
        )
    codes = set(acled_types())
    case = [
        json.loads(line) for line in (data / "case2021-acled-subtypes" / "dev.jsonl").open(encoding="utf-8")
    ]
    case = [r for r in case if r["subtype"] in codes]
    texts = [r["text"] for r in case]
    sets["en-acled"] = (texts, [annotate(t, "en") for t in texts], [r["subtype"] for r in case])
    return sets


def cross_validated(name: str, texts: list, tokens: list, labels: list, folds: int = 5) -> list[Any]:
    """Out-of-fold predictions: the positive-class probability (binary sets), else (label, probability)."""
    language, c = SETTINGS[name]
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
        model = SentenceClassifier(language, c).fit(
            [texts[i] for i in train], [tokens[i] for i in train], list(y[train])
        )
        probabilities = model.probabilities([texts[i] for i in test], [tokens[i] for i in test])
        for row, i in enumerate(test):
            if isinstance(labels[0], bool):
                out[i] = float(probabilities[row][model.classes.index(True)])
            else:
                best = int(np.argmax(probabilities[row]))
                out[i] = (model.classes[best], float(probabilities[row][best]))
    return out


def train(data: Path, annotate: Callable[[str, str], str], out: Path = linear.MODELS) -> dict[str, int]:
    models = {}
    sizes = {}
    for name, (texts, tokens, labels) in training_sets(data, annotate).items():
        if name not in SETTINGS:
            continue
        language, c = SETTINGS[name]
        models[name] = SentenceClassifier(language, c).fit(texts, tokens, labels).export()
        sizes[name] = len(texts)
    linear.save(models, out)
    linear.classifiers.cache_clear()
    return sizes
