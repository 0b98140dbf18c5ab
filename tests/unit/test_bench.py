"""The offline benchmark reports what the story features take of the time it measures."""

from tests.conftest import ANT_SAMPLE
from workers.bench import bench_offline


def test_offline_benchmark_reports_the_story_features_share(tmp_path):
    sample = tmp_path / "five.jsonl"
    sample.write_bytes(b"".join(ANT_SAMPLE.read_bytes().splitlines(keepends=True)[:5]))
    result = bench_offline(sample)
    assert result.count == 5
    assert 0 < result.stories_s < result.seconds
    line = result.line("offline enrich")
    assert "articles/s" in line and "story features" in line and "% of the time" in line
