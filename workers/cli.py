"""`newsworker` command line: enrich, worker, replay, export, dashboard, kafka, demo, bench, config."""

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
    "story_max_articles",
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
    stories = StoryIndex(settings.story_window_h * 3600, settings.story_max_articles)  # within the input
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

    from workers.kafka_client import MAX_MESSAGE_BYTES, KafkaAccessError, ensure_topics

    settings = Settings.from_env(**flags)
    _check_settings(settings)
    try:
        topic_bytes = ensure_topics(settings)
    except KafkaAccessError as exc:
        raise click.ClickException(str(exc)) from None
    # faust only now (~1.5 s of imports): a refusal above is reported without them
    from workers.stream.app import Health, build_app
    from workers.stream.stopping import Worker, listening

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
    if not settings.story_max_articles > 0:
        raise click.BadParameter(
            f"{settings.story_max_articles} is not a positive number of articles",
            param_hint="--story-max-articles / NEWSWORKER_STORY_MAX_ARTICLES",
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
    from workers.kafka_client import KafkaAccessError
    from workers.records import InputError
    from workers.replay import ReplayError
    from workers.replay import replay as run_replay

    settings = Settings.from_env(**flags)
    try:
        sent = run_replay(paths, settings, topic, rate, loops, progress=sys.stderr.isatty())
    except (ReplayError, InputError, FileNotFoundError, KafkaAccessError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"replayed {sent} articles to {topic or settings.raw_topic}")


def _enriched_source(paths: tuple[Path, ...], from_kafka: bool, **flags):
    """Enriched payloads from files, or from the enriched topic (`follow`: on and on)."""
    from workers import feed

    if bool(paths) == from_kafka:
        raise click.UsageError("name enriched JSONL files, or --from-kafka for the enriched topic")
    if paths:
        return lambda **_: feed.from_files(tuple(map(str, paths)))
    settings = Settings.from_env(**flags)
    return lambda **options: feed.from_topic(settings, **options)


_source_options = (
    click.argument("paths", nargs=-1, type=click.Path(exists=True, allow_dash=True, path_type=Path)),
    click.option(
        "--from-kafka", is_flag=True, help="Read the enriched topic (--enriched-topic) instead of files."
    ),
    config.options("enriched_topic", *KAFKA_SETTINGS),
)


def _with_source(command):
    for option in reversed(_source_options):
        command = option(command)
    return command


@main.command()
@_with_source
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="events.duckdb (both tables, upserted), events.parquet or events.csv.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["duckdb", "parquet", "csv"]), help="Default: from the name."
)
@click.option(
    "--table",
    type=click.Choice(["events", "articles"]),
    default="events",
    show_default=True,
    help="Parquet/CSV: one row per event, or per article.",
)
def export(
    paths: tuple[Path, ...], from_kafka: bool, output: Path, fmt: str | None, table: str, **flags
) -> None:
    """One row per event (key: article id, event index) from enriched JSONL or the enriched topic
    (read up to its end offsets): DuckDB, Parquet or CSV. The last record of an article id counts:
    replays and copies never add rows."""
    from workers.export.run import export as run_export
    from workers.export.tables import ExportError
    from workers.records import InputError

    source = _enriched_source(paths, from_kafka, **flags)
    try:
        summary = run_export(source(), output, fmt, table, warn=lambda line: click.echo(line, err=True))
    except (ExportError, InputError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"read {summary.read} enriched records ({summary.articles} articles, {summary.rejected} refused);"
        f" {output}: {summary.rows} {table} rows",
        err=True,
    )


