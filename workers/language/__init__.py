"""Language identification stage."""

from workers.language.detect import LanguageStage

__all__ = ["LanguageStage"]
