"""Merge calibrated annotators' NER labels of ANT news into workers/data/annotations/entities.jsonl
and write the data card's `## Entities` section (lab code: never imported by the runtime).

    python -m workers.annotations.ner_merge [--annot /work/annot/ner] [--min-f1 0.85]

Only annotators whose calibration (>= 100 ANERcorp sentences, exact-span F1 against ANERcorp's
gold) reaches --min-f1 count. A sentence labelled twice keeps the label of the annotator with
the higher calibration F1; the pair gives the agreement the card reports.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from pathlib import Path

from workers.annotations.ner_check import bio
from workers.annotations.ner_score import agreement, calibration, labelled, news_inputs, table
from workers.entities.train import TYPES

HERE = Path(__file__).resolve().parent.parent / "data" / "annotations"
MIN_SENTENCES = 100


def calibrated(
    scores: dict[str, dict],
    min_f1: float,
    same_setup: tuple[str, ...] = (),
    min_sentences: int = MIN_SENTENCES,
) -> dict[str, float]:
    """Annotators whose calibration counts: name -> F1. `same_setup`: annotators run exactly as a
    calibrated one (same model, instructions and guideline) who count on the pooled score ('*')."""
    passed = {
        a: s["all"]["f1"]
        for a, s in scores.items()
        if a != "*" and s["sentences"] >= min_sentences and s["all"]["f1"] >= min_f1
    }
    pooled = scores.get("*", {"all": {"f1": 0.0}})["all"]["f1"]
    if passed and pooled >= min_f1:
        passed.update({a: pooled for a in same_setup if a not in passed})
    return passed


def merge(annot: Path, accepted: dict[str, float]) -> list[dict]:
    inputs = news_inputs(annot)
    rows = {row["id"]: row for name, rows in inputs.items() if name.startswith("batch-") for row in rows}
    labels = labelled(annot, inputs)
    merged = []
    for sentence, row in rows.items():
        annotators = {a: s for a, s in labels.get(sentence, {}).items() if a in accepted}
        if not annotators:
            continue
        chosen = max(annotators, key=lambda a: (accepted[a], a))
        spans = annotators[chosen]
        merged.append(
            {
                "id": sentence,
                "source": {"corpus": "ANT v1.1", **row["article"], "start": row["start"], "end": row["end"]},
                "tokens": row["tokens"],
                "token_offsets": row["token_offsets"],
                "tags": bio(len(row["tokens"]), spans),
                "entities": [
                    {"start": s, "end": e, "type": t, "text": " ".join(row["tokens"][s:e])}
                    for s, e, t in spans
                ],
                "annotator": chosen,
                "annotations": len(annotators),
            }
        )
    return merged


def card(
    merged: list[dict], scores: dict[str, dict], accepted: dict[str, float], agree: dict, same_setup: str = ""
) -> str:
    types = Counter(e["type"] for r in merged for e in r["entities"])
    sections = Counter(r["source"]["category"] for r in merged)
    years = Counter(re.search(r"20\d\d", r["source"]["time"]).group() for r in merged)
    return f"""## Entities

`entities.jsonl`: {len(merged):,} sentences of Arabic news from the ANT corpus v1.1 (Jawhara FM,
Tunisia; Apache-2.0, cite Chouigui et al. 2017), one sentence per article, labelled by hand with
PER/LOC/ORG/MISC in ANERcorp's scheme following GUIDELINES.md `## Entities`. One JSON line per
sentence: `id`, `source` (docno, path, field `text`, character offsets of the sentence),
`tokens` and `token_offsets` (the runtime's tokenisation, `workers.entities.tokens`), `tags`
(BIO with ANERcorp's names B-PERS, I-LOC, ...), `entities` (token spans, end exclusive),
`annotator`, `annotations` (how many calibrated annotators labelled it).
- Entities: {", ".join(f"{t} {n:,}" for t, n in types.most_common())}.
- Sections: {", ".join(f"{s} {n}" for s, n in sections.most_common())}.
- Years: {", ".join(f"{y} {n}" for y, n in sorted(years.items()))}.
- Annotators: language-model annotators that saw only the tokens and the guideline (never a
  model's tags, the gold data or each other's files); no draft was shown, so 0% of the labels
  come from a draft. Labels are the annotators' own; no model or script chose a span.
- Calibration (before the news labels count): ANERcorp train sentences 0-3165 not used for the
  guideline (which was written from sentences 3166-3565) and outside the dev slice, labelled
  blind and scored against ANERcorp's tags (exact spans). Counted: annotators at F1 >=
  the threshold on >= {MIN_SENTENCES} sentences, and annotators run exactly as one of them (same
  model, instructions and guideline) on the pooled score; counted: {", ".join(sorted(accepted)) or "none"}.
```
{table(scores)}
```
- Agreement on the sentences labelled twice ({agree["sentences"]}, {agree["tokens"]:,} tokens):
  span F1 {agree["span"]["all"]["f1"]:.3f} ({", ".join(f"{t} {agree['span'][t]['f1']:.3f}" for t in TYPES)}),
  Cohen's kappa over token tags {agree["token_kappa"]:.3f}.
- Rebuild: `python -m workers.annotations.ner_sample` (sentences), annotators per
  /work/annot/ner/ANNOTATOR.md, `python -m workers.annotations.ner_score calibration|agreement`,
  `python -m workers.annotations.ner_merge{f" --same-setup {same_setup}" if same_setup else ""}`.
"""


def replace_section(path: Path, section: str) -> None:
    """Put `section` (starting '## Entities') in place of the file's own, or at its end."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    found = re.search(r"^## Entities\n.*?(?=^## |\Z)", text, flags=re.S | re.M)
    if found:
        rest = text[found.end() :]
        text = text[: found.start()] + section + ("\n" + rest if rest else "")
    else:
        text = (text.rstrip("\n") + "\n\n" if text.strip() else "") + section
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description="Merge calibrated NER annotations.")
    parser.add_argument("--annot", type=Path, default=Path("/work/annot/ner"))
    parser.add_argument("--min-f1", type=float, default=0.85)
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument(
        "--same-setup",
        default="",
        help="comma-separated annotators run exactly as a calibrated one; they count on the pooled score",
    )
    args = parser.parse_args()
    scores = calibration(args.annot)
    accepted = calibrated(scores, args.min_f1, tuple(filter(None, args.same_setup.split(","))))
    merged = merge(args.annot, accepted)
    with (args.out / "entities.jsonl").open("w", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in merged)
    replace_section(
        args.out / "DATA_CARD.md", card(merged, scores, accepted, agreement(args.annot), args.same_setup)
    )
    print(f"{len(merged)} sentences from {', '.join(sorted(accepted)) or 'no calibrated annotator'}")


if __name__ == "__main__":
    main()
