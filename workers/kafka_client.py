"""Kafka connection settings shared by kafka-python (replay, admin) and faust (worker)."""

from __future__ import annotations

import logging
import ssl
from typing import Any

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from workers.config import Settings

log = logging.getLogger(__name__)

# Topics this project creates accept records up to 16 MiB, so that a dead letter can carry an
# over-limit raw record (the raw limit itself is Settings.max_record_bytes, 2 MiB by default).
MAX_MESSAGE_BYTES = 16 * 1024 * 1024


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
            "sasl_plain_password": settings.sasl_password,
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
            password=settings.sasl_password,
            mechanism=settings.sasl_mechanism,
            ssl_context=context if protocol == "SASL_SSL" else None,
        )
    return None


def ensure_topics(settings: Settings) -> None:
    """Create the raw, enriched and dead-letter topics when they are missing."""
    admin = KafkaAdminClient(client_id="newsworker-admin", **client_config(settings))
    try:
        existing = set(admin.list_topics())
        wanted = [settings.raw_topic, settings.enriched_topic, settings.dlq_topic]
        missing = [
            NewTopic(
                name,
                num_partitions=settings.partitions,
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
    finally:
        admin.close()
