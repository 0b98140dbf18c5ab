"""Event evaluation on the development data in ../shared/data.

- OEDA Arabic: sentences labelled for PLOVER ASSAULT / PROTEST ("yes" vs "easy no" and
  "difficult no"); an affirmed (not negated, not hypothetical) event of the type counts as "yes".
- CASE-2021 task 2, English: snippets with an ACLED sub-type code; the prediction is the sub-type of
  the snippet's most specific trigger; weighted F1 over the rows whose code is an ACLED sub-type.
- CPU share: the events stage's part of the pipeline's time on seeds/ant-sample.jsonl.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sklearn.metrics import f1_score, precision_recall_fscore_support

from workers.events.ontology import acled_types
from workers.events.stage import EventStage


@dataclass(frozen=True)
class EventScores:
    oeda: dict[str, tuple[float, float, float, int]]  # type -> precision, recall, F1, positives
    case_weighted_f1: float
    case_rows: int
    case_covered: float  # share of rows where some trigger fired
    confidence_buckets: list[tuple[str, float, int]]  # OEDA precision by confidence

    def lines(self) -> str:
        out = [
            f"OEDA Arabic {t}: precision {p:.3f}, recall {r:.3f}, F1 {f:.3f} ({n} yes)"
            for t, (p, r, f, n) in self.oeda.items()
        ]
        out.append(
            f"CASE-2021 English ACLED sub-types: weighted F1 {self.case_weighted_f1:.3f} over "
            f"{self.case_rows} rows ({100 * self.case_covered:.0f}% with a trigger)"
        )
        out += [
            f"OEDA precision at confidence {b}: {p:.3f} ({n} events)" for b, p, n in self.confidence_buckets
        ]
        return "\n".join(out)


def _record(text: str, language: str) -> dict:
    return {"text": text, "language": {"code": language}, "entities": []}


def evaluate(data: Path) -> EventScores:
    stage = EventStage()
    rows = [json.loads(line) for line in (data / "oeda-arabic-events" / "dev.jsonl").open(encoding="utf-8")]
    oeda = {}
    buckets: dict[str, list[bool]] = {"< 0.5": [], "0.5-0.7": [], ">= 0.7": []}
    for plover in ("ASSAULT", "PROTEST"):
        gold, guess = [], []
        for row in (r for r in rows if r["plover_type"] == plover):
            record = _record(row["text"], "ar")
            stage(record)
            events = [
                e
                for e in record["events"]
                if e["plover"]["type"] == plover and not e["negated"] and not e["hypothetical"]
            ]
            gold.append(row["label"] == "yes")
            guess.append(bool(events))
            for e in events:
                c = e["confidence"]
                buckets["< 0.5" if c < 0.5 else "0.5-0.7" if c < 0.7 else ">= 0.7"].append(
                    row["label"] == "yes"
                )
        p, r, f, _ = precision_recall_fscore_support(gold, guess, average="binary", zero_division=0)
        oeda[plover] = (float(p), float(r), float(f), sum(gold))
    codes = set(acled_types())
    case = [
        json.loads(line) for line in (data / "case2021-acled-subtypes" / "dev.jsonl").open(encoding="utf-8")
    ]
    case = [row for row in case if row["subtype"] in codes]
    predicted = []
    for row in case:
        record = _record(row["text"], "en")
        stage(record)
        labelled = [e for e in record["events"] if e["acled"]]
        best = max(labelled, key=lambda e: e["confidence"], default=None)
        predicted.append(_code(best) if best else "NONE")
    weighted = f1_score([r["subtype"] for r in case], predicted, average="weighted", zero_division=0)
    return EventScores(
        oeda,
        float(weighted),
        len(case),
        sum(p != "NONE" for p in predicted) / len(case),
        [(b, sum(v) / len(v) if v else 0.0, len(v)) for b, v in buckets.items()],
    )


def _code(event: dict) -> str:
    wanted = (event["acled"]["event_type"], event["acled"]["sub_event_type"])
    return next(code for code, names in acled_types().items() if names == wanted)
