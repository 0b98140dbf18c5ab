"""Check an annotator's output file against its input and turn its substrings into offsets.

A line is rejected (with the reason) when it is not JSON, names an unknown id, has a label outside
yes/borderline/no, an unknown PLOVER type, a substring that is not in the sentence (or not that
many times), or sentence labels that disagree with its events. For an id written more than once
the last valid line wins (annotators append corrections).

    .venv/bin/python -m workers.annotations.validate OUT.jsonl INPUT.jsonl
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from workers.events.ontology import PLOVER_TYPES

LABELS = ("yes", "borderline", "no")
SENTENCE_TYPES = {"assault": "ASSAULT", "protest": "PROTEST"}
SPANS = ("trigger", "source", "target")


@dataclass
class Checked:
    """An output file's valid records (id -> record with offsets) and its rejected lines."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)
    missing: list[str] = field(default_factory=list)  # input ids with no valid line


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open("rb") as f:
        return [orjson.loads(line) for line in f if line.strip()]


def locate(text: str, part: str, occurrence: int) -> tuple[int, int]:
    """Offsets of the occurrence-th (0-based) appearance of `part` in `text`; ValueError if none."""
    start = -1
    for _ in range(occurrence + 1):
        start = text.find(part, start + 1)
        if start < 0:
            raise ValueError(f"{part!r} is not in the text {occurrence + 1} time(s)")
    return start, start + len(part)


def _event(text: str, event: dict[str, Any]) -> dict[str, Any]:
    if event.get("type") not in PLOVER_TYPES:
        raise ValueError(f"unknown PLOVER type {event.get('type')!r}")
    if event.get("label") not in ("yes", "borderline"):
        raise ValueError(f"event label {event.get('label')!r} is not yes/borderline")
    out: dict[str, Any] = {"type": event["type"], "mode": event.get("mode") or None, "label": event["label"]}
    for name in SPANS:
        part = event.get(name)
        if part is None and name != "trigger":
            out[name] = None
            continue
        if not isinstance(part, str) or not part.strip():
            raise ValueError(f"{name} must be a non-empty substring")
        start, end = locate(text, part, int(event.get(f"{name}_occurrence") or 0))
        out[name] = {"text": part, "start": start, "end": end}
    return out


def check_line(text: str, line: dict[str, Any]) -> dict[str, Any]:
    """The record with offsets (relative to the sentence), or ValueError with the reason."""
    events = [_event(text, e) for e in line.get("events") or []]
    record: dict[str, Any] = {"id": line["id"]}
    for name, plover in SENTENCE_TYPES.items():
        label = line.get(name)
        if label not in LABELS:
            raise ValueError(f"{name} label {label!r} is not one of {LABELS}")
        kinds = {e["label"] for e in events if e["type"] == plover}
        implied = "yes" if "yes" in kinds else "borderline" if kinds else "no"
        if label != implied:
            raise ValueError(f"{name} is {label!r} but its {plover} events make it {implied!r}")
        record[name] = label
    record["events"] = events
    if line.get("note"):
        record["note"] = line["note"]
    return record


def check(out: Path, source: Path) -> Checked:
    texts = {row["id"]: row["text"] for row in read_jsonl(source)}
    checked = Checked()
    with out.open("rb") as f:
        for number, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            try:
                line = orjson.loads(raw)
                if line.get("id") not in texts:
                    raise ValueError(f"unknown id {line.get('id')!r}")
                checked.records[line["id"]] = check_line(texts[line["id"]], line)
            except (orjson.JSONDecodeError, ValueError, TypeError, AttributeError) as error:
                checked.errors.append((number, str(error)))
    checked.missing = [i for i in texts if i not in checked.records]
    return checked


def source_of(out: Path, root: Path) -> Path:
    """The input file an output file labels: out/<input>.<annotator>.jsonl -> root/<folder>/<input>.jsonl."""
    name = out.name.split(".")[0]
    folder = "batches" if name.startswith("batch-") else "double" if name.startswith("double-") else "calib"
    return root / folder / f"{name}.jsonl"


def annotations(outs: list[Path], root: Path) -> dict[str, list[dict[str, Any]]]:
    """Sentence id -> its valid records from the given output files, each with its `annotator` and
    `file`, in the order of `outs`."""
    found: dict[str, list[dict[str, Any]]] = {}
    for out in outs:
        annotator = out.name.split(".")[1]
        for i, record in check(out, source_of(out, root)).records.items():
            found.setdefault(i, []).append({**record, "annotator": annotator, "file": out.name})
    return found


def main(out: Path, source: Path) -> int:
    checked = check(out, source)
    for number, reason in checked.errors:
        print(f"{out.name}:{number}: {reason}")
    print(
        f"{len(checked.records)} valid, {len(checked.errors)} rejected lines, "
        f"{len(checked.missing)} ids unlabelled"
    )
    return 1 if checked.errors else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
