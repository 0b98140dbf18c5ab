"""The events stage on the seed article, on English news, and its flags and offsets."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import SEED_TXT, needs_shared_data, storied
from workers.events.ontology import PLOVER_TYPES, acled_types, cameo_roots, lexicon
from workers.events.stage import EventStage, lexicon_events
from workers.pipeline import default_pipeline
from workers.records import decode_article, read_inputs, schema_errors


@pytest.fixture(scope="module")
def seed() -> dict:
    [item] = list(read_inputs(SEED_TXT))
    return default_pipeline().enrich(decode_article(item.payload, 2**21)).record


def enrich(text: str) -> dict:
    return default_pipeline().enrich({"id": "t", "text": text}).record


def sentence_of(record: dict, event: dict) -> str:
    s = event["sentence"]
    return record[s["field"]][s["start"] : s["end"]]


def test_seed_air_strike_on_isis_with_counted_losses(seed):
    [strike] = [
        e for e in seed["events"] if e["acled"] and e["acled"]["sub_event_type"] == "Air/drone strike"
    ]
    assert strike["plover"] == {"type": "ASSAULT", "mode": "aerial"}
    assert strike["acled"]["event_type"] == "Explosions/Remote violence"
    assert strike["cameo"] == "19"
    assert "داعش" in strike["actors"]["target"]["text"]  # "عدة أهداف لتنظيم داعش", linked to ISIS
    assert strike["actors"]["target"]["link"]["name_en"] == "Islamic State"
    assert "سلاح الجو" in strike["actors"]["source"]["text"]
    assert strike["location"]["text"] == "دير الزور"
    counted = {q["text"] for q in strike["quantities"]}
    assert {"9 وحدات مدرعة", "أكثر من 20 سيارة ثقيلة", "3 مستودعات ذخيرة"} <= counted


def test_seed_army_retakes_villages_in_rural_hama(seed):
    retakes = [e for e in seed["events"] if "9 قرى" in sentence_of(seed, e)]
    [battle] = [e for e in retakes if e["acled"] and e["acled"]["event_type"] == "Battles"]
    assert battle["acled"]["sub_event_type"] in {"Government regains territory", "Armed clash"}
    assert battle["actors"]["source"]["text"] == "وحدات من الجيش السوري"  # units of the Syrian army
    assert battle["location"]["text"] in {"حماة", "سلمية"}


def test_seed_protest_note_is_an_accusation(seed):
    notes = [e for e in seed["events"] if e["trigger"]["text"] == "مذكرة احتجاج"]
    assert notes and all(e["plover"]["type"] == "ACCUSE" and e["cameo"] == "11" for e in notes)
    assert all(e["acled"] is None for e in notes)  # ACLED does not code diplomatic protests


def test_seed_has_no_event_for_the_wish_to_improve_relations(seed):
    wish = [e for e in seed["events"] if "بتطوير العلاقات" in sentence_of(seed, e)]
    assert wish == []


def test_seed_events_validate_and_offsets_are_exact(seed):
    assert schema_errors("enriched-article", storied(seed)) == []
    for event in seed["events"]:
        t = event["trigger"]
        assert seed[t["field"]][t["start"] : t["end"]] == t["text"]
        s = event["sentence"]
        assert s["start"] <= t["start"] and t["end"] <= s["end"]
        if event["location"]:
            assert seed["entities"][event["location"]["entity"]]["text"] == event["location"]["text"]
        for actor in event["actors"].values():
            if actor:
                assert seed[actor["field"]][actor["start"] : actor["end"]] == actor["text"]
                if actor["entity"] is not None:  # the phrase holds its entity, and carries its link
                    entity = seed["entities"][actor["entity"]]
                    assert actor["start"] <= entity["start"] and entity["end"] <= actor["end"]
                    assert actor["link"] == entity["link"]


@pytest.mark.parametrize(
    ("text", "sub_event_type"),
    [
        ("Syrian warplanes bombed rebel positions near Idlib on Tuesday.", "Air/drone strike"),
        ("Police fired tear gas to disperse hundreds of protesters in Nairobi.", "Protest with intervention"),
        ("A suicide bomber blew himself up at a checkpoint in Kabul, killing 6 people.", "Suicide bomb"),
        ("Government troops recaptured the town from the rebels.", "Government regains territory"),
        ("Police arrested 12 people after the raid.", "Arrests"),
        ("Soldiers found an arms cache and unexploded shells in the village.", "Disrupted weapons use"),
        ("The bomb disposal squad was called to the market.", "Disrupted weapons use"),
        ("The militants set up camp in the hills above the town.", "Headquarters or base established"),
        ("The two rebel factions merged under one commander.", "Change to group/activity"),
        ("The sides carried out a prisoner exchange on Friday.", "Agreement"),
    ],
)
def test_english_lexicon_follows_the_acled_codebook(text, sub_event_type):
    record = {"text": text, "language": {"code": "en"}, "entities": []}
    EventStage(learned=False)(record)
    assert sub_event_type in {e["acled"]["sub_event_type"] for e in record["events"] if e["acled"]}


def test_classifiers_refine_but_keep_the_event_family():
    record = enrich("Police fired tear gas to disperse hundreds of protesters in Nairobi.")
    assert record["language"]["code"] == "en"
    [protest] = [e for e in record["events"] if e["acled"]]
    assert protest["acled"]["event_type"] == "Protests"
    assert "learned decisions" in record["pipeline"]["backends"]["events"]


def test_arabic_assault_confidence_is_learned(seed):
    assaults = [e for e in seed["events"] if e["plover"]["type"] == "ASSAULT"]
    assert assaults and all(0.0 <= e["confidence"] <= 1.0 for e in assaults)
    lexicon_only = {"text": seed["text"], "language": {"code": "ar"}, "entities": seed["entities"]}
    EventStage(learned=False)(lexicon_only)
    plain = [e for e in lexicon_only["events"] if e["plover"]["type"] == "ASSAULT"]
    assert [e["confidence"] for e in assaults] != [e["confidence"] for e in plain]


def test_protest_candidates_are_decided_by_the_fine_tuned_encoder_unless_fast():
    from workers.events import e5_decisions

    text = "وتظاهر آلاف المواطنين أمس أمام مقر الحكومة في تونس احتجاجا على غلاء الأسعار."
    record = default_pipeline(min_event_confidence=0.0).enrich({"id": "t", "text": text}).record
    fast = default_pipeline(min_event_confidence=0.0, event_decisions="static").enrich(
        {"id": "t", "text": text}
    )
    [protest] = [e for e in record["events"] if e["plover"]["type"] == "PROTEST"]
    [quick] = [e for e in fast.record["events"] if e["plover"]["type"] == "PROTEST"]
    reader = e5_decisions.pretrained()
    trigger = (protest["trigger"]["start"], protest["trigger"]["end"])
    contextual = reader.confidence(reader.scores([text], [trigger], ["PROTEST"]), ["PROTEST"], "ar")
    expected = e5_decisions.combined(np.array([quick["confidence"]]), contextual)[0]
    assert protest["confidence"] == pytest.approx(expected, abs=2e-3)
    assert protest["confidence"] > quick["confidence"]  # a protest reported as it happens
    assert "fine-tuned e5" in record["pipeline"]["backends"]["events"]
    assert "fine-tuned" not in fast.record["pipeline"]["backends"]["events"]


def test_fatalities_are_read_from_the_text():
    record = enrich("A suicide bomber blew himself up at a checkpoint in Kabul, killing 6 people.")
    assert [e["fatalities"] for e in record["events"] if e["plover"]["type"] == "ASSAULT"] == [6]


@pytest.mark.parametrize(
    ("text", "dead"),
    [  # sentences of the OEDA dev data and their like
        ("الى ذلك قتلت قوات الامن الباكستانية ستة متشددين في غارة", 6),  # number word after the verb
        ("قال مسؤولون إن أربعة من حراس الأمن الأفغان قتلوا في هجوم انتحاري", 4),  # before it
        ("أعلنت الشرطة مقتل ثلاثة أشخاص وإصابة ستة آخرين بجروح في انفجار سيارة مفخخة", 3),
        ("ان «شخصين قتلا واصيب حوالي تسعة اخرين بجروح جراء هجوم انتحاري", 2),  # dual; 9 are wounded
        ("اعلن مصدر من شرطة النجف مقتل شخص إثر انفجار عبوة ناسفة", 1),
        ("روسيا 24 مارس (آذار) 2001 مقتل شرطيين في انفجار سيارة مفخخة", 2),  # not the date, not the year
        ("ادى الهجوم الى مقتل حسام حرب «32 عاماً» في غارة", None),  # an age is no death toll
        ("The bomber blew himself up in Kabul, killing seven people and wounding twelve.", 7),
        ("Twelve people were injured and 2 killed in the shelling.", 2),
    ],
)
def test_death_tolls_in_words_and_duals(text, dead):
    language = "en" if text.isascii() else "ar"
    events = [e for e in lexicon_events(text, language) if e["plover"]["type"] == "ASSAULT"]
    assert events and {e["fatalities"] for e in events} == {dead}


def test_negated_and_hypothetical_events_are_flagged():
    denied = enrich("The ministry said the army did not shell the village.")
    assert [e["negated"] for e in denied["events"] if e["plover"]["type"] == "ASSAULT"] == [True]
    future = enrich("The rebels said they would attack the city.")
    assert all(e["hypothetical"] for e in future["events"] if e["plover"]["type"] == "ASSAULT")


def test_other_languages_get_no_events():
    assert enrich("Les forces gouvernementales ont bombardé la ville hier soir.")["events"] == []


def test_lexicon_agrees_with_the_ontology():
    codes = set(acled_types())
    for language in ("ar", "en"):
        _, triggers = lexicon(language)
        for trigger in filter(None, triggers):
            assert trigger.plover in PLOVER_TYPES
            assert trigger.acled is None or trigger.acled in codes
            assert trigger.plover in cameo_roots()[trigger.cameo], (trigger, cameo_roots()[trigger.cameo])


@pytest.mark.parametrize(
    ("text", "trigger"),
    [
        ("اعتصم عشرات المواطنين مساء أمس أمام الضريح في وسط بيروت", "اعتصم"),  # sit-in verb
        ("ويعتصم الاف المتظاهرين داخل مجمع يضم مقر الحكومة", "ويعتصم"),
        ("أضرب العرب في اسرائيل امس احتجاجا على رفض القضاء", "أضرب"),  # strike verb
    ],
)
def test_arabic_protest_verbs(text, trigger):
    events = [e for e in lexicon_events(text, "ar") if e["plover"]["type"] == "PROTEST"]
    assert [e["trigger"]["text"] for e in events] == [trigger]


@pytest.mark.parametrize(
    ("text", "plover", "flagged"),
    [
        # Sentences of the ANT corpus: future verbs, intentions, possibilities and calls come first.
        ("أنهم سيدخلون يوم الإثنين القادم 06 مارس 2017، في إضراب عام مفتوح", "PROTEST", True),
        ("ودعا النشطاء إلى تنظيم مظاهرة دعم مساء اليوم في ميدان التحرير", "PROTEST", True),
        ("حذرت الولايات المتحدة الكويت من احتمال تعرضها لاعتداء إرهابي", "ASSAULT", True),
        ("إن الولايات المتحدة ستنسحب من اتفاقية باريس لمكافحة تغير المناخ", "AGREE", True),
        ("ونفى المتحدث أن يكون الجيش قد قصف القرية", "ASSAULT", True),  # نفى in its keyed form
        # Words that only look like سـ + a verb, and places, flag nothing.
        ("أسفر انفجار سيارة مفخخة أمام أحد المساجد عن إصابة 6 أشخاص", "ASSAULT", False),
        ("معتمد سيدي بوعلي ينفي الاعتداء على أستاذة", "ASSAULT", False),
        ("شهدت ساحات المسجد الأقصى اليوم مواجهات بين المصلين والشرطة", "ASSAULT", False),
        ("وأكد أن 50 ألف شخص شاركوا في مظاهرة السبت في العاصمة", "PROTEST", False),
    ],
    ids=[
        "future-verb",
        "call",
        "possibility",
        "future-agreement",
        "denied",
        "car",
        "place",
        "squares",
        "past",
    ],
)
def test_events_still_to_come_are_flagged(text, plover, flagged):
    [event] = [e for e in lexicon_events(text, "ar") if e["plover"]["type"] == plover]
    assert (event["negated"] or event["hypothetical"]) is flagged


@pytest.mark.parametrize(
    ("text", "assault"),
    [
        ("Five people were killed in a car crash on the highway.", False),
        ("At least 20 people were killed as floods swept the region.", False),
        ("Militants killed two policemen after their vehicle crashed into a checkpoint.", True),
    ],
    ids=["car-crash", "floods", "attack"],
)
def test_english_deaths_in_accidents_are_no_assault(text, assault):
    assert any(e["plover"]["type"] == "ASSAULT" for e in lexicon_events(text, "en")) is assault


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("نظم المحتجون تظاهرة أمام البرلمان للمطالبة بالتشغيل", ("PROTEST", "demo")),
        # ANT sentences: in Maghrebi usage a تظاهرة with a festival around it is no demonstration.
        ("انطلاق الدورة الثانية من تظاهرة صوت الصحراء بحضور فنانين عالميين", None),
        ("وأكد التزام الوزارة بإعطاء دفع للتظاهرات الثقافية في الجهات الداخلية", None),
        ("وانتشرت شرطة مكافحة الشغب في الشوارع", None),  # riot police, no riot
        ("استهدفت مسيرة إسرائيلية سيارة في جنوب لبنان", ("ASSAULT", "drone")),  # a drone, not a march
        ("خرجت مسيرة سلمية في وسط العاصمة", ("PROTEST", "demo")),
        ("وكالة السلامة المعلوماتية تحذّر التونسيين من هجوم إلكتروني", None),  # a cyber attack
        ("خط الهجوم: نيمار، لويس سواريز، وليونيل ميسي", None),  # a football team's forwards
        ("الهاشمي الحامدي : تلقيت تهديدات بالقتل", ("THREATEN", None)),  # a death threat, no killing
        ("وطالب الحزب الحكومة بالإسراع بتدابير عاجلة", ("REQUEST", None)),
        ("يطالبون بالإفراج عن المعتقلين", ("REQUEST", None)),
        # The same letters as nouns: the student, a female student, asylum seekers, the Taliban.
        ("تأجيل النظر في قضية الطالب فاروق بن خالد", None),
        ("وصلت إلى الولايات المتحدة بتأشيرة طالبة للحصول على الماجستير", None),
        ("قالت ألمانيا إنها ستراجع حالات 550 طالب لجوء", None),
        ("حركة طالبان تتبنى الهجوم", ("ASSAULT", None)),
        # Deaths in accidents are no assault; traffic is not an accident.
        ("جندوبة : مقتل 3 أشخاص في حادث مرور وإصابة 5 آخرين", None),
        ("باكستان : مقتل 27 شخصا في اصطدام حافلتين", None),
        ("مقتل 62 شخصا جراء الحرائق في البرتغال", None),
        ("وفور الإعلان عن مقتل الرجل أغلقت الشرطة الشوارع مما أدى إلى تعطل حركة المرور", ("ASSAULT", None)),
        ("قررت دائرة الاتهام بمحكمة الاستئناف إحالة المتهمين على الدائرة الجنائية", None),  # a court
    ],
    ids=[
        "protest",
        "festival",
        "cultural",
        "riot-police",
        "drone",
        "march",
        "cyber",
        "forwards",
        "threat",
        "demanded",
        "demand",
        "the-student",
        "a-student",
        "asylum-seekers",
        "taliban",
        "road-accident",
        "collision",
        "wildfires",
        "traffic",
        "indictment-chamber",
    ],
)
def test_trigger_words_in_another_sense(text, expected):
    found = [(e["plover"]["type"], e["plover"]["mode"]) for e in lexicon_events(text, "ar")]
    assert found == ([expected] if expected else [])


@pytest.mark.parametrize(
    ("text", "language", "counted"),
    [
        ("قتل 5 أشخاص في قصف على المدينة", "ar", ["5 أشخاص"]),
        ("قتل 3 جنود وجرح آخرون في اشتباكات", "ar", ["3 جنود"]),
        ("Shelling killed 6 people in Kabul.", "en", ["6 people"]),
    ],
)
def test_quantities_stop_before_a_preposition_or_conjunction(text, language, counted):
    [event] = [e for e in lexicon_events(text, language) if e["plover"]["type"] == "ASSAULT"]
    assert [q["text"] for q in event["quantities"]] == counted


@pytest.mark.parametrize(
    ("text", "occupied"),
    [
        ("أعلن الجيش السيطرة على بلدة عقيربات", True),
        ("سيطر مسلحو داعش على مدينة الموصل", True),
        ("أعلن الجيش العراقي استعادة الموصل من داعش", True),  # a place the gazetteer knows
        ("الجيش السوري يعيد السيطرة على آخر معاقل المعارضة في حمص", True),
        ("أعلن الجيش السيطرة على خمسة مواقع", True),  # a count in words
        # ANT sentences: control of a fire, a steering wheel, oneself; regaining trust.
        ("وقد تمت السيطرة على الحريق بسرعة من طرف أعوان الحماية المدنية", False),
        ("مما جعل السائق يفقد السيطرة على المقود", False),
        ("أكد أنه فقد السيطرة على نفسه بعد شرب كمية كبيرة من الكحول", False),
        ("استعادة الثقة في تونس وتحسن صورتها في الخارج", False),
    ],
    ids=["town", "verb-city", "masdar-city", "strongholds", "count", "fire", "wheel", "oneself", "trust"],
)
def test_control_is_territorial_only_over_a_place(text, occupied):
    record = (
        default_pipeline(min_event_confidence=0.0).enrich({"id": "t", "text": text}).record
    )  # the lexicon's rule
    assert any(e["plover"]["mode"] == "occupy" for e in record["events"]) is occupied


@needs_shared_data
def test_the_numpy_classifier_computes_what_scikit_learn_computes():
    """linear.py serves the ACLED models without scikit-learn: the same probabilities as the fitted
    ones, with the e5 sentence vectors (the default's model) and without (the fast profile's)."""
    import json

    import numpy as np

    from tests.conftest import SHARED_DATA
    from workers.events.classifier import SentenceClassifier, sentence_vectors

    path = SHARED_DATA / "case2021-acled-subtypes" / "dev.jsonl"
    rows = [json.loads(line) for line in path.open(encoding="utf-8")][:120]
    texts = [r["text"] for r in rows]
    tokens = ["P_ASSAULT T_shelled FLAGGED" if i % 3 else "NONE" for i in range(len(rows))]
    labels = [r["subtype"] for r in rows]
    vectors = sentence_vectors(texts)
    for vector_weight in (0.0, 8.0):  # C=1: the export is what is tested, and it converges fast
        fitted = SentenceClassifier(1.0, vector_weight).fit(
            texts[:100], tokens[:100], labels[:100], vectors[:100]
        )
        exported = fitted.export()
        assert exported.classes == fitted.classes
        np.testing.assert_allclose(
            exported.probabilities(texts[100:], tokens[100:], vectors[100:]),
            fitted.probabilities(texts[100:], tokens[100:], vectors[100:]),
            atol=1e-9,
        )


def _names(event: dict) -> tuple[str | None, str | None]:
    """The English names of the entities the event's source and target hold."""
    return tuple((a["link"] or {}).get("name_en") if a else None for a in event["actors"].values())


