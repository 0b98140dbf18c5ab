"""Merge the validated ANT annotations into the corpus file workers/data/annotations/events.jsonl.

Only the named (calibrated) annotators' files count, each for the sentence labels it is calibrated
for. One line per sentence: the ANT ids, the sentence's offsets in the article body, its text, each
sentence label from its first annotation by an annotator calibrated for it (null if none), and
every annotation with its annotator, its events and their spans. A span's
`start`/`end` are offsets in the sentence text; add the sentence's `start` for the article body.

    .venv/bin/python -m workers.annotations.merge ROOT DEST.jsonl ANNOTATOR[:assault|protest] ...
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import orjson

from workers.annotations.validate import SENTENCE_TYPES, annotations, read_jsonl

META = ("article", "url", "start", "end", "title", "text")


def calibrated(names: list[str]) -> dict[str, set[str]]:
    """`ann1` (calibrated for both sentence labels) or `ann2:assault` (for ASSAULT only) -> the
    sentence labels each annotator's files count for."""
    out = {}
    for name in names:
        annotator, _, kinds = name.partition(":")
        out[annotator] = set(kinds.split(",")) if kinds else set(SENTENCE_TYPES)
    return out


def merged(root: Path, annotators: dict[str, set[str]]) -> list[dict[str, Any]]:
    """The corpus lines, in sentence order of the batches. A sentence label comes from its first
    annotation by an annotator calibrated for it; null when none is (the sentence still serves the
    other label)."""
    outs = sorted(p for p in (root / "out").glob("*.jsonl") if p.name.startswith(("batch-", "double-")))
    found = annotations([p for p in outs if p.name.split(".")[1] in annotators], root)
    meta = {
        row["id"]: row
        for path in sorted((root / "batches").glob("batch-*.jsonl"))
        for row in read_jsonl(path)
    }
    lines = []
    for i, row in meta.items():
        if i not in found:
            continue
        records = found[i]
        lines.append(
            {
                "id": i,
                **{k: row[k] for k in META},
                **{
                    kind: next((r[kind] for r in records if kind in annotators[r["annotator"]]), None)
                    for kind in SENTENCE_TYPES
                },
                "annotations": [
                    {k: r[k] for k in ("annotator", "assault", "protest", "events", "note") if k in r}
                    for r in records
                ],
            }
        )
    return lines


def main(root: Path, dest: Path, annotators: list[str]) -> None:
    lines = merged(root, calibrated(annotators))
    with dest.open("wb") as w:
        for line in lines:
            w.write(orjson.dumps(line) + b"\n")
    print(
        f"{len(lines)} sentences, {sum(len(x['annotations']) > 1 for x in lines)} "
        f"with a second annotation -> {dest}"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:])
