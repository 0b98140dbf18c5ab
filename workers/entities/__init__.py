"""Named entities: offline Arabic NER, gazetteer linking and geocoding."""

from workers.entities.stage import EntityStage

__all__ = ["EntityStage"]
