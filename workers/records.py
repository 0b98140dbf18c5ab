"""Record shapes: decode and validate raw articles, read input files, build dead letters.

The JSON Schemas in `schemas/` are the single source of truth; this module only loads them.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import sys
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import orjson

Article = dict[str, Any]

# Dead-letter reasons, in the order they are checked; the dead-letter schema lists the same.
TOO_LARGE = "too_large"
INVALID_UTF8 = "invalid_utf8"
INVALID_JSON = "invalid_json"
SCHEMA_VIOLATION = "schema_violation"
ENRICH_ERROR = "enrich_error"
DEAD_LETTER_REASONS = (TOO_LARGE, INVALID_UTF8, INVALID_JSON, SCHEMA_VIOLATION, ENRICH_ERROR)


class RecordError(ValueError):
    """A raw record that cannot be enriched; `reason` is one of the dead-letter reasons."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def schema_dir() -> Path:
    # Wheels carry the schemas inside the package; a source checkout has them at the top level.
    bundled = Path(__file__).with_name("schemas")
    return bundled if bundled.is_dir() else Path(__file__).resolve().parent.parent / "schemas"


@cache
def validator(name: str) -> jsonschema_rs.Validator:
    """Compiled validator for `schemas/<name>.schema.json` (raw-article, enriched-article, ...)."""
    schema = orjson.loads((schema_dir() / f"{name}.schema.json").read_bytes())
    return jsonschema_rs.validator_for(schema, validate_formats=True)


def schema_errors(name: str, record: Any) -> list[str]:
    """Readable schema violations of `record`, each naming the JSON path it concerns."""
    return [
        f"{'/'.join(map(str, e.instance_path)) or '<record>'}: {e.message}"
        for e in validator(name).iter_errors(record)
    ]


def stable_id(article: Article) -> str:
    """Derived id for an article without one: the same content always gives the same id."""
    basis = article.get("url") or f"{article.get('title') or ''}\n{article.get('text', '')}"
    return hashlib.blake2b(basis.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def decode_article(payload: bytes | None, max_bytes: int) -> Article:
    """Raw record bytes -> a valid article with an id, or RecordError with the reason."""
    if payload is None:
        raise RecordError(INVALID_JSON, "empty record (null value / tombstone)")
    if len(payload) > max_bytes:
        raise RecordError(TOO_LARGE, f"record is {len(payload):,} bytes; the limit is {max_bytes:,}")
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecordError(INVALID_UTF8, f"not UTF-8: {exc}") from None
    try:
        article = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise RecordError(INVALID_JSON, f"not JSON: {exc}") from None
    errors = schema_errors("raw-article", article)
    if errors:
        raise RecordError(SCHEMA_VIOLATION, "; ".join(errors))
    if not article.get("id"):
        article["id"] = stable_id(article)
    return article


def article_from_txt(content: str) -> Article:
    """A `.txt` article: the first line is the title, the rest is the text."""
    title, _, text = content.partition("\n")
    article: Article = {"title": title.strip(), "text": text}
    article["id"] = stable_id(article)
    return article


@dataclass(frozen=True)
class Input:
    """One raw record read from a file: its bytes and where it came from."""

    payload: bytes
    file: str
    line: int

    @property
    def source(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line}


class InputError(ValueError):
    """An input file that cannot be read as articles (not a bad record: those are dead-lettered)."""


def read_inputs(path: Path | None) -> Iterator[Input]:
    """Records of a `.txt` article file or a JSONL file, gzipped or not (stdin when `path` is None)."""
    if path is not None and path.suffix == ".txt":
        article = article_from_txt(path.read_text(encoding="utf-8"))
        yield Input(orjson.dumps(article), str(path), 1)
        return
    name = "<stdin>" if path is None else str(path)
    opener = gzip.open if path is not None and path.suffix == ".gz" else open
    try:
        with nullcontext(sys.stdin.buffer) if path is None else opener(path, "rb") as lines:
            for number, line in enumerate(lines, start=1):
                line = line.rstrip(b"\r\n")
                if line.strip():
                    yield Input(line, name, number)
    except (OSError, EOFError) as exc:  # a corrupt or truncated .gz, an unreadable file
        raise InputError(f"{name}: cannot be read: {exc}") from None


INPUT_SUFFIXES = (".txt", ".jsonl", ".json", ".jsonl.gz")


def expand_paths(paths: tuple[str, ...]) -> list[Path | None]:
    """Files named directly, the article files of named directories, and None for `-` (stdin)."""
    found: list[Path | None] = []
    for raw in paths:
        path = Path(raw)
        if raw == "-":
            found.append(None)
        elif path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.name.endswith(INPUT_SUFFIXES)))
        elif path.exists():
            found.append(path)
        else:
            raise FileNotFoundError(f"no such file or directory: {raw}")
    return found


def now_rfc3339() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# A dead letter must itself fit the dead-letter topic (16 MiB): a record near the broker's limit,
# base64-encoded, would not, and a refused dead letter would stop the worker on every restart.
MAX_LETTER_PAYLOAD = 8 * 1024 * 1024


def dead_letter(error: RecordError, payload: bytes | None, source: dict[str, Any]) -> dict:
    """The dead-letter record: reason, error, source, time, and the original bytes (the first
    MAX_LETTER_PAYLOAD of them, flagged, when the record is larger)."""
    raw = payload or b""
    kept = raw[:MAX_LETTER_PAYLOAD]
    try:
        text, is_base64 = kept.decode("utf-8"), False
    except UnicodeDecodeError:
        text, is_base64 = base64.b64encode(kept).decode("ascii"), True
    return {
        "reason": error.reason,
        "error": str(error),
        "source": source,
        "received_at": now_rfc3339(),
        "payload": text,
        "payload_base64": is_base64,
        "payload_bytes": len(raw),
        "payload_truncated": len(kept) < len(raw),
    }