def test_seed_actors_read_as_a_user_expects(seed):
    by_trigger = {e["trigger"]["text"]: e for e in seed["events"]}
    assert _names(by_trigger["دمر"]) == ("Russian Aerospace Forces", "Islamic State")
    assert by_trigger["دمر"]["actors"]["source"]["text"] == "سلاح الجو الروسي"
    assert _names(by_trigger["سيطرت"]) == ("Syrian Arab Army", "Islamic State")
    # what the army regained is the villages (as OEDA's annotators mark what an action hits)
    retaken = by_trigger["واستعادت"]["actors"]
    assert (retaken["source"]["text"], retaken["target"]["text"]) == (
        "وحدات من الجيش السوري",
        "9 قرى وتلال حاكمة",
    )
    notes = [e for e in seed["events"] if e["trigger"]["text"] == "مذكرة احتجاج"]
    assert len(notes) == 2 and all(note["plover"]["type"] == "ACCUSE" for note in notes)
    assert _names(notes[0]) == ("Russian Ministry of Foreign Affairs", "United States")
    # the second telling is passive, تم استدعاء "غودفري": the chargé d'affaires is summoned, the
    # ministry protests
    assert notes[1]["actors"]["source"]["link"]["name_en"] == "Russian Ministry of Foreign Affairs"


