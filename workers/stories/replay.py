"""`newsworker eval stories --part replay`: an archive replayed as a user would, in several orders.

600 ANT articles (issue 31): 200 originals, 200 other articles, and 200 lightly edited copies of
the originals that keep their original's `published_at`: each copy has one edit in turn (a
sentence dropped, numbers changed, a site's header and footer, the tail cut), or, harder, all
four. About 40% of originals and others carry a `published_at` (ANT's own date, 2013-2017), the
rest none: their event time is the enrichment time, as in the stream. Replayed in date order (the
undated after), in shuffled orders, and with every `published_at` removed. Pairs: a copy is found
when it and its original share `duplicate_of`'s first article (either may arrive first);
precision over every pair the index calls copies. Nothing here is tuned: the index's thresholds
were fixed before (evaluate.py).
"""

from __future__ import annotations

import itertools
import json
import random
import re
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from workers.encoders.distill import held_out
from workers.pipeline import default_pipeline
from workers.stories.evaluate import BOILERPLATE, Scores
from workers.stories.features import Features, features
from workers.stories.index import StoryIndex

_NUMBER = re.compile(r"\d+")
_SENTENCE = re.compile(r"(?<=[.!?؟])\s+")
DATED = 0.4


EDITS = ("a sentence dropped", "numbers changed", "a header and a footer", "the tail cut")


def edited(text: str, kinds: tuple[int, ...], rng: random.Random) -> str:
    """A light edit as sites make it: `kinds` of EDITS."""
    if 0 in kinds:
        sentences = _SENTENCE.split(text)
        if len(sentences) > 2:
            del sentences[rng.randrange(1, len(sentences))]
        text = " ".join(sentences)
    if 1 in kinds:
        text = _NUMBER.sub(lambda m: str(int(m.group()) + rng.randint(1, 9)), text)
    if 3 in kinds:
        words = text.split()
        text = " ".join(words[: max(40, int(len(words) * rng.uniform(0.7, 0.95)))])
    return f"{BOILERPLATE[0]}\n{text}\n{BOILERPLATE[1]}" if 2 in kinds else text


def _date(stamp: str) -> float:
    if "T" in stamp:
        return datetime.fromisoformat(stamp).timestamp()
    return datetime.strptime(stamp, "%d/%m/%Y").replace(hour=12, tzinfo=UTC).timestamp()


def archive(
    data: Path, all_edits: bool = False, each: int = 200, seed: int = 31
) -> tuple[list[dict], dict[str, float | None]]:
    """(articles in file order: originals, others, copies; id -> published_at or None). A copy's id
    is its original's with `~copy`; each has one of EDITS in turn, or all four."""
    rng = random.Random(seed)
    rows = [json.loads(line) for line in (data / "ant-corpus" / "ant_v1.1.jsonl").open(encoding="utf-8")]
    starts: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        starts[" ".join(re.findall(r"\w+", r["text"])[:40])].append(r)
    single = [g[0] for g in starts.values() if len(g) == 1]  # none a repeat of another
    pool = [r for r in single if held_out(r["docno"]) and len(r["text"].split()) >= 80]
    chosen = rng.sample(pool, 2 * each)
    articles = [{"id": r["docno"], "title": r["title"], "text": r["text"]} for r in chosen]
    dates = {r["docno"]: _date(r["time"]) if rng.random() < DATED else None for r in chosen}
    for i, r in enumerate(chosen[:each]):
        kinds = tuple(range(len(EDITS))) if all_edits else (i % len(EDITS),)
        articles.append(
            {"id": f"{r['docno']}~copy", "title": r["title"], "text": edited(r["text"], kinds, rng)}
        )
        dates[f"{r['docno']}~copy"] = dates[r["docno"]]
    return articles, dates


def _copies(order: list[Features]) -> set[frozenset[str]]:
    """The pairs of articles the index calls copies (same first article), arriving in `order`."""
    index = StoryIndex()
    groups: dict[str, list[str]] = defaultdict(list)
    for f in order:
        assignment = index.assign(f)[0]
        groups[assignment.duplicate_of or f.article_id].append(f.article_id)
    return {frozenset(p) for g in groups.values() for p in itertools.combinations(g, 2)}


def report(data: Path) -> list[str]:
    return replayed(data) + replayed(data, all_edits=True)


def replayed(data: Path, all_edits: bool = False) -> list[str]:
    articles, dates = archive(data, all_edits)
    pipeline = default_pipeline()
    base = [features(pipeline.enrich(a).record) for a in articles]  # undated: the enrichment time
    truth = {frozenset((a["id"].split("~")[0], a["id"])) for a in articles if "~" in a["id"]}
    dated = [replace(f, time=dates[f.article_id] or f.time) for f in base]
    later = sorted(dated, key=lambda f: (dates[f.article_id] is None, dates[f.article_id] or 0))
    orders = {"date order (undated last)": later, "file order": dated}
    orders |= {f"shuffled {s}": random.Random(s).sample(dated, len(dated)) for s in range(3)}
    orders |= {"undated, file order": base, "undated, shuffled": random.Random(9).sample(base, len(base))}
    share = sum(d is not None for d in dates.values()) / len(dates)
    edits = "all four edits" if all_edits else "one edit each"
    lines = [
        f"archive replay (ANT, {len(articles)} articles, {len(truth)} copies ({edits}), {share:.0%} dated):"
    ]
    for name, order in orders.items():
        found = _copies(order)
        lines.append(f"  {name}: {Scores.of(len(found & truth), len(found), len(truth)).line()}")
    return lines
