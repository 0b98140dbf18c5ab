"""Event evaluation on the development data in ../shared/data.

- OEDA Arabic: sentences labelled for PLOVER ASSAULT / PROTEST ("yes" vs "easy no" and
  "difficult no"). A sentence is predicted "yes" when the lexicon finds an affirmed (not negated,
  not hypothetical) event of the type and, with classifiers, their probability is at least 0.5.
- CASE-2021 task 2, English: snippets with an ACLED sub-type code; weighted F1 over the rows whose
  code is an ACLED sub-type. Lexicon: the sub-type of the most specific trigger. Classifier: its
  prediction, when at least OVERRIDE sure, for snippets where the lexicon found an event.
The classifiers are trained on this same data, so their scores are k-fold cross-validated.
Reliability: how often events are right per confidence band, so users can pick a threshold.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

from sklearn.metrics import f1_score, precision_recall_fscore_support

from workers.events.classifier import SETTINGS, cross_validated, event_tokens, training_sets
from workers.events.ontology import acled_types
from workers.events.stage import OVERRIDE, lexicon_events

BANDS = (0.0, 0.5, 0.7, 0.9, 1.0)


@dataclass(frozen=True)
class EventScores:
    lines_: list[str]
    # name -> (events, share right) per confidence band [BANDS[i], BANDS[i + 1])
    reliability: dict[str, list[tuple[int, float]]]

    def lines(self) -> str:
        return "\n".join(self.lines_)


def evaluate(data: Path) -> EventScores:
    events_of: dict[tuple[str, str], list[dict]] = {}  # kept: the scores need the events too

    def annotate(text: str, language: str) -> str:
        events_of[(text, language)] = lexicon_events(text, language)
        return event_tokens(events_of[(text, language)])

    sets = training_sets(data, annotate)
    lines = []
    reliability = {}
    for plover in ("ASSAULT", "PROTEST"):
        texts, tokens, labels = sets[f"ar-{plover}"]
        fired = [
            any(
                e["plover"]["type"] == plover and not (e["negated"] or e["hypothetical"])
                for e in events_of[(t, "ar")]
            )
            for t in texts
        ]
        runs = [("lexicon", fired)]
        if f"ar-{plover}" in SETTINGS:
            learned = cross_validated(f"ar-{plover}", texts, tokens, labels)
            guess = [f and p >= 0.5 for f, p in zip(fired, learned, strict=True)]
            runs.append(("lexicon + classifier (5-fold CV)", guess))
            events = [(p, label) for f, p, label in zip(fired, learned, labels, strict=True) if f]
            reliability[f"OEDA Arabic {plover}"] = _bands(events)
        for name, guess in runs:
            p, r, f, _ = precision_recall_fscore_support(labels, guess, average="binary", zero_division=0)
            lines.append(
                f"OEDA Arabic {plover}, {name}: precision {p:.3f}, recall {r:.3f}, F1 {f:.3f} "
                f"({sum(labels)} yes of {len(labels)})"
            )
    texts, tokens, labels = sets["en-acled"]
    names = {v: k for k, v in acled_types().items()}
    lexicon_codes = []
    for t in texts:
        coded = [e for e in events_of[(t, "en")] if e["acled"]]
        best = max(coded, key=lambda e: e["confidence"], default=None)
        lexicon_codes.append(
            names[(best["acled"]["event_type"], best["acled"]["sub_event_type"])] if best else "NONE"
        )
    learned = cross_validated("en-acled", texts, tokens, labels)
    combined = [
        (label if p >= OVERRIDE else code) if code != "NONE" else "NONE"
        for (label, p), code in zip(learned, lexicon_codes, strict=True)
    ]
    confidence = [  # the event's confidence as the stage sets it: the classifier's when it decides
        p if p >= OVERRIDE else max(e["confidence"] for e in events_of[(t, "en")] if e["acled"])
        for t, (_, p), code in zip(texts, learned, lexicon_codes, strict=True)
        if code != "NONE"
    ]
    decided = [(g, y) for g, y in zip(combined, labels, strict=True) if g != "NONE"]
    reliability["CASE-2021 English ACLED"] = _bands(
        [(c, g == y) for c, (g, y) in zip(confidence, decided, strict=True)]
    )
    for name, guess in (("lexicon", lexicon_codes), ("lexicon + classifier (CV)", combined)):
        f = f1_score(labels, guess, average="weighted", zero_division=0)
        lines.append(
            f"CASE-2021 English ACLED sub-types, {name}: weighted F1 {f:.3f} over {len(labels)} rows"
        )
    for name, bands in reliability.items():
        cells = [
            f"[{lo:.1f}, {hi:.1f}{']' if hi == BANDS[-1] else ')'}: {n} events, {100 * right:.0f}% right"
            for (lo, hi), (n, right) in zip(itertools.pairwise(BANDS), bands, strict=True)
            if n
        ]
        lines.append(f"{name} by confidence: " + "; ".join(cells))
    return EventScores(lines, reliability)


def _bands(events: list[tuple[float, bool]]) -> list[tuple[int, float]]:
    """(count, share right) of the events whose confidence falls in each band."""
    out = []
    for lo, hi in itertools.pairwise(BANDS):
        right = [ok for c, ok in events if lo <= c and (c < hi or hi == BANDS[-1])]
        out.append((len(right), sum(right) / len(right) if right else 0.0))
    return out
