"""Score NER annotators (lab code: never imported by the runtime).

    python -m workers.annotations.ner_score calibration [--annot /work/annot/ner]
    python -m workers.annotations.ner_score agreement [--annot /work/annot/ner]

calibration: each annotator's out/C*.<annotator>.jsonl against ANERcorp's gold tags
(calib/gold/C.conll): exact-span precision, recall, F1 per type, and pooled over annotators;
written to calib/scores.json for the merge. agreement: every sentence labelled by two
annotators (the double-annotated 10%): span F1 between them per type, and Cohen's kappa over
their token tags.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from pathlib import Path

from sklearn.metrics import cohen_kappa_score

from workers.annotations.ner_check import Span, bio, read_jsonl, read_labels, validate
from workers.entities.train import TYPES, f1, span_counts

ANNOTATED = re.compile(r"(?P<input>.+)\.(?P<annotator>[^.]+)\.jsonl")


def read_gold(path: Path) -> dict[str, list[str]]:
    """calib/gold/C.conll: '# id' then 'word TAG' lines, a blank line after each sentence."""
    gold: dict[str, list[str]] = {}
    current = ""
    for line in path.open(encoding="utf-8"):
        if line.startswith("# "):
            current = line[2:].strip()
            gold[current] = []
        elif line.strip():
            gold[current].append(line.split()[1])
    return gold


def labelled(annot: Path, inputs: dict[str, list[dict]]) -> dict[str, dict[str, list[Span]]]:
    """Checked spans of every out/<input>.<annotator>.jsonl whose input is known: sentence id ->
    annotator -> spans. Lines that fail the check are left out (ner_check lists them)."""
    found: dict[str, dict[str, list[Span]]] = defaultdict(dict)
    for path in sorted((annot / "out").glob("*.jsonl")):
        match = ANNOTATED.fullmatch(path.name)
        if not match or match["input"] not in inputs:
            continue
        labels, _ = read_labels(path)
        checked, problems = validate(inputs[match["input"]], labels)
        bad = {p.split(":")[0] for p in problems}
        for sentence, spans in checked.items():
            if sentence not in bad:
                found[sentence][match["annotator"]] = spans
    return found


def prf(counts: dict[str, list[int]]) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and gold count per type and for all types ('all')."""
    rows = {**counts, "all": [sum(c[i] for c in counts.values()) for i in range(3)]}
    return {
        t: {
            "precision": tp / (tp + fp) if tp + fp else 0.0,
            "recall": tp / (tp + fn) if tp + fn else 0.0,
            "f1": f1(tp, fp, fn),
            "gold": tp + fn,
        }
        for t, (tp, fp, fn) in rows.items()
    }


def calibration(annot: Path) -> dict[str, dict]:
    """Per annotator and pooled ('*'): sentences and P/R/F1 against ANERcorp's gold."""
    calib = annot / "calib"
    gold = read_gold(calib / "gold" / "C.conll")
    rows = read_jsonl(calib / "C.jsonl")
    inputs = {name: rows for name in ("C", "C1", "C2")}
    by_annotator: dict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
    for sentence, annotators in labelled(annot, inputs).items():
        for annotator, spans in annotators.items():
            for key in (annotator, "*"):
                by_annotator[key][0].append(gold[sentence])
                by_annotator[key][1].append(bio(len(gold[sentence]), spans))
    return {a: {"sentences": len(g), **prf(span_counts(g, p))} for a, (g, p) in sorted(by_annotator.items())}


def news_inputs(annot: Path) -> dict[str, list[dict]]:
    return {p.stem: read_jsonl(p) for p in sorted((annot / "batches").glob("*.jsonl"))}


def agreement(annot: Path) -> dict:
    """Span F1 (one annotator as reference; F1 is symmetric) and token kappa over all sentences
    two annotators labelled."""
    inputs = news_inputs(annot)
    lengths = {row["id"]: len(row["tokens"]) for rows in inputs.values() for row in rows}
    first, second = [], []
    for sentence, annotators in labelled(annot, inputs).items():
        if len(annotators) >= 2:
            a, b = sorted(annotators)[:2]
            first.append(bio(lengths[sentence], annotators[a]))
            second.append(bio(lengths[sentence], annotators[b]))
    tokens_a = [t for s in first for t in s]
    tokens_b = [t for s in second for t in s]
    return {
        "sentences": len(first),
        "tokens": len(tokens_a),
        "span": prf(span_counts(first, second)),
        "token_kappa": float(cohen_kappa_score(tokens_a, tokens_b)) if first else 0.0,
    }


def table(results: dict[str, dict]) -> str:
    """One line per annotator: sentences, F1 (P/R) overall and F1 per type."""
    lines = []
    for name, r in results.items():
        per_type = ", ".join(f"{t} {r[t]['f1']:.3f} (n={r[t]['gold']})" for t in TYPES)
        lines.append(
            f"{name}: {r['sentences']} sentences, F1 {r['all']['f1']:.3f} "
            f"(P {r['all']['precision']:.3f}, R {r['all']['recall']:.3f}); {per_type}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="Score NER annotators.")
    parser.add_argument("what", choices=("calibration", "agreement"))
    parser.add_argument("--annot", type=Path, default=Path("/work/annot/ner"))
    args = parser.parse_args()
    if args.what == "calibration":
        results = calibration(args.annot)
        (args.annot / "calib" / "scores.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
        print(table(results) or "no calibration labels yet")
    else:
        result = agreement(args.annot)
        print(table({"agreement": {"sentences": result["sentences"], **result["span"]}}))
        print(f"token kappa {result['token_kappa']:.3f} over {result['tokens']} tokens")


if __name__ == "__main__":
    main()
