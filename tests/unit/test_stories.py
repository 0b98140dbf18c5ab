"""The story index on real articles: copies, replays, the window, and a reload from Kafka's bytes."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from tests.conftest import ANT_SAMPLE
from workers.pipeline import default_pipeline
from workers.stories.evaluate import BOILERPLATE, variant
from workers.stories.features import Features, features
from workers.stories.index import StoryIndex, with_story

HOUR = 3600.0


def enriched(article: dict, published_at: str = "2026-11-30T10:00:00Z") -> dict:
    return default_pipeline().enrich({**article, "published_at": published_at}).record


@pytest.fixture(scope="module")
def ant() -> list[dict]:
    rows = [json.loads(line) for line in ANT_SAMPLE.open(encoding="utf-8")]
    return [r for r in rows if len(r["text"].split()) >= 60][:40]


def test_copies_are_found_and_other_articles_are_not(ant):
    index = StoryIndex()
    for article in ant:
        assignment, _ = index.assign(features(enriched(article)))
        assert assignment.duplicate_of is None, article["id"]
    original = ant[3]
    rng = random.Random(1)
    for kind in range(4):  # edited, truncated, boilerplate added, numbers changed
        copy = {**original, "id": f"copy-{kind}", "text": variant(original["text"], kind, rng)}
        assignment, _ = index.assign(features(enriched(copy, "2026-11-30T12:00:00Z")))
        assert assignment.duplicate_of == original["id"], kind
        assert assignment.story == original["id"]
        assert 0.6 <= assignment.similarity <= 1.0
    # a copy of a copy still names the first article
    again = {**original, "id": "copy-of-copy", "text": f"{BOILERPLATE[0]}\n{original['text']}"}
    assert index.assign(features(enriched(again)))[0].duplicate_of == original["id"]


def test_a_replayed_article_gets_the_same_answer(ant):
    index = StoryIndex()
    first = features(enriched(ant[0]))
    copy = features(enriched({**ant[0], "id": "copy"}))
    index.assign(first)
    answer, _ = index.assign(copy)
    assert index.assign(copy)[0] == answer
    assert len(index) == 2


def test_the_window_forgets_old_articles(ant):
    index = StoryIndex(window_s=72 * HOUR)
    index.assign(features(enriched(ant[0], "2026-11-01T00:00:00Z")))
    late_copy = {**ant[0], "id": "late-copy"}
    assignment, changes = index.assign(features(enriched(late_copy, "2026-11-05T00:00:01Z")))
    # evicted: deleted from Kafka's table as an entry, kept as an answer
    assert [key for key, _ in changes] == [ant[0]["id"], f"answered:{ant[0]['id']}", "late-copy"]
    assert changes[0][1] is None
    assert assignment.duplicate_of is None and assignment.story == "late-copy"
    assert list(index.stories) == ["late-copy"]
    # a replay of the evicted article (at-least-once: the window moved on meanwhile) gets its answer
    first = features(enriched(ant[0], "2026-11-01T00:00:00Z"))
    assert index.assign(first)[0].story == ant[0]["id"]
    # an article older than the window is answered and not kept; a replay gets the same answer,
    # also from an index reloaded from Kafka
    old = features(enriched({**ant[0], "id": "old"}, "2026-10-01T00:00:00Z"))
    answer, changes = index.assign(old)
    assert "old" not in index and [key for key, _ in changes] == ["answered:old"]
    assert index.assign(old) == (answer, [])
    kept = [("late-copy", index.entry("late-copy")), *changes]  # (the evicted one's answer aside)
    assert StoryIndex.restore(kept).assign(old) == (answer, [])


def test_the_index_reloads_from_its_kafka_entries(ant):
    index = StoryIndex()
    for article in ant[:10]:
        index.assign(features(enriched(article)))
    reloaded = StoryIndex.restore([(a["id"], index.entry(a["id"])) for a in ant[:10]])
    assert len(reloaded) == 10
    assert reloaded.assign(features(enriched(ant[5])))[0] == index.assign(features(enriched(ant[5])))[0]
    copy = {**ant[5], "id": "copy", "text": ant[5]["text"] + " " + BOILERPLATE[1]}
    assert reloaded.assign(features(enriched(copy)))[0].duplicate_of == ant[5]["id"]


def test_features_survive_their_bytes(ant):
    f = features(enriched(ant[2]))
    back, extra = Features.from_bytes(f.to_bytes(story="s"))
    assert extra == {"story": "s"}
    assert back.minhash.digest() == f.minhash.digest() and back.signature == f.signature
    assert float(back.vector @ f.vector) > 0.99
    assert len(f.to_bytes()) < 1200


def test_the_story_field_is_appended_to_the_serialised_record(ant):
    record = enriched(ant[0])
    assignment, _ = StoryIndex().assign(features(record))
    value = with_story(orjson.dumps(record), assignment)
    assert orjson.loads(value) == record | {"story": assignment.field()}
    assert list(orjson.loads(value))[:6] == ["id", "language", "entities", "events", "story", "pipeline"]


def test_a_future_date_does_not_move_the_window_past_every_article(ant):
    index = StoryIndex(window_s=72 * HOUR)
    hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat()  # event time is at most now
    index.assign(features(enriched(ant[0], hour_ago)))
    index.assign(features(enriched({**ant[1], "id": "typo"}, "2062-11-30T10:00:00Z")))  # year typo
    assert ant[0]["id"] in index
    copy = features(enriched({**ant[0], "id": "copy"}, hour_ago))
    assert index.assign(copy)[0].duplicate_of == ant[0]["id"]
