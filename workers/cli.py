"""`newsworker` command line: enrich, worker, replay, kafka, demo, bench, config."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click
import orjson
from tqdm import tqdm

from workers import __version__, config
from workers.config import Settings

EX_DATAERR = 65  # sysexits.h: the input data was incorrect
KAFKA_SETTINGS = (
    "bootstrap_servers",
    "security_protocol",
    "sasl_mechanism",
    "sasl_username",
    "sasl_password_file",
    "ssl_cafile",
)


@click.group()
@click.version_option(__version__, prog_name="newsworker")
def main() -> None:
    """Streaming news enrichment: language, entities, events. Arabic-first."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, allow_dash=True, path_type=Path))
@click.option("-o", "--output", type=click.File("wb"), default="-", help="Enriched JSONL (default stdout).")
@click.option("--dead-letters", type=click.File("wb"), help="Also write dead letters here (JSONL).")
@click.option(
    "--fail-on-dead-letter",
    is_flag=True,
    help="Exit 65 when any record was dead-lettered (default: when all were).",
)
@config.options(
    "max_record_bytes",
    "enrich_timeout_s",
    "max_text_chars",
    "ner_backend",
    "min_event_confidence",
    "event_decisions",
    "story_window_h",
)
def enrich(paths: tuple[Path, ...], output, dead_letters, fail_on_dead_letter: bool, **flags) -> None:
    """Enrich .txt / JSONL / .jsonl.gz articles offline (stdin: no PATH or `-`), with the worker's core.

    Exit status: 0 when every record was enriched (or some were, without --fail-on-dead-letter);
    65 (EX_DATAERR) when none was, or any was dead-lettered with --fail-on-dead-letter; 1 when an
    input file cannot be read."""
    from workers.processing import process
    from workers.records import InputError, expand_paths, read_inputs
    from workers.stories.features import Features
    from workers.stories.index import StoryIndex, with_story

    settings = Settings.from_env(**flags)
    _check_settings(settings)
    limits = settings.limits()
    stories = StoryIndex(settings.story_window_h * 3600)  # stories within the input, in its order
    files = expand_paths(tuple(map(str, paths))) if paths else [None]
    enriched = dead = 0
    bar = tqdm(unit=" articles", disable=not sys.stderr.isatty(), file=sys.stderr)
    try:
        for path in files:
            for item in read_inputs(path):
                outcome = process(item.payload, item.source, limits)
                if outcome.dead:
                    dead += 1
                    letter = orjson.loads(outcome.value)
                    click.echo(f"{item.file}:{item.line}: {outcome.reason}: {letter['error']}", err=True)
                    if dead_letters:
                        dead_letters.write(outcome.value + b"\n")
                else:
                    enriched += 1
                    assignment, _ = stories.assign(Features.from_bytes(outcome.story_features)[0])
                    output.write(with_story(outcome.value, assignment) + b"\n")
                bar.update()
    except InputError as exc:
        raise click.ClickException(f"{exc} (enriched {enriched}, dead-lettered {dead} before it)") from None
    finally:
        bar.close()
    click.echo(f"enriched {enriched}, dead-lettered {dead}", err=True)
    if dead and (fail_on_dead_letter or not enriched):
        sys.exit(EX_DATAERR)


@main.command()
@config.options(*config.FLAGS)
def worker(**flags) -> None:
    """Run the stream worker (faust): raw topic -> enriched topic, bad input -> dead-letter topic."""
    import dataclasses

    from workers.kafka_client import MAX_MESSAGE_BYTES, BrokerUnreachable, ensure_topics
    from workers.stream.app import Health, build_app
    from workers.stream.stopping import Worker, listening

    settings = Settings.from_env(**flags)
    _check_settings(settings)
    try:
        topic_bytes = ensure_topics(settings)
    except BrokerUnreachable as exc:
        raise click.ClickException(str(exc)) from None
    # Outputs and dead letters are sized to what their topics really accept (the producer's own
    # request limit caps both).
    limits = dataclasses.replace(
        settings.limits(),
        max_output_bytes=min(
            topic_bytes[settings.enriched_topic], topic_bytes[settings.story_topic], MAX_MESSAGE_BYTES
        ),
        max_letter_bytes=min(topic_bytes[settings.dlq_topic], MAX_MESSAGE_BYTES),
    )
    health = Health()
    app = build_app(settings, limits, health, warm_now=True)

    def broker_unreachable() -> bool:
        return health.broker_unreachable() or not listening(settings.bootstrap_servers)

    Worker(app, broker_unreachable, loglevel=settings.log_level).execute_from_commandline()


