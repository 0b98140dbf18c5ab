"""Kafka clients' settings, one function for faust (the worker) and kafka-python (replay, admin,
the lag and gap checks); topic creation; the worker's start-up check of its access; refusals
explained in one line that names the setting or ACL to change (workers/acls.md)."""

from __future__ import annotations

import logging
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from kafka import KafkaAdminClient, KafkaConsumer
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.errors import (
    KafkaConnectionError,
    KafkaError,
    KafkaTimeoutError,
    SaslAuthenticationFailedError,
    TopicAlreadyExistsError,
)

from workers.config import Settings
from workers.records import TOPIC_MAX_BYTES

log = logging.getLogger(__name__)
T = TypeVar("T")
C = TypeVar("C")

# Topics this project creates accept records up to 16 MiB (records.TOPIC_MAX_BYTES), so that a
# dead letter can carry an over-limit raw record (the raw limit is Settings.max_record_bytes).
MAX_MESSAGE_BYTES = TOPIC_MAX_BYTES
KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588  # the broker default of message.max.bytes
BOOTSTRAP_TIMEOUTS_MS = (3_000, 10_000)


def client_config(settings: Settings) -> dict[str, Any]:
    """kafka-python keyword arguments for bootstrap and security: every kafka-python client (replay,
    admin, the lag and gap checks, tests) is built from these."""
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
    if (context := ssl_context(settings)) is not None:
        config["ssl_context"] = context
    return config


def faust_credentials(settings: Settings) -> Any:
    """faust's (aiokafka's) `broker_credentials` for the same settings: the same user, password,
    mechanism and TLS context as `client_config` (None for PLAINTEXT)."""
    from faust.auth import SASLCredentials, SSLCredentials

    config = client_config(settings)
    if settings.security_protocol == "SSL":
        return SSLCredentials(config["ssl_context"])
    if settings.security_protocol.startswith("SASL"):
        return SASLCredentials(
            username=config["sasl_plain_username"],
            password=config["sasl_plain_password"],
            mechanism=config["sasl_mechanism"],
            ssl_context=config.get("ssl_context"),
        )
    return None


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """The TLS context of SSL and SASL_SSL: the broker's certificate is checked against
    --ssl-cafile (the system CAs when empty), and its host name against the bootstrap address."""
    if "SSL" not in settings.security_protocol:
        return None
    try:
        return ssl.create_default_context(cafile=settings.ssl_cafile or None)
    except (OSError, ssl.SSLError) as exc:  # missing or not PEM
        raise KafkaAccessError(
            f"cannot read the CA bundle {settings.ssl_cafile}: {exc}; fix {_setting('ssl_cafile')}"
        ) from None


class KafkaAccessError(RuntimeError):
    """The broker cannot be reached, or refuses us: one line naming the cause and the setting
    (or ACL) to change."""


def explain(exc: BaseException, settings: Settings, doing: str = "") -> str:
    """One line for a client's failure to reach or use the broker: what went wrong, in the user's
    settings' terms, and what to change. Never the password."""
    name, text = type(exc).__name__, str(exc)
    user = settings.sasl_username or "<none>"
    at = f"Kafka at {settings.bootstrap_servers}"
    if "Authentication" in name or "invalid credentials" in text:
        return (
            f"{at} refused the credentials of user {user!r} ({settings.security_protocol}, "
            f"{settings.sasl_mechanism}): check {_setting('sasl_password')} (or "
            f"{_setting('sasl_password_file')}), {_setting('sasl_username')} and {_setting('sasl_mechanism')}"
        )
    if "CERTIFICATE_VERIFY_FAILED" in text or isinstance(exc, ssl.SSLCertVerificationError):
        reason = text.split("certificate verify failed: ")[-1].split(" (_ssl")[0]
        trusted = settings.ssl_cafile or "the system CAs"
        if "mismatch" in reason:  # a host name the certificate does not name
            hint = f"use a host name the certificate names in {_setting('bootstrap_servers')}"
        else:
            hint = f"set {_setting('ssl_cafile')} to the CA bundle that signed it"
        return f"{at}: the broker's TLS certificate is not trusted by {trusted} ({reason}); {hint}"
    if "Authorization" in name:
        what = doing or _denied_resource(name, settings)
        return (
            f"{at} denied user {user!r} {what} ({name}): grant the worker's ACLs, "
            "`newsworker acls` prints them (README, Security)"
        )
    how = settings.security_protocol
    if how.startswith("SASL"):
        how += f" (mechanism {settings.sasl_mechanism}, user {user})"
    if "refused" in text.lower():
        hint = (
            f"nothing accepts connections there: is the broker running? check {_setting('bootstrap_servers')}"
        )
    elif settings.security_protocol != "PLAINTEXT":
        hint = f"check {_setting('security_protocol')}: the listener may speak another protocol"
    else:
        hint = "is the broker running there, and does the listener speak PLAINTEXT?"
    detail = text if text.startswith(name) else f"{name}: {text}"
    return f"cannot connect to {at} with security protocol {how}: {detail}; {hint}"


