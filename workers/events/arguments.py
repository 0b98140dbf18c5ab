"""Event arguments: who acted on whom, where, how many died, what was counted.

Given a candidate (candidates.py) and the article's entities: `actors` from the entities of the
trigger's clause, `location` from its places, `fatalities` from a death toll next to a killing
word, `quantities` from counted phrases (never durations or dates).
"""

from __future__ import annotations

import re
from typing import Any

from workers.events.ontology import number_words

_WORDS = "|".join(sorted(number_words(), key=len, reverse=True))
# Digits, or a number word that is not the unit of a teen ("ثلاثة عشر").
_NUMBER = rf"[0-9\u0660-\u0669]+(?:[.,][0-9\u0660-\u0669]+)?|(?<!\w)(?:{_WORDS})(?!\w)(?!\s+عشرة?\b)"
# A counted phrase: the number, its noun, and an adjective when one follows ("9 وحدات مدرعة"), never
# a preposition or a و-led word, mostly a conjunction ("5 أشخاص في", "9 قرى وتلال", "3 people in").
_FUNCTION_WORD = (
    r"(?:في|من|على|إلى|الى|عن|مع|بين|منذ|خلال|بعد|قبل|و\w*|in|on|at|of|from|to|and|with|by|for|after)\b"
)
_APPROXIMATELY = r"(?:(?:أكثر من|اكثر من|نحو|حوالي|more than|at least|about)\s+)?"
_QUANTITY = re.compile(rf"{_APPROXIMATELY}({_NUMBER})\s+(\w+(?:\s+(?!{_FUNCTION_WORD})\w+)?)", re.I)
# Fatalities: a number right after a killing word ("قتلت ... ستة متشددين", "killed at least 5"),
# or right before one ("أربعة من حراس الأمن قتلوا", "7 people were killed"), never a number of
# years, distance or a date; "مقتل شخص" / "مقتل شخصين" state one and two without a digit.
_KILL = r"(?:[وف]?(?:قتل|مقتل|مصرع|قتلى|قتيل)\w*|kill(?:ed|ing|s)?|dead|deaths?|fatalities)"
_UNIT = (
    r"(?:عام\w*|سن\w+|كلم|كيلو\w*|شهر\w*|يوم\w*|ساع\w+|دقيق\w+|[%٪]|years?|km|kilomet\w+|months?|days?|"
    r"hours?|minutes?|percent|يناير|فبراير|مارس|ابريل|أبريل|مايو|يونيو|يوليو|اغسطس|أغسطس|سبتمبر|اكتوبر|"
    r"أكتوبر|نوفمبر|ديسمبر|كانون|شباط|آذار|اذار|نيسان|أيار|ايار|حزيران|تموز|آب|اب|أيلول|ايلول|تشرين|"
    r"january|february|march|april|may|june|july|august|september|october|november|december)(?!\w)"
)
# Words between the number and the killing word never name the wounded ("قتلا واصيب تسعة").
_INJURY = r"[وفبل]?(?:[أاإ]صي?ب|[أاإ]صاب|جر[وي]?ح|wound|injur)"
_GAP = rf"(?:(?!{_INJURY})\S+\s+)"
_FATAL_AFTER = re.compile(rf"(?<!\w){_KILL}\s+{_GAP}{{0,3}}?({_NUMBER})(?!\s+{_UNIT})", re.I)
_FATAL_BEFORE = re.compile(rf"({_NUMBER})(?!\s+{_UNIT})\s+{_GAP}{{0,4}}?(?<!\S)(?!و){_KILL}(?!\w)", re.I)
_PERSON = r"(?:شخص|جندي|شرطي|مدني|مسلح|عسكري|مواطن|طفل|مقاتل|متمرد|رهينت?)"
_FATAL_ONE_OR_TWO = re.compile(
    rf"(?<!\w)[وف]?(?:مقتل|قتل|مصرع)\s+{_PERSON}(ين|ان)?(?!\w)|(?<!\w){_PERSON}(ين|ان)\s+قتل"
)
_KILLING = re.compile(_KILL, re.I)  # the cheap test before the toll patterns


