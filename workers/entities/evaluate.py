"""English NER on open test sets (`newsworker eval ner --language en`): the entities stage as the
pipeline runs it (spaCy's small English pipeline, then the gazetteer) against people, places and
organisations annotated by hand. Nothing here was tuned on these sets: the model is Explosion's,
trained on OntoNotes; the label mapping (spacy_ner.LABELS) was fixed before they were read.

- UNER English-PUD (the main number): 1,000 news and Wikipedia sentences, PER/LOC/ORG;
- UNER English-EWT test: 2,077 web sentences (reviews, e-mail, forums), PER/LOC/ORG;
- Wikigold: 1,696 Wikipedia sentences; its MISC is left out on both sides.

Scores are exact character spans, micro over PER, LOC and ORG; MISC predictions are not counted.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from workers.entities.stage import EntityStage
from workers.entities.train import spans
from workers.scoring import precision_recall_f1

TYPES = ("PER", "LOC", "ORG")
SETS = {
    "UNER English-PUD (news, Wikipedia)": "english-ner/uner-pud/en_pud-ud-test.iob2",
    "UNER English-EWT test (web)": "english-ner/uner-ewt/en_ewt-ud-test.iob2",
    "Wikigold (Wikipedia)": "english-ner/wikigold/wikigold.conll.txt",
}

Span = tuple[int, int, str]  # characters [start, end) and type


@dataclass(frozen=True)
class Sentence:
    text: str
    gold: set[Span]


def read(path: Path) -> list[Sentence]:
    """UNER's iob2 files (`# text =` then id, token, tag columns) or CoNLL "token tag" lines (a
    text is rebuilt with single spaces)."""
    return list(_sentences(path.read_text(encoding="utf-8")))


def _sentences(content: str) -> Iterator[Sentence]:
    for block in content.split("\n\n"):
        lines = [line for line in block.splitlines() if line.strip() and not line.startswith("-DOCSTART-")]
        text = next((line[len("# text = ") :] for line in lines if line.startswith("# text = ")), None)
        rows = [line.split("\t") if "\t" in line else line.split(" ") for line in lines if line[0] != "#"]
        if not rows:
            continue
        columns = [(r[1], r[2]) if len(r) > 2 else (r[0], r[-1]) for r in rows]  # iob2 or CoNLL
        words, tags = [w for w, _ in columns], [t for _, t in columns]
        text = text if text is not None else " ".join(words)
        offsets, at = [], 0
        for word in words:  # tokens in order in the text
            start = text.find(word, at)
            if start < 0:
                break
            offsets.append((start, start + len(word)))
            at = start + len(word)
        if len(offsets) < len(words):
            continue  # a token the text does not hold verbatim (none in these sets)
        gold = {
            (offsets[first][0], offsets[last - 1][1], kind)
            for first, last, kind in spans(tags)
            if kind in TYPES
        }
        yield Sentence(text, gold)


def score(sentences: list[Sentence], stage: EntityStage, language: str = "en") -> tuple[list[str], float]:
    """Per-type and micro precision, recall and F1 of the stage's entities, and sentences/s."""
    counts = {t: [0, 0, 0] for t in TYPES}  # true positives, false positives, gold
    started = time.perf_counter()
    for sentence in sentences:
        record = {"title": "", "text": sentence.text, "language": {"code": language}}
        stage(record)
        guess = {(e["start"], e["end"], e["type"]) for e in record["entities"] if e["type"] in TYPES}
        for t in TYPES:
            gold = {s for s in sentence.gold if s[2] == t}
            found = {s for s in guess if s[2] == t}
            counts[t][0] += len(gold & found)
            counts[t][1] += len(found - gold)
            counts[t][2] += len(gold)
    speed = len(sentences) / (time.perf_counter() - started)
    micro = precision_recall_f1(*(sum(c[i] for c in counts.values()) for i in range(3)))
    cells = [f"{t} F1 {precision_recall_f1(*c)[2]:.3f}" for t, c in counts.items()]
    line = f"P {micro[0]:.3f} R {micro[1]:.3f} F1 {micro[2]:.3f} ({', '.join(cells)})"
    return [line], speed


def report(data: Path, backend: str = "crf") -> list[str]:
    """One line per test set, with the speed of the stage on it (one thread)."""
    stage = EntityStage(backend)
    stage({"title": "", "text": "Warm-up.", "language": {"code": "en"}})  # load outside the clock
    out = [f"entities: {stage.backend}; exact spans, PER/LOC/ORG, held out (never tuned on)"]
    for name, path in SETS.items():
        sentences = read(data / path)
        lines, speed = score(sentences, stage)
        out.append(f"{name}, {len(sentences)} sentences: {lines[0]}; {speed:,.0f} sentences/s")
    return out
