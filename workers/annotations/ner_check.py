"""Read and check an annotator's NER file against its input (lab code: never imported by the
runtime), and turn its spans into BIO tags.

    python -m workers.annotations.ner_check INPUT.jsonl OUTPUT.jsonl

An output line is {"id", "entities": [{"start", "end", "type", "text"}]} with token indices
(end exclusive); `text` must equal the tokens joined by spaces. The last line for an id counts,
so an annotator corrects a line by appending another.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

TYPES = ("PER", "LOC", "ORG", "MISC")
BIO_NAMES = {"PER": "PERS", "LOC": "LOC", "ORG": "ORG", "MISC": "MISC"}  # ANERcorp's tag names

Span = tuple[int, int, str]


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_labels(path: Path) -> tuple[dict[str, list[dict]], list[str]]:
    """An output file's entities by id (last line wins) and the lines that are not JSON."""
    labels: dict[str, list[dict]] = {}
    problems: list[str] = []
    for number, line in enumerate(path.open(encoding="utf-8"), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            labels[row["id"]] = row["entities"]
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            problems.append(f"line {number}: not an annotation line ({error})")
    return labels, problems


def check(tokens: list[str], entities: list[dict]) -> tuple[list[Span], list[str]]:
    """The valid spans of one sentence, and what is wrong with the others."""
    spans: list[Span] = []
    problems: list[str] = []
    for e in entities:
        try:
            start, end, kind, text = int(e["start"]), int(e["end"]), e["type"], e["text"]
        except (KeyError, TypeError, ValueError):
            problems.append(f"bad entity {e!r}")
            continue
        if kind not in TYPES:
            problems.append(f"unknown type {kind!r} at {start}:{end}")
        elif not 0 <= start < end <= len(tokens):
            problems.append(f"span {start}:{end} outside 0:{len(tokens)}")
        elif " ".join(tokens[start:end]) != text:
            problems.append(f"span {start}:{end} is {' '.join(tokens[start:end])!r}, text says {text!r}")
        elif any(start < e2 and s2 < end for s2, e2, _ in spans):
            problems.append(f"span {start}:{end} overlaps another")
        else:
            spans.append((start, end, kind))
    return sorted(spans), problems


def validate(inputs: list[dict], labels: dict[str, list[dict]]) -> tuple[dict[str, list[Span]], list[str]]:
    """Checked spans for every labelled input sentence, and every problem by sentence id."""
    checked: dict[str, list[Span]] = {}
    problems: list[str] = []
    for row in inputs:
        if row["id"] not in labels:
            continue
        spans, wrong = check(row["tokens"], labels[row["id"]])
        checked[row["id"]] = spans
        problems.extend(f"{row['id']}: {p}" for p in wrong)
    known = {row["id"] for row in inputs}
    problems.extend(f"{i}: id not in the input" for i in labels if i not in known)
    return checked, problems


def bio(length: int, spans: list[Span]) -> list[str]:
    tags = ["O"] * length
    for start, end, kind in spans:
        name = BIO_NAMES[kind]
        tags[start:end] = [f"B-{name}"] + [f"I-{name}"] * (end - start - 1)
    return tags


def main() -> None:
    parser = argparse.ArgumentParser(description="Check an NER annotation file against its input.")
    parser.add_argument("input", type=Path)
    parser.add_argument("output", type=Path)
    args = parser.parse_args()
    inputs = read_jsonl(args.input)
    labels, problems = read_labels(args.output)
    checked, wrong = validate(inputs, labels)
    problems += wrong
    for p in problems:
        print(p)
    entities = sum(len(s) for s in checked.values())
    print(
        f"{len(checked)} of {len(inputs)} sentences labelled, {entities} entities, {len(problems)} problems"
    )
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