def _denied_resource(error: str, settings: Settings) -> str:
    if "Group" in error:
        return f"the consumer group {settings.group_id!r}"
    if "Topic" in error:
        topics = (settings.raw_topic, settings.enriched_topic, settings.dlq_topic, settings.group_id + "*")
        return f"a topic (of {', '.join(topics)})"
    return "a cluster operation"


def _setting(name: str) -> str:
    """A setting as the user sets it: the flag (where there is one) and the env var."""
    from workers.config import SECRETS, env_name

    env = env_name(name)
    return env if name in SECRETS else f"--{name.replace('_', '-')} / {env}"


class _ClientErrors(logging.Handler):
    """kafka-python only logs why a bootstrap failed (TLS, SASL) and then raises a bare 'Unable to
    bootstrap': keep the causes it logs, and keep its repeats out of the output."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen: list[BaseException] = []

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args if isinstance(record.args, tuple) else ()
        for exc in (a for a in args if isinstance(a, BaseException)):
            if isinstance(exc, KafkaConnectionError) and any(_authenticating(a) for a in args):
                # Refused credentials: the broker answers and closes; when both arrive in one read,
                # kafka-python 3.0 keeps only the close.
                exc = SaslAuthenticationFailedError(f"connection closed during SASL authentication ({exc})")
            self.seen.append(exc)

    def __enter__(self) -> _ClientErrors:
        logger = logging.getLogger("kafka")
        self.propagate, logger.propagate = logger.propagate, False
        logger.addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logger = logging.getLogger("kafka")
        logger.removeHandler(self)
        logger.propagate = self.propagate

    def refusal(self) -> BaseException | None:
        """A refusal no retry cures: the credentials, or the broker's certificate."""
        for exc in self.seen:
            if "Authentication" in type(exc).__name__ or "CERTIFICATE_VERIFY_FAILED" in str(exc):
                return exc
        return None

    def cause(self, fallback: BaseException) -> BaseException:
        """The most telling error logged: a refusal over a dropped connection."""
        causes = [exc for exc in self.seen if not isinstance(exc, KafkaTimeoutError)]  # not "gave up"
        return self.refusal() or (causes[-1] if causes else fallback)


def _authenticating(connection: object) -> bool:
    """A kafka-python connection that got past the version exchange with SASL still to come: when
    it drops (rather than answer a SASL request with an error) as the bootstrap fails, the broker
    refused the credentials."""
    return (
        getattr(connection, "sasl_enabled", False)
        and getattr(connection, "broker_version_data", None) is not None
    )


def connected(settings: Settings, client: Callable[..., C], **options: Any) -> C:
    """A kafka-python client (admin, producer) of these settings, connected; or KafkaAccessError
    naming the cause and the setting to change. A first short try shows a refusal (credentials,
    certificate) in seconds; a longer one waits for a broker that is slow to answer."""
    with _ClientErrors() as errors:
        for timeout_ms in BOOTSTRAP_TIMEOUTS_MS:
            try:
                return client(bootstrap_timeout_ms=timeout_ms, **client_config(settings), **options)
            except (KafkaError, OSError) as exc:  # ssl.SSLError is an OSError
                failure = exc
                if errors.refusal() is not None:
                    break
        raise KafkaAccessError(explain(errors.cause(failure), settings)) from None


def admin_client(settings: Settings) -> KafkaAdminClient:
    return connected(settings, KafkaAdminClient, client_id="newsworker-admin")


def ensure_topics(settings: Settings) -> dict[str, int]:
    """Create the raw, enriched, dead-letter and stories topics when they are missing (the stories
    topic with one partition: workers/stream/app.py), check that the broker grants the worker's
    ACLs (workers/acls.py) on them and its group, and return each topic's `max.message.bytes`, so
    that outputs and dead letters are sized to what the broker accepts."""
    admin = admin_client(settings)
    wanted = [settings.raw_topic, settings.enriched_topic, settings.dlq_topic, settings.story_topic]
    try:
        with _denied(settings):
            existing = set(admin.list_topics())  # those the user may Describe
        missing = [name for name in wanted if name not in existing]
        if missing:
            with _denied(settings, f"Create on the missing topics {missing} (or Describe, if they exist)"):
                try:
                    admin.create_topics([_new_topic(name, settings) for name in missing])
                    log.info("created topics %s", missing)
                except TopicAlreadyExistsError:  # another worker won the race
                    pass
        with _denied(settings, f"DescribeConfigs on the topics {wanted}"):
            sizes = _max_message_bytes(admin, wanted)
        _check_grants(admin, settings, wanted)
        return sizes
    finally:
        admin.close()


