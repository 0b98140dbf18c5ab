"""PLOVER / ACLED / CAMEO tables and the trigger lexicon, all data files in workers/data/events/."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from workers.entities.arabic import key
from workers.matching import PhraseMatcher

DATA = Path(__file__).resolve().parent.parent / "data" / "events"
PLOVER_TYPES = (
    "AGREE",
    "CONSULT",
    "SUPPORT",
    "CONCEDE",
    "COOPERATE",
    "AID",
    "RETREAT",
    "REQUEST",
    "ACCUSE",
    "REJECT",
    "THREATEN",
    "PROTEST",
    "SANCTION",
    "MOBILIZE",
    "COERCE",
    "ASSAULT",
)


@dataclass(frozen=True)
class Trigger:
    plover: str
    mode: str | None
    cameo: str
    acled: str | None  # CASE-2021 code of the ACLED sub-event type
    weight: float
    # Sentence words or phrases that show the trigger word in another sense (guards.tsv): no event.
    not_near: frozenset[str] = frozenset()
    bare: bool = False  # a verb form (pattern "=..."): never the same word with the article


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8") as f:
        return list(csv.DictReader((line for line in f if not line.startswith("#")), delimiter="\t"))


@cache
def acled_types() -> dict[str, tuple[str, str]]:
    """CASE-2021 code -> (ACLED event type, sub-event type), by the codebook's names."""
    return {r["case2021_code"]: (r["event_type"], r["sub_event_type"]) for r in _rows("acled.tsv")}


@cache
def number_words() -> dict[str, int]:
    """Number words of English and Arabic news prose -> value (numbers.tsv)."""
    return {r["word"]: int(r["value"]) for r in _rows("numbers.tsv")}


@cache
def cue_words() -> dict[tuple[str, str], set[str]]:
    """(language, kind) -> words in matching form that flag an event: negation, hypothetical, not_yet
    (cues.tsv)."""
    cues: dict[tuple[str, str], set[str]] = {}
    for r in _rows("cues.tsv"):
        cues.setdefault((r["language"], r["kind"]), set()).add(pattern_key(r["word"], r["language"]))
    return cues


@cache
def cameo_roots() -> dict[str, set[str]]:
    """Two-digit CAMEO root -> the PLOVER types it maps to (CAMEO2PLOVER-2021)."""
    roots: dict[str, set[str]] = {}
    for row in _rows("cameo_plover.tsv"):
        roots.setdefault(row["cameo"][:2], set()).add(row["plover"])
    return roots


def pattern_key(pattern: str, language: str) -> str:
    """A lexicon pattern in matching form: Arabic words keyed like the text, English lower-cased."""
    words = []
    for word in pattern.split():
        star = word.endswith("*")
        word = word.rstrip("*")
        word = key(word) if language == "ar" else word.lower()
        words.append(word + ("*" if star else ""))
    return " ".join(words)


@cache
def lexicon(language: str) -> tuple[PhraseMatcher, list[Trigger | None]]:
    """One matcher over the triggers and the phrase guards of guards.tsv (entries None: a phrase
    that holds a trigger word in another sense, so no event); context guards become `not_near`."""
    near: dict[str, frozenset[str]] = {}
    patterns: list[str] = []
    triggers: list[Trigger | None] = []
    for row in _rows("guards.tsv"):
        if row["lang"] != language:
            continue
        pattern = pattern_key(row["pattern"], language)
        if row["near"] == "-":
            patterns.append(pattern)
            triggers.append(None)
        else:
            near[pattern] = frozenset(pattern_key(w, language) for w in row["near"].split("|"))
    for row in _rows("triggers.tsv"):
        if row["lang"] != language:
            continue
        pattern = pattern_key(row["pattern"].lstrip("="), language)
        patterns.append(pattern)
        triggers.append(
            Trigger(
                row["plover"],
                None if row["mode"] == "-" else row["mode"],
                row["cameo"],
                None if row["acled"] == "-" else row["acled"],
                float(row["weight"]),
                near.get(pattern, frozenset()),
                row["pattern"].startswith("="),
            )
        )
    return PhraseMatcher(patterns), triggers


def build_cameo_table(mapping: Path, out: Path = DATA / "cameo_plover.tsv") -> int:
    """Write cameo_plover.tsv from the PLOVER project's CAMEO2PLOVER conversion table."""
    line = re.compile(r"^(\d{2,4}):\s*([A-Z]+)\s*(?:,\s*([^,#]*?)\s*)?(?:,\s*([^#]*?)\s*)?(?:#\s*(.*))?$")
    rows = []
    for text in mapping.read_text(encoding="utf-8").splitlines():
        match = line.match(text.strip())
        if match:
            cameo, plover, mode, context, description = match.groups()
            rows.append(
                (
                    cameo,
                    plover,
                    (mode or "").strip() or "-",
                    (context or "").strip() or "-",
                    (description or "").strip(),
                )
            )
    with out.open("w", encoding="utf-8") as f:
        f.write("# CAMEO -> PLOVER (type, mode, context), from CAMEO2PLOVER-2021.txt of the PLOVER project\n")
        f.write("# (Open Event Data Alliance, CC BY-SA 4.0). Rebuild: newsworker train events\n")
        f.write("cameo\tplover\tmode\tcontext\tdescription\n")
        for row in rows:
            f.write("\t".join(row) + "\n")
    return len(rows)
