"""`newsworker export`: enriched records in, the events table out (DuckDB, Parquet or CSV)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from workers.export.columns import Row, article_row, event_rows
from workers.export.tables import FORMATS, ExportError, Tables
from workers.feed import FeedError, Payload, decode


@dataclass(frozen=True)
class Summary:
    read: int  # enriched records read, copies and replays included
    articles: int  # distinct articles among them
    rejected: int  # payloads that were not enriched records
    rows: int  # rows in the output table


def latest(
    payloads: Iterable[Payload], warn: Callable[[str], None]
) -> tuple[dict[str, tuple[Row, list[Row]]], int, int]:
    """Rows of the last record of each article id (a replay or a copy replaces, never adds), how
    many records were read, and how many payloads were refused."""
    rows: dict[str, tuple[Row, list[Row]]] = {}
    read = rejected = 0
    for origin, payload in payloads:
        try:
            record = decode(origin, payload)
        except FeedError as exc:
            rejected += 1
            warn(str(exc))
            continue
        read += 1
        rows[record["id"]] = (article_row(record), event_rows(record))
    return rows, read, rejected


def export(
    payloads: Iterable[Payload],
    output: Path,
    fmt: str | None = None,
    table: str = "events",
    warn: Callable[[str], None] = lambda _: None,
) -> Summary:
    """Write `table` (events or articles) to `output`; a DuckDB file gets both tables, upserted."""
    fmt = fmt or FORMATS.get(output.suffix.lower())
    if fmt not in FORMATS.values():
        raise ExportError(f"{output}: name a format (--format) or end the name in {', '.join(FORMATS)}")
    rows, read, rejected = latest(payloads, warn)
    tables = Tables(output if fmt == "duckdb" else None)
    try:
        tables.upsert((a for a, _ in rows.values()), (e for _, events in rows.values() for e in events))
        if fmt != "duckdb":
            tables.copy(table, output, fmt)
        return Summary(read, len(rows), rejected, tables.count(table))
    finally:
        tables.close()
