"""Which phrase is the source and which the target: a learned choice among an event's phrases.

actors.py proposes the options (the phrases of the triggers' clauses, its rules' picks, the trigger
itself) with their cues: where each stands from the trigger, what precedes it, the entities it
holds, the trigger's form, whether the rules picked it. Per role, a logistic regression over the
cues and the phrase's static e5 vector scores every option; the rules' pick stands unless the model
finds it unlikely, then the model's likeliest option replaces it (`pick`). The annotators' spans of
the shared data teach it: OEDA's Arabic ASSAULT and PROTEST sentences (three annotators each) and
the PLOVER GSR's English actors; an option is right when it shares a word with a span, once
proclitics are removed (as `newsworker eval events` scores the actors). Training uses
scikit-learn; inference is numpy (`workers/data/events/actors.npz`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from workers.entities.arabic import key
from workers.events.actors import Option, Phrase
from workers.events.decisions import FOLDS, GSR_TYPES, text_fold
from workers.events.ontology import DATA

MODEL = DATA / "actors.npz"
ROLES = ("source", "target")
# The types and languages it chooses for: those of the annotated actors (English events learn from
# the PLOVER GSR's 44 but keep the rules, which read English subjects, objects and passives).
TYPES = ("ASSAULT", "PROTEST")
LANGUAGES = ("ar",)
NAMED = frozenset({"holds PER", "holds ORG"})
# Regularisation and the probability an actor needs: C from 0.1 to 3, the vectors scaled up 3 or 10
# times, only the cues or only the vectors, Arabic alone: all within a few points of each other in
# cross-validation (README "Events"); these are the first setting tried, and the balanced classes'
# natural boundary. `newsworker eval events` prints the curve over the threshold.
C = 1.0
THRESHOLD = 0.5
KEEP = 0.3  # the rules' pick stands at this probability (0.2-0.5: the same in cross-validation)
# Whether our annotated corpus's events train the choice (`newsworker eval events --corpus`).
CORPUS = False


def words_of(text: str, language: str) -> set[str]:
    """The words an option and a span are compared by: proclitic-free keys, or lower case."""
    return {key(w) if language == "ar" else w.lower() for w in text.split()}


@dataclass(frozen=True)
class Labelled:
    """An event of a labelled sentence: its options and the annotators' spans per role."""

    text: str
    language: str
    plover: str
    options: list[Option]
    gold: dict[str, list[set[str]]]  # role -> each annotator's span, as words
    train_only: bool = False  # our corpus: in every fold's fit, never scored

    def right(self, option: Option, role: str) -> bool:
        found = words_of(option.text, self.language)
        return any(found & span for span in self.gold[role])

    @property
    def fold(self) -> int:
        return -1 if self.train_only else text_fold(self.text)


def rows(options: list[Option], names: dict[str, int], vectors: np.ndarray) -> np.ndarray:
    """One row per option: its cues (one column each, as named when trained), then its vector."""
    cues = np.zeros((len(options), len(names)), np.float32)
    for row, option in enumerate(options):
        cues[row, [names[c] for c in option.cues if c in names]] = 1.0
    return np.hstack([cues, vectors])


@dataclass(frozen=True)
class Model:
    names: dict[str, int]  # cue -> column
    coef: dict[str, np.ndarray]  # role -> weights
    intercept: dict[str, float]

    def probabilities(self, x: np.ndarray) -> dict[str, np.ndarray]:
        return {role: 1.0 / (1.0 + np.exp(-(x @ self.coef[role] + self.intercept[role]))) for role in ROLES}


def pick(
    probabilities: dict[str, np.ndarray], options: list[Option], threshold: float = THRESHOLD
) -> dict[str, int | None]:
    """Per role the index of the chosen option, or None. The rules' pick stands while the model gives
    it at least KEEP (the rules read passives, actor nouns and verb-first clauses that 190 annotated
    events teach a model only in part); else the option the model finds likeliest if it reaches the
    threshold, one that holds a person or organisation first (a named actor can be linked). The
    roles never share words: the likelier one keeps the phrase, the other takes its next option."""
    chosen: dict[str, int | None] = {}
    for role in ROLES:
        rule = next((i for i, o in enumerate(options) if f"rules' {role}" in o.cues), None)
        if rule is not None and probabilities[role][rule] >= KEEP:
            chosen[role] = rule
        else:
            chosen[role] = _best(probabilities[role], options, threshold, avoid=None)
    source, target = chosen["source"], chosen["target"]
    if source is not None and target is not None and _overlap(options[source], options[target]):
        loser = "target" if probabilities["source"][source] >= probabilities["target"][target] else "source"
        winner = options[chosen["source" if loser == "target" else "target"]]
        chosen[loser] = _best(probabilities[loser], options, threshold, avoid=winner)
    return chosen


def _best(scores: np.ndarray, options: list[Option], threshold: float, avoid: Option | None) -> int | None:
    passing = [
        i
        for i in np.argsort(-scores).tolist()
        if scores[i] >= threshold and (avoid is None or not _overlap(options[i], avoid))
    ]
    named = [i for i in passing if options[i].cues & NAMED]
    return (named or passing or [None])[0]


def _overlap(a: Option, b: Option) -> bool:
    return a.phrase[0] < b.phrase[1] and b.phrase[0] < a.phrase[1]


class Choice:
    """`choose(options) -> (source phrase, target phrase)` with the shipped model."""

    def __init__(self, model: Model) -> None:
        from workers.encoders import static

        self.model = model
        self.vectors = static.pretrained()  # loaded with the stage, not on the first article

    def __call__(self, options: list[Option]) -> tuple[Phrase | None, Phrase | None]:
        if not options:
            return None, None
        x = rows(options, self.model.names, self.vectors.encode([o.text for o in options]))
        chosen = pick(self.model.probabilities(x), options)
        source, target = (chosen[role] for role in ROLES)
        return (
            None if source is None else options[source].phrase,
            None if target is None else options[target].phrase,
        )


