"""The events evaluation on the shared development data (present here and in CI)."""

import pytest

from tests.conftest import REPO
from workers.events.evaluate import evaluate

DATA = REPO.parent / "shared" / "data"
pytestmark = pytest.mark.skipif(not (DATA / "oeda-arabic-events").exists(), reason="no ../shared/data")


def test_higher_confidence_is_more_often_right():
    scores = evaluate(DATA)
    assert set(scores.reliability) == {"OEDA Arabic ASSAULT", "CASE-2021 English ACLED"}
    for name, bands in scores.reliability.items():
        filled = [right for n, right in bands if n >= 20]  # bands with enough events to compare
        assert len(filled) >= 3, (name, bands)
        assert filled == sorted(filled), (name, bands)
