"""Our annotated ANT corpus trains the Arabic decisions beside OEDA dev without ever being scored."""

import json

import numpy as np
import pytest

from tests.conftest import SHARED_DATA
from workers.encoders import static
from workers.events import decisions
from workers.events.stage import lexicon_events


@pytest.fixture(scope="module")
def ours() -> list[decisions.Candidate]:
    return decisions.ours(lexicon_events)


def test_corpus_candidates_carry_the_annotators_labels(ours):
    rows = decisions.corpus_rows()
    assert len(rows) >= 100 and ours
    labels: dict[tuple[str, str], set[str]] = {}  # a text may recur in two articles
    for row in rows:
        for kind in ("assault", "protest"):
            if row[kind] is not None:  # no annotator calibrated for it
                labels.setdefault((row["text"], kind.upper()), set()).add(row[kind])
    for c in ours:
        assert c.train_only and decisions.fold(c) == -1 and c.language == "ar"
        plover = c.event["plover"]["type"]
        if plover in ("ASSAULT", "PROTEST"):
            given = labels[(c.text, plover)]
            assert c.label in {label == "yes" for label in given}, (c.text, plover, given)


def test_corpus_trains_every_fold_and_is_never_scored(ours):
    path = SHARED_DATA / "oeda-arabic-events" / "dev.jsonl"
    if not path.exists():
        pytest.skip("../shared is not beside the repository")
    oeda = []
    for line in path.open(encoding="utf-8").readlines()[:200]:
        row = json.loads(line)
        for event in lexicon_events(row["text"], "ar"):
            if event["plover"]["type"] == row["plover_type"]:
                oeda.append(decisions.Candidate(row["text"], event, "ar", row["label"] == "yes", "oeda"))
    both = oeda + ours
    vectors = static.pretrained().encode([c.text for c in both])
    alone = decisions.out_of_fold(oeda, decisions.features(oeda, vectors[: len(oeda)]))
    beside = decisions.out_of_fold(both, decisions.features(both, vectors))
    assert np.all(beside[len(oeda) :] == 0.0)  # never scored
    assert not np.allclose(alone, beside[: len(oeda)])  # but in the fits
