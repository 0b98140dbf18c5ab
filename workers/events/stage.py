"""Events stage: fills `events` with PLOVER + ACLED + CAMEO events, sentence by sentence.

A trigger from the lexicon (workers/data/events/triggers.tsv) opens an event; within one sentence
the most specific trigger of each PLOVER type wins, so a sentence can hold several events of
different types. Context refines the ACLED sub-type (an aerial cue makes shelling an air strike;
an army or government actor makes a territorial gain "Government regains territory"), cue words
flag negated and hypothetical events, and the article's entities give actors and the location.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from workers.entities.arabic import key, normalize, split_proclitics
from workers.entities.features import clusters
from workers.entities.gazetteer import gazetteer
from workers.entities.tokens import Token, sentence_tokens
from workers.events.classifier import ARABIC_TYPES, event_tokens
from workers.events.linear import classifiers as learned
from workers.events.ontology import Trigger, acled_types, cue_words, lexicon, number_words

LANGUAGES = ("ar", "en")
FIELDS = ("title", "text")
_AERIAL = re.compile(r"طيران|طائر|جوي|الجو|غار|مقاتل|air|jet|plane|drone|helicopter", re.I)
_GOVERNMENT = re.compile(
    r"الجيش|القوات الحكومية|القوات النظامية|قوات الحكومة|army|government|troops|military|security forces",
    re.I,
)
# The English classifier overrules the lexicon's ACLED sub-type only this sure (chosen by 5-fold
# cross-validation on CASE-2021: weighted F1 0.648 when it always overrules, 0.659 at 0.5).
OVERRIDE = 0.5
CUE_WINDOW = 3  # words before the trigger whose cues (cues.tsv) can negate it or make it hypothetical
# "Not yet" cues (سيدخلون في إضراب, دعت النقابة إلى إضراب) reach further back than negation, which
# sits next to its verb.
FUTURE_WINDOW = 6
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


@dataclass
class _Hit:
    trigger: Trigger
    tokens: list[Token]
    position: int  # index of the trigger's first token in the sentence


class EventStage:
    name = "events"

    def __init__(self, classifiers: bool = True) -> None:
        # Without classifiers: the lexicon alone, which is also what the classifiers are trained on.
        self.models = learned() if classifiers else {}
        self.backend = "trigger lexicon + context rules" + (" + sentence classifiers" if self.models else "")

    def __call__(self, record: dict[str, Any]) -> None:
        language = record["language"]["code"]
        groups: list[tuple[str, list[dict[str, Any]]]] = []  # (sentence, its events)
        if language in LANGUAGES:
            for field in FIELDS:
                value = record.get(field)
                if value:
                    groups.extend(self._field(record, field, value, language))
        if groups and self.models:
            self._classify(groups, language)
        record["events"] = [event for _, found in groups for event in found]

    def _field(
        self, record: dict, field: str, value: str, language: str
    ) -> list[tuple[str, list[dict[str, Any]]]]:
        matcher, triggers = lexicon(language)
        entities = sorted(
            ((i, e) for i, e in enumerate(record["entities"]) if e["field"] == field),
            key=lambda item: item[1]["start"],
        )
        out = []
        loc_starts = [e["start"] for _, e in entities if e["type"] == "LOC"]
        for sentence in sentence_tokens(value):
            words = [t.text for t in sentence]
            keys = [key(w) if language == "ar" else w.lower() for w in words]
            spans = matcher.scan(keys)
            joined = f" {' '.join(keys)} "  # for the guards' context words and phrases
            occupy = language == "ar" and any(
                triggers[s.pattern] and triggers[s.pattern].mode == "occupy" for s in spans
            )
            places = _places(sentence, words, loc_starts) if occupy else set()
            best: dict[str, _Hit] = {}
            for span in spans:
                trigger = triggers[span.pattern]
                if trigger is None or any(f" {near} " in joined for near in trigger.not_near):
                    continue  # guarded (guards.tsv): the trigger word in another sense
                if trigger.bare and _has_article(words[span.first]):
                    continue  # الطالب is the student, not "demanded"
                if (
                    trigger.mode == "occupy"
                    and language == "ar"
                    and not _takes_territory(keys, span.last, places)
                ):
                    continue  # control of a fire or a steering wheel is no territory
                held = best.get(trigger.plover)
                if held is None or trigger.weight > held.trigger.weight:
                    best[trigger.plover] = _Hit(trigger, sentence[span.first : span.last], span.first)
            start, end = sentence[0].start, sentence[-1].end
            inside = [(i, e) for i, e in entities if start <= e["start"] and e["end"] <= end]
            found = [
                self._event(value, field, start, end, hit, keys, inside, language) for hit in best.values()
            ]
            if found:
                out.append((value[start:end], found))
        return out

    def _classify(self, groups: list[tuple[str, list[dict[str, Any]]]], language: str) -> None:
        """Learned confidence (Arabic ASSAULT) or ACLED sub-type (English main event); one model
        call per article, since most of a call's cost is fixed."""
        if language == "ar":
            for plover in ARABIC_TYPES:
                model = self.models.get(f"ar-{plover}")
                todo = [
                    (s, found) for s, found in groups if any(e["plover"]["type"] == plover for e in found)
                ]
                if model is None or not todo:
                    continue
                yes = model.classes.index(True)
                probabilities = model.probabilities([s for s, _ in todo], [event_tokens(f) for _, f in todo])
                for (_, found), row in zip(todo, probabilities, strict=True):
                    for event in (e for e in found if e["plover"]["type"] == plover):
                        flagged = event["negated"] or event["hypothetical"]
                        event["confidence"] = round(float(row[yes]) * (0.5 if flagged else 1.0), 3)
            return
        model = self.models.get("en-acled")
        todo = [(s, found) for s, found in groups if any(e["acled"] for e in found)]
        if model is None or not todo:
            return
        probabilities = model.probabilities([s for s, _ in todo], [event_tokens(f) for _, f in todo])
        for (_, found), row in zip(todo, probabilities, strict=True):
            best = int(np.argmax(row))
            if row[best] < OVERRIDE:
                continue  # not sure enough to overrule the lexicon
            event_type, sub_event_type = acled_types()[model.classes[best]]
            main = max((e for e in found if e["acled"]), key=lambda e: e["confidence"])
            main["acled"] = {"event_type": event_type, "sub_event_type": sub_event_type}
            main["confidence"] = round(float(row[best]), 3)

    def _event(
        self,
        value: str,
        field: str,
        start: int,
        end: int,
        hit: _Hit,
        keys: list[str],
        inside: list[tuple[int, dict]],
        language: str,
    ) -> dict[str, Any]:
        trigger, text = hit.trigger, value[start:end]
        mode, acled = trigger.mode, trigger.acled
        if trigger.plover == "ASSAULT" and acled in {"ATTACK", "ART_MISS_ATTACK"} and _AERIAL.search(text):
            mode, acled = "aerial", "AIR_STRIKE"
        if acled == "GOV_REGAINS_TERIT" and not _GOVERNMENT.search(text):
            acled = "NON_STATE_ACTOR_OVERTAKES_TER"
        before = keys[max(0, hit.position - CUE_WINDOW) : hit.position]
        cues = cue_words()
        negated = any(k in cues[(language, "negation")] for k in before)
        hypothetical = any(k in cues[(language, "hypothetical")] for k in before) or (
            language == "ar" and any(map(_not_yet, keys[max(0, hit.position - FUTURE_WINDOW) : hit.position]))
        )
        trigger_start, trigger_end = hit.tokens[0].start, hit.tokens[-1].end
        clause_start, clause_end = _clause(value, start, end, hit.tokens[0].start, hit.tokens[-1].end)
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
        quantities = [
            {
                "value": _number(m.group(1)),
                "text": m.group(0),
                "field": field,
                "start": start + m.start(),
                "end": start + m.end(),
            }
            for m in _QUANTITY.finditer(text)
        ]
        confidence = min(0.95, 0.3 + 0.12 * trigger.weight) * (0.5 if negated or hypothetical else 1.0)
        group = acled_types().get(acled) if acled else None
        return {
            "plover": {"type": trigger.plover, "mode": mode},
            "acled": {"event_type": group[0], "sub_event_type": group[1]} if group else None,
            "cameo": trigger.cameo,
            "confidence": round(confidence, 3),
            "trigger": {
                "text": value[trigger_start:trigger_end],
                "field": field,
                "start": trigger_start,
                "end": trigger_end,
            },
            "sentence": {"field": field, "start": start, "end": end},
            "actors": {"source": _ref(source), "target": _ref(target)},
            "location": _ref(location),
            "fatalities": _fatalities(text) if trigger.plover == "ASSAULT" else None,
            "quantities": quantities,
            "negated": negated,
            "hypothetical": hypothetical,
        }


