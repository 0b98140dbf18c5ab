"""Two disjoint calibration rounds from OEDA dev, stratified by PLOVER type x OEDA label (issue 29 §1).

Round A revises the guidelines, round B is the final check on sentences not used for that. The
annotator's file holds an opaque id + text only, shuffled; the gold (type, label) and each stratum's
population weight (sentences in OEDA dev / sentences drawn) go to a separate gold file, so
scores can be population-weighted.

    .venv/bin/python -m workers.annotations.calibration_sets OEDA_DEV.jsonl OUT_DIR
"""

from __future__ import annotations

import random
import sys
from collections import defaultdict
from pathlib import Path

import orjson

SEED = 2929
# sentences per round and stratum (OEDA dev holds 105 / 173 / 676 ASSAULT and 35 / 131 / 537 PROTEST)
PER_ROUND = {
    ("ASSAULT", "yes"): 28,
    ("ASSAULT", "difficult no"): 17,
    ("ASSAULT", "easy no"): 17,
    ("PROTEST", "yes"): 17,
    ("PROTEST", "difficult no"): 20,
    ("PROTEST", "easy no"): 21,
}
ROUNDS = ("A", "B")


def main(source: Path, out_dir: Path) -> None:
    rng = random.Random(SEED)
    strata: dict[tuple[str, str], list[dict]] = defaultdict(list)
    with source.open("rb") as f:
        for line in f:
            row = orjson.loads(line)
            strata[(row["plover_type"], row["label"])].append(row)
    picks: dict[str, list[dict]] = {r: [] for r in ROUNDS}
    for stratum, size in PER_ROUND.items():
        rows = rng.sample(strata[stratum], size * len(ROUNDS))
        weight = len(strata[stratum]) / size
        for number, name in enumerate(ROUNDS):
            picks[name] += [{**r, "weight": weight} for r in rows[number * size : (number + 1) * size]]
    (out_dir / "gold").mkdir(parents=True, exist_ok=True)
    for name, rows in picks.items():
        rng.shuffle(rows)
        # opaque ids: OEDA's own id names the type the sentence was coded for
        rows = [{**r, "oeda_id": r["id"], "id": f"{name}-{n:03d}"} for n, r in enumerate(rows, start=1)]
        with (out_dir / f"{name}.jsonl").open("wb") as w:
            for r in rows:
                w.write(orjson.dumps({"id": r["id"], "text": r["text"]}) + b"\n")
        with (out_dir / "gold" / f"{name}.jsonl").open("wb") as w:
            for r in rows:
                gold = {
                    "id": r["id"],
                    "oeda_id": r["oeda_id"],
                    "plover_type": r["plover_type"],
                    "label": r["label"],
                    "weight": r["weight"],
                }
                w.write(orjson.dumps(gold) + b"\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
