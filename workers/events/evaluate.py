"""Event evaluation on the development data in ../shared/data. Every learned number is out of
fold: a sentence is scored by models (and calibrations) fitted without its fold.

- OEDA Arabic: sentences labelled yes / no for ASSAULT and for PROTEST, scored as a user reads the
  output: the sentence is "yes" when the stage emits an affirmed (not negated, not hypothetical)
  event of the type. Lexicon: every candidate is emitted. Decisions: candidates whose learned
  confidence reaches the threshold. Vectors alone: a classifier over every sentence, no lexicon.
- CASE-2021 task 2, English: snippets with an ACLED sub-type code; weighted F1. Lexicon: the
  sub-type of the most specific trigger. Classifier: its prediction when at least OVERRIDE sure.
- Calibration: per confidence band, the share of candidates that are real, over every labelled
  set (OEDA, PLOVER GSR, CASE-2021, IndiaPoliceEvents' positives).
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score

from workers.events import decisions, e5_decisions
from workers.events.classifier import (
    SETTINGS,
    cross_validated,
    event_tokens,
    nested_cross_validated,
    sentence_vectors,
    training_sets,
)
from workers.events.ontology import acled_types
from workers.events.stage import OVERRIDE, lexicon_events
from workers.scoring import precision_recall_f1

BANDS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
THRESHOLDS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7)
ACTOR_THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7)  # the learned actors' curve (the shipped one among them)
OEDA_TYPES = ("ASSAULT", "PROTEST")


@dataclass(frozen=True)
class EventScores:
    lines_: list[str]
    # set -> (candidates, share real) per confidence band [BANDS[i], BANDS[i + 1])
    reliability: dict[str, list[tuple[int, float]]]
    # (OEDA type, threshold) -> (precision, recall, F1), out of fold
    curve: dict[tuple[str, float], tuple[float, float, float]]
    # ("rules" / "learned", OEDA type, "source" / "target") -> (recall, precision, annotated sentences)
    actors: dict[tuple[str, str, str], tuple[float, float, int]]
    # what gives the English ACLED sub-type (the _acled lines' names) -> weighted F1
    acled: dict[str, float]
    # (GSR group, role) -> (recall, precision, coded records) of the English actors
    english_actors: dict[tuple[str, str], tuple[float, float, int]]

    def lines(self) -> str:
        return "\n".join(self.lines_)


def oeda_scores(
    candidates: list[decisions.Candidate],
    confidence: np.ndarray,
    plover: str,
    yes: int,
    threshold: float,
    source: str = "oeda",
    skip: frozenset[str] = frozenset(),
) -> tuple[float, float, float]:
    """Sentence-level precision, recall, F1 of the events emitted at `threshold` (sentences of `skip`
    left out: OEDA's difficult no, for the score against the clear negatives)."""
    sentences: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(candidates):
        if c.source == f"{source}-{plover}" and c.text not in skip:
            sentences[c.text].append(i)
    tp = fp = 0
    for rows in sentences.values():
        real = candidates[rows[0]].label
        event = candidates[rows[0]].event
        if confidence[rows[0]] >= threshold and not (event["negated"] or event["hypothetical"]):
            tp, fp = tp + real, fp + (not real)
    return precision_recall_f1(tp, fp, yes)


def evaluate(data: Path, nested: bool = True) -> EventScores:
    """`nested=False` skips the ACLED classifier's nested cross-validation (~4 minutes)."""
    from workers.encoders import static

    candidates = decisions.labelled(data, lexicon_events)
    # our corpus's candidates train every fold as shipped and are never scored
    trained = candidates + decisions.ours(lexicon_events, types=decisions.CORPUS_TYPES)
    x = decisions.features(trained, static.pretrained().encode([c.text for c in trained]))
    yes = {t: decisions.oeda_yes(data, t) for t in OEDA_TYPES}
    lines: list[str] = []
    curve = {}
    static_only = decisions.out_of_fold(trained, x)[: len(candidates)]
    contextual = e5_decisions.out_of_fold(candidates, static_only)
    shipped = static_only if contextual is None else contextual
    for plover in OEDA_TYPES:
        cells = []
        for threshold in THRESHOLDS:
            curve[(plover, threshold)] = scores = oeda_scores(
                candidates, shipped, plover, yes[plover], threshold
            )
            mark = "*" if threshold == decisions.MIN_CONFIDENCE else ""
            cells.append(f"{mark}{threshold:g}: P {scores[0]:.2f} R {scores[1]:.2f} F1 {scores[2]:.3f}")
        lines.append(
            f"OEDA Arabic {plover}, lexicon + decisions (5-fold CV) by threshold: " + "; ".join(cells)
        )
    if contextual is not None:
        at_default = {
            t: oeda_scores(candidates, static_only, t, yes[t], decisions.MIN_CONFIDENCE) for t in OEDA_TYPES
        }
        cells = [f"{plover} F1 {scores[2]:.3f}" for plover, scores in at_default.items()]
        lines.append(
            "OEDA Arabic at the default threshold, static decisions only (the fast profile): "
            + ", ".join(cells)
        )
    # What the English labels add: each Arabic block trained with and without them (static).
    for languages in (("ar",), ("ar", "en")):
        confidence = decisions.out_of_fold(
            trained, x, {**decisions.TRAINED_ON, "ASSAULT": languages, "PROTEST": languages}
        )[: len(candidates)]
        at_default = {
            t: oeda_scores(candidates, confidence, t, yes[t], decisions.MIN_CONFIDENCE) for t in OEDA_TYPES
        }
        cells = [f"{plover} F1 {scores[2]:.3f}" for plover, scores in at_default.items()]
        lines.append(
            f"OEDA Arabic at the default threshold, trained on {' + '.join(languages)}: " + ", ".join(cells)
        )
    for plover in OEDA_TYPES:
        p, r, f = oeda_scores(candidates, np.ones(len(candidates)), plover, yes[plover], 0.5)
        lines.append(
            f"OEDA Arabic {plover}, lexicon alone: P {p:.3f}, R {r:.3f}, F1 {f:.3f} ({yes[plover]} yes)"
        )
        p, r, f = vectors_alone(data, plover)
        lines.append(
            f"OEDA Arabic {plover}, vectors alone, every sentence (5-fold CV): "
            f"P {p:.3f}, R {r:.3f}, F1 {f:.3f}"
        )
    reliability = {"all labelled candidates": _bands(shipped, [c.label for c in candidates])}
    for source in sorted({c.source for c in candidates}):
        rows = [i for i, c in enumerate(candidates) if c.source == source]
        reliability[source] = _bands(shipped[rows], [candidates[i].label for i in rows])
    for name, bands in reliability.items():
        cells = [
            f"[{lo:.1f}, {hi:.1f}{']' if hi == BANDS[-1] else ')'}: {n}, {100 * right:.0f}% real"
            for (lo, hi), (n, right) in zip(itertools.pairwise(BANDS), bands, strict=True)
            if n
        ]
        lines.append(f"calibration, {name}: " + "; ".join(cells))
    acled, acled_rows = _acled(data, nested)
    lines.extend(
        f"CASE-2021 English ACLED sub-types, {name}: weighted F1 {f1:.3f} over {acled_rows} rows"
        for name, f1 in acled.items()
    )
    actor_scores, curve_lines = actors(data)
    for (how, plover, role), (recall, precision, n) in actor_scores.items():
        name = "rules alone" if how == "rules" else "learned choice (5-fold CV)"
        lines.append(
            f"OEDA Arabic {plover} actors, {role}, {name}: recall {recall:.3f}, precision {precision:.3f}"
            f" ({n} sentences with an annotated {role})"
        )
    lines.extend(curve_lines)
    english = english_actors(data)
    lines.extend(
        f"PLOVER GSR English actors, {group}, {role}, parse: recall {r:.3f}, precision {p:.3f} "
        f"({n} records with a coded {role})"
        for (group, role), (r, p, n) in english.items()
    )
    return EventScores(lines, reliability, curve, actor_scores, acled, english)


def english_actors(data: Path) -> dict[tuple[str, str], tuple[float, float, int]]:
    """The stage's English actors (the rules; every candidate, no threshold) against the PLOVER
    GSR's coded actors: right when they share a content word (function words, as "a" or "on",
    do not count). Recall over the records with a coded role, precision over the predicted ones,
    for every record and for those where the stage emits an event of the type ("event found": the
    actors apart from event detection); ASSAULT and PROTEST records were read while writing the
    English rules ("dev"), the other types were not ("held out")."""
    from workers.events.actor_choice import ROLES
    from workers.events.actors import EN_FUNCTION_WORDS
    from workers.events.decisions import GSR_TYPES
    from workers.pipeline import default_pipeline

    def content(text: str) -> set[str]:
        return {w.strip(".,;:'\"()").lower() for w in text.split()} - EN_FUNCTION_WORDS - {""}

    pipeline = default_pipeline(min_event_confidence=0.0)
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])  # right, predicted, coded
    gsr = json.loads((data / "plover-gsr-cameo" / "PLOVER_GSR_CAMEO.txt").read_text(encoding="utf-8"))
    for item in gsr:
        if not item.get("text"):
            continue
        plover = GSR_TYPES.get(item["event"], item["event"])
        group = "dev (ASSAULT, PROTEST)" if plover in OEDA_TYPES else "held out (other types)"
        record = pipeline.enrich({"id": item["id"], "text": item["text"]}).record
        event = next((e for e in record["events"] if e["plover"]["type"] == plover), None)
        for role in ROLES:
            coded = item.get(role) if isinstance(item.get(role), list) else []  # a few are a bare string
            gold = [content(a["actorText"]) for a in coded if a.get("actorText")]
            found = event["actors"][role] if event else None
            # every record, and those where the stage found the event (the actors' own share)
            for cell in [counts[(group, role)]] + (
                [counts[(f"{group}, event found", role)]] if event else []
            ):
                cell[2] += bool(gold)
                if found:
                    cell[1] += 1
                    cell[0] += any(content(found["text"]) & span for span in gold)
    return {
        cell: (right / max(1, coded), right / max(1, predicted), coded)
        for cell, (right, predicted, coded) in sorted(counts.items())
    }


