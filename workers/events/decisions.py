"""Is a candidate event real? One learned, calibrated decision per lexicon candidate.

The lexicon (candidates.py) proposes events; this gives each a `confidence`: the probability,
learned from every labelled set in ../shared/data, that the sentence really reports an event of
the candidate's PLOVER type. Features: the sentence's static e5 vector (multilingual, so English
supervision reaches Arabic), the language, the lexicon's prior (the trigger's weight, halved when
flagged), the negation / hypothetical flags and the type. One logistic regression per block
(ASSAULT, PROTEST, the other types), then a one-dimensional logistic (Platt) per language fitted on
out-of-fold scores, so that of the events given 0.7 about 70% are real. By default a fine-tuned
e5 then re-reads the ASSAULT and PROTEST candidates this does not rule out (e5_decisions.py). The
stage keeps the events at or above `--min-event-confidence`.

Labelled candidates (a candidate is the lexicon's event of type T in a labelled sentence):
- OEDA Arabic: sentences labelled yes / no for ASSAULT and for PROTEST;
- PLOVER GSR English: one gold type per sentence: right when T is that type;
- CASE-2021 English: an ACLED sub-type per snippet, mapped to its PLOVER type;
- IndiaPoliceEvents English: police KILL / FORCE (ASSAULT) and ARREST (COERCE) sentences; only
  its positives are used, since a "no" there means "not by the police".
Training and export use scikit-learn; inference is numpy (the exported coefficients).
"""

from __future__ import annotations

import itertools
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from workers.config import Settings
from workers.events.ontology import DATA, PLOVER_TYPES

MODEL = DATA / "decisions.npz"
CORPUS = DATA.parent / "annotations" / "events.jsonl"  # our annotated ANT sentences
# How a `borderline` sentence of our corpus trains: (label, weight), or None to leave it out.
BORDERLINE: dict[str, tuple[bool, float] | None] = {
    "no": (False, 1.0),
    "half-no": (False, 0.5),
    "drop": None,
    "half-yes": (True, 0.5),
}
# The shipped use of the corpus, chosen on OEDA dev's 5-fold CV (`newsworker eval events --corpus`,
# 5,770 sentences): its ASSAULT candidates with `borderline` as no lift the static decision's ASSAULT
# F1 0.588 -> 0.613 (the fast profile; against the easy no 0.719 -> 0.755) and leave the default's at
# 0.667 (0.802 -> 0.804); its PROTEST candidates lower PROTEST's default F1 (0.371 -> 0.31-0.33
# whatever `borderline` is), so they do not train. Its other types would train the OTHER block,
# which learns from English alone.
CORPUS_BORDERLINE = "no"
CORPUS_TYPES = ("ASSAULT",)
BLOCKS = ("ASSAULT", "PROTEST", "OTHER")  # one model each; OTHER serves the other PLOVER types
LANGUAGES = ("ar", "en")
# Which labelled languages train each block (`newsworker eval events` prints both): the English
# sentences cost Arabic dev F1 0.05 (ASSAULT) and 0.03 (PROTEST), within the noise of 105 and 35
# positives, and they carry war reports like the seed's (its recapture: 0.22 with them, 0.09
# without). The other types have English labels only.
TRAINED_ON = {"ASSAULT": ("ar", "en"), "PROTEST": ("ar", "en"), "OTHER": ("en",)}
FOLDS = 5
C = 10.0  # regularisation (0.1-30 tried by cross-validation; README "Events")
# English candidates count three times in the ASSAULT and PROTEST fits: war reports like the seed's
# then reached 0.20-0.25 rather than 0.12-0.16, for 0.02-0.04 less dev F1 (measured on the previous
# static table; README "Events").
ENGLISH_WEIGHT = 3.0
# The default of --min-event-confidence: the best mean cross-validated F1 of the Arabic ASSAULT
# and PROTEST sets among the thresholds that keep the seed's three ASSAULT events (0.22-0.69);
# `newsworker eval events` prints the curve, README "Events" the choice.
MIN_CONFIDENCE = Settings.min_event_confidence
# Old PLOVER names in the GSR file -> PLOVER 2021 types.
GSR_TYPES = {"FIGHT": "ASSAULT", "DEMAND": "REQUEST", "DISAPPROVE": "ACCUSE", "INVESTIGATE": "ACCUSE"}
# ACLED event types (and two strategic-development sub-types) -> PLOVER types.
ACLED_PLOVER = {
    "Battles": "ASSAULT",
    "Explosions/Remote violence": "ASSAULT",
    "Violence against civilians": "ASSAULT",
    "Protests": "PROTEST",
    "Riots": "PROTEST",
    "ARREST": "COERCE",
    "AGREEMENT": "AGREE",
}


