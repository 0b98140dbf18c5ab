import gzip
import subprocess
import sys

import orjson
from click.testing import CliRunner

from tests.conftest import SEEDS
from workers.cli import main
from workers.records import schema_errors


def test_enrich_directory_writes_valid_jsonl(tmp_path):
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, ["enrich", str(SEEDS), "-o", str(out)])
    assert result.exit_code == 0, result.output
    records = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert len(records) == 201
    assert all(schema_errors("enriched-article", r) == [] for r in records)
    assert "enriched 201, dead-lettered 0" in result.stderr


def test_enrich_stdin_reports_bad_lines_and_goes_on(tmp_path):
    letters = tmp_path / "dead.jsonl"
    stdin = b'{"text": "Good English text about the economy."}\n{broken\n\n{"title": "no body"}\n'
    result = CliRunner().invoke(main, ["enrich", "--dead-letters", str(letters)], input=stdin)
    assert result.exit_code == 0
    [record] = [orjson.loads(line) for line in result.stdout_bytes.splitlines()]
    assert record["language"]["code"] == "en"
    assert "<stdin>:2: invalid_json" in result.stderr
    assert "<stdin>:4: schema_violation" in result.stderr
    dead = [orjson.loads(line) for line in letters.read_bytes().splitlines()]
    assert [d["reason"] for d in dead] == ["invalid_json", "schema_violation"]
    assert dead[0]["source"] == {"file": "<stdin>", "line": 2}
    assert dead[0]["payload"] == "{broken"


def test_enrich_exit_status_says_whether_records_were_lost():
    good, bad = b'{"text": "Talks resumed in Geneva."}\n', b"not json\n"
    runner = CliRunner()
    assert runner.invoke(main, ["enrich"], input=good).exit_code == 0
    none = runner.invoke(main, ["enrich"], input=bad)
    assert none.exit_code == 65  # EX_DATAERR: nothing was enriched
    assert "<stdin>:1: invalid_json: not JSON:" in none.stderr and "it starts 'not json'" in none.stderr
    assert runner.invoke(main, ["enrich"], input=good + bad).exit_code == 0  # some were
    assert runner.invoke(main, ["enrich", "--fail-on-dead-letter"], input=good + bad).exit_code == 65


def test_an_enriched_record_reads_enrichment_first():
    result = CliRunner().invoke(main, ["enrich"], input=b'{"text": "Talks resumed.", "title": "Talks"}\n')
    record = orjson.loads(result.stdout_bytes)
    assert list(record)[:6] == ["id", "language", "entities", "events", "story", "pipeline"]
    assert list(record)[6:] == ["text", "title"]


def test_enrich_names_a_missing_file():
    result = CliRunner().invoke(main, ["enrich", "no/such/file.jsonl"])
    assert result.exit_code == 2 and "no/such/file.jsonl" in result.output


def test_config_markdown_lists_every_env_var():
    result = CliRunner().invoke(main, ["config", "--markdown"])
    assert "NEWSWORKER_BOOTSTRAP_SERVERS" in result.output and "NEWSWORKER_ENRICH_PROCESSES" in result.output


def test_enrich_reads_gzipped_jsonl_and_dash_as_stdin(tmp_path):
    lines = (SEEDS / "ant-sample.jsonl").read_bytes().splitlines()[:3]
    archive = tmp_path / "archive.jsonl.gz"
    archive.write_bytes(gzip.compress(b"\n".join(lines) + b"\n"))
    result = CliRunner().invoke(main, ["enrich", str(tmp_path), "-"], input=lines[0] + b"\n")
    assert result.exit_code == 0, result.output
    ids = [orjson.loads(line)["id"] for line in result.stdout_bytes.splitlines()]
    assert ids == [orjson.loads(line)["id"] for line in [*lines, lines[0]]]


def test_enrich_names_a_corrupt_gzip_file(tmp_path):
    broken = tmp_path / "broken.jsonl.gz"
    broken.write_bytes(gzip.compress(b'{"text": "x"}\n' * 100)[:40])
    result = CliRunner().invoke(main, ["enrich", str(broken)])
    assert result.exit_code == 1
    assert f"{broken}: cannot be read" in result.output


def test_replay_refuses_to_loop_over_stdin():
    result = CliRunner().invoke(main, ["replay", "-", "--loop", "2"], input=b"{}\n")
    assert result.exit_code == 1 and "stdin can be read once" in result.output


def test_min_event_confidence_outside_zero_to_one_is_refused_before_any_work(monkeypatch):
    runner = CliRunner()
    result = runner.invoke(
        main, ["enrich", "--min-event-confidence", "1.5"], input='{"id": "x", "text": "x"}\n'
    )
    assert result.exit_code == 2 and "not a probability between 0 and 1" in result.output
    monkeypatch.setenv("NEWSWORKER_MIN_EVENT_CONFIDENCE", "-0.1")
    assert runner.invoke(main, ["enrich"], input='{"id": "x", "text": "x"}\n').exit_code == 2


def test_an_unknown_event_decisions_profile_is_refused_before_any_work():
    result = CliRunner().invoke(
        main, ["enrich", "--event-decisions", "fast"], input='{"id": "x", "text": "x"}\n'
    )
    assert result.exit_code == 2 and "neither contextual nor static" in result.output


def test_loading_the_models_is_not_charged_to_the_first_records_budget():
    # A fresh process loads the models (~5 s, more on a busy machine) on its first record; with a
    # 1 s budget per record that load once dead-lettered the seed as enrich_timeout.
    seed = SEEDS / "000_d82f3b9495a6aa15.txt"
    result = subprocess.run(
        [sys.executable, "-m", "workers", "enrich", "--enrich-timeout-s", "1", str(seed)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "enriched 1, dead-lettered 0" in result.stderr
    assert orjson.loads(result.stdout)["events"]


def test_acls_prints_the_kafka_acls_commands_of_the_worker_grants():
    result = CliRunner().invoke(
        main, ["acls", "--group-id", "nw", "--raw-topic", "in", "--sasl-username", "bot"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 5 and all(
        line.startswith("kafka-acls.sh --bootstrap-server 127.0.0.1:9092") for line in lines
    )
    assert "--allow-principal User:bot --operation Read --operation DescribeConfigs --topic in" in lines[0]
    assert lines[3].endswith("--operation DescribeConfigs --resource-pattern-type prefixed --topic nw")
    assert lines[4].endswith("--allow-principal User:bot --operation Read --group nw")
