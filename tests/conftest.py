"""Shared fixtures: the real local Kafka broker (one per session) and worker processes."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from workers.config import Settings
from workers.kafka_local import LocalKafka, free_port
from workers.local_run import WorkerProcess

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"  # ../shared/data: training and dev data, where present
needs_shared_data = pytest.mark.skipif(not SHARED_DATA.exists(), reason="no ../shared/data")
SEEDS = REPO / "seeds"
SEED_TXT = SEEDS / "000_d82f3b9495a6aa15.txt"
ANT_SAMPLE = SEEDS / "ant-sample.jsonl"
# Written for the tests: the seed's lead in English (its story, in another language), and a protest
# in English and in French (another story, with actors; placed in a country and in a city).
BESIDE_THE_SEED = (
    {
        "id": "deir-ez-zor-en",
        "title": "Russian Defence Ministry: ISIS is on its way to defeat in Deir ez-Zor",
        "text": "The Syrian Arab Army continues its advance towards the city of Deir ez-Zor, backed by the"
        " Russian air force. Russian jets destroyed three ISIS ammunition depots near Deir ez-Zor, killing"
        " 12 fighters.",
    },
    {
        "id": "tunis-protest-en",
        "title": "Teachers protest in Tunisia",
        "text": "Hundreds of teachers protested in front of the Ministry of Education in Tunis on Monday,"
        " demanding higher wages.",
    },
    {
        "id": "tunis-protest-fr",
        "title": "Manifestation d'enseignants en Tunisie",
        "text": "Des centaines d'enseignants ont manifesté lundi devant le ministère de l'Éducation à Tunis"
        " pour réclamer des hausses de salaires.",
    },
)


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKafka]:
    broker = LocalKafka(tmp_path_factory.mktemp("kafka"), free_port())
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def secured_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKafka]:
    """A second broker, started only for the tests that ask for it: SASL_SSL with SCRAM-SHA-512,
    ACLs on; `admin` is its super user, WORKER_USER has no ACL until a test grants some."""
    broker = LocalKafka(
        tmp_path_factory.mktemp("kafka-secured"), free_port(), secured=True, users=(WORKER_USER,)
    )
    broker.start()
    yield broker
    broker.stop()


WORKER_USER = "newsworker"


@pytest.fixture
def settings(kafka: LocalKafka, tmp_path: Path) -> Settings:
    """Settings on the session broker with this test's own topics, group and ports."""
    run = uuid.uuid4().hex[:8]
    return Settings(
        bootstrap_servers=kafka.bootstrap,
        raw_topic=f"t{run}.raw",
        enriched_topic=f"t{run}.enriched",
        dlq_topic=f"t{run}.dlq",
        group_id=f"g{run}",
        partitions=3,
        web_port=free_port(),
        state_dir=str(tmp_path / "state"),
        session_timeout_s=6.0,
    )


@pytest.fixture
def start_worker(settings: Settings, tmp_path: Path) -> Iterator:
    """Start workers (each its own web port) on this test's settings; all stopped afterwards."""
    started: list[WorkerProcess] = []

    def start(supervised: bool = False, **changes) -> WorkerProcess:
        """`supervised`: restarted on exit 75, as docker-compose and Kubernetes do."""
        if started:  # the first serves on settings.web_port (Prometheus scrapes it), later ones elsewhere
            changes.setdefault("web_port", free_port())
        s = dataclasses.replace(settings, **changes)
        worker = WorkerProcess(s, tmp_path / f"worker-{len(started)}.log").start()
        if supervised:
            worker.supervise()
        started.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture(scope="session")
def enriched_seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed and BESIDE_THE_SEED, enriched by `newsworker enrich` (in-process: the models the
    session already loaded serve): two stories, each in two languages."""
    import orjson
    from click.testing import CliRunner

    from workers.cli import main

    folder = tmp_path_factory.mktemp("enriched")
    beside = folder / "beside.jsonl"
    beside.write_bytes(b"".join(orjson.dumps(article) + b"\n" for article in BESIDE_THE_SEED))
    out = folder / "enriched.jsonl"
    result = CliRunner().invoke(main, ["enrich", str(SEED_TXT), str(beside), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def storied(record: dict) -> dict:
    """A core record as `enrich` and the worker emit it: with its `story` field (from a fresh index,
    so a new story), which the story index adds after the core."""
    from workers.stories.features import features
    from workers.stories.index import StoryIndex

    return record | {"story": StoryIndex().assign(features(record))[0].field()}
