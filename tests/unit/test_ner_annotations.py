"""The NER annotation lab scripts on real sentences: two ANERcorp train sentences with their gold
tags (calibration) and two ANT news sentences (agreement, merge)."""

import json

import pytest

from workers.annotations.ner_check import bio, check
from workers.annotations.ner_merge import calibrated, merge, replace_section
from workers.annotations.ner_score import agreement, calibration

# ANERcorp train sentences 779 and 1150 with their gold tags
GOLD = {
    "anercorp-train-0779": "وعلى/O غرار/O أفغانستان/B-LOC عقب/O انتصار/O حركة/O طالبان/B-ORG سعد/O سكان/O "
    "مقديشو/B-LOC في/O البداية/O بانتصار/O الاسلاميين/O ./O",
    "anercorp-train-1150": "فظل/O معهم/O في/O أرض/O الشتات/O بسيناء/B-LOC ولم/O يدخل/O موسي/B-PERS "
    "فلسطين/B-LOC أرض/O الكنعانيين/O ./O",
}
NEWS = [
    {
        "id": "ant-JA-sport-1353-20140415-s1",
        "tokens": ["ببنزرت", ":", "1100", "متفرج", "ملعب", "قرمبالية", ":", "200", "متفرج"],
    },
    {
        "id": "ant-JA-localNews-1468-20140714-s0",
        "tokens": [
            "تمكنت",
            "وحدات",
            "الحرس",
            "البحري",
            "بالمهدية",
            "من",
            "إحباط",
            "محاولة",
            "إبحار",
            "خلسة",
            ".",
        ],
    },
]


def entity(tokens, start, end, kind):
    return {"start": start, "end": end, "type": kind, "text": " ".join(tokens[start:end])}


