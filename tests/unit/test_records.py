import base64

import orjson
import pytest

from tests.conftest import ANT_SAMPLE, SEED_TXT
from workers.records import (
    INVALID_JSON,
    INVALID_UTF8,
    SCHEMA_VIOLATION,
    TOO_LARGE,
    RecordError,
    dead_letter,
    decode_article,
    read_inputs,
    schema_errors,
    stable_id,
)

LIMIT = 2 * 1024 * 1024


def test_txt_seed_reads_title_then_text():
    [item] = list(read_inputs(SEED_TXT))
    article = orjson.loads(item.payload)
    lines = SEED_TXT.read_text(encoding="utf-8").split("\n", 1)
    assert article["title"] == lines[0].strip()
    assert article["text"] == lines[1]
    assert article["title"].startswith("الدفاع الروسية")
    assert item.source == {"file": str(SEED_TXT), "line": 1}


def test_ant_sample_is_200_valid_raw_articles():
    items = list(read_inputs(ANT_SAMPLE))
    assert len(items) == 200
    ids = {decode_article(item.payload, LIMIT)["id"] for item in items}
    assert len(ids) == 200


def test_stable_id_is_deterministic_and_content_based():
    a = {"title": "t", "text": "body"}
    assert stable_id(a) == stable_id(dict(a))
    assert stable_id(a) != stable_id({"title": "t", "text": "other body"})
    # url wins over content: the same story re-fetched keeps its id
    assert stable_id({"url": "u", "text": "x"}) == stable_id({"url": "u", "text": "y"})


def test_missing_id_is_derived_and_given_id_kept():
    assert decode_article(b'{"text": "x", "id": "given"}', LIMIT)["id"] == "given"
    assert decode_article(b'{"text": "x"}', LIMIT)["id"] == stable_id({"text": "x"})


@pytest.mark.parametrize(
    ("payload", "reason", "mentions"),
    [
        (b"{not json", INVALID_JSON, "not JSON"),
        (None, INVALID_JSON, "tombstone"),
        (b'{"text": "caf\xe9"}', INVALID_UTF8, "not UTF-8"),
        (b'{"title": "no body"}', SCHEMA_VIOLATION, '"text" is a required property'),
        (b'{"text": 42}', SCHEMA_VIOLATION, "text"),
        (b'["text"]', SCHEMA_VIOLATION, "object"),
        (b'{"text": "x", "published_at": "26/04/2017"}', SCHEMA_VIOLATION, "published_at"),
        (b'{"text": "' + b"a" * (LIMIT + 1) + b'"}', TOO_LARGE, "limit"),
    ],
)
def test_bad_records_raise_with_reason(payload, reason, mentions):
    with pytest.raises(RecordError) as info:
        decode_article(payload, LIMIT)
    assert info.value.reason == reason
    assert mentions in str(info.value)


def test_dead_letter_keeps_original_bytes_and_validates():
    source = {"topic": "raw", "partition": 0, "offset": 7, "key": None}
    text_letter = dead_letter(RecordError(INVALID_JSON, "bad"), b"{oops", source)
    assert text_letter["payload"] == "{oops" and text_letter["payload_base64"] is False
    binary = b'{"text": "\xff\xfe"}'
    binary_letter = dead_letter(RecordError(INVALID_UTF8, "bad"), binary, source)
    assert binary_letter["payload_base64"] is True
    assert base64.b64decode(binary_letter["payload"]) == binary
    for letter in (text_letter, binary_letter):
        assert schema_errors("dead-letter", letter) == []
    file_letter = dead_letter(RecordError(INVALID_JSON, "bad"), b"x", {"file": "a.jsonl", "line": 3})
    assert schema_errors("dead-letter", file_letter) == []
    assert text_letter["payload_bytes"] == 5 and text_letter["payload_truncated"] is False


def test_a_huge_binary_record_still_makes_a_dead_letter_that_fits_its_topic():
    import orjson

    from workers.kafka_client import MAX_MESSAGE_BYTES
    from workers.records import MAX_LETTER_PAYLOAD

    huge = b"\xff" * (15 * 1024 * 1024)  # under the broker's limit, not UTF-8: base64 inflates it
    letter = dead_letter(
        RecordError(TOO_LARGE, "too big"), huge, {"topic": "raw", "partition": 0, "offset": 1}
    )
    assert len(orjson.dumps(letter)) < MAX_MESSAGE_BYTES
    assert letter["payload_truncated"] is True and letter["payload_bytes"] == len(huge)
    assert base64.b64decode(letter["payload"]) == huge[:MAX_LETTER_PAYLOAD]
    assert schema_errors("dead-letter", letter) == []
