"""Events: PLOVER, ACLED and CAMEO event types with triggers, actors, location and counts."""

from workers.events.stage import EventStage

__all__ = ["EventStage"]
