"""`newsworker export`: the events table from enriched records, its columns held to the schema."""

from __future__ import annotations

import re

import duckdb
import orjson
import pytest
from click.testing import CliRunner

from tests.conftest import REPO
from workers.cli import main
from workers.export.columns import EVENT, TABLES
from workers.records import schema_dir

SCHEMA = orjson.loads((schema_dir() / "enriched-article.schema.json").read_bytes())
# JSON Schema types a DuckDB column type may hold
ACCEPTS = {
    "VARCHAR": {"string"},
    "TIMESTAMPTZ": {"string"},
    "DOUBLE": {"number", "integer"},
    "INTEGER": {"integer"},
    "BOOLEAN": {"boolean"},
    "JSON": {"array", "object"},
}


def _alternatives(node: dict) -> list[dict]:
    """A schema node with its $ref followed and its oneOf/anyOf alternatives spread out."""
    if "$ref" in node:
        node = SCHEMA["$defs"][node["$ref"].rsplit("/", 1)[1]]
    spread = node.get("oneOf") or node.get("anyOf")
    return [a for alt in spread for a in _alternatives(alt)] if spread else [node]


JSON_TYPES = {str: "string", bool: "boolean", int: "integer", float: "number", type(None): "null"}


def _types(node: dict) -> set[str]:
    """The JSON types a field may hold (an enum: its values' types)."""
    found = set()
    for alt in _alternatives(node):
        declared = alt.get("type", [])
        found |= {declared} if isinstance(declared, str) else set(declared)
        found |= {JSON_TYPES[type(value)] for value in alt.get("enum", ())}
    return found


def _schema_node(path: str) -> dict:
    """The schema of the field a column's path names; fails when the schema has no such field."""
    node = SCHEMA
    for step in path.split("/"):
        if step == "#":
            assert "array" in _types(node), path
            return {"type": "integer"}  # the event's position
        if step in ("*", "@location"):  # an item of the array
            found = [alt["items"] for alt in _alternatives(node) if "items" in alt]
        else:
            found = [
                alt["properties"][step] for alt in _alternatives(node) if step in alt.get("properties", {})
            ]
        assert found, f"{path}: the schema has no {step!r} here"
        node = found[0]
    return node


@pytest.mark.parametrize("column", [c for columns in TABLES.values() for c in columns], ids=lambda c: c.name)
def test_every_column_comes_from_a_schema_field_of_its_type(column):
    types = _types(_schema_node(column.path)) - {"null"}
    assert types and types <= ACCEPTS[column.sql], f"{column.name}: {column.sql} cannot hold {types}"


def test_a_path_the_schema_does_not_have_is_caught():
    with pytest.raises(AssertionError, match="no 'lat'"):
        _schema_node("events/*/location/lat")  # the location is an entity reference, not a link


def _export(tmp_path, *args):
    result = CliRunner().invoke(main, ["export", *map(str, args)])
    assert result.exit_code == 0, result.output
    return result


def _rows(con, sql):
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_the_seed_s_events_are_rows_at_their_places(enriched_seed, tmp_path):
    out = tmp_path / "events.parquet"
    _export(tmp_path, enriched_seed, "-o", out)
    rows = _rows(duckdb.connect(), f"SELECT * FROM read_parquet('{out}')")
    assert [c.name for c in EVENT] == list(rows[0])
    records = [orjson.loads(line) for line in enriched_seed.read_bytes().splitlines()]
    assert len(rows) == sum(len(r["events"]) for r in records)
    seed = [r for r in rows if r["article_id"] == "c7ac9c43c2f0f384"]
    deir = [r for r in seed if r["place_name"] == "Deir ez-Zor"]
    assert deir and all(r["country"] == "SY" and r["plover_type"] == "ASSAULT" for r in deir)
    assert (round(deir[0]["latitude"], 2), round(deir[0]["longitude"], 2)) == (35.34, 40.14)
    english = next(r for r in rows if r["article_id"] == "deir-ez-zor-en")
    assert english["story_id"] == "c7ac9c43c2f0f384" and english["language"] == "en"
    assert english["fatalities"] == 12 and english["place_name"] == "Deir ez-Zor"
    text = next(r for r in records if r["id"] == "deir-ez-zor-en")["text"]
    assert text[english["sentence_start"] : english["sentence_end"]].startswith("Russian jets")
    assert text[english["trigger_start"] : english["trigger_end"]] == english["trigger"]


