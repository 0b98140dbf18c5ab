"""The story index on real articles: copies, replays, the window, a reload from Kafka's bytes, and
the same story across languages."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import numpy as np
import orjson
import pytest

from tests.conftest import ANT_SAMPLE, SHARED_DATA, needs_shared_data
from workers.encoders.use import DIMENSIONS
from workers.pipeline import default_pipeline
from workers.stories.evaluate import BOILERPLATE, SCORED_LANGUAGES, Scores, pairs, udhr_features, variant
from workers.stories.features import Features, features, minhash, shingles
from workers.stories.index import ACROSS_LANGUAGES, Assignment, StoryIndex, with_story

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


def test_articles_are_compared_within_the_window_of_each_other(ant):
    index = StoryIndex(window_s=72 * HOUR)
    index.assign(features(enriched(ant[0], "2026-11-01T00:00:00Z")))
    too_late = index.assign(features(enriched({**ant[0], "id": "too-late"}, "2026-11-05T00:00:01Z")))[0]
    assert too_late.duplicate_of is None and too_late.story == "too-late"
    # nothing left the index: an article within 72 h of the first, arriving last, is its copy
    assert ant[0]["id"] in index
    assert (
        index.assign(features(enriched({**ant[0], "id": "in-time"}, "2026-11-03T00:00:00Z")))[0].duplicate_of
        == ant[0]["id"]
    )
    # an undated article (the enrichment time: today) neither finds the archived ones nor evicts them
    undated = features(default_pipeline().enrich({**ant[0], "id": "undated"}).record)
    assert index.assign(undated)[0].duplicate_of is None
    early = index.assign(features(enriched({**ant[0], "id": "early"}, "2026-10-30T00:00:00Z")))[0]
    assert early.duplicate_of == ant[0]["id"]


def test_the_index_keeps_the_last_arrivals_and_answers_the_others(ant):
    index = StoryIndex(capacity=2)
    articles = [features(enriched(a)) for a in ant[:3]]
    for f in articles[:2]:
        index.assign(f)
    _, changes = index.assign(articles[2])
    # the earliest arrival left: deleted from Kafka's table as an entry, kept as an answer
    assert [key for key, _ in changes] == [ant[2]["id"], ant[0]["id"], f"answered:{ant[0]['id']}"]
    assert changes[1][1] is None and ant[0]["id"] not in index and len(index) == 2
    # a replay of the evicted article (at-least-once) gets its answer, also from a reloaded index
    first = index.answers[ant[0]["id"]]
    assert index.assign(articles[0]) == (first, [])
    kept = [(key, index.entry(key)) for key in index.entries] + [changes[2]]
    reloaded = StoryIndex.restore(kept, capacity=2)
    assert reloaded.assign(articles[0]) == (first, [])
    # in order of arrival, whatever the event times: the next arrival evicts the second one
    assert [key for key, _ in reloaded.assign(features(enriched(ant[3])))[1]][:2] == [
        ant[3]["id"],
        ant[1]["id"],
    ]


def test_a_replay_in_any_order_finds_the_same_copies(ant):
    """An archive of dated (2013-2020) and undated articles (their enrichment time: today) with
    copies that keep their original's date: date order and shuffled orders find the same copies."""
    rng = random.Random(4)
    now = datetime.now(UTC).timestamp()
    articles, truth = [], set()
    for i, a in enumerate(ant):
        dated = i % 5 < 2
        time = (
            datetime(2013, 1, 1, tzinfo=UTC).timestamp() + rng.uniform(0, 8 * 365) * 86400
            if dated
            else now + i
        )
        copy = variant(a["text"], i % 4, rng)
        for name, text in ((a["id"], a["text"]), (f"{a['id']}~copy", copy)):
            items = shingles(f"{a['title']}\n{text}")
            vector = np.zeros(DIMENSIONS, np.float32)
            articles.append(Features(name, "ar", time, minhash(items), len(items), vector, frozenset()))
        truth.add(frozenset((a["id"], f"{a['id']}~copy")))

    def copies(order: list[Features]) -> set[frozenset[str]]:
        index = StoryIndex()
        first = {f.article_id: index.assign(f)[0].duplicate_of or f.article_id for f in order}
        groups: dict[str, set[str]] = {}
        for name, group in first.items():
            groups.setdefault(group, set()).add(name)
        return {frozenset(g) for g in groups.values() if len(g) > 1}

    assert copies(sorted(articles, key=lambda f: f.time)) == truth
    for seed in range(3):
        assert copies(random.Random(seed).sample(articles, len(articles))) == truth


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
    assert len(f.to_bytes()) < 1500


def test_rows_kept_before_the_use_vectors_restore_as_copies_only(ant):
    """A window written by the previous release (a 256-byte static vector, no `vectors` tag) must
    not crash the restore: its copies are still found, its vector joins no story."""
    f = features(enriched(ant[2]))
    data = f.to_bytes(story=f.article_id, duplicate_of=None, similarity=None, first_seen=f.time)
    cut = data.index(b"\0")
    head = orjson.loads(data[:cut])
    del head["vectors"]
    legacy = orjson.dumps(head) + b"\0" + bytes(256) + data[cut + 1 + DIMENSIONS :]
    index = StoryIndex.restore([(f.article_id, legacy)])
    assert not index.entries[f.article_id].features.vector.any()
    copy = {**ant[2], "id": "copy", "text": ant[2]["text"] + " " + BOILERPLATE[1]}
    assert index.assign(features(enriched(copy)))[0].duplicate_of == ant[2]["id"]


