"""What the page shows, kept in memory: the last version of each article, as the export's rows.

Every change (an article added, replaced by a later record of its id, or dropped past the cap) takes
the next sequence number, so the page asks only for what changed since the number it holds.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache
from typing import Any

import pycountry

from workers.export.columns import Row, article_row, event_rows

# The columns the page reads (the export's names: the same fields of the record contract).
ARTICLE_FIELDS = (
    "article_id",
    "story_id",
    "duplicate_of",
    "published_at",
    "enriched_at",
    "language",
    "script",
    "title",
)
EVENT_FIELDS = (
    "event_index",
    "plover_type",
    "plover_mode",
    "acled_sub_event_type",
    "confidence",
    "trigger",
    "source_actor",
    "source_actor_name",
    "target_actor",
    "target_actor_name",
    "place",
    "place_name",
    "country",
    "latitude",
    "longitude",
    "fatalities",
)


@dataclass
class Entry:
    seq: int
    summary: dict[str, Any]
    sentences: list[list[dict[str, str]]]  # per event: the sentence as marked segments


class Store:
    """At most `max_articles` articles, the least recently changed dropped first."""

    def __init__(self, max_articles: int) -> None:
        self.max_articles = max_articles
        self.seq = 0
        self.floor = 0  # a page that holds an older number than this reloads everything
        self.rejected = 0
        self.live: OrderedDict[str, Entry] = OrderedDict()  # in the order of their changes
        self.dropped: OrderedDict[str, int] = OrderedDict()  # id -> the change that dropped it
        self.lock = threading.Lock()

    def put(self, record: dict[str, Any]) -> None:
        summary = _summary(article_row(record), event_rows(record))
        sentences = [marked_sentence(record, event) for event in record["events"]]
        with self.lock:
            self.seq += 1
            self.live.pop(record["id"], None)
            self.dropped.pop(record["id"], None)
            self.live[record["id"]] = Entry(self.seq, summary, sentences)
            if len(self.live) > self.max_articles:
                self.seq += 1
                self.dropped[self.live.popitem(last=False)[0]] = self.seq
            if len(self.dropped) > self.max_articles:  # the page that missed these reloads instead
                self.floor = self.dropped.popitem(last=False)[1]

    def changes(self, since: int) -> dict[str, Any]:
        """Articles added or replaced after change `since` and the ids dropped after it; everything,
        with `reset`, for a page too far behind (or new: since 0)."""
        with self.lock:
            reset = since < self.floor or since == 0
            return {
                "seq": self.seq,
                "reset": reset,
                "articles": [e.summary for e in _after(self.live, 0 if reset else since, lambda e: e.seq)],
                "removed": [] if reset else list(_after(self.dropped, since, lambda seq: seq, keys=True)),
                "rejected": self.rejected,
            }

    def sentence(self, article_id: str, index: int) -> dict[str, Any] | None:
        with self.lock:
            entry = self.live.get(article_id)
            if entry is None or not 0 <= index < len(entry.sentences):
                return None
            return {
                "article": {k: v for k, v in entry.summary.items() if k != "events"},
                "event": entry.summary["events"][index],
                "sentence": entry.sentences[index],
            }


def _after(items: OrderedDict, since: int, seq_of, keys: bool = False) -> list:
    """The items changed after `since`, oldest first (they are kept in the order of their changes)."""
    found = []
    for key, value in reversed(items.items()):
        if seq_of(value) <= since:
            break
        found.append(key if keys else value)
    return found[::-1]


def _summary(article: Row, events: list[Row]) -> dict[str, Any]:
    return {name: article[name] for name in ARTICLE_FIELDS} | {
        "events": [
            {name: event[name] for name in EVENT_FIELDS} | {"country_number": _number(event["country"])}
            for event in events
        ]
    }


@cache
def _number(alpha_2: str | None) -> str | None:
    """ISO 3166-1 numeric code of a country (the world map's shape ids): the page puts an event
    placed in a country without coordinates at the country's centre."""
    found = pycountry.countries.get(alpha_2=alpha_2) if alpha_2 else None
    return found.numeric if found else None


def marked_sentence(record: dict[str, Any], event: dict[str, Any]) -> list[dict[str, str]]:
    """The event's sentence cut into segments, each with its mark: trigger, source, target, place or
    none. Offsets are code points of the article's field, as the record contract says."""
    span = event["sentence"]
    text = record.get(span["field"]) or ""
    marks = [(event["trigger"], "trigger")]
    marks += [(event["actors"][role], role) for role in ("source", "target")]
    if event["location"] is not None:
        marks.append((record["entities"][event["location"]["entity"]], "place"))
    starts: dict[int, tuple[int, str]] = {}
    for mark, name in marks:
        inside = (
            mark
            and mark["field"] == span["field"]
            and span["start"] <= mark["start"] < mark["end"] <= span["end"]
        )
        if inside and mark["start"] not in starts:
            starts[mark["start"]] = (mark["end"], name)
    segments, at = [], span["start"]
    for start in sorted(starts):
        end, name = starts[start]
        if start < at:  # overlaps the mark before it: that one holds it
            continue
        if start > at:
            segments.append({"text": text[at:start], "mark": ""})
        segments.append({"text": text[start:end], "mark": name})
        at = end
    if at < span["end"]:
        segments.append({"text": text[at : span["end"]], "mark": ""})
    return segments