def test_replays_and_copies_never_count_an_event_twice(enriched_seed, tmp_path):
    once = tmp_path / "once.csv"
    _export(tmp_path, enriched_seed, "-o", once)
    twice = tmp_path / "twice.csv"
    result = _export(tmp_path, enriched_seed, enriched_seed, "-o", twice)  # a copy of every record
    assert "read 8 enriched records (4 articles, 0 refused)" in result.stderr
    assert once.read_bytes() == twice.read_bytes()

    db = tmp_path / "events.duckdb"
    _export(tmp_path, enriched_seed, "-o", db)
    _export(tmp_path, enriched_seed, "-o", db)  # a replay into the same table
    con = duckdb.connect(str(db))
    events = con.execute("SELECT count(*), count(DISTINCT (article_id, event_index)) FROM events").fetchone()
    assert events[0] == events[1] == len(once.read_text(encoding="utf-8").splitlines()) - 1
    con.close()

    # the seed re-enriched with one event only: its other rows go, the other articles' stay
    records = [orjson.loads(line) for line in enriched_seed.read_bytes().splitlines()]
    seed = next(r for r in records if r["id"] == "c7ac9c43c2f0f384")
    (tmp_path / "again.jsonl").write_bytes(orjson.dumps(seed | {"events": seed["events"][:1]}))
    _export(tmp_path, tmp_path / "again.jsonl", "-o", db)
    con = duckdb.connect(str(db))
    by_article = dict(con.execute("SELECT article_id, count(*) FROM events GROUP BY ALL").fetchall())
    assert (
        by_article["c7ac9c43c2f0f384"] == 1
        and sum(by_article.values()) == events[0] - len(seed["events"]) + 1
    )
    assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 4


def test_a_line_that_is_no_enriched_record_is_named_and_skipped(enriched_seed, tmp_path):
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_bytes(enriched_seed.read_bytes() + b'{"id": "raw", "text": "not enriched"}\nnot json\n')
    result = _export(tmp_path, mixed, "-o", tmp_path / "events.csv")
    assert "mixed.jsonl:5: not an enriched article" in result.stderr
    assert "mixed.jsonl:6: invalid JSON" in result.stderr
    assert "(4 articles, 2 refused)" in result.stderr


def test_an_output_without_a_format_is_refused(enriched_seed, tmp_path):
    result = CliRunner().invoke(main, ["export", str(enriched_seed), "-o", str(tmp_path / "events.xlsx")])
    assert result.exit_code == 1 and "--format" in result.output


def test_the_documented_queries_run_on_the_seed(enriched_seed, tmp_path):
    db = tmp_path / "events.duckdb"
    _export(tmp_path, enriched_seed, "-o", db)
    readme = (REPO / "workers" / "export" / "README.md").read_text(encoding="utf-8")
    attacks, protests, story = re.findall(r"```sql\n(.*?)```", readme, re.S)
    con = duckdb.connect(str(db))
    con.execute("SET TimeZone = 'UTC'")
    syria = [r for r in _rows(con, attacks) if r["country"] == "SY"]
    assert sum(r["attacks"] for r in syria) >= 3 and sum(r["stories"] for r in syria) == 1
    assert sum(r["fatalities"] or 0 for r in syria) == 12
    found = _rows(con, protests)
    assert {r["language"] for r in found} == {"en"} and "teachers" in " ".join(
        r["source_actor"] or "" for r in found  # the headline's noun-compound trigger has none
    ).lower()
    assert sorted(r["place"] for r in found) == ["Tunis", "Tunisia"]
    articles = _rows(con, story)
    assert [(r["language"], r["article_id"]) for r in articles] == [
        ("ar", "c7ac9c43c2f0f384"),
        ("en", "deir-ez-zor-en"),
    ]
    assert all("ASSAULT" in r["types"] for r in articles)


def test_a_source_is_files_or_the_topic_never_both_nor_none(enriched_seed, tmp_path):
    out = str(tmp_path / "events.csv")
    for args in (["-o", out], [str(enriched_seed), "--from-kafka", "-o", out]):
        result = CliRunner().invoke(main, ["export", *args])
        assert result.exit_code == 2 and "--from-kafka" in result.output


def test_a_duckdb_file_with_another_table_is_refused_not_mixed(enriched_seed, tmp_path):
    db = tmp_path / "other.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE events (article_id VARCHAR, n INTEGER)")
    con.close()
    result = CliRunner().invoke(main, ["export", str(enriched_seed), "-o", str(db)])
    assert result.exit_code == 1 and "its events table has other columns" in result.output