def test_a_translation_joins_the_story_and_another_event_does_not():
    index = StoryIndex()
    arabic = {
        "id": "ar",
        "title": "الدفاع الروسية: تنظيم داعش الإرهابي في طريقه للانهزام في دير الزور",
        "text": "يواصل الجيش العربي السوري تقدمه باتجاه مدينة دير الزور بدعم من سلاح الجو الروسي.",
    }
    english = {  # written for this test: the same lead in English
        "id": "en",
        "title": "Russian Defence Ministry: the terrorist group ISIS is on its way to defeat in Deir ez-Zor",
        "text": "The Syrian Arab Army continues its advance towards the city of Deir ez-Zor, backed by"
        " the Russian air force.",
    }
    other = {
        "id": "fr",
        "title": "La Banque centrale européenne relève ses taux d'intérêt",
        "text": "La BCE a relevé jeudi ses taux directeurs d'un quart de point pour freiner l'inflation.",
    }
    index.assign(features(enriched(arabic)))
    joined, _ = index.assign(features(enriched(english)))
    assert joined.story == "ar" and joined.duplicate_of is None and joined.similarity >= ACROSS_LANGUAGES
    assert index.assign(features(enriched(other)))[0].story == "fr"
    assert sorted(index.stories["ar"].articles) == ["ar", "en"]  # one centroid per language


@needs_shared_data
def test_udhr_translations_share_stories_across_languages():
    """The scored set of `newsworker eval stories` (README Stories), kept from sliding back."""
    scores = Scores.of(*pairs(udhr_features(SHARED_DATA, SCORED_LANGUAGES)))
    assert scores.precision >= 0.9 and scores.recall >= 0.8, scores


def _synthetic(i: int, language: str, vector: np.ndarray) -> Features:
    return Features(
        f"{language}-{i}", language, 1e9 + i, minhash({f"{language}-{i}"}), 1, vector, frozenset()
    )


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v)).astype(np.float32)


def test_centred_cosines_equal_the_direct_computation():
    """centring.py's closed form (kept products, one pass over the rows) against the centred
    centroids computed from the articles, with the means in use."""
    rng = np.random.default_rng(5)
    index = StoryIndex()
    for i in range(120):
        language = ("ar", "en", "fr")[i % 3]
        f = _synthetic(i, language, _unit(rng.standard_normal(DIMENSIONS)))
        story = f"s{i % 40}"  # stories of several articles and languages
        index.add(f, Assignment(story, None, None, f.time))
    article = _synthetic(999, "en", _unit(rng.standard_normal(DIMENSIONS)))
    cosines, own = index._cosines(article)
    centring = index._centring
    mean = {language: centring.means[code] for language, code in centring.codes.items()}
    checked = 0
    for (story, language), row in index._key_row.items():
        members = [
            e.features.vector.astype(np.float32)
            for e in index.entries.values()
            if e.assignment.story == story and e.features.language == language
        ]
        if language == "en":
            assert own[row]
            continue
        centroid = np.sum(members, axis=0) - len(members) * mean[language]
        centred = article.vector - mean["en"]
        direct = centroid @ centred / np.linalg.norm(centroid) / np.linalg.norm(centred)
        assert cosines[row] == pytest.approx(direct, abs=1e-4)
        checked += 1
    assert checked == 80


def test_a_language_s_own_direction_does_not_keep_translations_apart():
    """Texts of one language share a direction (here a synthetic one, as strong as the text): left
    in, a translation scores below ACROSS_LANGUAGES; centred, it joins its original's story and
    unrelated texts do not."""
    rng = np.random.default_rng(7)
    arabic, english = rng.standard_normal(DIMENSIONS), rng.standard_normal(DIMENSIONS)
    texts = [rng.standard_normal(DIMENSIONS) for _ in range(60)]
    index = StoryIndex()
    for i, text in enumerate(texts[:50]):
        index.assign(_synthetic(i, "ar", _unit(_unit(text) + _unit(arabic))))
    for i, text in enumerate(texts[50:], start=50):  # unrelated English texts: stories of their own
        index.assign(_synthetic(i, "en", _unit(_unit(text) + _unit(english))))
    translation = _unit(_unit(texts[7] + 0.5 * rng.standard_normal(DIMENSIONS)) + _unit(english))
    raw = float(translation @ index.entries["ar-7"].features.vector.astype(np.float32))
    assert raw < ACROSS_LANGUAGES
    joined, _ = index.assign(_synthetic(100, "en", translation))
    assert joined.story == "ar-7" and joined.similarity >= ACROSS_LANGUAGES
    assert all(index.entries[f"en-{i}"].assignment.story == f"en-{i}" for i in range(50, 60))
    # a restarted worker's index (from the Kafka table's rows) centres as the live one did
    reloaded = StoryIndex.restore([(key, index.entry(key)) for key in index.entries])
    another = _synthetic(
        101, "en", _unit(_unit(texts[9] + 0.5 * rng.standard_normal(DIMENSIONS)) + _unit(english))
    )
    again, first = reloaded.assign(another)[0], index.assign(another)[0]
    assert again.story == first.story  # Kafka keeps the vectors as int8: cosines agree to ~0.01
    assert again.similarity == pytest.approx(first.similarity, abs=0.02)
    assert index.entries["en-101"].assignment.story == "ar-9"


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
