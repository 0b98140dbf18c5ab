"""One settings object for every command.

Each field is at once a CLI flag (`--raw-topic`), an environment variable (`NEWSWORKER_RAW_TOPIC`)
and a row of the README's configuration table (`newsworker config --markdown`), so the three never
drift apart.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from workers.processing import Limits

ENV_PREFIX = "NEWSWORKER_"


def _setting(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    bootstrap_servers: str = _setting("127.0.0.1:9092", "Kafka bootstrap servers, comma-separated.")
    raw_topic: str = _setting("news.articles.raw", "Topic of raw articles (input).")
    enriched_topic: str = _setting("news.articles.enriched", "Topic of enriched articles (output).")
    dlq_topic: str = _setting("news.articles.dlq", "Topic of dead letters (bad input).")
    partitions: int = _setting(4, "Partitions of each topic when the worker creates it.")
    group_id: str = _setting("newsworker", "Consumer group id (also the faust app id).")
    web_host: str = _setting("127.0.0.1", "Bind address of /metrics, /healthz, /readyz.")
    web_port: int = _setting(6066, "Port of /metrics, /healthz, /readyz.")
    enrich_processes: int = _setting(
        1, "Processes that run the enrichment core off the event loop (0: a thread in-process)."
    )
    batch_size: int = _setting(128, "Records handed to the core at a time.")
    batch_wait_ms: int = _setting(50, "Longest wait to fill a batch, in milliseconds.")
    max_record_bytes: int = _setting(2 * 1024 * 1024, "Larger raw records are dead-lettered as too_large.")
    enrich_timeout_s: float = _setting(
        10.0,
        "Enrichment time budget per record, seconds; over it the record is dead-lettered as"
        " enrich_timeout (0: none). An article takes ~5 ms.",
    )
    max_text_chars: int = _setting(
        100_000,
        "Code points of title and text analysed per article (the record keeps all; flagged when cut).",
    )
    ner_backend: str = _setting(
        "crf",
        "Arabic NER: crf (offline, shipped), e5 (shipped, more accurate, ~60 sentences/s) or camel"
        " (needs camel_data ner-arabert); English and French always use spaCy's small pipelines"
        " (installed); optionally ',spacy:MODEL' for another language (e.g. crf,spacy:de_core_news_sm).",
    )
    min_event_confidence: float = _setting(
        0.15,
        "Events below this learned confidence (the probability that the event is real) are not"
        " emitted; 0 gives every lexicon candidate. Default: chosen by cross-validation (README Events).",
    )
    event_decisions: str = _setting(
        "contextual",
        "How candidate events are decided: contextual (static vectors, then a fine-tuned e5 re-reads"
        " the ASSAULT and PROTEST candidates they do not rule out, ~7 ms each; the English ACLED"
        " sub-type reads the sentence's e5 vector, ~10 ms an English sentence with an event) or static"
        " (static vectors only, the ACLED sub-type from words alone: the fast profile).",
    )
    story_window_h: float = _setting(
        72.0,
        "Story window, hours of event time (published_at, else the enrichment time): two articles"
        " can be copies, or one story, only when their event times are within N hours of each other.",
    )
    story_max_articles: int = _setting(
        100_000,
        "Articles the story index keeps (the last to arrive; ~8 KB each in the worker holding the"
        " index, ~1.2 KB each in Kafka): older arrivals are no longer compared.",
    )
    stories_topic: str = _setting(
        "",
        "Internal topic, one partition, where enriched articles meet the story index on one worker"
        " (README Stories); empty: GROUP_ID.stories, owned by the group like faust's own topics.",
    )
    session_timeout_s: float = _setting(10.0, "Kafka consumer session timeout, seconds.")
    recovery_stall_s: float = _setting(
        120.0,
        "Seconds a rebalanced worker may take to recover the stories table; past it the worker exits"
        " (code 75) to be restarted: faust's recovery can stall after a worker dies. 0: wait forever.",
    )
    dashboard_port: int = _setting(8050, "Port of `newsworker dashboard`, the events page (on 127.0.0.1).")
    dashboard_hours: float = _setting(
        72.0, "The events page first shows the events of the last N hours of event time (0: all)."
    )
    state_dir: str = _setting(".newsworker", "Directory for worker state and the local broker.")
    log_level: str = _setting(
        "info", "Log level: info recommended (faust's warn puts its root logger at DEBUG: 13-21% more CPU)."
    )
    security_protocol: str = _setting(
        "PLAINTEXT", "Kafka security protocol: PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL."
    )
    sasl_mechanism: str = _setting("PLAIN", "SASL mechanism: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512.")
    sasl_username: str = _setting("", "SASL user name (with a SASL_* protocol).")
    sasl_password: str = _setting(
        "", "SASL password: from the environment only (or --sasl-password-file), never a flag."
    )
    sasl_password_file: str = _setting("", "File holding the SASL password (e.g. a mounted secret).")
    ssl_cafile: str = _setting("", "CA bundle for SSL / SASL_SSL (empty: system CAs).")

    @property
    def story_topic(self) -> str:
        return self.stories_topic or f"{self.group_id}.stories"

    @property
    def batch_wait_s(self) -> float:
        return self.batch_wait_ms / 1000.0

    @property
    def password(self) -> str:
        """The SASL password: the file's first line when a file is named, else the env var."""
        if self.sasl_password_file:
            try:
                return Path(self.sasl_password_file).read_text(encoding="utf-8").splitlines()[0]
            except (OSError, IndexError) as exc:
                raise click.BadParameter(f"--sasl-password-file {self.sasl_password_file}: {exc}") from None
        return self.sasl_password

    def limits(self) -> Limits:
        """The per-record bounds of these settings (the topics' limits are the defaults' until the
        worker reads them from the broker)."""
        from workers.processing import Limits

        return Limits(
            max_record_bytes=self.max_record_bytes,
            timeout_s=self.enrich_timeout_s,
            max_text_chars=self.max_text_chars,
            ner_backend=self.ner_backend,
            min_event_confidence=self.min_event_confidence,
            event_decisions=self.event_decisions,
        )

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Defaults, then environment variables, then explicit overrides (flags)."""
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = os.environ.get(env_name(f.name))
            if raw is not None:
                values[f.name] = _convert(f, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


ALL = tuple(f.name for f in dataclasses.fields(Settings))


def env_name(name: str) -> str:
    return ENV_PREFIX + name.upper()


def _convert(f: dataclasses.Field, raw: str) -> Any:
    kind = type(f.default)
    try:
        return kind(raw)
    except ValueError as exc:
        raise click.BadParameter(f"{env_name(f.name)}={raw!r} is not a valid {kind.__name__}") from exc


def options(*names: str) -> Callable[[Callable], Callable]:
    """Click options for the named settings; values arrive as keyword arguments (None: unset)."""
    by_name = {f.name: f for f in dataclasses.fields(Settings)}

    def decorate(command: Callable) -> Callable:
        for name in reversed(names):
            f = by_name[name]
            command = click.option(
                "--" + name.replace("_", "-"),
                type=type(f.default),
                default=None,
                help=f"{f.metadata['help']} [env {env_name(name)}; default {f.default!r}]",
            )(command)
        return command

    return decorate


SECRETS = ("sasl_password",)  # never on a command line, where `ps` shows it: env var only
FLAGS = tuple(name for name in ALL if name not in SECRETS)


def cli_args(settings: Settings) -> list[str]:
    """The flags that reproduce `settings` on another newsworker command line (secrets excepted:
    pass them with `secret_env`)."""
    args: list[str] = []
    for f in dataclasses.fields(Settings):
        if f.name not in SECRETS:
            args += ["--" + f.name.replace("_", "-"), str(getattr(settings, f.name))]
    return args


def secret_free_env(settings: Settings, names: tuple[str, ...]) -> dict[str, str]:
    """The named settings as NEWSWORKER_* variables, secrets left out."""
    return {env_name(n): str(getattr(settings, n)) for n in names if n not in SECRETS}


def secret_env(settings: Settings) -> dict[str, str]:
    return {env_name(name): str(getattr(settings, name)) for name in SECRETS}


def markdown_table() -> str:
    rows = ["| flag | env var | default | meaning |", "|---|---|---|---|"]
    for f in dataclasses.fields(Settings):
        flag = "(env only)" if f.name in SECRETS else "`--" + f.name.replace("_", "-") + "`"
        rows.append(f"| {flag} | `{env_name(f.name)}` | `{f.default!r}` | {f.metadata['help']} |")
    return "\n".join(rows)
