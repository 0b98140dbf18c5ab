"""Kafka connection settings shared by kafka-python (replay, admin) and faust (worker)."""

from __future__ import annotations

import logging
import ssl
import time
from typing import Any

from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from workers.config import Settings
from workers.records import TOPIC_MAX_BYTES

log = logging.getLogger(__name__)

# Topics this project creates accept records up to 16 MiB (records.TOPIC_MAX_BYTES), so that a
# dead letter can carry an over-limit raw record (the raw limit is Settings.max_record_bytes).
MAX_MESSAGE_BYTES = TOPIC_MAX_BYTES
KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588  # the broker default of message.max.bytes


def client_config(settings: Settings) -> dict[str, Any]:
    """kafka-python keyword arguments for bootstrap and security."""
    config: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers.split(","),
        "security_protocol": settings.security_protocol,
    }
    if settings.security_protocol.startswith("SASL"):
        config |= {
            "sasl_mechanism": settings.sasl_mechanism,
            "sasl_plain_username": settings.sasl_username,
            "sasl_plain_password": settings.password,
        }
    if settings.ssl_cafile and "SSL" in settings.security_protocol:
        config["ssl_cafile"] = settings.ssl_cafile
    return config


def faust_credentials(settings: Settings) -> Any:
    """faust `broker_credentials` for the same settings (None for PLAINTEXT)."""
    from faust.auth import SASLCredentials, SSLCredentials

    protocol = settings.security_protocol
    context = ssl.create_default_context(cafile=settings.ssl_cafile or None)
    if protocol == "SSL":
        return SSLCredentials(context)
    if protocol.startswith("SASL"):
        return SASLCredentials(
            username=settings.sasl_username,
            password=settings.password,
            mechanism=settings.sasl_mechanism,
            ssl_context=context if protocol == "SASL_SSL" else None,
        )
    return None


class BrokerUnreachable(RuntimeError):
    """The broker cannot be reached or refuses us, explained in the user's settings' terms."""


def admin_client(settings: Settings) -> KafkaAdminClient:
    """An admin client, or BrokerUnreachable naming the address, protocol and mechanism tried:
    kafka-python's own error after a SASL/TLS mismatch is a bare 'Unable to bootstrap'."""
    try:
        return KafkaAdminClient(
            client_id="newsworker-admin", bootstrap_timeout_ms=10000, **client_config(settings)
        )
    except (KafkaError, OSError) as exc:  # ssl.SSLError is an OSError
        how = settings.security_protocol
        if how.startswith("SASL"):
            how += f" (mechanism {settings.sasl_mechanism}, user {settings.sasl_username or '<none>'})"
        hint = (
            "check the protocol the listener speaks, the mechanism and the credentials"
            if settings.security_protocol != "PLAINTEXT"
            else "is the broker running there, and does the listener speak PLAINTEXT?"
        )
        raise BrokerUnreachable(
            f"cannot connect to Kafka at {settings.bootstrap_servers} with security protocol {how}: "
            f"{type(exc).__name__}: {exc}; {hint}"
        ) from None


def ensure_topics(settings: Settings) -> dict[str, int]:
    """Create the raw, enriched, dead-letter and stories topics when they are missing (the stories
    topic with one partition: workers/stream/app.py); return each topic's `max.message.bytes`, so
    that outputs and dead letters are sized to what the broker accepts."""
    admin = admin_client(settings)
    wanted = [settings.raw_topic, settings.enriched_topic, settings.dlq_topic, settings.story_topic]
    try:
        existing = set(admin.list_topics())
        missing = [
            NewTopic(
                name,
                num_partitions=1 if name == settings.story_topic else settings.partitions,
                replication_factor=-1,  # the broker's default.replication.factor
                topic_configs={"max.message.bytes": str(MAX_MESSAGE_BYTES)},
            )
            for name in wanted
            if name not in existing
        ]
        if missing:
            try:
                admin.create_topics(missing)
                log.info("created topics %s", [t.name for t in missing])
            except TopicAlreadyExistsError:  # another worker won the race
                pass
        return _max_message_bytes(admin, wanted)
    finally:
        admin.close()


def _max_message_bytes(admin: KafkaAdminClient, topics: list[str], wait_s: float = 10.0) -> dict[str, int]:
    """Each topic's `max.message.bytes`. Right after a topic is created the broker may describe it
    without its configs for a moment (seen in CI): ask again until it does. A topic still without
    the value gets Kafka's own default, the smallest a broker would accept, with a warning."""
    deadline = time.monotonic() + wait_s
    while True:
        described = admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name, configs=["max.message.bytes"]) for name in topics]
        )["topic"]
        found = {
            name: int(described[name]["max.message.bytes"]["value"])
            for name in topics
            if "max.message.bytes" in described.get(name, {})
        }
        if len(found) == len(topics) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    for name in set(topics) - set(found):
        log.warning("topic %s: no max.message.bytes described; assuming Kafka's default", name)
        found[name] = KAFKA_DEFAULT_MAX_MESSAGE_BYTES
    return found
