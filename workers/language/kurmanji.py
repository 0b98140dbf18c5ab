"""Kurmanji vocabulary, for short Latin texts whose letters do not set Kurmanji apart from Turkish,
Italian or English ("di rewşa", "li hember", "ya malbata").

The word list is klpt's Kurmanji lexicon and stop words (Sina Ahmadi, from FreeDict and the Kurdish
Wiktionary, CC BY-SA 4.0), rebuilt by `newsworker train language`. A text counts as Kurmanji
vocabulary when every word is a listed word or a listed stem with a common ending or verb prefix.
"""

from __future__ import annotations

import importlib.resources
import json
from pathlib import Path

WORDS = Path(__file__).resolve().parent.parent / "data" / "language" / "kmr_words.txt"
# Ezafe, plural, indefinite and oblique endings; every one that fits is tried.
_ENDINGS = "a ê î e an in ên ek ya yê eke ekê ekî eka iya iyê yên"
SUFFIXES = tuple(_ENDINGS.split())
PREFIXES = ("di", "bi", "ne", "na", "bê")  # present, subjunctive and negative verb prefixes
MIN_STEM = 3
HEADER = "# klpt Kurmanji lexicon + stop words (CC BY-SA 4.0, Sina Ahmadi); `newsworker train language`"


def _load() -> frozenset[str]:
    lines = WORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


_VOCABULARY = _load()


def known(word: str) -> bool:
    word = word.lower()
    if word in _VOCABULARY:
        return True
    stems = [word[: -len(s)] for s in SUFFIXES if word.endswith(s)]
    stems += [word[len(p) :] for p in PREFIXES if word.startswith(p)]
    return any(len(stem) >= MIN_STEM and stem in _VOCABULARY for stem in stems)


def all_known(words: list[str]) -> bool:
    return bool(words) and all(map(known, words))


def build(out: Path = WORDS) -> int:
    """Write the word list from klpt's data files (klpt is a dev dependency)."""
    data = importlib.resources.files("klpt").joinpath("data")
    dictionary = data.joinpath("kmr-Latn.dic").read_text(encoding="utf-8").splitlines()[1:]
    stems = {line.split("/")[0].split()[0].lower() for line in dictionary if line.strip()}
    stop = json.loads(data.joinpath("stopwords.json").read_text(encoding="utf-8"))["Kurmanji"]["Latin"]
    words = sorted(stems | {w.lower() for w in stop})
    out.write_text(HEADER + "\n" + "\n".join(words) + "\n", encoding="utf-8")
    return len(words)
