"""The e5 NER backend: a fine-tuned multilingual-e5-small run with numpy, on real Arabic news."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SEED_TXT
from workers.entities import backends
from workers.entities.e5_ner import LABELS, viterbi
from workers.entities.stage import EntityStage
from workers.entities.train import spans


@pytest.fixture(scope="module")
def stage() -> EntityStage:
    return EntityStage("e5")


def test_seed_names_are_found_with_exact_offsets(stage):
    text = SEED_TXT.read_text(encoding="utf-8")
    record = {"id": "s", "text": text, "language": {"code": "ar"}}
    stage(record)
    found = {(e["text"], e["type"]) for e in record["entities"]}
    assert {("سلاح الجو الروسي", "ORG"), ("دير الزور", "LOC"), ("أنطوني غودفري", "PER")} <= found
    for e in record["entities"]:
        assert text[e["start"] : e["end"]] == e["text"]
    assert stage.backend.startswith("e5")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.sampled_from(["قال", "الرئيس", "بشار", "الأسد", "في", "دمشق", "،", "«", "x", "٣"]), max_size=40
    )
)
def test_tags_are_valid_bio_whatever_the_words(stage, words):
    [tags] = stage.tagger.tag([words]) if words else [[]]
    assert len(tags) == len(words)
    for before, tag in zip(["O", *tags], tags, strict=False):
        if tag.startswith("I-"):
            assert before[2:] == tag[2:], (before, tag)
    assert all(tag in LABELS for tag in tags)


def test_viterbi_repairs_what_the_head_alone_would_emit():
    import numpy as np

    scores = np.full((3, len(LABELS)), -5.0)
    scores[0, LABELS.index("I-PERS")] = 0.0  # a name opened with I-
    scores[1, LABELS.index("I-LOC")] = 0.0  # and switching type inside
    scores[2, LABELS.index("O")] = 0.0
    tags = viterbi(scores)
    assert spans(tags) and all(
        not (t.startswith("I-") and b[2:] != t[2:]) for b, t in zip(["O", *tags], tags, strict=False)
    )


def test_missing_model_is_named_with_its_fix(monkeypatch, tmp_path):
    import workers.entities.e5_ner as e5_ner

    monkeypatch.setattr(e5_ner, "MODEL", tmp_path / "ner-e5.npz")
    with pytest.raises(backends.BackendUnavailable, match="train ner --backend e5"):
        backends.check("e5")
