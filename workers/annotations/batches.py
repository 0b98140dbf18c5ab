"""Select the ANT sentences to annotate and deal them into batches of 100 (issue 29 §2).

Sentences drawn uniformly at random from the whole corpus (they measure the lexicon's recall),
plus candidates of each PLOVER type (the lexicon's, from sentences.py) among the rest. Within a
type the pick rotates over the years so no year dominates; every batch holds the same mix of
groups, so annotation can stop after any batch. About 10% of each batch is listed for a second,
independent annotation.

    .venv/bin/python -m workers.annotations.batches SENTENCES.jsonl OUT_DIR
    .venv/bin/python -m workers.annotations.batches --extra ASSAULT SENTENCES.jsonl OUT_DIR
"""

from __future__ import annotations

import random
import sys
from collections import defaultdict
from itertools import zip_longest
from pathlib import Path
from typing import Any

import orjson

SEED = 29
BATCH = 100
DOUBLE_SHARE = 0.10
# How many candidates to take per PLOVER type (all of a type when it has fewer). The two main
# types get more than the 1,000 because a sentence picked for another type or at random
# counts once only.
QUOTA = {"ASSAULT": 1200, "PROTEST": 1200}
OTHER_QUOTA = 150
RANDOM = 1100
FIELDS = ("id", "article", "url", "start", "end", "title", "text")


def _rotate_years(records: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    """Shuffled records, taken one year after another (a round-robin over years)."""
    by_year: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        by_year[r["year"]].append(r)
    for group in by_year.values():
        rng.shuffle(group)
    years = sorted(by_year)
    rng.shuffle(years)
    return [r for row in zip_longest(*(by_year[y] for y in years)) for r in row if r is not None]


def select(sentences: list[dict[str, Any]], rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    """Group name (a PLOVER type or "random") -> the sentences picked for it, disjoint."""
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in sentences:
        for kind in {c["type"] for c in s["candidates"]}:
            by_type[kind].append(s)
    # the random draw first, from the whole corpus, so it stays a uniform sample (its candidates too)
    groups: dict[str, list[dict[str, Any]]] = {"random": rng.sample(sentences, RANDOM)}
    taken = {s["id"] for s in groups["random"]}
    # smallest types first, so a sentence that is a candidate of a rare type counts for it
    for kind in sorted(by_type, key=lambda k: (k in QUOTA, len(by_type[k]))):
        quota = QUOTA.get(kind, OTHER_QUOTA)
        fresh = [s for s in _rotate_years(by_type[kind], rng) if s["id"] not in taken][:quota]
        taken.update(s["id"] for s in fresh)
        groups[kind] = fresh
    return groups


def deal(groups: dict[str, list[dict[str, Any]]], rng: random.Random) -> list[dict[str, Any]]:
    """All picks in one order where every stretch holds each group in proportion to its size."""
    keyed = []
    for name, members in groups.items():
        for rank, s in enumerate(members):
            keyed.append(((rank + rng.random()) / len(members), name, s))
    keyed.sort(key=lambda k: k[0])
    return [{**s, "group": name} for _, name, s in keyed]


def _write(path: Path, sentences: list[dict[str, Any]]) -> None:
    """A batch file: the annotator's fields of each sentence, one JSON line each."""
    with path.open("wb") as w:
        for s in sentences:
            w.write(orjson.dumps({k: s[k] for k in FIELDS}) + b"\n")


def _manifest(s: dict[str, Any], batch: str, group: str) -> bytes:
    """A selection.jsonl line: why the sentence was chosen (annotators never read it)."""
    return (
        orjson.dumps({"id": s["id"], "batch": batch, "group": group, "candidates": s["candidates"]}) + b"\n"
    )


def main(source: Path, out_dir: Path) -> None:
    rng = random.Random(SEED)
    with source.open("rb") as f:
        sentences = [orjson.loads(line) for line in f]
    ordered = deal(select(sentences, rng), rng)
    (out_dir / "batches").mkdir(parents=True, exist_ok=True)
    double, manifest = [], []
    for number, first in enumerate(range(0, len(ordered), BATCH), start=1):
        batch = ordered[first : first + BATCH]
        name = f"batch-{number:03d}"
        _write(out_dir / "batches" / f"{name}.jsonl", batch)
        double += sorted(s["id"] for s in rng.sample(batch, max(1, round(DOUBLE_SHARE * len(batch)))))
        manifest += [_manifest(s, name, s["group"]) for s in batch]
    (out_dir / "double.txt").write_text("".join(f"{i}\n" for i in double), encoding="utf-8")
    # the second annotation's own batches (same fields), in the order of the first batches
    rows = {s["id"]: s for s in ordered}
    (out_dir / "double").mkdir(exist_ok=True)
    for number, first in enumerate(range(0, len(double), BATCH), start=1):
        _write(
            out_dir / "double" / f"double-{number:03d}.jsonl",
            [rows[i] for i in double[first : first + BATCH]],
        )
    (out_dir / "selection.jsonl").write_bytes(b"".join(manifest))


def extra(source: Path, out_dir: Path, plover: str) -> None:
    """A second round for one PLOVER type: every candidate of it not yet selected, in batches
    numbered after the existing ones (the first round's yes were fewer than the issue expects);
    their ids are appended to selection.jsonl with the group `extra-TYPE`."""
    rng = random.Random(f"{SEED}-{plover}")
    taken = {orjson.loads(line)["id"] for line in (out_dir / "selection.jsonl").open("rb")}
    with source.open("rb") as f:
        rest = [s for s in map(orjson.loads, f) if s["id"] not in taken]
    fresh = _rotate_years([s for s in rest if any(c["type"] == plover for c in s["candidates"])], rng)
    number = len(list((out_dir / "batches").glob("batch-*.jsonl")))
    with (out_dir / "selection.jsonl").open("ab") as manifest:
        for first in range(0, len(fresh), BATCH):
            number += 1
            name = f"batch-{number:03d}"
            batch = fresh[first : first + BATCH]
            _write(out_dir / "batches" / f"{name}.jsonl", batch)
            manifest.writelines(_manifest(s, name, f"extra-{plover}") for s in batch)


if __name__ == "__main__":
    if sys.argv[1] == "--extra":  # --extra TYPE SENTENCES.jsonl OUT_DIR
        extra(Path(sys.argv[3]), Path(sys.argv[4]), sys.argv[2])
    else:
        main(Path(sys.argv[1]), Path(sys.argv[2]))
