"""`newsworker eval stories`: near-duplicates on ANT, stories across languages on the UDHR.

Near-duplicates. Originals are ANT articles held out from the static table's fitting (one in ten
by id). Positives: the corpus's own repeats (articles whose first 40 normalised words are
another's), and one variant of each original, in turn: edited (8% of words replaced, 4% dropped),
truncated (60-90% kept), boilerplate added (a site's header and footer), numbers changed. Hard
negatives: for each original, the article of the same site and section whose title-and-lead
vector is closest, when their shingles barely overlap (containment < 0.3): same topic, another
event. Originals enter the index first, then the rest in a shuffled order; a positive is right
when `duplicate_of` names its original, a negative when it names nothing.

Across languages. UDHR paragraphs of the articles with as many paragraphs in Arabic, English and
French enter as articles (title empty); a pair of paragraphs shares a story in truth when they
are translations of each other. Precision and recall over pairs.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from workers.encoders.distill import held_out
from workers.encoders.evaluate import udhr_articles
from workers.local_run import rss
from workers.pipeline import default_pipeline
from workers.scoring import precision_recall_f1
from workers.stories.features import Features, features, minhash, shingles
from workers.stories.index import Assignment, StoryIndex

BOILERPLATE = (
    "تابعونا على صفحتنا الرسمية على فيسبوك وتويتر لمتابعة آخر الأخبار لحظة بلحظة",
    "جميع الحقوق محفوظة. يمنع نقل أو نسخ هذا المحتوى دون ذكر المصدر. اشترك في نشرتنا الإخبارية",
)
_NUMBER = re.compile(r"\d+")
START = datetime(2026, 1, 1, tzinfo=UTC)
SAMPLE = Path(__file__).resolve().parents[2] / "seeds" / "ant-sample.jsonl"


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float

    @classmethod
    def of(cls, right: int, claimed: int, positives: int) -> Scores:
        return cls(*precision_recall_f1(right, claimed - right, positives))

    def line(self) -> str:
        return f"F1 {self.f1:.3f} (precision {self.precision:.3f}, recall {self.recall:.3f})"


def variant(text: str, kind: int, rng: random.Random) -> str:
    words = text.split()
    if kind == 0:  # edited
        vocabulary = sorted(set(words))
        edited = [rng.choice(vocabulary) if rng.random() < 0.08 else w for w in words]
        return " ".join(w for w in edited if rng.random() >= 0.04)
    if kind == 1:  # truncated
        return " ".join(words[: max(5, int(len(words) * rng.uniform(0.6, 0.9)))])
    if kind == 2:  # boilerplate
        return f"{BOILERPLATE[0]}\n{text}\n{BOILERPLATE[1]}"
    return _NUMBER.sub(lambda m: str(int(m.group()) + rng.randint(1, 40)), text)  # numbers changed


def containment(a: str, b: str) -> float:
    x, y = shingles(a), shingles(b)
    return len(x & y) / max(1, min(len(x), len(y)))


def _article(row: dict, variant_of: int | None = None, text: str | None = None) -> dict:
    """A raw article of an ANT row; a variant gets its own id."""
    name = row["docno"] if variant_of is None else f"{row['docno']}~{variant_of}"
    return {"id": name, "title": row["title"], "text": text or row["text"]}


def near_duplicate_set(data: Path, originals: int = 400, seed: int = 7):
    """(originals, queries): articles as raw dicts; a query's gold is its original's id or None."""
    rng = random.Random(seed)
    rows = [json.loads(line) for line in (data / "ant-corpus" / "ant_v1.1.jsonl").open(encoding="utf-8")]
    rows = [r for r in rows if len(r["text"].split()) >= 60]
    by_start: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_start[" ".join(re.findall(r"\w+", r["text"])[:40])].append(r)
    repeats = [group for group in by_start.values() if len(group) > 1]
    first_of_repeats = {group[0]["docno"] for group in repeats}
    chosen = [r for r in rows if held_out(r["docno"]) and r["docno"] not in first_of_repeats]
    chosen = rng.sample(chosen, originals)
    base = [_article(r) for r in chosen] + [_article(g[0]) for g in repeats]
    queries: list[tuple[dict, str | None]] = []
    for i, r in enumerate(chosen):
        queries.append((_article(r, i, variant(r["text"], i % 4, rng)), r["docno"]))
    for group in repeats:
        queries += [(_article(r), group[0]["docno"]) for r in group[1:]]
    # hard negatives: same site and section, close in vector, few shared shingles
    from workers.encoders import static

    pool = [r for r in rows if r["docno"] not in {a["id"] for a in base} and not held_out(r["docno"])]
    pool_vectors = static.pretrained().encode([f"{r['title']}\n{r['text'][:400]}" for r in pool])
    for r in chosen:
        section = r["docno"].rsplit("-", 2)[0]
        v = static.pretrained().encode([f"{r['title']}\n{r['text'][:400]}"])[0]
        for j in np.argsort(-(pool_vectors @ v)):
            other = pool[j]
            if other["docno"].rsplit("-", 2)[0] == section and containment(r["text"], other["text"]) < 0.3:
                queries.append((_article(other), None))
                break
    rng.shuffle(queries)
    return base, queries


def _enriched(articles: list[dict]) -> list[dict]:
    pipeline = default_pipeline()
    out = []
    for i, a in enumerate(articles):
        stamp = (START + timedelta(seconds=i)).isoformat().replace("+00:00", "Z")
        out.append(pipeline.enrich({**a, "published_at": stamp}).record)
    return out


def near_duplicates(data: Path) -> tuple[Scores, int, int]:
    base, queries = near_duplicate_set(data)
    index = StoryIndex()
    records = _enriched(base + [q for q, _ in queries])
    for record in records[: len(base)]:
        index.assign(features(record))
    right = claimed = 0
    for record, (_, gold) in zip(records[len(base) :], queries, strict=True):
        found = index.assign(features(record))[0].duplicate_of
        claimed += found is not None
        right += found is not None and found == gold
    positives = sum(gold is not None for _, gold in queries)
    return Scores.of(right, claimed, positives), positives, len(queries) - positives


def across_languages(data: Path, languages: tuple[str, ...] = ("arb", "eng", "fra")) -> tuple[Scores, str]:
    """The index's pairs, and what the vectors alone could give: precision and recall of "cosine
    at least t" over the pairs of paragraphs in different languages."""
    codes = {"arb": "ar", "eng": "en", "fra": "fr"}
    articles = udhr_articles(data)
    paragraphs: list[tuple[int, str, str]] = []  # (paragraph number, language, text)
    number = 0
    for parts in zip(*(articles[code] for code in languages), strict=False):
        if len({len(p) for p in parts}) != 1:
            continue
        for texts in zip(*parts, strict=True):
            paragraphs += [(number, codes[code], text) for code, text in zip(languages, texts, strict=True)]
            number += 1
    raw = [{"id": f"udhr-{lang}-{n}", "title": "", "text": text} for n, lang, text in paragraphs]
    index = StoryIndex()
    story, vectors = {}, []
    for record in _enriched(raw):
        f = features(record)
        story[record["id"]] = index.assign(f)[0].story
        vectors.append(f.vector)
    ids = [r["id"] for r in raw]
    same_truth = {
        (a, b) for a, b in itertools.combinations(ids, 2) if a.rsplit("-", 1)[1] == b.rsplit("-", 1)[1]
    }
    same_found = {(a, b) for a, b in itertools.combinations(ids, 2) if story[a] == story[b]}
    both = len(same_truth & same_found)
    cosines = np.stack(vectors) @ np.stack(vectors).T
    crossing = [
        (i, j) for i, j in itertools.combinations(range(len(ids)), 2) if paragraphs[i][1] != paragraphs[j][1]
    ]
    truth = np.array([paragraphs[i][0] == paragraphs[j][0] for i, j in crossing])
    found = np.array([cosines[i, j] for i, j in crossing])
    curve = []
    for t in (0.5, 0.6, 0.7, 0.8):
        claimed = found >= t
        at = Scores.of(int((claimed & truth).sum()), int(claimed.sum()), int(truth.sum()))
        curve.append(f"{t}: P {at.precision:.2f} R {at.recall:.2f}")
    return Scores.of(both, len(same_found), len(same_truth)), "; ".join(curve)


