"""The annotation lab scripts (workers/annotations/) on real ANT and OEDA sentences."""

from __future__ import annotations

import random
from pathlib import Path

import orjson
import pytest

from tests.conftest import SHARED_DATA, needs_shared_data
from workers.annotations import calibration_sets
from workers.annotations.agreement import agreement, disagreements, pairs
from workers.annotations.batches import deal
from workers.annotations.merge import calibrated, merged
from workers.annotations.score import passes, scores
from workers.annotations.sentences import article_sentences
from workers.annotations.validate import annotations, check, check_line, read_jsonl

# the first sentences of two ANT v1.1 articles (rows 2210 and 2212), joined as one body
SIT_IN = 'نفّذ اليوم عدد من أصحاب سيارات الأجرة "لواج" ذات الشارة الزرقاء وقفة احتجاجية بمحطة سوق الأحد بسوسة.'
STRIKE = (
    "تنفذ سيارات الأجرة ذات الشريط الأزرق بكل من ولايات سوسة والمنستير والمهدية"
    " اليوم الاثنين 10 أكتوبر 2016 إضرابا عاما."
)
ARTICLE = {
    "docno": "JA-localNews-test",
    "url": "http://www.jawharafm.net/ar/article/x",
    "category": "localNews",
    "time": "2016-10-10T10:00:00+01:00",
    "title": "وقفة احتجاجية",
    "text": f"{SIT_IN} {STRIKE}",
}


def _line(i: str, protest: str = "yes", trigger: str = "وقفة احتجاجية", **event: object) -> dict:
    events = [{"type": "PROTEST", "mode": "demo", "label": protest, "trigger": trigger, **event}]
    return {"id": i, "assault": "no", "protest": protest, "events": events if protest != "no" else []}