def actors(
    data: Path, corpus: bool = False
) -> tuple[dict[tuple[str, str, str], tuple[float, float, int]], list[str]]:
    """Source and target of the stage's event of the type (all candidates, no threshold) against
    the OEDA annotators' spans: right when it shares a word with one annotator's span, once
    proclitics are removed. Recall over the sentences with an annotated role, precision over the
    predicted ones; for the rules alone and for the learned choice, out of fold, at the shipped
    thresholds and at others (the lines). `corpus`: our annotated corpus trains every fold."""
    from workers.events import actor_choice

    events = actor_choice.labelled(data, corpus)
    annotated = {}
    for plover in OEDA_TYPES:
        path = data / "oeda-arabic-events" / f"{plover.lower()}_spans.dev.json"
        items = json.loads(path.read_text(encoding="utf-8"))
        for role in actor_choice.ROLES:
            annotated[(plover, role)] = sum(any(s[f"{role}_actor"] for s in item["spans"]) for item in items)

    def scored(chosen: list[dict[str, int | None]]) -> dict[tuple[str, str], tuple[float, float, int]]:
        out = {}
        for (plover, role), n in annotated.items():
            picked = [
                e.right(e.options[c[role]], role)
                for e, c in zip(events, chosen, strict=True)
                if e.language == "ar" and e.plover == plover and c[role] is not None and not e.train_only
            ]
            out[(plover, role)] = (sum(picked) / max(1, n), sum(picked) / max(1, len(picked)), n)
        return out

    rules = [
        {
            role: next((i for i, o in enumerate(e.options) if f"rules' {role}" in o.cues), None)
            for role in actor_choice.ROLES
        }
        for e in events
    ]
    learned = actor_choice.out_of_fold(events)
    results = {("rules", *k): v for k, v in scored(rules).items()}
    lines = []
    for threshold in ACTOR_THRESHOLDS:
        found = scored(
            [actor_choice.pick(p, e.options, threshold) for p, e in zip(learned, events, strict=True)]
        )
        if threshold == actor_choice.THRESHOLD:
            results |= {("learned", *k): v for k, v in found.items()}
        cells = [f"{p} {r} R {v[0]:.2f} P {v[1]:.2f}" for (p, r), v in found.items()]
        mark = "*" if threshold == actor_choice.THRESHOLD else ""
        lines.append(f"OEDA Arabic actors, learned, at {mark}{threshold:g} (5-fold CV): " + ", ".join(cells))
    return results, lines


