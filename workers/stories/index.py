"""The story index: which earlier article is this one a copy of, and which story does it join.

State is the articles kept (the last `capacity` to arrive: memory, not event time, bounds it);
everything else (LSH buckets, story centroids) is derived from them, so the stream keeps only the
articles in Kafka and rebuilds the rest after a restart. Time only gates comparisons: two articles
can be copies, or one story, only when their event times are within the window of each other
(default 72 h). No article's time moves anything for the others, so an archive replayed in any
order (several files, a backfill beside the live feed, undated articles at today's date) finds
the same copies as in date order.

Decisions, in order (thresholds fixed before `newsworker eval stories` scored them):
1. Near-duplicate: an LSH candidate of the same language whose shingle sets overlap enough that
   the smaller is mostly inside the larger (containment ≥ 0.6: a truncated copy, a copy with
   boilerplate, a lightly edited copy), and they share at least `MIN_SHARED` shingles (a sentence:
   short texts that open with one formula, "Everyone has the right to", are not copies).
   `duplicate_of` names the first article of the copies.
2. Same story: a story keeps one centroid per language (the mean USE vector of its articles'
   titles and leads in that language). Across languages both sides are centred on their
   language's mean in the window (centring.py). The article joins the story of the centroid that
   clears its threshold by most, among the ten closest to theirs: `SAME_LANGUAGE` for a centroid
   of the article's own language, `ACROSS_LANGUAGES` (centred) for another's, `WITH_SIGNATURE`
   when the story shares two signature items (linked entities, event types) with the article.
3. Else a new story, whose id is the article's id: a replayed article finds its own assignment.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import numpy as np
import orjson
import rensa

from workers.stories import specifics
from workers.stories.centring import Centring
from workers.stories.features import NUM_PERM, Features

BANDS = 32  # of 3 rows: an LSH candidate at Jaccard 0.3 with p=0.58, at 0.5 with p=0.99
CONTAINMENT = 0.6
MIN_SHARED = 10
# USE cosines. ACROSS_LANGUAGES (between vectors centred on their language's mean, centring.py): the
# threshold whose pooled precision and recall clear 0.90 and 0.70 by the widest margin (grid step
# 0.01) on UDHR paragraphs of de/es/ru, it/pl/tr and nl/pt/ja, never on the scored ar/en/fr. The
# other two pass as many pairs of ANT articles as the static vectors' thresholds fixed before (0.80
# alone, 0.60 with the signature): their behaviour within a language carried over, not tuned again.
SAME_LANGUAGE = 0.74
ACROSS_LANGUAGES = 0.55
WITH_SIGNATURE = 0.58
SHARED_SIGNATURE = 2
# (within, across languages): the cosines that suffice when the story shares a weekday, a date, a
# number or a linked place with the article (specifics.py), chosen on the real news dev events (news.py)
CORROBORATED = (0.61, 0.42)  # 0.13 below SAME_LANGUAGE and ACROSS_LANGUAGES
WINDOW_S = 72 * 3600
CAPACITY = 100_000  # articles kept: ~8 KB each in the process holding the index (README Stories)
ANSWER = "answered:"  # key prefix of the answers to articles the window does not hold (any more)
MAX_ANSWERS = 10_000


@dataclass
class Story:
    id: str
    first_seen: float
    signature: Counter = field(default_factory=Counter)
    specifics: Counter = field(default_factory=Counter)  # its articles' (specifics.py)
    articles: Counter = field(default_factory=Counter)  # language -> articles in the window


@dataclass(frozen=True)
class Assignment:
    story: str
    duplicate_of: str | None
    similarity: float | None
    first_seen: float

    def field(self) -> dict:
        return {
            "id": self.story,
            "duplicate_of": self.duplicate_of,
            "similarity": None if self.similarity is None else round(self.similarity, 4),
            "first_seen_at": datetime.fromtimestamp(self.first_seen, UTC)
            .isoformat(timespec="seconds")
            .replace("+00:00", "Z"),
        }


@dataclass
class _Entry:
    features: Features
    assignment: Assignment
    arrival: int


class StoryIndex:
    def __init__(
        self,
        window_s: float = WINDOW_S,
        capacity: int = CAPACITY,
        across_languages: float = ACROSS_LANGUAGES,
        corroborated: tuple[float, float] = CORROBORATED,
    ) -> None:
        self.window_s = window_s
        self.capacity = capacity
        # varied only by the evaluations that chose them
        self.across_languages = across_languages
        self.corroborated = corroborated
        self.entries: OrderedDict[str, _Entry] = OrderedDict()  # in order of arrival
        self.arrivals = 0  # articles ever added: each entry's arrival number, kept in Kafka
        self.answers: OrderedDict[str, Assignment] = OrderedDict()  # to articles not kept, oldest first
        self.stories: dict[str, Story] = {}
        self._lsh: dict[str, rensa.RMinHashLSH] = {}  # one per language, keyed by slot
        self._slots: dict[str, int] = {}  # article id -> LSH key
        self._ids: dict[int, str] = {}
        self._next_slot = 0
        # the sum of vectors of each story's articles in each language, one row each: a new article
        # meets every story of the window in one product (divided by the rows' norms: cosines to
        # the centroids)
        self._matrix = np.zeros((0, 0), np.float32)  # sized by the first vector
        self._norms = np.zeros(0, np.float32)
        self._row_key: list[tuple[str, str] | None] = []  # row -> (story id, language)
        self._row_count = np.zeros(0, np.float32)  # row -> its articles in the window
        self._row_language = np.zeros(0, np.int32)  # row -> its language's code (-1: a free row)
        # row -> the earliest and latest event time of its articles: the rows an article can join
        self._row_first = np.zeros(0, np.float64)
        self._row_last = np.zeros(0, np.float64)
        self._row_times: dict[int, Counter] = {}
        self._centring: Centring | None = None  # sized by the first vector
        self._restoring = False  # the means are refreshed once, after the whole window is in
        self._key_row: dict[tuple[str, str], int] = {}
        self._free_rows: list[int] = []

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, article_id: str) -> bool:
        """Whether the index keeps the article (one evicted is answered, not kept)."""
        return article_id in self.entries

    def assign(self, f: Features) -> tuple[Assignment, list[tuple[str, bytes | None]]]:
        """The article's assignment, and the changes to the window as kept in Kafka: (key, bytes),
        or (key, None) for a key to delete."""
        known = self.entries.get(f.article_id) or self.answers.get(f.article_id)
        if known is not None:  # a replay (at-least-once): the same answer
            return known if isinstance(known, Assignment) else known.assignment, []
        assignment = (
            self._near_duplicate(f) or self._same_story(f) or Assignment(f.article_id, None, None, f.time)
        )
        self.add(f, assignment)
        return assignment, [(f.article_id, self.entry(f.article_id)), *self.evict()]

    def _remember(self, article_id: str, assignment: Assignment) -> list[tuple[str, bytes | None]]:
        """Keep the answer given to an article the index no longer holds, a bounded number of them,
        for a replay, which comes soon after the first delivery."""
        self.answers[article_id] = assignment
        changes: list[tuple[str, bytes | None]] = [(ANSWER + article_id, orjson.dumps(assignment.__dict__))]
        while len(self.answers) > MAX_ANSWERS:
            changes.append((ANSWER + self.answers.popitem(last=False)[0], None))
        return changes

    def add(self, f: Features, assignment: Assignment, arrival: int | None = None) -> None:
        """Record an assignment (also how a restarted worker reloads the index from Kafka, with each
        entry's arrival number)."""
        f = replace(f, vector=f.vector.astype(np.float16))  # kept at half the memory; added and
        # subtracted in this one form, so a story's sum returns to zero exactly
        lsh = self._lsh.get(f.language)
        if lsh is None:  # rensa's LSH: 2.6 KB an article here, against datasketch's 10
            lsh = self._lsh[f.language] = rensa.RMinHashLSH(0.5, NUM_PERM, BANDS)
        slot = self._slots[f.article_id] = self._next_slot
        self._ids[slot] = f.article_id
        self._next_slot += 1
        lsh.insert(slot, f.minhash)
        self.arrivals = max(self.arrivals, arrival or 0) + 1
        self.entries[f.article_id] = _Entry(f, assignment, self.arrivals - 1 if arrival is None else arrival)
        story = self.stories.get(assignment.story)
        if story is None:
            story = self.stories[assignment.story] = Story(assignment.story, assignment.first_seen)
        key = (story.id, f.language)
        if key not in self._key_row:
            row = self._free_rows.pop() if self._free_rows else len(self._row_key)
            if row == len(self._row_key):
                self._row_key.append(None)
            if self._centring is None:
                self._centring = Centring(len(f.vector))
            if row >= len(self._matrix):
                grown = np.zeros((max(1024, 2 * len(self._matrix)), len(f.vector)), np.float32)
                grown[: len(self._matrix)] = self._matrix.reshape(-1, len(f.vector))
                self._matrix = grown
                self._norms = np.resize(self._norms, len(grown))
                self._row_count = np.resize(self._row_count, len(grown))
                self._row_language = np.resize(self._row_language, len(grown))
                self._row_first = np.resize(self._row_first, len(grown))
                self._row_last = np.resize(self._row_last, len(grown))
                self._centring.grow(len(grown))
            self._row_key[row] = key
            self._key_row[key] = row
            self._row_language[row] = self._centring.code(f.language)
            self._row_times[row] = Counter()
        self._row_times[self._key_row[key]][f.time] += 1
        self._span(self._key_row[key])
        story.articles[f.language] += 1
        story.signature.update(f.signature)
        story.specifics.update(f.specifics)
        self._move(self._key_row[key], f.vector.astype(np.float32), 1)
        if not self._restoring:
            self._centring.added(*self._rows(), len(self.entries))

    def entry(self, article_id: str) -> bytes:
        """An article's features and assignment as kept in Kafka (the stream's story table)."""
        e = self.entries[article_id]
        a = e.assignment
        return e.features.to_bytes(
            story=a.story,
            duplicate_of=a.duplicate_of,
            similarity=a.similarity,
            first_seen=a.first_seen,
            arrival=e.arrival,
        )

    @classmethod
    def restore(
        cls, kept: Iterable[tuple[str, bytes]], window_s: float = WINDOW_S, capacity: int = CAPACITY
    ) -> StoryIndex:
        """The index kept in Kafka (the keys and values of `assign`'s changes), after a restart or a
        rebalance."""
        index = cls(window_s, capacity)
        index._restoring = True
        rows = []
        for key, data in kept:
            if key.startswith(ANSWER):
                index.answers[key[len(ANSWER) :]] = Assignment(**orjson.loads(data))
            else:
                rows.append(Features.from_bytes(data))
        # in order of arrival (rows of a release before the arrival numbers: of event time, first)
        for f, extra in sorted(rows, key=lambda row: (row[1].get("arrival", -1), row[0].time)):
            arrival = extra.pop("arrival", None)
            index.add(f, Assignment(**extra), arrival)
        index.evict()
        index._restoring = False
        if index._centring is not None:
            index._centring.refresh(*index._rows())
        return index

    def evict(self) -> list[tuple[str, bytes | None]]:
        """Drop the earliest arrivals beyond the capacity (whatever their event times: an undated
        article, at today's date, pushes no dated one out early); the changes to Kafka's table:
        each leaves as an entry and stays as an answer."""
        changes: list[tuple[str, bytes | None]] = []
        while len(self.entries) > self.capacity:
            article_id, entry = self.entries.popitem(last=False)
            changes += [(article_id, None), *self._remember(article_id, entry.assignment)]
            f = entry.features
            slot = self._slots.pop(article_id)
            del self._ids[slot]
            self._lsh[f.language].remove(slot)
            story = self.stories[entry.assignment.story]
            story.articles[f.language] -= 1
            story.signature.subtract(f.signature)
            story.signature = +story.signature  # drop the zero counts
            story.specifics.subtract(f.specifics)
            story.specifics = +story.specifics
            key = (story.id, f.language)
            row = self._key_row[key]
            self._row_times[row][f.time] -= 1
            if story.articles[f.language] == 0:
                del story.articles[f.language], self._key_row[key], self._row_times[row]
                self._row_key[row] = None
                self._matrix[row] = self._norms[row] = self._row_count[row] = 0.0
                self._row_language[row] = -1
                self._centring.freed(row)
                self._free_rows.append(row)
            else:
                self._move(row, -f.vector.astype(np.float32), -1)
                self._span(row)
            if not story.articles:
                del self.stories[story.id]
        return changes

    def _rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The rows in use: their sums of vectors, articles and language codes (-1: a free row)."""
        n = len(self._row_key)
        return self._matrix[:n], self._row_count[:n], self._row_language[:n]

    def _span(self, row: int) -> None:
        times = self._row_times[row] = +self._row_times[row]  # without the zero counts
        self._row_first[row], self._row_last[row] = min(times), max(times)

    def _move(self, row: int, vector: np.ndarray, count: int) -> None:
        self._matrix[row] += vector
        self._norms[row] = np.linalg.norm(self._matrix[row])
        self._row_count[row] += count
        self._centring.moved(row, vector)

    def _near_duplicate(self, f: Features) -> Assignment | None:
        lsh = self._lsh.get(f.language)
        if lsh is None or f.shingles == 0:
            return None
        best, best_score = None, 0.0
        for slot in lsh.query(f.minhash):
            other = self.entries[self._ids[slot]]
            if abs(other.features.time - f.time) > self.window_s:
                continue
            jaccard = f.minhash.jaccard(other.features.minhash)
            # |A ∩ B| from the Jaccard estimate and the set sizes, over the smaller set
            both = jaccard * (f.shingles + other.features.shingles) / (1 + jaccard)
            score = both / max(1, min(f.shingles, other.features.shingles))
            if score > best_score and both >= MIN_SHARED:
                best, best_score = other, score
        if best is None or best_score < CONTAINMENT:
            return None
        first = best.assignment.duplicate_of or best.features.article_id
        return Assignment(best.assignment.story, first, min(1.0, best_score), best.assignment.first_seen)

    def _same_story(self, f: Features) -> Assignment | None:
        if not self.stories or not f.vector.any():
            return None
        cosines, own = self._cosines(f)
        # the ten rows closest to their most lenient threshold (corroborated, or with a shared
        # signature), among the rows with an article within the window of this one
        n = len(cosines)
        near = (self._row_first[:n] - self.window_s <= f.time) & (
            f.time <= self._row_last[:n] + self.window_s
        )
        within, across = self.corroborated
        lenient = cosines - np.where(own, min(WITH_SIGNATURE, within), min(self.across_languages, across))
        lenient = np.where(near, lenient, -np.inf)
        best: tuple[float, Story, float] | None = None  # (margin, story, cosine)
        for row in np.argsort(-lenient)[:10]:
            cosine, key = float(cosines[row]), self._row_key[row]
            if key is None or lenient[row] < 0:
                break
            story = self.stories[key[0]]
            if specifics.conflict(f.specifics, story.specifics):  # another date: another event
                continue
            own_language = key[1] == f.language
            threshold = SAME_LANGUAGE if own_language else self.across_languages
            if sum(1 for item in f.signature if story.signature.get(item, 0) > 0) >= SHARED_SIGNATURE:
                threshold = min(threshold, WITH_SIGNATURE)
            if any(item in story.specifics for item in f.specifics if item.startswith(specifics.CORROBORATE)):
                threshold = min(threshold, within if own_language else across)
            if cosine >= threshold and (best is None or cosine - threshold > best[0]):
                best = (cosine - threshold, story, cosine)
        if best is None:
            return None
        return Assignment(best[1].id, None, best[2], best[1].first_seen)

    def _cosines(self, f: Features) -> tuple[np.ndarray, np.ndarray]:
        """The article's cosine to each row's centroid, and which rows are of its language: as
        they are within its language; across languages, centred (centring.py)."""
        rows, counts, codes = self._rows()
        norms = self._norms[: len(rows)]
        vector = f.vector.astype(np.float32)
        products = rows @ vector
        own = codes == self._centring.codes.get(f.language, -2)
        cosines = products / np.where(norms > 0, norms, 1.0)
        across = self._centring.cosines(products, norms, counts, codes, vector, f.language)
        return np.where(own, cosines, across), own


def with_story(value: bytes, assignment: Assignment) -> bytes:
    """The serialised enriched record with its `story` field after `events`, where the enrichment's
    fields come first (pipeline.py), without re-serialising the record. The top-level `pipeline`
    key is the first `,"pipeline":` of the bytes: inside a JSON string a quote is escaped, and no
    object before it (entities, events) has such a key."""
    at = value.index(b',"pipeline":')
    return value[:at] + b',"story":' + orjson.dumps(assignment.field()) + value[at:]
