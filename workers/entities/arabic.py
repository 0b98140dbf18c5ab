"""Arabic orthographic normalisation and proclitic handling, shared by features, gazetteer and
linking: one `key()` decides when two spellings name the same thing."""

from __future__ import annotations

import re
from functools import lru_cache

from camel_tools.utils.dediac import dediac_ar
from camel_tools.utils.normalize import (
    normalize_alef_ar,
    normalize_alef_maksura_ar,
    normalize_teh_marbuta_ar,
)

# Zero-width and bidi controls, tatweel: invisible in print, noise for matching.
_INVISIBLE = re.compile("[\u0640\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
# The letters that attach to the front of a word: a conjunction, then a preposition.
CONJUNCTIONS = "وف"
PREPOSITIONS = "بلك"
# What may stand before a name inside its first word (وموسكو, بموسكو, وبموسكو), article aside.
PREFIXES = tuple(c + p for c in ("", *CONJUNCTIONS) for p in ("", *PREPOSITIONS))
# Conjunction (و ف), then preposition + article (بال كال), ل + article written لل, or a bare
# preposition (ب ل ك), then the article alone: "وبالعراق", "للعراق", "والعراق" all key to عراق.
_PROCLITICS = re.compile(rf"^(?:[{CONJUNCTIONS}])?(?:[بك]?ال|لل|[{PREPOSITIONS}])?")
MIN_STEM = 3


@lru_cache(maxsize=200_000)
def normalize(word: str) -> str:
    """Dediacritised, alef/yeh/teh-marbuta normalised, lower-cased, invisible marks removed."""
    text = _INVISIBLE.sub("", word)
    text = normalize_teh_marbuta_ar(normalize_alef_maksura_ar(normalize_alef_ar(dediac_ar(text))))
    return text.lower()


@lru_cache(maxsize=200_000)
def split_proclitics(normalized: str) -> tuple[str, str]:
    """(proclitics, stem) of a normalised word; the stem keeps at least MIN_STEM letters, so short
    function words (إلى, على) are not cut down to keys that collide with names."""
    match = _PROCLITICS.match(normalized)
    cut = match.end() if match else 0
    if len(normalized) - cut < MIN_STEM:  # too short once stripped: the word is its own stem
        cut = 0
    return normalized[:cut], normalized[cut:]


def key(word: str) -> str:
    """Matching key of one word: normalised, proclitics removed (وموسكو, موسكو -> موسكو)."""
    return split_proclitics(normalize(word))[1]


def phrase_key(words: list[str]) -> str:
    return " ".join(key(word) for word in words)