def write(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


@pytest.fixture
def annot(tmp_path):
    calib = [{"id": i, "tokens": [p.rsplit("/", 1)[0] for p in s.split()]} for i, s in GOLD.items()]
    write(tmp_path / "calib" / "C.jsonl", calib)
    (tmp_path / "calib" / "gold").mkdir()
    (tmp_path / "calib" / "gold" / "C.conll").write_text(
        "".join(
            f"# {i}\n" + "".join(p.replace("/", " ") + "\n" for p in s.split()) + "\n"
            for i, s in GOLD.items()
        ),
        encoding="utf-8",
    )
    a, b = calib[0]["tokens"], calib[1]["tokens"]
    # a1 gets every span right but calls طالبان MISC; a2 misses موسي and takes the title with the name
    write(
        tmp_path / "out" / "C1.a1.jsonl",
        [
            {
                "id": calib[0]["id"],
                "entities": [entity(a, 2, 3, "LOC"), entity(a, 6, 7, "MISC"), entity(a, 9, 10, "LOC")],
            },
            {
                "id": calib[1]["id"],
                "entities": [entity(b, 5, 6, "LOC"), entity(b, 8, 9, "PER"), entity(b, 9, 10, "LOC")],
            },
        ],
    )
    write(
        tmp_path / "out" / "C2.a2.jsonl",
        [
            {
                "id": calib[0]["id"],
                "entities": [entity(a, 2, 3, "LOC"), entity(a, 5, 7, "ORG"), entity(a, 9, 10, "LOC")],
            },
            {"id": calib[1]["id"], "entities": [entity(b, 5, 6, "LOC"), entity(b, 9, 10, "LOC")]},
        ],
    )
    write(
        tmp_path / "batches" / "batch-001.jsonl",
        [
            {
                **r,
                "article": {
                    "docno": r["id"][4:-3],
                    "path": "x",
                    "field": "text",
                    "category": "sport",
                    "time": "2017-01-01",
                },
                "start": 0,
                "end": 9,
                "token_offsets": [],
            }
            for r in NEWS
        ],
    )
    x, y = NEWS[0]["tokens"], NEWS[1]["tokens"]
    write(
        tmp_path / "out" / "batch-001.a1.jsonl",
        [
            {"id": NEWS[0]["id"], "entities": [entity(x, 0, 1, "LOC"), entity(x, 5, 6, "LOC")]},
            {
                "id": NEWS[1]["id"],
                "entities": [entity(y, 4, 5, "LOC")],
            },
        ],
    )
    write(
        tmp_path / "batches" / "double-001.jsonl",
        [json.loads(line) for line in (tmp_path / "batches" / "batch-001.jsonl").open()][1:],
    )
    write(
        tmp_path / "out" / "double-001.a2.jsonl",
        [
            {
                "id": NEWS[1]["id"],
                "entities": [entity(y, 2, 4, "ORG"), entity(y, 4, 5, "LOC")],
            },
        ],
    )
    return tmp_path


def test_check_reports_a_span_whose_text_drops_the_clitic():
    tokens = ["ووصف", "سولانا", "الذي", "قام", "بجولة", "شملت", "لبنان", "وإسرائيل"]
    spans, problems = check(
        tokens, [entity(tokens, 1, 2, "PER"), {"start": 7, "end": 8, "type": "LOC", "text": "إسرائيل"}]
    )
    assert spans == [(1, 2, "PER")]
    assert problems == ["span 7:8 is 'وإسرائيل', text says 'إسرائيل'"]
    assert check(
        tokens, [entity(tokens, 1, 2, "PERSON"), entity(tokens, 6, 8, "LOC"), entity(tokens, 7, 8, "LOC")]
    )[1] == ["unknown type 'PERSON' at 1:2", "span 7:8 overlaps another"]
    assert bio(len(tokens), [(1, 2, "PER"), (6, 8, "LOC")]) == [
        "O",
        "B-PERS",
        "O",
        "O",
        "O",
        "O",
        "B-LOC",
        "I-LOC",
    ]


def test_calibration_scores_each_annotator_against_anercorp_gold(annot):
    scores = calibration(annot)
    # a1: 5 of 6 spans right, one wrong type; a2: 4 right, 1 too long, 1 missed
    assert scores["a1"]["all"]["precision"] == pytest.approx(5 / 6)
    assert scores["a1"]["ORG"]["f1"] == 0.0 and scores["a1"]["LOC"]["f1"] == 1.0
    assert scores["a2"]["all"]["precision"] == pytest.approx(4 / 5) and scores["a2"]["all"]["recall"] == 4 / 6
    assert scores["*"]["sentences"] == 4 and scores["*"]["all"]["gold"] == 12
    assert calibrated(scores, 0.8, min_sentences=2) == {"a1": pytest.approx(5 / 6)}
    # the pooled score (9 of 11 found spans right, 9 of 12 gold) is below 0.8: a2 does not ride on a1
    assert scores["*"]["all"]["f1"] == pytest.approx(18 / 23)
    assert calibrated(scores, 0.8, ("a2",), min_sentences=2) == {"a1": pytest.approx(5 / 6)}
    assert calibrated(scores, 0.75, ("a3",), min_sentences=2) == {
        "a1": pytest.approx(5 / 6),
        "a3": pytest.approx(18 / 23),
    }


def test_agreement_and_merge_keep_only_calibrated_labels(annot):
    result = agreement(annot)
    assert result["sentences"] == 1 and result["span"]["all"]["f1"] == pytest.approx(2 / 3)
    assert 0 < result["token_kappa"] < 1
    merged = merge(annot, {"a1": 0.9})
    assert [r["annotator"] for r in merged] == ["a1", "a1"]
    assert merged[1]["tags"][2:6] == ["O", "O", "B-LOC", "O"]
    assert merged[1]["entities"] == [{"start": 4, "end": 5, "type": "LOC", "text": "بالمهدية"}]
    # a2 labelled only the double-annotated sentence, and ORG for a national body
    only_a2 = merge(annot, {"a2": 0.86})
    assert [(r["id"], r["annotator"], r["tags"][2:5]) for r in only_a2] == [
        (NEWS[1]["id"], "a2", ["B-ORG", "I-ORG", "B-LOC"])
    ]


def test_data_card_section_is_replaced_in_place(tmp_path):
    card = tmp_path / "DATA_CARD.md"
    card.write_text("## Events\nevents text\n\n## Entities\nold\n\n## Other\nkept\n", encoding="utf-8")
    replace_section(card, "## Entities\nnew\n")
    assert (
        card.read_text(encoding="utf-8") == "## Events\nevents text\n\n## Entities\nnew\n\n## Other\nkept\n"
    )
