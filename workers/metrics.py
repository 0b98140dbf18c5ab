"""Every Prometheus metric the worker exports, defined once (the README's table lists them)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, Info

from workers import __version__
from workers.events.ontology import PLOVER_TYPES
from workers.records import DEAD_LETTER_REASONS

ENTITY_TYPES = ("PER", "ORG", "LOC", "MISC")

# Seconds: enrichment is milliseconds, end-to-end latency is up to minutes under backlog.
_FAST = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_SLOW = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)

CONSUMED = Counter("newsworker_articles_consumed", "Raw records consumed from the input topic.")
# Counted where each stage runs: every worker enriches its raw partitions; one worker owns the
# stories partition and publishes. A per-worker panel of either tells what that worker did.
ENRICHED = Counter(
    "newsworker_articles_enriched",
    "Records this worker enriched, handed to the stories stage and acknowledged by the broker.",
)
PUBLISHED = Counter(
    "newsworker_articles_published",
    "Enriched records the stories stage placed in a story and published to the enriched topic,"
    " acknowledged by the broker (on the worker that owns the stories partition).",
)
DEAD_LETTERED = Counter(
    "newsworker_articles_dead_lettered",
    "Records sent to the dead-letter topic and acknowledged, by reason.",
    ["reason"],
)
ENTITIES = Counter("newsworker_entities", "Entities in enriched records, by type.", ["type"])
EVENTS = Counter("newsworker_events", "Events in enriched records, by PLOVER type.", ["plover_type"])
LANGUAGES = Counter(
    "newsworker_articles_by_language", "Enriched records by detected language code.", ["language"]
)
STAGE_SECONDS = Histogram(
    "newsworker_enrich_duration_seconds",
    "Time spent in each enrichment stage per article (stage=all: the whole core).",
    ["stage"],
    buckets=_FAST,
)
END_TO_END = Histogram(
    "newsworker_end_to_end_latency_seconds",
    "From the raw record's Kafka timestamp to the broker's acknowledgement of its output.",
    buckets=_SLOW,
)
CONSUMER_LAG = Gauge(
    "newsworker_consumer_lag_records",
    "Records in each assigned partition (raw topic, and the stories topic of the second hop) not yet"
    " processed (high watermark minus position).",
    ["topic", "partition"],
)
ASSIGNED = Gauge("newsworker_assigned_partitions", "Input partitions assigned to this worker.")
LOOP_LAG = Gauge(
    "newsworker_event_loop_lag_seconds", "How late the event loop ran a timer at the last check."
)
ENRICH_RECYCLES = Counter(
    "newsworker_enrich_process_recycles",
    "Times the enrichment processes were killed and restarted because a record hung or crashed one.",
)
ENRICH_STUCK = Gauge(
    "newsworker_enrich_stuck_seconds",
    "How long the record being enriched has run past its time budget (0: none is).",
)
LOG_SUPPRESSED = Counter(
    "newsworker_log_lines_suppressed",
    "Repeated log lines (e.g. during a broker outage) held back by the rate limiter, by logger.",
    ["logger"],
)
STORIES = Counter(
    "newsworker_stories",
    "Articles by what the story index made of them: new (a story starts), joined (an existing"
    " story, not a copy), duplicate (a near-copy of an earlier article).",
    ["outcome"],
)
STORY_WINDOW = Gauge(
    "newsworker_story_window",
    "What the story index holds (articles, stories), at most --story-max-articles: its memory, also"
    " kept in Kafka.",
    ["kind"],
)
BUILD = Info("newsworker_build", "Version of the running worker.")
BUILD.info({"version": __version__})

# Known label values start at 0, so dashboards and alert ratios have series before the first one.
for _reason in DEAD_LETTER_REASONS:
    DEAD_LETTERED.labels(_reason)
for _type in ENTITY_TYPES:
    ENTITIES.labels(_type)
for _type in PLOVER_TYPES:
    EVENTS.labels(_type)
for _outcome in ("new", "joined", "duplicate"):
    STORIES.labels(_outcome)
for _kind in ("articles", "stories"):
    STORY_WINDOW.labels(_kind)