def cost(articles: Path = SAMPLE) -> str:
    """What stories add to an article: its features (in the core) and its assignment (in the one
    place holding the index), against the rest of the core."""
    from workers.processing import Limits, process
    from workers.records import read_inputs

    limits = Limits()
    outcomes = [process(item.payload, item.source, limits) for item in read_inputs(articles)]
    outcomes = [o for o in outcomes if not o.dead]
    core = sum(sum(o.stage_seconds.values()) - o.stage_seconds["stories"] for o in outcomes)
    made = sum(o.stage_seconds["stories"] for o in outcomes)
    index = StoryIndex()
    started = time.perf_counter()
    for o in outcomes:
        index.assign(Features.from_bytes(o.story_features)[0])
    assigned = time.perf_counter() - started
    n = len(outcomes)
    return (
        f"cost per article: features {1000 * made / n:.2f} ms + assignment {1000 * assigned / n:.2f} ms,"
        f" {100 * (made + assigned) / core:.1f}% of the rest of the core ({1000 * core / n:.2f} ms)"
    )


def memory(articles: int = 100_000, seed: int = 3) -> str:
    """The index's memory for `articles` in the window (synthetic features: MinHash of random
    shingles, random unit vectors, four signature items), and their bytes in Kafka's table."""
    rng = np.random.default_rng(seed)
    index = StoryIndex()
    before = rss()
    kept = 0
    for i in range(articles):
        vector = rng.standard_normal(256).astype(np.float32)
        f = Features(
            f"article-{i}",
            "ar",
            START.timestamp() + i,
            minhash({f"{i}-{j}" for j in range(300)}),
            300,
            vector / np.linalg.norm(vector),
            frozenset(f"wd:Q{rng.integers(0, 5000)}" for _ in range(4)),
        )
        index.add(f, Assignment(f.article_id, None, None, f.time))  # each its own story: the worst case
        kept += len(index.entry(f.article_id))
    grown = (rss() - before) / 2**20
    return (
        f"memory for {articles:,} articles (and stories) in the window: index +{grown:,.0f} MB in the"
        f" process holding it; Kafka table {kept / 2**20:,.0f} MB ({kept / articles:,.0f} bytes an article)"
    )


def report(data: Path) -> list[str]:
    near, positives, negatives = near_duplicates(data)
    lines = [f"near-duplicates (ANT, {positives} copies, {negatives} hard negatives): {near.line()}"]
    pairs, curve = across_languages(data)
    lines.append(f"same story across languages (UDHR ar/en/fr paragraphs, pairs): {pairs.line()}")
    lines.append(f"the static vectors alone, pairs across languages at cosine >= t: {curve}")
    return [*lines, cost(), memory()]