@cache
def pretrained(path: Path = MODEL) -> Choice | None:
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as data:
        model = Model(
            {name: i for i, name in enumerate(data["names"].tolist())},
            {role: data[f"{role}/coef"].astype(np.float32) for role in ROLES},
            {role: float(data[f"{role}/intercept"]) for role in ROLES},
        )
    return Choice(model)


# ---- training (scikit-learn) ----


def labelled(data: Path, corpus: bool = False) -> list[Labelled]:
    """The events of the annotated sentences, each with its options: OEDA Arabic (ASSAULT and
    PROTEST spans) and the PLOVER GSR (English); with `corpus`, also our annotated ANT sentences'
    `yes` ASSAULT and PROTEST events (training only)."""
    from workers.events.decisions import corpus_rows
    from workers.pipeline import default_pipeline

    pipeline = default_pipeline(min_event_confidence=0.0)

    def events(
        text: str, plover: str, gold: dict[str, list[set[str]]], language: str, train_only: bool = False
    ) -> Iterator[Labelled]:
        record = pipeline.enrich({"id": "labelled", "text": text}).record
        if record["language"]["code"] != language:
            return
        found = next(
            (opts for event, opts in event_options(record) if event["plover"]["type"] == plover), None
        )
        if found is not None:
            yield Labelled(text, language, plover, found, gold, train_only)

    out: list[Labelled] = []
    for plover in TYPES:
        path = data / "oeda-arabic-events" / f"{plover.lower()}_spans.dev.json"
        for item in json.loads(path.read_text(encoding="utf-8")):
            gold = {
                role: [
                    words_of(" ".join(s[f"{role}_actor"]), "ar") for s in item["spans"] if s[f"{role}_actor"]
                ]
                for role in ROLES
            }
            out.extend(events(item["text"], plover, gold, "ar"))
    gsr = json.loads((data / "plover-gsr-cameo" / "PLOVER_GSR_CAMEO.txt").read_text(encoding="utf-8"))
    for item in gsr:
        if item.get("text") and GSR_TYPES.get(item["event"], item["event"]) in TYPES:
            # a role is a list of {actorText, ...}; a few targets are a bare string (a context)
            gold = {
                role: [words_of(a["actorText"], "en") for a in _actors(item.get(role)) if a.get("actorText")]
                for role in ROLES
            }
            out.extend(events(item["text"], GSR_TYPES.get(item["event"], item["event"]), gold, "en"))
    for row in corpus_rows() if corpus else []:
        for plover in TYPES:
            if row[plover.lower()] != "yes":
                continue
            spans = [
                e
                for a in row["annotations"]
                for e in a["events"]
                if e["type"] == plover and e["label"] == "yes"
            ]
            gold = {role: [words_of(e[role]["text"], "ar") for e in spans if e[role]] for role in ROLES}
            out.extend(events(row["text"], plover, gold, "ar", train_only=True))
    return out


def _actors(value) -> list[dict]:
    return value if isinstance(value, list) else []


def event_options(record: dict) -> Iterator[tuple[dict, list[Option]]]:
    """Each candidate event of an enriched record with its options, as the stage builds them."""
    from workers.events import actors
    from workers.events.stage import sentences

    language = record["language"]["code"]
    for value, sentence, inside in sentences(record):
        for event, triggers in zip(sentence.events, sentence.triggers, strict=True):
            picks = actors.rules(sentence.tokens, triggers, language, inside)
            yield event, actors.options(value, sentence.tokens, triggers, language, inside, picks)


def _fit(x: np.ndarray, y: np.ndarray):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, max_iter=5000, class_weight="balanced").fit(x, y)


def _design(
    events: list[Labelled], names: dict[str, int]
) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """(rows of every option of every event, labels per role, the event of each row)."""
    from workers.encoders import static

    options = [o for e in events for o in e.options]
    x = rows(options, names, static.pretrained().encode([o.text for o in options]))
    y = {role: np.array([e.right(o, role) for e in events for o in e.options]) for role in ROLES}
    owner = np.repeat(np.arange(len(events)), [len(e.options) for e in events])
    return x, y, owner


def cue_names(events: list[Labelled]) -> dict[str, int]:
    """The cues seen in training, each a column."""
    return {name: i for i, name in enumerate(sorted({c for e in events for o in e.options for c in o.cues}))}


def out_of_fold(events: list[Labelled]) -> list[dict[str, np.ndarray]]:
    """Per event, each option's probability per role from models fitted on the other folds."""
    names = cue_names(events)
    x, y, owner = _design(events, names)
    folds = np.array([e.fold for e in events])[owner]
    scores = {role: np.zeros(len(owner)) for role in ROLES}
    for k in range(FOLDS):
        test, train = folds == k, folds != k
        for role in ROLES:
            scores[role][test] = _fit(x[train], y[role][train]).predict_proba(x[test])[:, 1]
    return [{role: scores[role][owner == i] for role in ROLES} for i in range(len(events))]


def train(events: list[Labelled], out: Path = MODEL) -> int:
    """Fit both roles on every labelled event; returns how many options they learned from."""
    names = cue_names(events)
    x, y, _ = _design(events, names)
    arrays: dict[str, np.ndarray] = {"names": np.array(list(names))}
    for role in ROLES:
        model = _fit(x, y[role])
        arrays[f"{role}/coef"] = model.coef_[0].astype(np.float32)
        arrays[f"{role}/intercept"] = np.array(model.intercept_[0])
    np.savez_compressed(out, **arrays)
    pretrained.cache_clear()
    return len(x)