@pytest.mark.parametrize(
    ("text", "source", "target"),
    [
        ("قتل 5 جنود على يد مسلحين في بغداد.", "مسلحين", "5 جنود"),  # passive agent
        (
            "وقتل مفجرون انتحاريون 12 شخصا في هجوم على سوق.",
            "مفجرون انتحاريون",
            "12 شخصا",
        ),  # actor noun, victims
        ("وأعلنت الشرطة أن مسلحين مجهولين اختطفوا نقيب الصيادلة.", "مسلحين مجهولين", "نقيب الصيادلة"),
        ("وندعو واشنطن إلى الكف عن انتهاك القانون الدولي.", None, "واشنطن"),  # first person
        ("The convoy was attacked by militants near Kandahar.", "militants", "convoy"),
        ("Gunmen attacked a police station in Kabul.", "Gunmen", "police station"),
        (
            "Police in Nairobi fired tear gas at hundreds of protesters demanding his resignation.",
            "Police",
            "protesters",
        ),  # the subject's place is no subject; a count gives way to whom it counts
        ("Soldiers from the 3rd brigade attacked rebel positions near Goma.", "Soldiers", "rebel positions"),
    ],
    ids=[
        "passive-agent",
        "actor-noun",
        "subject-first",
        "first-person",
        "en-passive",
        "en-actor-noun",
        "en-subject-before-its-place",
        "en-subject-before-its-unit",
    ],
)
def test_actors_are_phrases_of_the_text(text, source, target):
    record = default_pipeline(min_event_confidence=0.0).enrich({"id": "t", "text": text}).record
    [event, *_] = record["events"]
    found = event["actors"]
    assert (found["source"] and found["source"]["text"], found["target"] and found["target"]["text"]) == (
        source,
        target,
    )


