"""The `events` and `articles` tables in DuckDB: upserted by key, copied out as Parquet or CSV.

DuckDB is the one engine for all three formats: the `.duckdb` file is the table itself (a second
export into it replaces the articles it names, so replays and copies never count an event twice),
and Parquet and CSV are DuckDB's own COPY of an in-memory table.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path

import duckdb
import orjson

from workers.export.columns import KEYS, TABLES, Row

FORMATS = {".duckdb": "duckdb", ".db": "duckdb", ".parquet": "parquet", ".csv": "csv"}


class ExportError(ValueError):
    """An output this export cannot write; the message says why."""


class Tables:
    def __init__(self, path: Path | None = None) -> None:
        """`path`: a DuckDB file, created when missing; None: in memory."""
        try:
            self.con = duckdb.connect(str(path) if path else ":memory:")
        except duckdb.Error as exc:
            raise ExportError(f"{path}: {exc}") from None
        self.con.execute("SET TimeZone = 'UTC'")
        for name, columns in TABLES.items():
            ddl = ", ".join(f'"{c.name}" {c.sql}' for c in columns)
            self.con.execute(
                f"CREATE TABLE IF NOT EXISTS {name} ({ddl}, PRIMARY KEY ({', '.join(KEYS[name])}))"
            )
            found = self.con.execute(
                "SELECT list(column_name ORDER BY ordinal_position) FROM information_schema.columns"
                " WHERE table_name = ?",
                [name],
            ).fetchone()[0]
            if found != [c.name for c in columns]:
                raise ExportError(f"{path}: its {name} table has other columns; export into a new file")

    def upsert(self, articles: Iterable[Row], events: Iterable[Row]) -> None:
        """Replace every article named in `articles`, and all its events, by these rows."""
        with tempfile.TemporaryDirectory(prefix="newsworker-export-") as folder:
            staged = {name: Path(folder) / f"{name}.jsonl" for name in TABLES}
            for name, rows in (("articles", articles), ("events", events)):
                with staged[name].open("wb") as out:
                    for row in rows:
                        out.write(orjson.dumps(row) + b"\n")
            self.con.execute("BEGIN TRANSACTION")
            try:
                self.con.execute(
                    f"CREATE TEMP TABLE new_articles AS SELECT article_id FROM {_read('articles')}",
                    [str(staged["articles"])],
                )
                for name in TABLES:
                    self.con.execute(
                        f"DELETE FROM {name} WHERE article_id IN (SELECT article_id FROM new_articles)"
                    )
                    self.con.execute(f"INSERT INTO {name} SELECT * FROM {_read(name)}", [str(staged[name])])
                self.con.execute("DROP TABLE new_articles")
                self.con.execute("COMMIT")
            except BaseException:
                self.con.execute("ROLLBACK")
                raise

    def count(self, table: str) -> int:
        return self.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    def copy(self, table: str, path: Path, fmt: str) -> None:
        """Write `table` to a Parquet or CSV file, in event time order."""
        options = "FORMAT parquet, COMPRESSION zstd" if fmt == "parquet" else "FORMAT csv, HEADER"
        order = ", ".join(("published_at", *KEYS[table]))
        try:
            self.con.execute(
                f"COPY (SELECT * FROM {table} ORDER BY {order}) TO '{_quoted(path)}' ({options})"
            )
        except duckdb.Error as exc:
            raise ExportError(f"{path}: {exc}") from None

    def close(self) -> None:
        self.con.close()


def _read(table: str) -> str:
    """A typed read of staged JSONL rows of `table` (the path is the statement's parameter)."""
    types = ", ".join(f"'{c.name}': '{c.sql}'" for c in TABLES[table])
    return f"read_json(?, columns = {{{types}}}, format = 'newline_delimited')"


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