@main.command()
@_with_source
@config.options("dashboard_port", "dashboard_hours")
@click.option(
    "--max-articles",
    type=click.IntRange(min=1),
    default=50_000,
    show_default=True,
    help="Articles kept in memory; the least recently changed go first.",
)
def dashboard(paths: tuple[Path, ...], from_kafka: bool, max_articles: int, **flags) -> None:
    """Serve the events page on 127.0.0.1: a world map of the events of the last hours, their
    timeline, stories in every language, filters; following the enriched topic, or files."""
    import time

    from workers.dashboard.server import Dashboard, follow
    from workers.dashboard.store import Store

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = Settings.from_env(**flags)
    source = _enriched_source(paths, from_kafka, **flags)
    try:
        page = Dashboard(settings.dashboard_port, Store(max_articles), settings.dashboard_hours)
    except OSError as exc:
        raise click.ClickException(f"127.0.0.1:{settings.dashboard_port}: {exc.strerror}") from None
    if paths:  # files: read before serving, so that the page opens on all of them
        follow(page.store, source())
    page.start(None if paths else source(follow=True))
    click.echo(f"events page on {page.url} (Ctrl-C stops it)", err=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        page.shutdown()


@main.group()
def kafka() -> None:
    """A local single-node Apache Kafka 4.x (KRaft) on 127.0.0.1."""


def _local_kafka(state_dir: str | None, port: int, secured: bool = False, users: tuple[str, ...] = ()):
    from workers.kafka_local import LocalKafka

    return LocalKafka(Path(Settings.from_env(state_dir=state_dir).state_dir) / "kafka", port, secured, users)


def _with_kafka_options(command):
    command = config.options("state_dir")(command)
    return click.option("--port", type=int, default=9092, show_default=True)(command)


@kafka.command("start")
@_with_kafka_options
@click.option(
    "--secured",
    is_flag=True,
    help="SASL_SSL with SCRAM-SHA-512 and ACLs on (super user `admin`), from the first start of a state dir.",
)
@click.option(
    "--user", "users", multiple=True, help="Secured: another SCRAM user (repeatable), made at first start."
)
def kafka_start(port: int, state_dir: str | None, secured: bool, users: tuple[str, ...]) -> None:
    """Resolve the jars (first run), format storage, start, wait until ready."""
    from workers.kafka_local import KafkaLocalError

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("kafka").setLevel(logging.WARNING)  # the readiness probe's connection chatter
    broker = _local_kafka(state_dir, port, secured, users)
    try:
        broker.start()
    except KafkaLocalError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Kafka running on {broker.bootstrap} (pid {broker.pid()}, logs {broker.log_file})")
    if secured:  # how to connect: settings as env vars, the password by its file
        for user in ("admin", *users):
            env = config.secret_free_env(broker.client_settings(user), KAFKA_SETTINGS)
            click.echo(f"{user}: " + " ".join(f"{k}={v}" for k, v in env.items()))


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
@click.option("--principal", help="The worker's Kafka principal (default: User:<--sasl-username>).")
@click.option("--apply", is_flag=True, help="Create the ACLs, with these settings' credentials (an admin's).")
@config.options("raw_topic", "enriched_topic", "dlq_topic", "group_id", "stories_topic", *KAFKA_SETTINGS)
def acls(principal: str | None, apply: bool, **flags) -> None:
    """The Kafka ACLs a worker needs and nothing more, as kafka-acls.sh commands (workers/acls.md)."""
    from kafka.errors import KafkaError

    from workers import acls as worker_acls
    from workers.kafka_client import KafkaAccessError, admin_client, explain

    settings = Settings.from_env(**flags)
    principal = principal or f"User:{settings.sasl_username or 'newsworker'}"
    grants = worker_acls.worker_grants(settings)
    if not apply:
        for line in worker_acls.kafka_acls_commands(grants, principal, settings.bootstrap_servers):
            click.echo(line)
        return
    try:
        admin = admin_client(settings)
    except KafkaAccessError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        worker_acls.create(admin, grants, principal)
    except KafkaError as exc:
        raise click.ClickException(explain(exc, settings, "Alter on the cluster (to create ACLs)")) from None
    finally:
        admin.close()
    click.echo(f"granted {principal}: {sum(len(g.operations) for g in grants)} ACLs")


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
@click.option(
    "--english",
    type=click.Path(path_type=Path),
    default=Path("../shared/data/case2021-acled-subtypes/dev.jsonl"),
    show_default=True,
    help="English news articles (JSON lines) for the English offline lines; skipped when absent.",
)
@config.options("state_dir", "enrich_processes", "batch_size", "batch_wait_ms")
def bench(articles: Path, loops: int, rate: float, skip_kafka: bool, english: Path, **flags) -> None:
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
    if english.is_file():  # spaCy's English NER and parse, the English ACLED sub-type's e5 vectors
        click.echo(bench_offline(english).line(f"offline enrich, English ({english.name})"))
        click.echo(
            bench_offline(english, pipeline=default_pipeline(event_decisions="static")).line(
                "offline enrich, English, fast profile"
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
@click.option(
    "--wikifane/--no-wikifane",
    default=False,
    show_default=True,
    help="crf: also learn from WikiFANE Gold's training part (mapped to ANERcorp's types), less the "
    "sentences in which the CRF in place finds a name WikiFANE left untagged.",
)
def train_ner(data: Path, backend: str, epochs: int, lr: float, silver: int, wikifane: bool) -> None:
    """Word clusters (ANT + ANERcorp) and the CRF, or the e5 tagger (~30 min on one core); both on
    ANERcorp minus the dev slice."""
    from workers.entities import train as ner
    from workers.entities import wikifane as wiki

    train_set, dev_set = ner.split(ner.read_conll(data / "anercorp" / "train.txt"))
    if backend == "e5":
        from workers.entities import e5_train

        e5_train.train(train_set, dev_set, epochs=epochs, lr=lr, log=click.echo)
        return
    wiki_train, wiki_held_out = wiki.load(data) if wikifane else ([], [])
    wiki_train = wiki.complete(wiki_train, ner.crf_tagger()) if wikifane else []  # before the clusters change
    click.echo(f"clusters: {ner.build_clusters(data, train_set):,} words -> {ner.CLUSTERS}")
    taught = ner.silver(data, silver, Path(".newsworker")) if silver else []
    ner.train_crf(train_set + taught + wiki_train)
    click.echo(
        f"CRF trained on {len(train_set):,} + {len(taught):,} e5-tagged + {len(wiki_train):,} WikiFANE "
        f"sentences -> {ner.MODEL}"
    )
    click.echo(ner.evaluate(dev_set).lines())
    if wikifane:
        click.echo("WikiFANE held out:\n" + ner.evaluate(wiki_held_out).lines())


@main.group("eval")
def evaluate() -> None:
    """Score shipped models on held-out development data."""


@evaluate.command("ner")
@_data_option
@_ner_backend_option
@click.option(
    "--language",
    type=click.Choice(["ar", "en"]),
    default="ar",
    show_default=True,
    help="ar: the Arabic backend on ANERcorp's dev slice; en: the entities stage (spaCy + gazetteer)"
    " on UNER English-PUD, English-EWT test and Wikigold.",
)
def eval_ner(data: Path, backend: str, language: str) -> None:
    """Micro and per-type F1 (exact spans) and speed (one thread): Arabic on the last 10% of
    ANERcorp train and WikiFANE Gold's held-out slice, English on open held-out test sets."""
    from threadpoolctl import threadpool_limits

    from workers.entities import train as ner
    from workers.entities import wikifane

    if language == "en":
        from workers.entities.evaluate import report

        with threadpool_limits(1):
            click.echo("\n".join(report(data)))
        return
    _, dev_set = ner.split(ner.read_conll(data / "anercorp" / "train.txt"))
    _, wiki_held_out = wikifane.load(data)
    with threadpool_limits(1):
        if backend == "e5":
            from workers.entities import e5_ner

            run = e5_ner.evaluate
        else:
            run = ner.evaluate
        click.echo("ANERcorp dev slice:\n" + run(dev_set).lines())
        click.echo("WikiFANE held out:\n" + run(wiki_held_out).lines())


@evaluate.command("stories")
@_data_option
@click.option(
    "--part",
    type=click.Choice(["all", "main", "replay", "news"]),
    default="all",
    show_default=True,
    help="main: copies, UDHR, cost, memory; replay: an ANT archive replayed in several orders; news:"
    " real news leads of same-kind events (needs their local text: workers/stories/news.py).",
)
def eval_stories(data: Path, part: str) -> None:
    """Near-duplicate F1 on ANT copies and hard negatives, same-story pairs across languages on the
    UDHR, the story index's cost and memory, an archive replayed in several orders, and real news
    leads of same-kind events."""
    from threadpoolctl import threadpool_limits

    from workers.stories import evaluate, news, replay

    parts = {"main": evaluate.report, "replay": replay.report, "news": news.report}
    with threadpool_limits(1):
        for name, report in parts.items():
            if part in ("all", name):
                click.echo("\n".join(report(data)))


@evaluate.command("stories-fetch")
@click.option("--output", type=click.Path(path_type=Path), default=None, help="Default ~/.newsworker/.")
def eval_stories_fetch(output: Path | None) -> None:
    """Fetch the real news leads' pages (their URLs are in the repository, their text is not) into a
    local file for `newsworker eval stories --part news`: each page's title and first paragraph."""
    from workers.stories import news

    for problem in news.fetch(output or news.TEXT):
        click.echo(problem, err=True)


@evaluate.command("events")
@_data_option
@click.option(
    "--corpus",
    "corpus_only",
    is_flag=True,
    help="Only what our annotated corpus (workers/data/annotations/) adds, in 5-fold CV.",
)
def eval_events(data: Path, corpus_only: bool) -> None:
    """OEDA Arabic ASSAULT/PROTEST F1, CASE-2021 ACLED sub-type weighted F1, and CPU share."""
    from workers.bench import stage_shares
    from workers.events.evaluate import corpus
    from workers.events.evaluate import evaluate as score

    if corpus_only:
        click.echo("\n".join(corpus(data)))
        return
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
    both = candidates + decisions.ours(lexicon_events, types=decisions.CORPUS_TYPES)
    sizes = decisions.train(both, static.pretrained().encode([c.text for c in both]))
    click.echo(f"decisions, labelled candidates per block {sizes} (with our corpus) -> {decisions.MODEL}")
    events = actor_choice.labelled(data, corpus=actor_choice.CORPUS)
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
        shown = "***" if name in config.SECRETS and value else value
        click.echo(f"{config.env_name(name)}={shown}")
