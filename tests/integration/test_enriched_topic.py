"""The enriched topic read by `newsworker export` (to its end offsets) and followed by the events page."""

from __future__ import annotations

import threading
import time

import duckdb
import orjson
import pytest
from click.testing import CliRunner
from kafka import KafkaProducer

from workers.cli import main
from workers.dashboard.server import follow
from workers.dashboard.store import Store
from workers.feed import from_topic
from workers.kafka_client import MAX_MESSAGE_BYTES, client_config, ensure_topics

pytestmark = pytest.mark.kafka


def send(settings, records: list[dict]) -> None:
    producer = KafkaProducer(**client_config(settings), acks="all", max_request_size=MAX_MESSAGE_BYTES)
    for record in records:
        producer.send(settings.enriched_topic, key=record["id"].encode(), value=orjson.dumps(record))
    producer.flush()
    producer.close()


def test_export_reads_the_topic_to_its_end_and_the_page_follows_it(settings, enriched_seed, tmp_path):
    ensure_topics(settings)
    records = list(map(orjson.loads, enriched_seed.read_bytes().splitlines()))
    send(settings, records + records[:1])  # the seed twice: a replay
    db = tmp_path / "events.duckdb"
    kafka = ["--bootstrap-servers", settings.bootstrap_servers, "--enriched-topic", settings.enriched_topic]
    result = CliRunner().invoke(main, ["export", "--from-kafka", *kafka, "-o", str(db)])
    assert result.exit_code == 0, result.output
    assert "read 5 enriched records (4 articles, 0 refused)" in result.stderr
    con = duckdb.connect(str(db))
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == sum(len(r["events"]) for r in records)
    con.close()

    store, stop = Store(max_articles=100), threading.Event()
    feed = threading.Thread(target=follow, args=(store, from_topic(settings, follow=True, stop=stop)))
    feed.start()
    try:
        later = records[0] | {"id": "published-later"}
        send(settings, [later])
        deadline = time.monotonic() + 30
        while "published-later" not in store.live and time.monotonic() < deadline:
            time.sleep(0.2)
        assert set(store.live) == {r["id"] for r in records} | {"published-later"}
    finally:
        stop.set()
        feed.join(10)
    assert not feed.is_alive()