def test_protesters_clashing_with_police_are_a_riot_not_an_armed_clash():
    text = "Protesters clashed with police in Cairo; two people were killed."
    record = default_pipeline(min_event_confidence=0.0).enrich({"id": "t", "text": text}).record
    [event] = [e for e in record["events"] if e["trigger"]["text"] == "clashed"]
    assert event["plover"] == {"type": "PROTEST", "mode": "riot"}
    assert event["acled"]["sub_event_type"] != "Armed clash"
    assert (event["actors"]["source"]["text"], event["actors"]["target"]["text"]) == ("Protesters", "police")
    assert [q["text"] for q in event["quantities"]] == ["two people"]


def test_a_counted_noun_takes_no_suffixed_word_as_its_adjective():
    text = "أسفرت الغارة عن مقتل 12 شخصا بينهم أطفال، ولقي ثلاثة جنود مصرعهم في الهجوم."
    record = default_pipeline(min_event_confidence=0.0).enrich({"id": "t", "text": text}).record
    counted = {q["text"] for e in record["events"] for q in e["quantities"]}
    assert counted == {"12 شخصا", "ثلاثة جنود"}


def test_quantities_are_never_durations_or_dates():
    text = "دمر سلاح الجو 9 وحدات مدرعة خلال الـ48 ساعة الماضية في 31 مارس 2017."
    record = default_pipeline(min_event_confidence=0.0).enrich({"id": "t", "text": text}).record
    counted = {q["text"] for e in record["events"] for q in e["quantities"]}
    assert counted == {"9 وحدات مدرعة"}


def test_min_event_confidence_drops_unlikely_events_and_zero_keeps_every_candidate(seed):
    record = {"id": "t", "text": seed["text"]}
    everything = default_pipeline(min_event_confidence=0.0).enrich(dict(record)).record["events"]
    default = default_pipeline().enrich(dict(record)).record["events"]
    strict = default_pipeline(min_event_confidence=0.9).enrich(dict(record)).record["events"]
    assert len(everything) >= len(default) > len(strict)
    assert all(e["confidence"] >= 0.9 for e in strict)
