"""Every sentence of the ANT corpus with its offsets in the article body and the lexicon's candidates.

Sentences come from the same splitter the events stage uses (workers.entities.tokens), so a
sentence here is a sentence the runtime sees; candidates come from workers.events.candidates
with no LOC entities (only the "occupy" trigger's territory check would use them).

    .venv/bin/python -m workers.annotations.sentences ANT.jsonl OUT.jsonl
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from workers.entities.tokens import sentence_tokens
from workers.events.candidates import candidates

_YEAR = re.compile(r"\d{4}")  # ANT's time is 2017-01-20T21:43:00+01:00 or 17/05/2015


def article_sentences(index: int, article: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One record per sentence of the article body: id ant-<article index>-s<sentence index>."""
    body = article["text"]
    found = {s.start: s.events for s in candidates("text", body, "ar", [])}
    for number, tokens in enumerate(sentence_tokens(body)):
        start, end = tokens[0].start, tokens[-1].end
        yield {
            "id": f"ant-{index}-s{number}",
            "article": article["docno"],
            "url": article["url"],
            "category": article["category"],
            "year": _YEAR.search(article["time"]).group(),
            "title": article["title"],
            "start": start,
            "end": end,
            "text": body[start:end],
            "candidates": [
                {"type": e["plover"]["type"], "mode": e["plover"]["mode"], "trigger": e["trigger"]["text"]}
                for e in found.get(start, [])
            ],
        }


def main(source: Path, out: Path) -> None:
    with source.open("rb") as f, out.open("wb") as w:
        for index, line in enumerate(f):
            for record in article_sentences(index, orjson.loads(line)):
                w.write(orjson.dumps(record) + b"\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
