"""The events table's columns, each read from one field of the enriched record.

A column names its field by a path through `schemas/enriched-article.schema.json`: keys joined by
`/`; `*` is the row's event in `events` and `#` its position there; `@location` is the entity that
the event's `location` names (its `link` holds the place's coordinates). A test walks every path
through the schema, so the table holds nothing the record contract does not promise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Column:
    name: str
    path: str
    sql: str  # DuckDB type
    steps: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", tuple(self.path.split("/")))

    def value(self, record: dict[str, Any], index: int | None = None) -> Any:
        """The field's value in `record` (for the event at `index`); None where the record has none."""
        node: Any = record
        for step in self.steps:
            if node is None:
                return None
            if step == "#":
                return index
            if step == "*":
                node = node[index]
            elif step == "@location":
                where = record["events"][index]["location"]
                node = node[where["entity"]] if where else None
            else:
                node = node.get(step)
        return node


def _actor(role: str) -> tuple[Column, ...]:
    at = f"events/*/actors/{role}"
    return (
        Column(f"{role}_actor", f"{at}/text", "VARCHAR"),
        Column(f"{role}_actor_kb", f"{at}/link/kb", "VARCHAR"),
        Column(f"{role}_actor_id", f"{at}/link/id", "VARCHAR"),
        Column(f"{role}_actor_name", f"{at}/link/name_en", "VARCHAR"),
        Column(f"{role}_actor_country", f"{at}/link/country_code", "VARCHAR"),
    )


# One row per article: the `articles` table, and the first columns of `events`.
ARTICLE = (
    Column("article_id", "id", "VARCHAR"),
    Column("story_id", "story/id", "VARCHAR"),
    Column("duplicate_of", "story/duplicate_of", "VARCHAR"),
    Column("published_at", "published_at", "TIMESTAMPTZ"),
    Column("enriched_at", "pipeline/enriched_at", "TIMESTAMPTZ"),
    Column("language", "language/code", "VARCHAR"),
    Column("script", "language/script", "VARCHAR"),
    Column("title", "title", "VARCHAR"),
    Column("url", "url", "VARCHAR"),
    Column("article_source", "source", "VARCHAR"),
)

# One row per event, keyed by (article_id, event_index).
EVENT = (
    *ARTICLE,
    Column("event_index", "events/#", "INTEGER"),
    Column("plover_type", "events/*/plover/type", "VARCHAR"),
    Column("plover_mode", "events/*/plover/mode", "VARCHAR"),
    Column("acled_event_type", "events/*/acled/event_type", "VARCHAR"),
    Column("acled_sub_event_type", "events/*/acled/sub_event_type", "VARCHAR"),
    Column("cameo", "events/*/cameo", "VARCHAR"),
    Column("confidence", "events/*/confidence", "DOUBLE"),
    Column("negated", "events/*/negated", "BOOLEAN"),
    Column("hypothetical", "events/*/hypothetical", "BOOLEAN"),
    Column("trigger", "events/*/trigger/text", "VARCHAR"),
    Column("trigger_start", "events/*/trigger/start", "INTEGER"),
    Column("trigger_end", "events/*/trigger/end", "INTEGER"),
    Column("sentence_field", "events/*/sentence/field", "VARCHAR"),
    Column("sentence_start", "events/*/sentence/start", "INTEGER"),
    Column("sentence_end", "events/*/sentence/end", "INTEGER"),
    *_actor("source"),
    *_actor("target"),
    Column("place", "events/*/location/text", "VARCHAR"),
    Column("place_kb", "entities/@location/link/kb", "VARCHAR"),
    Column("place_id", "entities/@location/link/id", "VARCHAR"),
    Column("place_name", "entities/@location/link/name_en", "VARCHAR"),
    Column("latitude", "entities/@location/link/lat", "DOUBLE"),
    Column("longitude", "entities/@location/link/lon", "DOUBLE"),
    Column("country", "entities/@location/link/country_code", "VARCHAR"),
    Column("fatalities", "events/*/fatalities", "INTEGER"),
    Column("quantities", "events/*/quantities", "JSON"),
)

TABLES = {"events": EVENT, "articles": ARTICLE}
KEYS = {"events": ("article_id", "event_index"), "articles": ("article_id",)}


Row = dict[str, Any]


def article_row(record: dict[str, Any]) -> Row:
    return {column.name: column.value(record) for column in ARTICLE}


def event_rows(record: dict[str, Any]) -> list[Row]:
    article = article_row(record)
    return [
        article | {column.name: column.value(record, i) for column in EVENT[len(ARTICLE) :]}
        for i in range(len(record["events"]))
    ]
