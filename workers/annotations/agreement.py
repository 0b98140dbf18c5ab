"""Agreement between two annotators of the same sentences: Cohen's kappa and the disagreements.

Every sentence with two annotations (the batch annotator's and the second one, from double/ or
two annotators of one calibration round) makes a pair, first file against second. Kappa on the
three-way labels and on yes against the rest, for ASSAULT and PROTEST; then every pair that
differs, with its text, for adjudication.

    .venv/bin/python -m workers.annotations.agreement ROOT OUT.jsonl [OUT.jsonl ...]

ROOT is the annotation folder (/work/annot/events) holding batches/, double/, calib/.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from sklearn.metrics import cohen_kappa_score

from workers.annotations.validate import SENTENCE_TYPES, annotations, read_jsonl, source_of

Pair = tuple[dict[str, Any], dict[str, Any]]


def pairs(found: dict[str, list[dict[str, Any]]]) -> list[Pair]:
    """The first two annotations by different annotators of each sentence that has them."""
    out = []
    for records in found.values():
        second = next((r for r in records[1:] if r["annotator"] != records[0]["annotator"]), None)
        if second is not None:
            out.append((records[0], second))
    return out


def agreement(paired: list[Pair]) -> dict[str, dict[str, float]]:
    """Per sentence field (assault, protest): n, raw agreement, kappa of the three labels, kappa of
    yes against the rest."""
    out = {}
    for name in SENTENCE_TYPES:
        x, y = [a[name] for a, _ in paired], [b[name] for _, b in paired]
        out[name] = {
            "n": len(paired),
            "agreement": sum(p == q for p, q in zip(x, y, strict=True)) / len(paired)
            if paired
            else float("nan"),
            "kappa": cohen_kappa_score(x, y, labels=["yes", "borderline", "no"]),
            "kappa_yes": cohen_kappa_score([v == "yes" for v in x], [v == "yes" for v in y]),
        }
    return out


def disagreements(paired: list[Pair]) -> list[tuple[str, str, str, str]]:
    """(id, field, first label, second label) wherever a pair differs."""
    return [
        (a["id"], name, a[name], b[name]) for a, b in paired for name in SENTENCE_TYPES if a[name] != b[name]
    ]


def main(root: Path, outs: list[Path]) -> None:
    texts = {row["id"]: row["text"] for out in outs for row in read_jsonl(source_of(out, root))}
    paired = pairs(annotations(sorted(outs), root))  # batch-* before double-*: first annotation first
    for name, f in agreement(paired).items():
        print(
            f"{name}: n {f['n']}  agreement {f['agreement']:.2f}  kappa {f['kappa']:.2f}  "
            f"kappa yes/rest {f['kappa_yes']:.2f}"
        )
    for i, name, x, y in disagreements(paired):
        print(f"{i}\t{name}\t{x}\t{y}\t{texts[i]}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]])
