"""Which event a lead reports, in any language: named dates, numbers, places (stories/specifics.py),
and the story index keeping two events of one kind apart when their dates differ."""

from __future__ import annotations

import numpy as np
import orjson

from workers.encoders.use import DIMENSIONS
from workers.pipeline import default_pipeline
from workers.stories.features import Features, features, minhash
from workers.stories.index import StoryIndex
from workers.stories.specifics import conflict, of_text


def test_dates_numbers_and_weekdays_are_read_in_arabic_english_and_french():
    assert of_text("Deux attentats suicides ont frappé, ce jeudi 21 janvier, un marché") == {
        "weekday:4",
        "month:1",
        "day:1-21",
    }
    assert of_text("أفاد مصدر أمني، الاثنين (١٩ تموز 2021)، بانفجار عبوة ناسفة") == {
        "weekday:1",
        "month:7",
        "day:7-19",
        "year:2021",
    }
    assert of_text("On the morning of November 24, a truce began; 1,700 killed, magnitude 7.8") == {
        "month:11",
        "day:11-24",
        "number:1700",
        "number:7.8",
    }
    assert of_text("القمة الـ 33 ـ ً") == {"number:33"}  # marks alone are no word
    # a month counts only beside a number ("may" is a verb here); 2000 is a round number, not a year
    assert of_text("The council may meet again; plus de 2000 morts") == {"number:2000"}


def test_two_dates_conflict_and_a_shared_one_does_not():
    thursday, monday = of_text("jeudi 21 janvier"), of_text("Monday, July 19")
    assert conflict(frozenset(thursday), monday)
    assert not conflict(frozenset(thursday), of_text("الخميس"))
    assert not conflict(frozenset(thursday), of_text("32 people were killed"))  # nothing to compare


def _lead(article_id: str, title: str, text: str) -> Features:
    return features(default_pipeline().enrich({"id": article_id, "title": title, "text": text}).record)


def test_one_kind_of_event_on_two_dates_makes_two_stories_in_any_language_pair():
    """Leads written for this test: two bombings of one market, on two named dates, in one window
    (no published_at); the French lead of the second joins the second, not the first."""
    index = StoryIndex()
    first = _lead(
        "ar-1",
        "مقتل 12 شخصا في تفجير انتحاري بسوق في بغداد",
        "قتل 12 شخصا وأصيب 30 آخرون يوم الثلاثاء 3 تموز في تفجير انتحاري استهدف سوقا شعبيا وسط بغداد.",
    )
    second = _lead(
        "en-2",
        "Suicide bombing at Baghdad market kills 20",
        "A suicide bomber killed 20 people at a crowded market in central Baghdad on Friday, August 10.",
    )
    assert index.assign(first)[0].story == "ar-1"
    assert index.assign(second)[0].story == "en-2"
    french = _lead(
        "fr-2",
        "Un attentat-suicide fait 20 morts sur un marché de Bagdad",
        "Un kamikaze a tué 20 personnes vendredi 10 août sur un marché bondé du centre de Bagdad.",
    )
    assert index.assign(french)[0].story == "en-2"


def test_specifics_survive_their_bytes_and_older_rows_have_none():
    f = _lead("en-1", "Earthquake kills 284", "A 7.8-magnitude earthquake hit on Monday, killing 284 people.")
    assert {"weekday:1", "number:284", "number:7.8"} <= f.specifics
    back, _ = Features.from_bytes(f.to_bytes())
    assert back.specifics == f.specifics
    data = f.to_bytes()
    cut = data.index(b"\0")
    head = orjson.loads(data[:cut])
    del head["specifics"]
    assert Features.from_bytes(orjson.dumps(head) + data[cut:])[0].specifics == frozenset()


def test_a_restored_index_keeps_its_stories_dates_apart():
    """Synthetic vectors: an article closest to a Monday story, naming Thursday, joins the Thursday
    story; so does it in an index rebuilt from Kafka's bytes."""
    rng = np.random.default_rng(3)
    topic = rng.standard_normal(DIMENSIONS)

    def lead(name: str, language: str, noise: float, when: str) -> Features:
        vector = topic + noise * rng.standard_normal(DIMENSIONS)
        return Features(
            name,
            language,
            1e9,
            minhash({name}),
            1,
            (vector / np.linalg.norm(vector)).astype(np.float32),
            frozenset(),
            frozenset({when}),
        )

    index = StoryIndex()
    index.assign(lead("monday", "ar", 0.05, "weekday:1"))
    index.assign(lead("thursday", "ar", 0.6, "weekday:4"))
    assert set(index.stories) == {"monday", "thursday"}
    article = lead("article", "ar", 0.05, "weekday:4")
    reloaded = StoryIndex.restore([(key, index.entry(key)) for key in index.entries])
    assert index.assign(article)[0].story == "thursday"
    assert reloaded.assign(article)[0].story == "thursday"


def test_a_shared_place_corroborates_and_a_shared_country_does_not():
    """Synthetic vectors at cosine 0.68 within one language: under the plain threshold (0.74), over
    the corroborated one (0.61). The article naming the story's city joins it; one sharing only the
    city's country code starts its own."""
    rng = np.random.default_rng(5)
    story, other = rng.standard_normal((2, DIMENSIONS))
    story /= np.linalg.norm(story)
    other -= (other @ story) * story
    other /= np.linalg.norm(other)
    near = (0.68 * story + np.sqrt(1 - 0.68**2) * other).astype(np.float32)

    def lead(name: str, vector: np.ndarray, named: set[str]) -> Features:
        return Features(name, "ar", 1e9, minhash({name}), 1, vector, frozenset(), frozenset(named))

    def joined(named: set[str]) -> str:
        index = StoryIndex()
        index.assign(lead("baghdad", story.astype(np.float32), {"place:geonames:98182", "country:IQ"}))
        return index.assign(lead("article", near, named))[0].story

    assert joined({"country:IQ"}) == "article"
    assert joined({"place:geonames:98182"}) == "baghdad"