def _new_topic(name: str, settings: Settings) -> NewTopic:
    return NewTopic(
        name,
        num_partitions=1 if name == settings.story_topic else settings.partitions,
        replication_factor=-1,  # the broker's default.replication.factor
        topic_configs={"max.message.bytes": str(MAX_MESSAGE_BYTES)},
    )


def _check_grants(admin: KafkaAdminClient, settings: Settings, topics: list[str]) -> None:
    """Stop before faust starts when the broker does not grant the worker's ACLs on its topics and
    group: the broker reports the operations the user may perform on each (KIP-430)."""
    from workers.acls import missing_operations, needed_operations, worker_grants

    if "CLUSTER_ACTION" in admin.describe_cluster().get("authorized_operations", ()):
        return  # granted what only brokers and super users hold: no authorizer, or a super user
    grants = worker_grants(settings)
    allowed = {("topic", t["name"]): t.get("authorized_operations") for t in admin.describe_topics(topics)}
    with _denied(settings, f"Read on the consumer group {settings.group_id!r}"):
        described = _retried(
            lambda: admin.describe_groups([settings.group_id], include_authorized_operations=True)
        )
        allowed["group", settings.group_id] = described[settings.group_id].get("authorized_operations")
    lacking = [
        f"{op} on {resource} {name!r}"
        for (resource, name), granted in allowed.items()
        if granted is not None
        for op in missing_operations(granted, needed_operations(grants, resource, name))
    ]
    if lacking:
        raise KafkaAccessError(
            f"Kafka at {settings.bootstrap_servers} denies user {settings.sasl_username or '<none>'!r} "
            f"{', '.join(lacking)}: grant the worker's ACLs, `newsworker acls` prints them (README, Security)"
        )
    if allowed["group", settings.group_id] is None:
        # A group the broker does not know yet reports no operations, and aiokafka would wait
        # forever for a join the broker refuses: join it once, with kafka-python, which raises.
        with _denied(settings, f"Read on the consumer group {settings.group_id!r}"):
            _join_once(settings)


def _retried(call: Callable[[], T], wait_s: float = 10.0) -> T:
    """`call()`, again while the broker answers with a retriable error (on a new cluster, the group
    coordinator is not available until the offsets topic exists)."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return call()
        except KafkaError as exc:
            if not exc.retriable or time.monotonic() > deadline:
                raise
        time.sleep(0.2)


def _join_once(settings: Settings, wait_s: float = 10.0) -> None:
    """Join the (new) group and leave at once: GroupAuthorizationFailedError if the broker refuses."""
    consumer = KafkaConsumer(
        **client_config(settings),
        group_id=settings.group_id,
        enable_auto_commit=False,
        client_id="newsworker-check",
    )
    try:
        consumer.subscribe([settings.raw_topic])
        deadline = time.monotonic() + wait_s
        while not consumer.assignment() and time.monotonic() < deadline:
            consumer.poll(timeout_ms=200, max_records=1, update_offsets=False)
    finally:
        consumer.close(autocommit=False)


@contextmanager
def _denied(settings: Settings, doing: str = "") -> Iterator[None]:
    """A request the broker refuses becomes a KafkaAccessError naming what was asked."""
    try:
        yield
    except (KafkaError, OSError) as exc:
        raise KafkaAccessError(explain(exc, settings, doing)) from None


def _max_message_bytes(admin: KafkaAdminClient, topics: list[str], wait_s: float = 10.0) -> dict[str, int]:
    """Each topic's `max.message.bytes`. Right after a topic is created the broker may describe it
    without its configs for a moment (seen in CI): ask again until it does. A topic still without
    the value gets Kafka's own default, the smallest a broker would accept, with a warning."""
    deadline = time.monotonic() + wait_s
    while True:
        described = admin.describe_configs(
            [
                ConfigResource(ConfigResourceType.TOPIC, name, configs=["max.message.bytes"])
                for name in topics
            ],
            config_filter="all",  # also a value the topic inherits (kafka-python's default: set ones only)
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
