"""Record shapes: decode and validate raw articles, read input files, build dead letters.

The JSON Schemas in `schemas/` are the single source of truth; this module only loads them.
"""

from __future__ import annotations

import base64
import email.utils
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

import dateutil.parser
import jsonschema_rs
import orjson

Article = dict[str, Any]

# Dead-letter reasons, in the order they are checked; the dead-letter schema lists the same.
TOO_LARGE = "too_large"
TOMBSTONE = "tombstone"  # a null value; an empty (0-byte) value is invalid_json
INVALID_UTF8 = "invalid_utf8"
INVALID_JSON = "invalid_json"
SCHEMA_VIOLATION = "schema_violation"
ENRICH_ERROR = "enrich_error"  # a stage raised
ENRICH_TIMEOUT = "enrich_timeout"  # over the per-record time budget
ENRICH_CRASHED = "enrich_crashed"  # the enrichment process died on it, twice
SERIALIZE_ERROR = "serialize_error"  # the enriched record cannot be written as JSON
OUTPUT_TOO_LARGE = "output_too_large"  # the enriched record exceeds the output topic's limit
DEAD_LETTER_REASONS = (
    TOO_LARGE,
    TOMBSTONE,
    INVALID_UTF8,
    INVALID_JSON,
    SCHEMA_VIOLATION,
    ENRICH_ERROR,
    ENRICH_TIMEOUT,
    ENRICH_CRASHED,
    SERIALIZE_ERROR,
    OUTPUT_TOO_LARGE,
)


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
        raise RecordError(TOMBSTONE, "tombstone: the record's value is null")
    if not payload.strip():
        raise RecordError(INVALID_JSON, f"empty record ({len(payload)} bytes, no JSON)")
    if len(payload) > max_bytes:
        raise RecordError(TOO_LARGE, f"record is {len(payload):,} bytes; the limit is {max_bytes:,}")
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecordError(INVALID_UTF8, f"not UTF-8: {exc}") from None
    try:
        article = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        start = payload[:40].decode("utf-8", "replace")
        raise RecordError(
            INVALID_JSON, f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno} (it starts {start!r})"
        ) from None
    errors = schema_errors("raw-article", article)
    if errors:
        raise RecordError(SCHEMA_VIOLATION, "; ".join(errors))
    if not article.get("id"):
        article["id"] = stable_id(article)
    normalize_published_at(article)
    return article


def normalize_published_at(article: Article) -> None:
    """`published_at` as RFC 3339, whatever common format the producer wrote. Metadata never costs
    the article: an unreadable value moves to `published_at_original`, with a warning."""
    value = article.get("published_at")
    if value is None:
        return
    parsed = parse_timestamp(value)
    if parsed is None:
        del article["published_at"]
        article["published_at_original"] = value
        article.setdefault("warnings", []).append(f"published_at: cannot read {value!r} as a date")
        return
    normalized = parsed.isoformat().replace("+00:00", "Z")
    if normalized != value:
        article["published_at"] = normalized
        article["published_at_original"] = value


MAX_DATE_CHARS = 64


def parse_timestamp(value: str | float) -> datetime | None:
    """ISO 8601 (zone-less: UTC), epoch seconds or milliseconds, RFC 2822, then day-first dates
    such as 21/04/2017 (dateutil). ISO goes first: dateutil with dayfirst reads 2017-04-05 as May."""
    text = str(value).strip()
    if len(text) > MAX_DATE_CHARS:  # no date is written longer; a parser must not chew on megabytes
        return None
    if isinstance(value, int | float) or text.replace(".", "", 1).isdigit():
        seconds = float(text)
        if seconds > 1e11:  # milliseconds: 1e11 seconds is the year 5138
            seconds /= 1000
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            try:
                parsed = dateutil.parser.parse(text, dayfirst=True)
            except Exception:  # dateutil raises more than ValueError on odd input: unreadable
                return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


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


# The max.message.bytes of the topics this project creates: large enough that a dead letter can
# carry an over-limit raw record. Outputs are sized to it unless the worker read a topic's own.
TOPIC_MAX_BYTES = 16 * 1024 * 1024
RECORD_HEADROOM = 64 * 1024  # the record's key, headers and batch overhead


def dead_letter(
    error: RecordError, payload: bytes | None, source: dict[str, Any], limit: int = TOPIC_MAX_BYTES
) -> bytes:
    """The serialised dead letter: reason, error, source, time, and the original bytes, as UTF-8
    text or base64. It always fits `limit`: the payload is sized after JSON escaping (control
    characters escape to six bytes each) and cut, with `payload_truncated`, when it would not."""
    raw = payload or b""
    letter: dict[str, Any] = {
        "reason": error.reason,
        "error": str(error)[:4096],
        "source": source,
        "received_at": now_rfc3339(),
        "payload": "",
        "payload_base64": False,
        "payload_bytes": len(raw),
        "payload_kept_bytes": 0,
        "payload_truncated": False,
    }
    # The skeleton's size, plus room for the digits of payload_kept_bytes once it is filled in.
    budget = limit - RECORD_HEADROOM - len(orjson.dumps(letter)) - 32
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and len(orjson.dumps(text)) - 2 <= budget:
        letter |= {"payload": text, "payload_kept_bytes": len(raw)}
    else:  # base64 grows by 4/3 whatever the bytes are, so the cut is exact
        kept = raw[: budget // 4 * 3]
        letter |= {
            "payload": base64.b64encode(kept).decode("ascii"),
            "payload_base64": True,
            "payload_kept_bytes": len(kept),
            "payload_truncated": len(kept) < len(raw),
        }
    return orjson.dumps(letter)
