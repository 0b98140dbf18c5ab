"""Dominant writing system of a text, as an ISO 15924 code."""

from __future__ import annotations

import re

# Letter ranges of the scripts news arrives in; anything else counts as no letter.
_RANGES = {
    "Arab": "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff",
    "Latn": "A-Za-z\u00c0-\u024f\u1e00-\u1eff",
    "Cyrl": "\u0400-\u04ff",
    "Hebr": "\u0590-\u05ff",
    "Grek": "\u0370-\u03ff",
    "Deva": "\u0900-\u097f",
    "Beng": "\u0980-\u09ff",
    "Hani": "\u4e00-\u9fff\u3400-\u4dbf",
    "Jpan": "\u3040-\u30ff",
    "Hang": "\uac00-\ud7af",
    "Thai": "\u0e00-\u0e7f",
    "Armn": "\u0530-\u058f",
    "Geor": "\u10a0-\u10ff",
    "Ethi": "\u1200-\u137f",
    "Taml": "\u0b80-\u0bff",
}
_SCRIPTS = {code: re.compile(f"[{ranges}]") for code, ranges in _RANGES.items()}
# Letters of any other script, to judge mixed text on its dominant script alone.
OTHER_LETTERS = {code: re.compile(rf"(?![{ranges}])[^\W\d_]") for code, ranges in _RANGES.items()}
# Arabic-block code points that are not letters (digits, punctuation, tatweel, diacritics).
_ARABIC_NON_LETTERS = re.compile(
    "[\u0600-\u061f\u0640\u064b-\u065f\u0660-\u066d\u06d4\u06dd-\u06ed\u06f0-\u06f9]"
)

NO_LETTERS = "Zyyy"


def dominant_script(text: str) -> str:
    counts = {code: len(pattern.findall(text)) for code, pattern in _SCRIPTS.items()}
    counts["Arab"] -= len(_ARABIC_NON_LETTERS.findall(text))
    code, best = max(counts.items(), key=lambda item: item[1])
    return code if best > 0 else NO_LETTERS