def _check_settings(settings: Settings) -> None:
    """Settings the enrichment core cannot work with stop the command before any work."""
    from workers.entities import backends

    try:
        backends.check(settings.ner_backend)
    except (backends.BackendUnavailable, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    if not 0.0 <= settings.min_event_confidence <= 1.0:
        raise click.BadParameter(
            f"{settings.min_event_confidence} is not a probability between 0 and 1",
            param_hint="--min-event-confidence / NEWSWORKER_MIN_EVENT_CONFIDENCE",
        )
    if settings.event_decisions not in ("contextual", "static"):
        raise click.BadParameter(
            f"{settings.event_decisions!r} is neither contextual nor static",
            param_hint="--event-decisions / NEWSWORKER_EVENT_DECISIONS",
        )
    if not settings.story_window_h > 0:
        raise click.BadParameter(
            f"{settings.story_window_h} is not a positive number of hours",
            param_hint="--story-window-h / NEWSWORKER_STORY_WINDOW_H",
        )


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--topic", help="Target topic (default: the raw topic).")
@click.option("--rate", type=float, default=0.0, help="Records per second (0: as fast as possible).")
@click.option(
    "--loop",
    "loops",
    type=click.IntRange(min=1),
    default=1,
    help="Send the files K times; pass k>0 suffixes ids with ~k.",
)
@config.options("raw_topic", *KAFKA_SETTINGS)
def replay(paths: tuple[str, ...], topic: str | None, rate: float, loops: int, **flags) -> None:
    """Replay .txt / JSONL (.jsonl.gz) article files, or stdin as `-`, into Kafka, keyed by article id."""
    from workers.records import InputError
    from workers.replay import ReplayError
    from workers.replay import replay as run_replay

    settings = Settings.from_env(**flags)
    try:
        sent = run_replay(paths, settings, topic, rate, loops, progress=sys.stderr.isatty())
    except (ReplayError, InputError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"replayed {sent} articles to {topic or settings.raw_topic}")


@main.group()
def kafka() -> None:
    """A local single-node Apache Kafka 4.x (KRaft) on 127.0.0.1."""


def _local_kafka(state_dir: str | None, port: int):
    from workers.kafka_local import LocalKafka

    return LocalKafka(Path(Settings.from_env(state_dir=state_dir).state_dir) / "kafka", port)


def _with_kafka_options(command):
    command = config.options("state_dir")(command)
    return click.option("--port", type=int, default=9092, show_default=True)(command)


@kafka.command("start")
@_with_kafka_options
def kafka_start(port: int, state_dir: str | None) -> None:
    """Resolve the jars (first run), format storage, start, wait until ready."""
    from workers.kafka_local import KafkaLocalError

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    broker = _local_kafka(state_dir, port)
    try:
        broker.start()
    except KafkaLocalError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Kafka running on {broker.bootstrap} (pid {broker.pid()}, logs {broker.log_file})")


@kafka.command("stop")
@_with_kafka_options
def kafka_stop(port: int, state_dir: str | None) -> None:
    """Stop the local broker by its pid."""
    _local_kafka(state_dir, port).stop()
    click.echo("Kafka stopped")


@kafka.command("status")
@_with_kafka_options
def kafka_status(port: int, state_dir: str | None) -> None:
    """Exit 0 and print the pid when the local broker runs, else exit 1."""
    pid = _local_kafka(state_dir, port).pid()
    if pid is None:
        click.echo("Kafka is not running")
        sys.exit(1)
    click.echo(f"Kafka running (pid {pid})")


@main.command()
@click.option("--seeds", type=click.Path(exists=True, path_type=Path), default=Path("seeds"))
@click.option("--keep-running", is_flag=True, help="Leave Kafka and the worker up afterwards.")
@config.options("state_dir", "web_port")
def demo(seeds: Path, keep_running: bool, **flags) -> None:
    """Local Kafka + worker, replay the seeds, show the enriched seed and the metrics URL."""
    from workers.demo import run_demo

    run_demo(Settings.from_env(**flags), seeds, keep_running)


@main.command()
@click.option(
    "--articles",
    type=click.Path(exists=True, path_type=Path),
    default=Path("seeds/ant-sample.jsonl"),
    show_default=True,
)
@click.option(
    "--loops",
    type=int,
    default=5,
    show_default=True,
    help="End-to-end run sends the articles this many times (distinct ids).",
)
@click.option("--rate", type=float, default=0.0, help="Kafka run: replay at N/s (0: one burst).")
@click.option("--skip-kafka", is_flag=True, help="Only the offline benchmark.")
@config.options("state_dir", "enrich_processes", "batch_size", "batch_wait_ms")
def bench(articles: Path, loops: int, rate: float, skip_kafka: bool, **flags) -> None:
    """Print articles/s and p50/p99 latency: offline enrich, then end to end through Kafka."""
    from workers.bench import bench_kafka, bench_offline, encoder_speeds, lexicon_only_pipeline, startup
    from workers.pipeline import default_pipeline

    settings = Settings.from_env(**flags)
    for line in startup():
        click.echo(line)
    click.echo(bench_offline(articles).line("offline enrich"))
    click.echo(
        bench_offline(articles, pipeline=default_pipeline(event_decisions="static")).line(
            "offline enrich, fast profile (--event-decisions static)"
        )
    )
    click.echo(
        bench_offline(articles, pipeline=lexicon_only_pipeline()).line(
            "offline enrich, events without decisions"
        )
    )
    for line in encoder_speeds(articles):
        click.echo(line)
    if not skip_kafka:
        name = f"end to end via Kafka ({f'{rate:g}/s' if rate else 'burst'})"
        run = bench_kafka(articles, loops, settings, rate)
        click.echo(run.result.line(name))
        click.echo(
            f"worker: /readyz 200 after {run.ready_s:.1f}s on existing topics; peak RSS under load"
            f" {run.peak_rss / 2**20:.0f} MB with {settings.enrich_processes} enrichment process(es)"
        )


SHARED_DATA = Path("../shared/data")
_data_option = click.option(
    "--data",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=SHARED_DATA,
    show_default=True,
    help="The shared training data folder.",
)


@main.group()
def train() -> None:
    """Rebuild shipped models from the shared data."""


_ner_backend_option = click.option(
    "--backend",
    type=click.Choice(["crf", "e5"]),
    default="crf",
    show_default=True,
    help="crf: word clusters and the CRF; e5: fine-tuned multilingual-e5-small (training: `train` extra).",
)


@train.command("ner")
@_data_option
@_ner_backend_option
@click.option("--epochs", type=int, default=6, show_default=True, help="e5: passes over the training part.")
@click.option("--lr", type=float, default=1.5e-4, show_default=True, help="e5: peak learning rate.")
@click.option(
    "--silver",
    type=int,
    default=30_000,
    show_default=True,
    help="crf: also learn from this many ANT sentences tagged by the e5 backend (0: the gold ones only).",
)
def train_ner(data: Path, backend: str, epochs: int, lr: float, silver: int) -> None:
    """Word clusters (ANT + ANERcorp) and the CRF, or the e5 tagger (~30 min on one core); both on
    ANERcorp minus the dev slice."""
    from workers.entities import train as ner

    train_set, dev_set = ner.split(ner.read_conll(data / "anercorp" / "train.txt"))
    if backend == "e5":
        from workers.entities import e5_train

        e5_train.train(train_set, dev_set, epochs=epochs, lr=lr, log=click.echo)
        return
    click.echo(f"clusters: {ner.build_clusters(data, train_set):,} words -> {ner.CLUSTERS}")
    taught = ner.silver(data, silver, Path(".newsworker")) if silver else []
    ner.train_crf(train_set + taught)
    click.echo(f"CRF trained on {len(train_set):,} + {len(taught):,} e5-tagged sentences -> {ner.MODEL}")
    click.echo(ner.evaluate(dev_set).lines())


@main.group("eval")
def evaluate() -> None:
    """Score shipped models on held-out development data."""


@evaluate.command("ner")
@_data_option
@_ner_backend_option
def eval_ner(data: Path, backend: str) -> None:
    """Micro and per-type F1 (exact spans) and speed (one thread) on the last 10% of ANERcorp train."""
    from threadpoolctl import threadpool_limits

    from workers.entities import train as ner

    _, dev_set = ner.split(ner.read_conll(data / "anercorp" / "train.txt"))
    with threadpool_limits(1):
        if backend == "e5":
            from workers.entities import e5_ner

            click.echo(e5_ner.evaluate(dev_set).lines())
        else:
            click.echo(ner.evaluate(dev_set).lines())


@evaluate.command("stories")
@_data_option
def eval_stories(data: Path) -> None:
    """Near-duplicate F1 on ANT copies and hard negatives, same-story pairs across languages on the
    UDHR, and the story index's cost and memory."""
    from threadpoolctl import threadpool_limits

    from workers.stories.evaluate import report

    with threadpool_limits(1):
        click.echo("\n".join(report(data)))


@evaluate.command("events")
@_data_option
def eval_events(data: Path) -> None:
    """OEDA Arabic ASSAULT/PROTEST F1, CASE-2021 ACLED sub-type weighted F1, and CPU share."""
    from workers.bench import stage_shares
    from workers.events.evaluate import evaluate as score

    click.echo(score(data).lines())
    shares = stage_shares(Path("seeds/ant-sample.jsonl"))
    click.echo("pipeline CPU by stage: " + ", ".join(f"{s} {100 * v:.0f}%" for s, v in shares.items()))


@train.command("events")
@_data_option
@click.option(
    "--contextual",
    is_flag=True,
    help="Also fine-tune e5 for the ASSAULT and PROTEST decisions (~35 min on one core; the `train` extra).",
)
def train_events(data: Path, contextual: bool) -> None:
    """Rebuild the CAMEO -> PLOVER table, the learned decisions, the actors' choice and the ACLED
    sub-type classifier; with --contextual, the fine-tuned e5 decisions too."""
    from workers.encoders import static
    from workers.events import actor_choice, decisions
    from workers.events.classifier import event_tokens
    from workers.events.classifier import train as train_classifiers
    from workers.events.linear import MODELS
    from workers.events.ontology import DATA, build_cameo_table
    from workers.events.stage import lexicon_events

    count = build_cameo_table(data / "plover-gsr-cameo" / "CAMEO2PLOVER-2021.txt")
    click.echo(f"{count} CAMEO codes -> {DATA / 'cameo_plover.tsv'}")
    candidates = decisions.labelled(data, lexicon_events)
    sizes = decisions.train(candidates, static.pretrained().encode([c.text for c in candidates]))
    click.echo(f"decisions, labelled candidates per block {sizes} -> {decisions.MODEL}")
    events = actor_choice.labelled(data)
    options = actor_choice.train(events)
    click.echo(f"actors, {options} options of {len(events)} annotated events -> {actor_choice.MODEL}")
    sizes = train_classifiers(data, lambda text, language: event_tokens(lexicon_events(text, language)))
    click.echo(f"ACLED sub-type classifier {sizes} -> {MODELS}")
    if contextual:
        from workers.events import e5_decisions, e5_train

        e5_train.train(candidates, log=click.echo)
        click.echo(f"fine-tuned e5 decisions -> {e5_decisions.MODEL}")


@train.command("encoders")
@_data_option
def train_encoders(data: Path) -> None:
    """Distil the static piece table from the contextual e5 encoder (~17 min: its targets first)."""
    from threadpoolctl import threadpool_limits

    from workers.encoders import distill

    with threadpool_limits(1):
        sizes = distill.train(data, Path(".newsworker") / "distill", log=click.echo)
    click.echo(f"static table: {sizes} -> {distill.TABLE}")


@evaluate.command("encoders")
@_data_option
def eval_encoders(data: Path) -> None:
    """Cross-lingual UDHR retrieval, ANT title->lead retrieval, speed and memory per encoder."""
    from workers.encoders.evaluate import report

    for line in report(data):
        click.echo(line)


@train.command("language")
def train_language() -> None:
    """Rebuild the Kurmanji word list from klpt's lexicon (installed with the dev extra)."""
    from workers.language import kurmanji

    click.echo(f"{kurmanji.build():,} Kurmanji words -> {kurmanji.WORDS}")


@evaluate.command("language")
@_data_option
@click.option("--per-set", type=int, default=300, show_default=True, help="Texts per language and set.")
@click.option("--baselines/--no-baselines", default=True, help="Also run the single detectors.")
def eval_language(data: Path, per_set: int, baselines: bool) -> None:
    """Accuracy per set and texts/s, next to single-detector baselines, plus calibration."""
    from workers.language import LanguageStage
    from workers.language import evaluate as lid

    items = lid.build(data, per_set)
    stage = LanguageStage()
    stage.detect("warm up")
    detections = {}

    def ours(text: str) -> str:
        detections[text] = stage.detect(text)
        return detections[text].code

    reports = [lid.run("newsworker", ours, items)]
    if baselines:
        reports += [lid.run(name, detect, items) for name, detect in lid.baselines().items()]
    sets = list(dict.fromkeys(item.set for item in items))
    click.echo(f"{len(items):,} texts\n" + lid.table(reports, sets))
    for label, only_weak in (("per language", False), ("below 99%", True)):
        cells = [
            f"{s}/{c} {100 * v:.1f}"
            for (s, c), v in sorted(reports[0].per_language.items())
            if v < 0.99 or not only_weak
        ]
        click.echo(f"newsworker {label}: " + ", ".join(cells))
    confident = [
        lid.correct(i.expected, detections[i.text].code)
        for i in items
        if detections[i.text].confidence >= 0.9
    ]
    share = 100 * sum(confident) / max(1, len(confident))
    click.echo(f"confidence >= 0.9: {len(confident):,} texts, {share:.2f}% right")
    sentences = lid.run("newsworker", ours, [i for i in items if i.set == "sentences"])
    click.echo(f"newsworker on the sentences set alone: {sentences.texts_per_second:,.0f} sentences/s")


@main.command("config")
@click.option("--markdown", is_flag=True, help="The README's configuration table.")
def show_config(markdown: bool) -> None:
    """Print the effective settings (defaults overridden by NEWSWORKER_* variables)."""
    if markdown:
        click.echo(config.markdown_table())
        return
    for name, value in vars(Settings.from_env()).items():
        shown = "***" if "password" in name and value else value
        click.echo(f"{config.env_name(name)}={shown}")
