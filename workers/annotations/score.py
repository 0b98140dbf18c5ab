"""Score a calibration round against OEDA's gold, population-weighted (issue 29 §1).

Each gold row carries its stratum's weight (sentences of that type x label in OEDA dev / drawn),
so precision and recall estimate what they would be over all of OEDA dev. For each type:
F1 of `yes` against all negatives and against the easy no only, the share of OEDA yes that the
annotator marks yes or borderline (coverage), and the shares of difficult and easy no given `yes`.

    .venv/bin/python -m workers.annotations.score OUT.jsonl ROUND.jsonl GOLD.jsonl
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from workers.annotations.validate import SENTENCE_TYPES, check, read_jsonl

# the bar for a calibrated annotator
TARGETS = {"ASSAULT": 0.65, "PROTEST": 0.55}
MIN_COVERAGE, MAX_EASY_YES = 0.95, 0.02


def _f1(rows: list[tuple[str, str, float]]) -> tuple[float, float, float]:
    """Weighted precision, recall, F1 of predicted yes for gold yes; rows: (gold, predicted, weight)."""
    tp = sum(w for g, p, w in rows if g == "yes" and p == "yes")
    fp = sum(w for g, p, w in rows if g != "yes" and p == "yes")
    fn = sum(w for g, p, w in rows if g == "yes" and p != "yes")
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _share(rows: list[tuple[str, str, float]], gold: str, predicted: set[str]) -> float:
    of = [p for g, p, _ in rows if g == gold]
    return sum(p in predicted for p in of) / len(of) if of else float("nan")


def scores(records: dict[str, dict[str, Any]], gold: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per PLOVER type, the calibration figures over the gold rows the annotator labelled."""
    field = {plover: name for name, plover in SENTENCE_TYPES.items()}
    out = {}
    for plover in TARGETS:
        rows = [
            (g["label"], records[g["id"]][field[plover]], g["weight"])
            for g in gold
            if g["plover_type"] == plover and g["id"] in records
        ]
        precision, recall, f1 = _f1(rows)
        _, _, f1_easy = _f1([r for r in rows if r[0] != "difficult no"])
        out[plover] = {
            "n": len(rows),
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "f1_easy_no": f1_easy,
            "coverage": _share(rows, "yes", {"yes", "borderline"}),
            "difficult_no_yes": _share(rows, "difficult no", {"yes"}),
            "easy_no_yes": _share(rows, "easy no", {"yes"}),
        }
    return out


def passes(figures: dict[str, dict[str, float]]) -> bool:
    return all(
        f["f1"] >= TARGETS[t] and f["coverage"] >= MIN_COVERAGE and f["easy_no_yes"] <= MAX_EASY_YES
        for t, f in figures.items()
    )


def main(out: Path, source: Path, gold_path: Path) -> None:
    checked = check(out, source)
    gold = read_jsonl(gold_path)
    print(f"{len(checked.records)} labelled of {len(gold)}; {len(checked.errors)} rejected lines")
    figures = scores(checked.records, gold)
    for plover, f in figures.items():
        print(
            f"{plover}: n {f['n']}  P {f['precision']:.2f} R {f['recall']:.2f} F1 {f['f1']:.2f} "
            f"(target {TARGETS[plover]})  F1 vs easy no {f['f1_easy_no']:.2f}  "
            f"coverage of yes {f['coverage']:.2f}  yes on difficult no {f['difficult_no_yes']:.2f}  "
            f"yes on easy no {f['easy_no_yes']:.2f}"
        )
    print("calibrated" if passes(figures) else "not calibrated")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
