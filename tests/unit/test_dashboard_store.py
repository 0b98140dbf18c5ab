"""The events page's store: each article's last version, its changes by number, marked sentences."""

from __future__ import annotations

import orjson

from workers.dashboard.store import Store, marked_sentence

SEED_ID = "c7ac9c43c2f0f384"


def _records(enriched_seed) -> dict[str, dict]:
    return {r["id"]: r for r in map(orjson.loads, enriched_seed.read_bytes().splitlines())}


def test_a_sentence_is_cut_at_its_trigger_actors_and_place(enriched_seed):
    seed = _records(enriched_seed)[SEED_ID]
    for event in seed["events"]:
        segments = marked_sentence(seed, event)
        span = event["sentence"]
        assert "".join(s["text"] for s in segments) == seed[span["field"]][span["start"] : span["end"]]
        marked = {s["mark"]: s["text"] for s in segments if s["mark"]}
        assert marked["trigger"] == event["trigger"]["text"]
        for role in ("source", "target"):
            actor = event["actors"][role]
            if actor and actor["field"] == span["field"] and marked.get(role) is not None:
                assert marked[role] == actor["text"]
    first = marked_sentence(seed, seed["events"][0])
    assert {s["mark"] for s in first} >= {"trigger", "source", "target", "place"}


def test_the_page_gets_what_changed_since_its_number(enriched_seed):
    records = _records(enriched_seed)
    store = Store(max_articles=3)
    for record in records.values():
        store.put(record)
    everything = store.changes(0)  # 4 put, the cap keeps the last 3
    assert everything["reset"] and [a["article_id"] for a in everything["articles"]] == list(records)[1:]
    seq = everything["seq"]
    assert store.changes(seq) == {"seq": seq, "reset": False, "articles": [], "removed": [], "rejected": 0}

    seed = records[SEED_ID]
    store.put(seed | {"events": seed["events"][:1]})  # a later version replaces the first, which was dropped
    later = store.changes(seq)
    assert [(a["article_id"], len(a["events"])) for a in later["articles"]] == [(SEED_ID, 1)]
    assert later["removed"] == [list(records)[1]]  # the least recently changed one made room
    assert store.sentence(SEED_ID, 0)["event"]["place_name"] == "Deir ez-Zor"
    assert store.sentence(SEED_ID, 1) is None