def fill(event: dict[str, Any], value: str, language: str, inside: list[tuple[int, dict]]) -> None:
    """Set the arguments of `event`, found in `value` (its field); `inside`: (index, entity) of the
    article's entities within the event's sentence."""
    start, end = event["sentence"]["start"], event["sentence"]["end"]
    trigger_start, trigger_end = event["trigger"]["start"], event["trigger"]["end"]
    text, field = value[start:end], event["sentence"]["field"]
    clause_start, clause_end = _clause(value, start, end, trigger_start, trigger_end)
    actors = [
        (i, e)
        for i, e in inside
        if (e["type"] in {"PER", "ORG"} or _is_country(e))
        and clause_start <= e["start"]
        and e["end"] <= clause_end
    ]
    source, target = _actors(actors, trigger_start, trigger_end, value, language)
    places = [(i, e) for i, e in inside if e["type"] == "LOC"]
    location = next(((i, e) for i, e in places if not _is_country(e)), places[0] if places else None)
    event["actors"] = {"source": _ref(source), "target": _ref(target)}
    event["location"] = _ref(location)
    event["fatalities"] = _fatalities(text) if event["plover"]["type"] == "ASSAULT" else None
    event["quantities"] = [
        {
            "value": _number(m.group(1)),
            "text": m.group(0),
            "field": field,
            "start": start + m.start(),
            "end": start + m.end(),
        }
        for m in _QUANTITY.finditer(text)
    ]


def _actors(
    actors: list[tuple[int, dict]], trigger_start: int, trigger_end: int, value: str, language: str
) -> tuple[tuple[int, dict] | None, tuple[int, dict] | None]:
    """(source, target). English is subject-verb-object: the source precedes the trigger. Arabic
    news is mostly verb-subject-object: an actor right after the trigger is its subject."""
    before = [a for a in actors if a[1]["end"] <= trigger_start]
    after = [a for a in actors if a[1]["start"] >= trigger_end]
    if language == "ar" and after and len(value[trigger_end : after[0][1]["start"]].split()) <= 2:
        source, rest = after[0], after[1:] + before[::-1]
    else:
        source, rest = (before[-1] if before else None), after
    target = next((a for a in rest if source is None or a[1]["text"] != source[1]["text"]), None)
    return source, target


_CLAUSE_BREAK = re.compile(r"\s[,،;؛:]\s|[,،;؛]")


def _clause(value: str, start: int, end: int, trigger_start: int, trigger_end: int) -> tuple[int, int]:
    """The comma/semicolon-delimited part of the sentence around the trigger."""
    breaks = [m.end() for m in _CLAUSE_BREAK.finditer(value, start, trigger_start)]
    after = _CLAUSE_BREAK.search(value, trigger_end, end)
    return (breaks[-1] if breaks else start), (after.start() if after else end)


def _is_country(entity: dict) -> bool:
    link = entity.get("link") or {}
    return entity["type"] == "LOC" and link.get("kb") == "geonames" and link.get("lat") is None


def _ref(found: tuple[int, dict] | None) -> dict | None:
    return None if found is None else {"entity": found[0], "text": found[1]["text"]}


def _number(text: str) -> float:
    if text.lower() in number_words():
        return number_words()[text.lower()]
    digits = text.translate(str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")).replace(",", ".")
    value = float(digits)
    return int(value) if value.is_integer() else value


def _fatalities(text: str) -> int | None:
    if not _KILLING.search(text):
        return None
    found = [m for pattern in (_FATAL_AFTER, _FATAL_BEFORE) for m in pattern.finditer(text)]
    for match in sorted(found, key=lambda m: m.start()):
        value = _number(match.group(1))
        if isinstance(value, int) and not 1900 <= value <= 2100:  # a year is no death toll
            return value
    pair = _FATAL_ONE_OR_TWO.search(text)
    return None if pair is None else 2 if pair.group(1) or pair.group(2) else 1
