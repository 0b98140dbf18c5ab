"""A spaCy model named by `--ner-backend ...,spacy:MODEL`: real loading of a tiny English model
trained here (it replaces the default English pipeline), label mapping, exact offsets, linking,
and clear refusals. The default pipelines themselves: test_english.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO
from workers.entities import EntityStage
from workers.entities.backends import BackendUnavailable, parse

TEXT = (
    "Antony Blinken met officials in Moscow on Monday. "
    "The Russian Defence Ministry said strikes hit Deir ez-Zor."
)
GOLD = {"Antony Blinken": "PERSON", "Moscow": "GPE", "Russian Defence Ministry": "ORG", "Deir ez-Zor": "GPE"}


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    import spacy
    from spacy.training import Example

    spacy.util.fix_random_seed(0)
    nlp = spacy.blank("en")
    ner = nlp.add_pipe("ner")
    entities = [(TEXT.index(name), TEXT.index(name) + len(name), label) for name, label in GOLD.items()]
    for *_, label in entities:
        ner.add_label(label)
    optimizer = nlp.initialize()
    example = Example.from_dict(nlp.make_doc(TEXT), {"entities": entities})
    for _ in range(40):
        nlp.update([example], sgd=optimizer, drop=0.0)
    folder = tmp_path_factory.mktemp("spacy") / "en_tiny"
    nlp.to_disk(folder)
    return folder


def enrich(stage: EntityStage, code: str, text: str = TEXT) -> list[dict]:
    record = {"title": "", "text": text, "language": {"code": code}}
    stage(record)
    return record["entities"]


def test_spacy_model_serves_its_language_with_exact_offsets_and_links(tiny_model):
    stage = EntityStage(f"crf,spacy:{tiny_model}")
    entities = enrich(stage, "en")
    assert all(TEXT[e["start"] : e["end"]] == e["text"] for e in entities)
    found = {e["text"]: e for e in entities}
    assert {name: found[name]["type"] for name in GOLD} == {
        "Antony Blinken": "PER",
        "Moscow": "LOC",
        "Russian Defence Ministry": "ORG",
        "Deir ez-Zor": "LOC",
    }
    assert found["Moscow"]["link"]["country_code"] == "RU"
    assert found["Antony Blinken"]["link"] is None  # unknown names stay unlinked
    assert "spaCy" in stage.backend


def test_languages_without_a_model_keep_gazetteer_entities_only(tiny_model):
    stage = EntityStage(f"crf,spacy:{tiny_model}")
    names = {e["text"] for e in enrich(stage, "de")}
    assert "Moscow" in names  # the gazetteer still knows it
    assert "Antony Blinken" not in names  # the English model is not asked about German


def test_arabic_articles_are_unaffected(tiny_model):
    seed = (REPO / "seeds" / "000_d82f3b9495a6aa15.txt").read_text(encoding="utf-8")
    with_spacy = enrich(EntityStage(f"crf,spacy:{tiny_model}"), "ar", seed)
    assert with_spacy == enrich(EntityStage("crf"), "ar", seed) and len(with_spacy) > 10


def test_backend_values_are_parsed_and_refused_clearly():
    assert parse("crf,spacy:en_core_web_sm,spacy:/m/xx").spacy_models == ("en_core_web_sm", "/m/xx")
    with pytest.raises(ValueError, match="expected spacy:"):
        parse("crf,stanza:en")
    with pytest.raises(BackendUnavailable, match="python -m spacy download en_missing_model"):
        EntityStage("crf,spacy:en_missing_model")


def test_enrich_refuses_a_missing_spacy_model_up_front():
    from click.testing import CliRunner

    from workers.cli import main

    result = CliRunner().invoke(main, ["enrich", "--ner-backend", "crf,spacy:en_missing_model"], input=b"")
    assert result.exit_code == 1 and "python -m spacy download en_missing_model" in result.output


def test_long_texts_go_through_in_pieces_with_exact_offsets(tiny_model, monkeypatch):
    from functools import partial

    from workers.entities import spacy_ner

    repeats = 1_000_000 // len(TEXT + "\n") + 1
    text = (TEXT + "\n") * repeats  # over spaCy's 1M-character limit
    pieces = spacy_ner.chunks(text)
    assert "".join(piece for _, piece in pieces) == text and len(pieces) > 10
    assert all(text[offset : offset + len(piece)] == piece for offset, piece in pieces)
    assert all(piece.endswith("\n") for _, piece in pieces[:-1])  # cut at line breaks
    # Through the model, the same mechanism at a twentieth of the size (3 min -> 10 s): 2,000-char
    # pieces of a 50,000-char text.
    monkeypatch.setattr(spacy_ner, "chunks", partial(spacy_ner.chunks, size=2000))
    repeats //= 20
    text = (TEXT + "\n") * repeats
    entities = enrich(EntityStage(f"crf,spacy:{tiny_model}"), "en", text)
    assert all(text[e["start"] : e["end"]] == e["text"] for e in entities)
    assert sum(e["text"] == "Moscow" for e in entities) == repeats
