"""Sentences for Arabic NER annotation (lab code: never imported by the runtime).

    python -m workers.annotations.ner_sample [--data ../shared/data] [--out /work/annot/ner]

- calib/C.jsonl (+ C1, C2 halves): 200 ANERcorp train sentences, tokens only, drawn from
  sentences 0-3165: not the guideline's sentences (3166-3565), not the dev slice (3566-).
  Their gold tags go to calib/gold/, which annotators never open.
- batches/batch-NNN.jsonl: ANT news sentences, 100 a file, one sentence per article, spread
  over sections and years, tokenised as the runtime tokenises (workers.entities.tokens).
- double.txt: every tenth sentence (seeded), to be annotated twice; double-NNN.jsonl batches
  hold the same sentences for the second annotator.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
from collections import defaultdict
from pathlib import Path

from workers.entities.tokens import sentence_tokens
from workers.entities.train import read_conll, split

GUIDELINE_SENTENCES = range(3166, 3566)  # read to write GUIDELINES.md ## Entities
CALIBRATION_SIZE = 200
NEWS_SIZE = 2100
BATCH = 100
SEED = 30


def calibration(anercorp_train: Path, out: Path) -> list[dict]:
    sentences = read_conll(anercorp_train)
    train, _dev = split(sentences)
    pool = [i for i in range(len(train)) if i < GUIDELINE_SENTENCES.start and 5 <= len(train[i]) <= 60]
    chosen = sorted(random.Random(SEED).sample(pool, CALIBRATION_SIZE))
    rows = [{"id": f"anercorp-train-{i:04d}", "tokens": [w for w, _ in train[i]]} for i in chosen]
    gold = out / "gold"
    gold.mkdir(parents=True, exist_ok=True)
    write_jsonl(out / "C.jsonl", rows)
    write_jsonl(out / "C1.jsonl", rows[:100])
    write_jsonl(out / "C2.jsonl", rows[100:])
    with (gold / "C.conll").open("w", encoding="utf-8") as f:
        for i in chosen:
            f.write(f"# anercorp-train-{i:04d}\n")
            f.writelines(f"{w} {t}\n" for w, t in train[i])
            f.write("\n")
    return rows


def news(ant: Path, size: int = NEWS_SIZE) -> list[dict]:
    """One sentence (6-50 tokens, from the article's text) per article, articles taken in turn
    from every (section, year) stratum so that no stratum dominates. The year is the first
    20xx in the `time` field, which comes in three formats."""
    rng = random.Random(SEED)
    strata: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for line in ant.open(encoding="utf-8"):
        article = json.loads(line)
        strata[(article["category"], _year(article["time"]))].append(article)
    for articles in strata.values():
        rng.shuffle(articles)
    order = [a for row in itertools.zip_longest(*strata.values()) for a in row if a is not None]
    rows, seen = [], set()
    for article in order:
        text = article["text"]
        candidates = [
            (k, s)
            for k, s in enumerate(sentence_tokens(text))
            if 6 <= len(s) <= 50 and any("\u0621" <= c <= "\u064a" for c in s[0].text + s[-1].text)
        ]
        if not candidates:
            continue
        k, sentence = rng.choice(candidates)
        tokens = [t.text for t in sentence]
        if " ".join(tokens) in seen:
            continue
        seen.add(" ".join(tokens))
        rows.append(
            {
                "id": f"ant-{article['docno']}-s{k}",
                "article": {
                    "docno": article["docno"],
                    "path": article["path"],
                    "field": "text",
                    "category": article["category"],
                    "time": article["time"],
                },
                "start": sentence[0].start,
                "end": sentence[-1].end,
                "tokens": tokens,
                "token_offsets": [[t.start, t.end] for t in sentence],
            }
        )
        if len(rows) == size:
            break
    return rows


def _year(time: str) -> str:
    found = re.search(r"20\d\d", time)
    return found.group() if found else ""


def write_jsonl(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=Path("/work/annot/ner"))
    args = parser.parse_args()
    calib = calibration(args.data / "anercorp" / "train.txt", args.out / "calib")
    rows = news(args.data / "ant-corpus" / "ant_v1.1.jsonl")
    batches = args.out / "batches"
    batches.mkdir(parents=True, exist_ok=True)
    for n in range(0, len(rows), BATCH):
        write_jsonl(batches / f"batch-{n // BATCH + 1:03d}.jsonl", rows[n : n + BATCH])
    double = sorted(random.Random(SEED + 1).sample(range(len(rows)), len(rows) // 10))
    (args.out / "double.txt").write_text("".join(rows[i]["id"] + "\n" for i in double), encoding="utf-8")
    for n in range(0, len(double), BATCH + 5):  # 210 -> two files of 105
        write_jsonl(
            batches / f"double-{n // (BATCH + 5) + 1:03d}.jsonl", [rows[i] for i in double[n : n + BATCH + 5]]
        )
    print(
        f"calibration: {len(calib)} sentences; news: {len(rows)} sentences in "
        f"{-(-len(rows) // BATCH)} batches; double: {len(double)}"
    )


if __name__ == "__main__":
    main()