def _write(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return path


def test_sentences_carry_offsets_into_the_article_body_and_the_lexicon_candidates():
    rows = list(article_sentences(7, ARTICLE))
    assert [r["id"] for r in rows] == ["ant-7-s0", "ant-7-s1"]
    for r in rows:
        assert ARTICLE["text"][r["start"] : r["end"]] == r["text"]
    assert rows[0]["text"] == SIT_IN
    assert {c["type"] for c in rows[0]["candidates"]} == {"PROTEST"}
    assert rows[0]["year"] == "2016"


def test_validation_turns_substrings_into_offsets_and_rejects_what_is_not_in_the_text(tmp_path):
    record = check_line(SIT_IN, _line("s", source="عدد من أصحاب سيارات الأجرة"))
    trigger, source = record["events"][0]["trigger"], record["events"][0]["source"]
    assert SIT_IN[trigger["start"] : trigger["end"]] == "وقفة احتجاجية"
    assert SIT_IN[source["start"] : source["end"]] == "عدد من أصحاب سيارات الأجرة"
    # the second "سوس" is inside بسوسة at the end
    record = check_line(SIT_IN, _line("s", target="سوس", target_occurrence=0))
    assert record["events"][0]["target"]["start"] == SIT_IN.index("سوس")
    with pytest.raises(ValueError, match="not in the text"):
        check_line(SIT_IN, _line("s", trigger="مظاهرة"))
    with pytest.raises(ValueError, match="not in the text 2"):
        check_line(SIT_IN, _line("s", trigger="وقفة", trigger_occurrence=1))
    with pytest.raises(ValueError, match="make it 'yes'"):
        check_line(SIT_IN, {**_line("s"), "protest": "borderline"})
    with pytest.raises(ValueError, match="PLOVER type"):
        check_line(SIT_IN, {**_line("s"), "events": [{"type": "RIOT", "label": "yes", "trigger": "وقفة"}]})

    source = _write(
        tmp_path / "batches" / "batch-001.jsonl", [{"id": "a", "text": SIT_IN}, {"id": "b", "text": STRIKE}]
    )
    out = tmp_path / "out" / "batch-001.ann1.jsonl"
    out.parent.mkdir()
    out.write_bytes(
        orjson.dumps(_line("a", trigger="اعتصام"))
        + b"\n{not json\n"
        + orjson.dumps(_line("a"))  # the correction, appended, wins
        + b"\n"
    )
    checked = check(out, source)
    assert [n for n, _ in checked.errors] == [1, 2]
    assert list(checked.records) == ["a"] and checked.missing == ["b"]


def test_score_is_population_weighted():
    gold = [
        {"id": "1", "plover_type": "PROTEST", "label": "yes", "weight": 2.0},
        {"id": "2", "plover_type": "PROTEST", "label": "yes", "weight": 2.0},
        {"id": "3", "plover_type": "PROTEST", "label": "difficult no", "weight": 4.0},
        {"id": "4", "plover_type": "PROTEST", "label": "easy no", "weight": 10.0},
        {"id": "5", "plover_type": "ASSAULT", "label": "yes", "weight": 1.0},
    ]
    said = {"1": "yes", "2": "borderline", "3": "yes", "4": "no", "5": "yes"}
    records = {i: {"assault": p, "protest": p} for i, p in said.items()}
    f = scores(records, gold)
    protest = f["PROTEST"]
    assert protest["precision"] == pytest.approx(2 / 6) and protest["recall"] == pytest.approx(0.5)
    assert protest["f1"] == pytest.approx(0.4)
    assert protest["f1_easy_no"] == pytest.approx(2 / 3)  # without the difficult no, no false positive
    assert protest["coverage"] == 1.0 and protest["difficult_no_yes"] == 1.0 and protest["easy_no_yes"] == 0.0
    assert f["ASSAULT"]["f1"] == 1.0
    assert not passes(f)


def test_kappa_and_disagreements_pair_the_batch_annotation_with_the_second(tmp_path):
    meta = {k: ARTICLE[k] for k in ("url", "title")} | {"article": ARTICLE["docno"]}
    batch = [
        {"id": "a", **meta, "start": 0, "end": len(SIT_IN), "text": SIT_IN},
        {"id": "b", **meta, "start": len(SIT_IN) + 1, "end": len(ARTICLE["text"]), "text": STRIKE},
    ]
    _write(tmp_path / "batches" / "batch-001.jsonl", batch)
    _write(tmp_path / "double" / "double-001.jsonl", batch)
    strike = {**_line("b", trigger="إضرابا"), "protest": "yes"}
    first = _write(tmp_path / "out" / "batch-001.ann1.jsonl", [_line("a"), strike])
    second = _write(
        tmp_path / "out" / "double-001.ann2.jsonl", [_line("a"), _line("b", "borderline", trigger="إضرابا")]
    )
    paired = pairs(annotations([first, second], tmp_path))
    assert [(a["annotator"], b["annotator"]) for a, b in paired] == [("ann1", "ann2")] * 2
    assert disagreements(paired) == [("b", "protest", "yes", "borderline")]
    figures = agreement(paired)
    # observed agreement 0.5 is what chance gives when the first says yes twice: kappa 0
    assert figures["protest"]["agreement"] == 0.5 and figures["protest"]["kappa"] == pytest.approx(0.0)

    lines = merged(tmp_path, calibrated(["ann1", "ann2"]))
    assert [x["id"] for x in lines] == ["a", "b"]
    assert [len(x["annotations"]) for x in lines] == [2, 2] and lines[1]["protest"] == "yes"
    assert ARTICLE["text"][lines[1]["start"] : lines[1]["end"]] == STRIKE
    assert (
        merged(tmp_path, calibrated(["ann2"]))[1]["protest"] == "borderline"
    )  # an uncounted annotator drops out
    # calibrated for ASSAULT alone, ann1's PROTEST label does not count: the second annotator's does
    assert merged(tmp_path, calibrated(["ann1:assault", "ann2"]))[1]["protest"] == "borderline"
    assert merged(tmp_path, calibrated(["ann1:assault"]))[1]["protest"] is None


def test_every_stretch_of_batches_holds_each_group_in_proportion():
    groups = {
        "ASSAULT": [{"id": f"a{i}"} for i in range(300)],
        "random": [{"id": f"r{i}"} for i in range(100)],
    }
    ordered = deal(groups, random.Random(0))
    first = [x["group"] for x in ordered[:100]]
    assert 70 <= first.count("ASSAULT") <= 80
    assert sorted(x["id"] for x in ordered) == sorted(x["id"] for g in groups.values() for x in g)


@needs_shared_data
def test_calibration_rounds_are_disjoint_text_only_and_weighted(tmp_path):
    calibration_sets.main(SHARED_DATA / "oeda-arabic-events" / "dev.jsonl", tmp_path)
    a, b = read_jsonl(tmp_path / "A.jsonl"), read_jsonl(tmp_path / "B.jsonl")
    assert len(a) == len(b) == sum(calibration_sets.PER_ROUND.values())
    assert all(set(r) == {"id", "text"} for r in a + b)
    gold_a, gold_b = read_jsonl(tmp_path / "gold" / "A.jsonl"), read_jsonl(tmp_path / "gold" / "B.jsonl")
    assert not {g["oeda_id"] for g in gold_a} & {g["oeda_id"] for g in gold_b}
    # weights restore the population: ASSAULT easy no stands for all 676 of OEDA dev
    assert sum(g["weight"] for g in gold_a if (g["plover_type"], g["label"]) == ("ASSAULT", "easy no")) == (
        pytest.approx(676)
    )