@dataclass(frozen=True)
class Candidate:
    text: str  # the sentence
    event: dict[str, Any]  # the lexicon's event
    language: str
    label: bool | None = None  # labelled candidates only
    source: str = ""  # the labelled set it comes from
    weight: float = 1.0  # in the fits (a `borderline` sentence of our corpus may count less)
    train_only: bool = False  # in every training fold, never scored (our corpus beside OEDA's CV)


def block(event: dict[str, Any]) -> str:
    plover = event["plover"]["type"]
    return plover if plover in BLOCKS else "OTHER"


def features(candidates: list[Candidate], vectors: np.ndarray) -> np.ndarray:
    """One row per candidate: its sentence vector, then language, the lexicon's prior (the
    trigger's weight, halved when flagged), the flags and the PLOVER type."""
    rows = np.zeros((len(candidates), 4 + len(PLOVER_TYPES)), np.float32)
    for row, c in enumerate(candidates):
        event = c.event
        rows[row, :4] = (c.language == "ar", event["confidence"], event["negated"], event["hypothetical"])
        rows[row, 4 + PLOVER_TYPES.index(event["plover"]["type"])] = 1.0
    return np.hstack([vectors, rows])


@dataclass(frozen=True)
class Model:
    """One block's exported model: log-odds x @ coef + intercept, then Platt's a * s + b for the
    candidate's language (each language has its own base rate)."""

    coef: np.ndarray
    intercept: float
    platt: dict[str, tuple[float, float]]

    def confidence(self, x: np.ndarray, languages: list[str]) -> np.ndarray:
        scores = x @ self.coef + self.intercept
        default = next(iter(self.platt.values()))  # a language without labels: the first calibrated one
        a, b = np.array([self.platt.get(language, default) for language in languages]).T
        return 1.0 / (1.0 + np.exp(-(a * scores + b)))


@cache
def models(path: Path = MODEL) -> dict[str, Model]:
    if not path.exists():
        return {}
    with np.load(path, allow_pickle=False) as data:
        return {
            name: Model(
                data[f"{name}/coef"].astype(np.float32),
                float(data[f"{name}/intercept"]),
                {
                    lang: tuple(map(float, data[f"{name}/platt/{lang}"]))
                    for lang in LANGUAGES
                    if f"{name}/platt/{lang}" in data
                },
            )
            for name in BLOCKS
            if f"{name}/coef" in data
        }


class Decisions:
    """Sets each candidate's `confidence` to the learned probability; `keep` applies the threshold.
    `contextual`: the fine-tuned e5 re-reads the candidates of its blocks that the static decision
    does not rule out, and the two decisions are combined (e5_decisions.py)."""

    def __init__(
        self, min_confidence: float = MIN_CONFIDENCE, learned: bool = True, contextual: bool = True
    ) -> None:
        self.models = models() if learned else {}
        self.min_confidence = min_confidence
        self.reader = None
        if self.models:
            from workers.encoders import static

            self.vectors = static.pretrained()  # loaded with the stage, not on the first article
            if contextual:
                from workers.events import e5_decisions

                self.reader = e5_decisions.pretrained()
        self.kind = "static e5 vectors" + (
            ", fine-tuned e5 re-reading ASSAULT and PROTEST" if self.reader else ""
        )

    def __call__(self, sentences: list[tuple[str, list[dict[str, Any]]]], language: str) -> None:
        """`sentences`: (sentence text, its candidates). The sentences are encoded in one batch."""
        if not self.models or not sentences:
            return
        vectors = self.vectors.encode([text for text, _ in sentences])
        todo = [Candidate(text, event, language) for text, events in sentences for event in events]
        rows = np.repeat(np.arange(len(sentences)), [len(events) for _, events in sentences])
        x = features(todo, vectors[rows])
        for name, model in self.models.items():
            chosen = [i for i, c in enumerate(todo) if block(c.event) == name]
            if chosen:
                for i, p in zip(chosen, model.confidence(x[chosen], [language] * len(chosen)), strict=True):
                    todo[i].event["confidence"] = round(float(p), 3)
        if self.reader is not None:
            self._contextual(todo, language)

    def _contextual(self, todo: list[Candidate], language: str) -> None:
        from workers.events.e5_decisions import DECIDES, RE_READ, combined

        # the static decision has run: re-read what it does not rule out
        chosen = [c for c in todo if block(c.event) in DECIDES and c.event["confidence"] >= RE_READ]
        if chosen:
            # the trigger in the sentence (`text`); the event's offsets count from its field
            triggers = [
                (
                    c.event["trigger"]["start"] - c.event["sentence"]["start"],
                    c.event["trigger"]["end"] - c.event["sentence"]["start"],
                )
                for c in chosen
            ]
            blocks = [block(c.event) for c in chosen]
            scores = self.reader.scores([c.text for c in chosen], triggers, blocks)
            static = np.array([c.event["confidence"] for c in chosen])
            both = combined(static, self.reader.confidence(scores, blocks, language))
            for c, p in zip(chosen, both, strict=True):
                c.event["confidence"] = round(float(p), 3)

    def keep(self, event: dict[str, Any]) -> bool:
        return event["confidence"] >= self.min_confidence


