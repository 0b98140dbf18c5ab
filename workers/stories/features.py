"""What the story index needs from one enriched record, computed in the pure core (the worker's
enrichment processes) so that the one place holding story state does only look-ups.

- `time`: event time, for the window: `published_at`, else (and at most) the enrichment time.
- `minhash`: MinHash (rensa, Rust: 0.04 ms an article against datasketch's 0.3) of the article's
  word 3-shingles after normalisation: Arabic letters unified and diacritics dropped, case folded,
  every digit read as 0 (an update that changes a casualty count is still a copy).
- `vector`: the multilingual USE vector (workers/encoders/use.py, 1-2 ms) of the title and lead:
  the one vector here that places a translation closer than the same language's other texts.
- `signature`: the language-independent part: linked entity ids and PLOVER event types.
- `specifics`: which event the lead reports (specifics.py): the dates it names, its numbers and
  its linked places.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import orjson
import rensa

from workers.encoders import static, use
from workers.encoders.use import DIMENSIONS
from workers.entities.arabic import normalize
from workers.stories import specifics

NUM_PERM = 96
SEED = 20261201  # fixed: digests are stored in Kafka and compared across processes and restarts
SHINGLE = 3
SHINGLE_CHARS = 20_000  # copies are told apart by their first ~3,500 words
LEAD_CHARS = 400  # the lead: the text's first sentence, at most this long
_WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")
_SENTENCE_END = re.compile(r"(?<=[.!?؟])\s")
VECTORS = "use-m3"  # written with each row kept in Kafka: rows of another vector are not compared


@dataclass(frozen=True)
class Features:
    article_id: str
    language: str
    time: float  # event time, seconds since the epoch: published_at, else when it was enriched
    minhash: rensa.RMinHash
    shingles: int  # how many distinct shingles: Jaccard -> containment
    vector: np.ndarray  # (512,) unit vector, int8-rounded (the form kept in Kafka); zeros: none
    signature: frozenset[str]
    specifics: frozenset[str] = frozenset()  # none in rows kept before they were

    def to_bytes(self, **extra: object) -> bytes:
        """A JSON head (with `extra` fields), NUL, the int8 vector, then the MinHash in rensa's own
        (pickling) form: ~0.9 KB. A NUL cannot occur in orjson's output: the first ends the head."""
        head = {
            "id": self.article_id,
            "language": self.language,
            "time": self.time,
            "shingles": self.shingles,
            "signature": sorted(self.signature),
            "specifics": sorted(self.specifics),
            "vectors": VECTORS,
            **extra,
        }
        peak = float(np.abs(self.vector).max()) or 1.0  # the vector is renormalised on reading
        vector = np.round(self.vector * (127 / peak)).astype(np.int8)
        return orjson.dumps(head) + b"\0" + vector.tobytes() + self.minhash.__getstate__()

    @classmethod
    def from_bytes(cls, data: bytes) -> tuple[Features, dict]:
        """The features and the extra fields of `to_bytes`."""
        cut = data.index(b"\0")
        head = orjson.loads(data[:cut])
        body = data[cut + 1 :]
        if head.pop("vectors", None) == VECTORS:
            vector = _unit(np.frombuffer(body, np.int8, DIMENSIONS).astype(np.float32))
            body = body[DIMENSIONS:]
        else:  # kept before the stories used USE (the static vector's 256 bytes): its copies are
            # still found, by the MinHash, but its vector is not comparable with today's
            vector, body = np.zeros(DIMENSIONS, np.float32), body[static.DIMENSIONS :]
        minhash = rensa.RMinHash(NUM_PERM, SEED)
        minhash.__setstate__(body)
        f = cls(
            head.pop("id"),
            head.pop("language"),
            head.pop("time"),
            minhash,
            head.pop("shingles"),
            vector,
            frozenset(head.pop("signature")),
            frozenset(head.pop("specifics", ())),
        )
        return f, head


def words(text: str) -> list[str]:
    return [_DIGIT.sub("0", normalize(word)) for word in _WORD.findall(text)]


def shingles(text: str) -> set[str]:
    tokens = words(text)
    if len(tokens) < SHINGLE:
        return {" ".join(tokens)} if tokens else set()
    return {" ".join(tokens[i : i + SHINGLE]) for i in range(len(tokens) - SHINGLE + 1)}


def minhash(items: set[str]) -> rensa.RMinHash:
    found = rensa.RMinHash(num_perm=NUM_PERM, seed=SEED)
    found.update(sorted(items))
    return found


def lead(record: dict[str, Any]) -> str:
    text = record.get("text") or ""
    first = _SENTENCE_END.split(text[: LEAD_CHARS * 2], maxsplit=1)[0][:LEAD_CHARS]
    return f"{record.get('title') or ''}\n{first}".strip()


def event_time(record: dict[str, Any]) -> float:
    """`published_at`, but never later than the enrichment: a date in the future (a wrong year or
    time zone) would move the window past every article."""
    enriched = _seconds(record["pipeline"]["enriched_at"])
    published = record.get("published_at")
    return min(_seconds(published), enriched) if published else enriched


def _seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def features(record: dict[str, Any]) -> Features:
    language = record["language"]["code"]
    items = shingles(f"{record.get('title') or ''}\n{(record.get('text') or '')[:SHINGLE_CHARS]}")
    signature = {f"{e['link']['kb']}:{e['link']['id']}" for e in record["entities"] if e.get("link")}
    signature |= {f"event:{e['plover']['type']}" for e in record["events"]}
    title_and_lead = lead(record)
    return Features(
        record["id"],
        language,
        event_time(record),
        minhash(items),
        len(items),
        use.pretrained().encode([title_and_lead])[0],
        frozenset(signature),
        specifics.of_record(record, title_and_lead),
    )


def _unit(v: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(v))
    return v / norm if norm else v
