"""The Kafka ACLs a worker needs, and nothing more (workers/acls.md explains each): one list that
`newsworker acls`, the deploy files (deploy/k8s/acls/), the worker's start-up check and the
least-privilege test all read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from workers.config import Settings

INTERNAL_OPERATIONS = ("Create", "Read", "Write", "DescribeConfigs")


@dataclass(frozen=True)
class Grant:
    """Operations allowed to the worker's principal on one resource (a name, or a name prefix)."""

    resource: str  # "topic" or "group"
    name: str
    operations: tuple[str, ...]
    prefixed: bool = False

    def covers(self, resource: str, name: str) -> bool:
        if resource != self.resource:
            return False
        return name.startswith(self.name) if self.prefixed else name == self.name


def worker_grants(settings: Settings) -> list[Grant]:
    """The worker's ACLs for these settings (the table of the module's docstring)."""
    grants = [
        Grant("topic", settings.raw_topic, ("Read", "DescribeConfigs")),
        Grant("topic", settings.enriched_topic, ("Write", "DescribeConfigs")),
        Grant("topic", settings.dlq_topic, ("Write", "DescribeConfigs")),
        Grant("topic", settings.group_id, INTERNAL_OPERATIONS, prefixed=True),
        Grant("group", settings.group_id, ("Read",)),
    ]
    if not settings.story_topic.startswith(settings.group_id):  # --stories-topic outside the prefix
        grants.append(Grant("topic", settings.story_topic, INTERNAL_OPERATIONS))
    return grants


def needed_operations(grants: list[Grant], resource: str, name: str) -> list[str]:
    return [op for g in grants if g.covers(resource, name) for op in g.operations]


def missing_operations(granted: Iterable[str], needed: Iterable[str]) -> list[str]:
    """Operations in `needed` that the broker did not report as authorized (its names, e.g.
    DESCRIBE_CONFIGS, or ours, DescribeConfigs)."""
    have = {op.replace("_", "").lower() for op in granted}
    return [op for op in needed if op.lower() not in have]


def kafka_acls_commands(grants: list[Grant], principal: str, bootstrap: str) -> list[str]:
    """The `kafka-acls.sh` commands that create `grants` for `principal` (e.g. User:newsworker)."""
    lines = []
    for g in grants:
        ops = " ".join(f"--operation {op}" for op in g.operations)
        pattern = " --resource-pattern-type prefixed" if g.prefixed else ""
        lines.append(
            f"kafka-acls.sh --bootstrap-server {bootstrap} --command-config admin.properties --add"
            f" --allow-principal {principal} {ops}{pattern} --{g.resource} {g.name}"
        )
    return lines


def strimzi_acls(grants: list[Grant]) -> list[dict]:
    """The same grants as a Strimzi KafkaUser's `spec.authorization.acls`."""
    return [
        {
            "resource": {
                "type": g.resource,
                "name": g.name,
                "patternType": "prefix" if g.prefixed else "literal",
            },
            "operations": list(g.operations),
        }
        for g in grants
    ]


def create(admin: object, grants: list[Grant], principal: str) -> None:
    """Create `grants` for `principal` with a kafka-python admin client of a user allowed to."""
    from kafka.admin import (
        ACL,
        ACLOperation,
        ACLPermissionType,
        ACLResourcePatternType,
        ResourcePattern,
        ResourceType,
    )

    acls = [
        ACL(
            principal=principal,
            host="*",
            operation=ACLOperation[_constant(op)],
            permission_type=ACLPermissionType.ALLOW,
            resource_pattern=ResourcePattern(
                ResourceType[g.resource.upper()],
                g.name,
                ACLResourcePatternType.PREFIXED if g.prefixed else ACLResourcePatternType.LITERAL,
            ),
        )
        for g in grants
        for op in g.operations
    ]
    failed = admin.create_acls(acls)["failed"]  # type: ignore[attr-defined]
    if failed:
        raise failed[0](f"{len(failed)} of {len(acls)} ACLs not created")  # the broker's error class


def _constant(operation: str) -> str:
    """DescribeConfigs -> DESCRIBE_CONFIGS."""
    return "".join("_" + c if c.isupper() and i else c for i, c in enumerate(operation)).upper()