# ---- training (scikit-learn) ----


def labelled(
    data: Path, lexicon: Callable[[str, str], list[dict[str, Any]]], english: bool = True
) -> list[Candidate]:
    """Every labelled candidate of the shared data; `lexicon(text, language)` gives the events."""
    out: list[Candidate] = []

    def add(text: str, language: str, source: str, right: Callable[[str], bool | None]) -> None:
        for event in lexicon(text, language):
            label = right(event["plover"]["type"])
            if label is not None:
                out.append(Candidate(text, event, language, label, source))

    for line in (data / "oeda-arabic-events" / "dev.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        # a sentence labelled for ASSAULT says nothing about its other types
        add(
            row["text"],
            "ar",
            f"oeda-{row['plover_type']}",
            lambda t, r=row: r["label"] == "yes" if t == r["plover_type"] else None,
        )
    if not english:
        return out
    for item in json.loads((data / "plover-gsr-cameo" / "PLOVER_GSR_CAMEO.txt").read_text(encoding="utf-8")):
        if item.get("text") and item.get("event") != "DOCUMENT":
            gold = GSR_TYPES.get(item["event"], item["event"])
            add(item["text"], "en", "gsr", lambda t, g=gold: t == g)
    from workers.events.ontology import acled_types

    for line in (data / "case2021-acled-subtypes" / "dev.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        group = acled_types().get(row["subtype"])
        if group:
            gold = ACLED_PLOVER.get(group[0]) or ACLED_PLOVER.get(row["subtype"])
            add(row["text"], "en", "case", lambda t, g=gold: t == g if g else None)
    police = {"KILL": "ASSAULT", "FORCE": "ASSAULT", "ARREST": "COERCE"}
    for line in (data / "india-police-events" / "sents.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        golds = {police[label] for label in row["sent_labels"] if label in police}
        if golds:
            add(row["sent_text"], "en", "india", lambda t, g=golds: True if t in g else None)
    return out


def ours(
    lexicon: Callable[[str, str], list[dict[str, Any]]],
    borderline: str = CORPUS_BORDERLINE,
    types: tuple[str, ...] | None = None,
    path: Path = CORPUS,
) -> list[Candidate]:
    """The lexicon's candidates in our annotated ANT sentences (workers/data/annotations/), training
    only. A candidate of type T is real when the annotator's label for T is `yes`; `borderline`
    (the type is there, not as a main event OEDA's coders would all accept) trains as BORDERLINE
    says; `types`: the PLOVER types whose candidates it gives (None: every type)."""
    out = []
    for row in corpus_rows(path):
        for event in lexicon(row["text"], "ar"):
            plover = event["plover"]["type"]
            if types is not None and plover not in types:
                continue
            label = _our_label(row, plover)
            if label is None:  # no annotator calibrated for this label read the sentence
                continue
            treated = BORDERLINE[borderline] if label == "borderline" else (label == "yes", 1.0)
            if treated is not None:
                real, weight = treated
                out.append(Candidate(row["text"], event, "ar", real, f"ours-{plover}", weight, True))
    return out


def corpus_rows(path: Path = CORPUS) -> list[dict[str, Any]]:
    """Our annotated sentences, one dict a line (none before the corpus exists)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.open(encoding="utf-8")]


def _our_label(row: dict[str, Any], plover: str) -> str | None:
    """yes / borderline / no for a PLOVER type: the sentence's own label for ASSAULT and PROTEST
    (None where no calibrated annotator gave it), else the first annotation's events of the type."""
    if plover in ("ASSAULT", "PROTEST"):
        return row[plover.lower()]
    labels = {e["label"] for e in row["annotations"][0]["events"] if e["type"] == plover}
    return "yes" if "yes" in labels else "borderline" if labels else "no"


def checksum(c: Candidate) -> int:
    """Names a labelled candidate across runs: its sentence, trigger and type."""
    event = c.event
    return zlib.crc32(f"{c.text}\0{event['trigger']['start']}\0{event['plover']['type']}".encode())


def fold(c: Candidate) -> int:
    """A sentence's fold, fixed by its text: all candidates of one sentence fall in one fold; -1 for
    a training-only candidate, which every fold's model sees and none scores."""
    return -1 if c.train_only else text_fold(c.text)


def text_fold(text: str) -> int:
    """The cross-validation fold of a labelled text (the decisions' and the actors' alike)."""
    return zlib.crc32(text.encode()) % FOLDS


def fit(x: np.ndarray, y: np.ndarray, languages: np.ndarray, weights: np.ndarray):
    from sklearn.linear_model import LogisticRegression

    weights = weights * np.where(languages == "en", ENGLISH_WEIGHT, 1.0)
    return LogisticRegression(C=C, max_iter=5000, class_weight="balanced").fit(x, y, sample_weight=weights)


def platt(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    if y.all() or not y.any():  # one class only (IndiaPoliceEvents' positives): keep the scores
        return 1.0, 0.0
    model = LogisticRegression(C=1e6).fit(scores[:, None], y)
    return float(model.coef_[0, 0]), float(model.intercept_[0])


def block_scores(
    x: np.ndarray,
    y: np.ndarray,
    folds: np.ndarray,
    languages: np.ndarray,
    weights: np.ndarray,
    fitted: np.ndarray,
    scored: np.ndarray,
) -> np.ndarray:
    """Log-odds for the `scored` rows, each from a model fitted on the `fitted` rows of the other folds
    (training-only rows, fold -1, in every fit)."""
    scores = np.zeros(len(y))
    for k in range(FOLDS):
        test = scored & (folds == k)
        if test.any():
            rows = fitted & (folds != k)
            scores[test] = fit(x[rows], y[rows], languages[rows], weights[rows]).decision_function(x[test])
    return scores


def _calibration_rows(
    mine: np.ndarray, languages: np.ndarray, language: str, trained: tuple[str, ...]
) -> np.ndarray:
    """A language is calibrated on its own labelled candidates, also when they did not train the
    block (English PROTEST); else on the block's first training language, as `Model.confidence`
    falls back at run time. `mine` holds scored rows only: a training-only row has no out-of-fold
    score."""
    own = mine & (languages == language)
    return own if own.any() else mine & (languages == trained[0])


def _arrays(candidates: list[Candidate], x: np.ndarray):
    y = np.array([c.label for c in candidates])
    folds = np.array([fold(c) for c in candidates])
    blocks = np.array([block(c.event) for c in candidates])
    languages = np.array([c.language for c in candidates])
    weights = np.array([c.weight for c in candidates])
    return y, folds, blocks, languages, weights


def out_of_fold(candidates: list[Candidate], x: np.ndarray, trained_on=TRAINED_ON) -> np.ndarray:
    """Each labelled candidate's calibrated confidence from models that never saw its sentence:
    both the block model and its language's Platt scaling are fitted on the other folds."""
    y, folds, blocks, languages, weights = _arrays(candidates, x)
    out = np.zeros(len(y))
    for name in BLOCKS:
        mine = blocks == name
        fitted = mine & np.isin(languages, trained_on[name])
        scores = block_scores(x, y, folds, languages, weights, fitted, mine)
        scored = mine & (folds >= 0)
        for k, language in itertools.product(range(FOLDS), LANGUAGES):
            here = mine & (folds == k) & (languages == language)
            if here.any():
                rows = _calibration_rows(scored, languages, language, trained_on[name]) & (folds != k)
                a, b = platt(scores[rows], y[rows])
                out[here] = 1.0 / (1.0 + np.exp(-(a * scores[here] + b)))
    return out


def train(candidates: list[Candidate], vectors: np.ndarray, out: Path = MODEL) -> dict[str, int]:
    """Fit each block on its languages; Platt per language on out-of-fold scores. Returns the
    candidates each block was trained on."""
    x = features(candidates, vectors)
    y, folds, blocks, languages, weights = _arrays(candidates, x)
    arrays: dict[str, np.ndarray] = {}
    sizes = {}
    for name in BLOCKS:
        mine = blocks == name
        fitted = mine & np.isin(languages, TRAINED_ON[name])
        scores = block_scores(x, y, folds, languages, weights, fitted, mine)
        for language in LANGUAGES:
            rows = mine & (languages == language) & (folds >= 0)
            if rows.any():
                arrays[f"{name}/platt/{language}"] = np.array(platt(scores[rows], y[rows]))
        model = fit(x[fitted], y[fitted], languages[fitted], weights[fitted])
        arrays[f"{name}/coef"] = model.coef_[0].astype(np.float32)
        arrays[f"{name}/intercept"] = np.array(model.intercept_[0])
        sizes[name] = int(fitted.sum())
    np.savez_compressed(out, **arrays)
    models.cache_clear()
    return sizes


def oeda_yes(data: Path, plover: str) -> int:
    """How many OEDA sentences are labelled yes for the type (the lexicon misses some)."""
    rows = (json.loads(line) for line in (data / "oeda-arabic-events" / "dev.jsonl").open(encoding="utf-8"))
    return sum(r["plover_type"] == plover and r["label"] == "yes" for r in rows)
