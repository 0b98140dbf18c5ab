"""Event arguments: who acted on whom, where, how many died, what was counted.

Given a candidate (candidates.py) and the article's entities: `actors` as phrases of the text
(actors.py), `location` from the sentence's places, `fatalities` from a death toll next to a killing
word, `quantities` from counted phrases (never durations or dates).
"""

from __future__ import annotations

import re
from typing import Any

from workers.events.actors import Chooser, actors
from workers.events.candidates import Sentence
from workers.events.ontology import number_words

_WORDS = "|".join(sorted(number_words(), key=len, reverse=True))
# Digits, or a number word that is not the unit of a teen ("ثلاثة عشر").
_NUMBER = rf"[0-9\u0660-\u0669]+(?:[.,][0-9\u0660-\u0669]+)?|(?<!\w)(?:{_WORDS})(?!\w)(?!\s+عشرة?\b)"
# A counted phrase: the number, its noun, and an adjective when one follows ("9 وحدات مدرعة"), never
# a preposition, a و-led word (mostly a conjunction) or an auxiliary ("5 أشخاص في", "9 قرى وتلال",
# "3 people in", "two people were"); a number of hours, days or years, or a date, is no quantity.
_FUNCTION_WORD = (
    r"(?:في|من|على|إلى|الى|عن|مع|بين|منذ|خلال|بعد|قبل|و\w*|in|on|at|of|from|to|and|with|by|for|after|"
    r"were|was|are|is|have|has|had|been|will|would)\b"
)
_APPROXIMATELY = r"(?:(?:أكثر من|اكثر من|نحو|حوالي|more than|at least|about)\s+)?"
# An adjective takes no pronoun suffix: "12 شخصا بينهم", "ثلاثة جنود مصرعهم" count 12 people, three soldiers.
_SUFFIXED = r"(?:\w{2,}(?:هم|هما|هن)|لهم)(?!\w)"
_QUANTITY = re.compile(
    rf"{_APPROXIMATELY}({_NUMBER})\s+(\w+(?:\s+(?!{_FUNCTION_WORD}|{_SUFFIXED})\w+)?)", re.I
)
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
_UNIT_AFTER = re.compile(rf"\s+{_UNIT}", re.I)
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


def fill(
    event: dict[str, Any],
    value: str,
    language: str,
    sentence: Sentence,
    triggers: list[tuple[int, int]],
    inside: list[tuple[int, dict]],
    choose: Chooser | None = None,
    parse: bool = True,
) -> None:
    """Set the arguments of `event`, found in `value` (its field); `triggers`: the token ranges of
    its trigger and of the other triggers of its type in the sentence; `inside`: (index, entity) of
    the article's entities within the sentence; `choose`: the learned choice of the actors;
    `parse=False`: no English actors (they need the dependency parse)."""
    start, end, field = sentence.start, sentence.end, sentence.field
    text = value[start:end]
    source, target = actors(value, field, sentence.tokens, triggers, language, inside, choose, parse)
    places = [(i, e) for i, e in inside if e["type"] == "LOC"]
    location = next(((i, e) for i, e in places if not _is_country(e)), places[0] if places else None)
    event["actors"] = {"source": source, "target": target}
    event["location"] = None if location is None else {"entity": location[0], "text": location[1]["text"]}
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
        if not _UNIT_AFTER.match(text, m.end(1))
    ]


def _is_country(entity: dict) -> bool:
    link = entity.get("link") or {}
    return entity["type"] == "LOC" and link.get("kb") == "geonames" and link.get("lat") is None


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