def lexicon_events(text: str, language: str) -> list[dict[str, Any]]:
    """What the trigger lexicon alone finds in a text: what the classifiers learn from."""
    record: dict[str, Any] = {"text": text, "language": {"code": language}, "entities": []}
    EventStage(classifiers=False)(record)
    return record["events"]


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


def _not_yet(word_key: str) -> bool:
    """A cue of an event still to come: an intention or call word, or سـ + an imperfect verb whose
    rest is a known word (سيدخلون, ستوقع), "known" meaning in the vocabulary of the NER word
    clusters (23,673 words of Arabic news). Five letters at least and no known name: of the 650
    such words in the ANT corpus only سينما and a handful of rare nouns pass (not سيارة, سيدي, سنة)."""
    if word_key in cue_words()[("ar", "not_yet")]:
        return True
    return (
        len(word_key) >= 5
        and word_key[0] == "س"
        and word_key[1] in "يتن"
        and word_key[1:] in clusters()
        and word_key != "سينما"
        and word_key not in gazetteer().names
    )


def _places(sentence: list[Token], words: list[str], loc_starts: list[int]) -> set[int]:
    """Token positions where a place begins: a LOC entity, or a gazetteer place the model missed."""
    found = {i for i, t in enumerate(sentence) if any(t.start <= s < t.end for s in loc_starts)}
    return found | {m.first for m in gazetteer().scan(words, "ar") if m.type == "LOC"}


def _has_article(word: str) -> bool:
    return split_proclitics(normalize(word))[0].endswith(("ال", "لل"))


_ON = key("على")
_COUNT_KEYS = frozenset(map(key, number_words()))  # number words as `keys` spell them (خمسة -> خمسه)
_VERBS = {key(w) for w in ("استعاد", "استعادت", "استعادوا", "سيطر", "سيطرت", "سيطروا")}


def _takes_territory(keys: list[str], after: int, places: set[int]) -> bool:
    """Whether an Arabic "occupy" trigger takes control of a place: its object (the word after it,
    or after على) is a place name, a territorial noun (cues.tsv) or a count (9 قرى). Where a verb's
    subject stands between (استعادت وحدات من الجيش ... السيطرة على) the object is out of reach, and
    the trigger counts as it is."""
    if after < len(keys) and keys[after] == _ON:
        after += 1
    elif keys[after - 1] in _VERBS:
        return True
    if after >= len(keys):
        return False
    word = keys[after]
    return (
        after in places or word in cue_words()[("ar", "territory")] or word.isdigit() or word in _COUNT_KEYS
    )