def vectors_alone(data: Path, plover: str) -> tuple[float, float, float]:
    """A classifier over every OEDA sentence of the type (static vectors, no lexicon), out of fold."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_predict

    from workers.encoders import static

    rows = [json.loads(line) for line in (data / "oeda-arabic-events" / "dev.jsonl").open(encoding="utf-8")]
    rows = [r for r in rows if r["plover_type"] == plover]
    x = static.pretrained().encode([r["text"] for r in rows])
    y = np.array([r["label"] == "yes" for r in rows])
    model = LogisticRegression(C=decisions.C, max_iter=5000, class_weight="balanced")
    guess = cross_val_predict(model, x, y, cv=decisions.FOLDS)
    return precision_recall_f1(int((guess & y).sum()), int((guess & ~y).sum()), int(y.sum()))


def _acled(data: Path, nested: bool) -> tuple[dict[str, float], int]:
    """Weighted F1 of the sub-type the stage gives a CASE-2021 snippet (the classifier's when at
    least OVERRIDE sure, else the lexicon's; none when the lexicon codes no event: the stage has no
    event to give it to), by what gives it; and the number of snippets."""
    events_of: dict[str, list[dict]] = {}

    def annotate(text: str, language: str) -> str:
        events_of[text] = lexicon_events(text, language)
        return event_tokens(events_of[text])

    texts, tokens, labels = training_sets(data, annotate)
    names = {v: k for k, v in acled_types().items()}
    lexicon_codes = []
    for t in texts:
        coded = [e for e in events_of[t] if e["acled"]]
        best = max(coded, key=lambda e: e["confidence"], default=None)
        lexicon_codes.append(
            names[(best["acled"]["event_type"], best["acled"]["sub_event_type"])] if best else "NONE"
        )

    def given(rows: list[int], learned: list[tuple]) -> list[str]:
        return [
            (label if p >= OVERRIDE else lexicon_codes[i]) if lexicon_codes[i] != "NONE" else "NONE"
            for i, (label, p) in zip(rows, learned, strict=True)
        ]

    def score(rows: list[int], learned: list[tuple]) -> float:
        gold = [labels[i] for i in rows]
        return float(f1_score(gold, given(rows, learned), average="weighted", zero_division=0))

    every = list(range(len(labels)))
    vectors = sentence_vectors(texts)
    rows = [
        ("lexicon", score(every, [("NONE", 0.0)] * len(labels))),
        (
            "lexicon + classifier, fast profile (5-fold CV)",
            score(every, cross_validated(SETTINGS["en-acled"], texts, tokens, labels)),
        ),
        (
            "lexicon + classifier with e5 vectors, default (5-fold CV)",
            score(every, cross_validated(SETTINGS["en-acled-e5"], texts, tokens, labels, vectors)),
        ),
    ]
    if nested:
        learned, chosen = nested_cross_validated(texts, tokens, labels, vectors, score)
        settings = ", ".join(f"{c:g}/{w:g}" for c, w in chosen)
        rows.append(
            (
                "the same, C and vector weight chosen inside each training fold "
                f"(nested 5-fold CV: {settings})",
                score(every, learned),
            )
        )
    return dict(rows), len(labels)


def _bands(confidence: np.ndarray, labels: list[bool]) -> list[tuple[int, float]]:
    """(count, share real) of the candidates whose confidence falls in each band."""
    out = []
    for lo, hi in itertools.pairwise(BANDS):
        real = [
            ok for c, ok in zip(confidence, labels, strict=True) if lo <= c and (c < hi or hi == BANDS[-1])
        ]
        out.append((len(real), sum(real) / len(real) if real else 0.0))
    return out


def corpus(data: Path) -> list[str]:
    """What our annotated ANT corpus adds to the Arabic ASSAULT and PROTEST decisions, at the default
    threshold: 5-fold CV on OEDA dev, the corpus in every training fold and never scored, F1 over
    all negatives and against OEDA's easy no, for the static decision (the fast profile) and the
    default (static combined with the fine-tuned e5's stored out-of-fold scores), without the corpus
    and with it (each way of training its `borderline`); then the corpus's own 5-fold CV, OEDA dev
    in every training fold (a sentence is yes when its annotator said yes)."""
    from dataclasses import replace
    from functools import cache

    from workers.encoders import static

    lexicon = cache(lexicon_events)  # every variant reads the same sentences (the events are only read)
    base = decisions.labelled(data, lexicon)
    every = decisions.ours(lexicon, "half-yes")  # every corpus candidate, borderline included
    if not every:
        return [f"no annotated corpus at {decisions.CORPUS}"]
    texts = sorted({c.text for c in base + every})
    encoded = dict(zip(texts, static.pretrained().encode(texts), strict=True))
    yes = {t: decisions.oeda_yes(data, t) for t in OEDA_TYPES}
    hard = _difficult_no(data)
    at = decisions.MIN_CONFIDENCE

    def out_of_fold(candidates: list[decisions.Candidate]) -> np.ndarray:
        x = decisions.features(candidates, np.stack([encoded[c.text] for c in candidates]))
        return decisions.out_of_fold(candidates, x)

    lines = []
    variants = [("without", None), *((policy, None) for policy in decisions.BORDERLINE), ("no", ("ASSAULT",))]
    for policy, types in variants:
        extra = [] if policy == "without" else decisions.ours(lexicon, policy, types)
        static_only = out_of_fold(base + extra)[: len(base)]
        default = e5_decisions.out_of_fold(base, static_only)
        cells = []
        for name, confidence in (("static", static_only), ("default", default)):
            if confidence is None:
                continue
            for t in OEDA_TYPES:
                f_all = oeda_scores(base, confidence, t, yes[t], at)[2]
                f_easy = oeda_scores(base, confidence, t, yes[t], at, skip=hard[t])[2]
                cells.append(f"{name} {t} F1 {f_all:.3f} (vs easy no {f_easy:.3f})")
        label = "without our corpus" if policy == "without" else f"with our corpus, borderline as {policy}"
        label += f", its {' and '.join(types)} candidates only" if types else ""
        lines.append(f"OEDA Arabic, 5-fold CV, {label} ({len(extra)} corpus candidates): " + "; ".join(cells))
    for with_corpus in (False, True):
        found, _ = actors(data, with_corpus)
        cells = [f"{p} {r} R {v[0]:.2f} P {v[1]:.2f}" for (how, p, r), v in found.items() if how == "learned"]
        label = "with" if with_corpus else "without"
        lines.append(f"OEDA Arabic actors, learned (5-fold CV), {label} our corpus: " + ", ".join(cells))
    # the corpus's own CV: OEDA trains every fold; borderline scored as no
    candidates = [replace(c, train_only=True) for c in base] + [
        replace(c, train_only=False) for c in decisions.ours(lexicon, decisions.CORPUS_BORDERLINE)
    ]
    confidence = out_of_fold(candidates)
    rows = decisions.corpus_rows()
    for t in OEDA_TYPES:
        read = [r for r in rows if r[t.lower()] is not None]
        truth = {r["text"] for r in read if r[t.lower()] == "yes"}
        labelled = [replace(c, label=c.text in truth) for c in candidates]
        p, r, f = oeda_scores(labelled, confidence, t, len(truth), at, source="ours")
        lines.append(
            f"our corpus {t}, 5-fold CV (OEDA in every training fold): P {p:.3f} R {r:.3f} F1 {f:.3f} "
            f"({len(truth)} yes of {len(read)} sentences; static decision)"
        )
    return lines


def _difficult_no(data: Path) -> dict[str, frozenset[str]]:
    """OEDA's "difficult no" sentences per type: one coder's dissent made them no."""
    rows = [json.loads(line) for line in (data / "oeda-arabic-events" / "dev.jsonl").open(encoding="utf-8")]
    return {
        t: frozenset(r["text"] for r in rows if r["plover_type"] == t and r["label"] == "difficult no")
        for t in OEDA_TYPES
    }
