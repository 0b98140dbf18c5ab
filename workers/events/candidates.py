"""Candidate events from the trigger lexicon (workers/data/events/triggers.tsv), sentence by sentence.

Within one sentence the most specific trigger of each PLOVER type wins, so a sentence can hold
several candidates of different types. Guards (guards.tsv) drop a trigger used in another sense;
context refines the ACLED sub-type (an aerial cue makes shelling an air strike; without an army
or government actor a territorial gain is a non-state actor's); cue words (cues.tsv) flag
negated and hypothetical events. A candidate's `confidence` here is the lexicon's prior from the
trigger's weight; decisions.py replaces it with a learned probability.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from workers.entities.arabic import key, normalize, split_proclitics
from workers.entities.features import clusters
from workers.entities.gazetteer import gazetteer
from workers.entities.tokens import Token, sentence_tokens
from workers.events.ontology import Trigger, acled_types, cue_words, lexicon, number_words

LANGUAGES = ("ar", "en")
_AERIAL = re.compile(r"طيران|طائر|جوي|الجو|غار|مقاتل|air|jet|plane|drone|helicopter", re.I)
_GOVERNMENT = re.compile(
    r"الجيش|القوات الحكومية|القوات النظامية|قوات الحكومة|army|government|troops|military|security forces",
    re.I,
)
CUE_WINDOW = 3  # words before the trigger whose cues (cues.tsv) can negate it or make it hypothetical
# "Not yet" cues (سيدخلون في إضراب, دعت النقابة إلى إضراب) reach further back than negation, which
# sits next to its verb.
FUTURE_WINDOW = 6


@dataclass
class Sentence:
    """A sentence of one field with the candidates found in it."""

    field: str
    tokens: tuple[Token, ...]
    keys: list[str]  # normalised words (Arabic: keys without proclitics; else lower case)
    events: list[dict[str, Any]]
    # per event, every trigger of its type in the sentence as a token range [first, last), the
    # event's own first (the actors may hang on another: قتلت ... في غارة)
    triggers: list[list[tuple[int, int]]]

    @property
    def start(self) -> int:
        return self.tokens[0].start

    @property
    def end(self) -> int:
        return self.tokens[-1].end


def candidates(field: str, value: str, language: str, loc_starts: list[int]) -> list[Sentence]:
    """The sentences of `value` that hold candidates; `loc_starts`: where LOC entities begin."""
    if language not in LANGUAGES:
        return []
    matcher, triggers = lexicon(language)
    out = []
    for sentence in sentence_tokens(value):
        words = [t.text for t in sentence]
        keys = [key(w) if language == "ar" else w.lower() for w in words]
        spans = matcher.scan(keys)
        joined = f" {' '.join(keys)} "  # for the guards' context words and phrases
        occupy = language == "ar" and any(
            triggers[s.pattern] and triggers[s.pattern].mode == "occupy" for s in spans
        )
        places = _places(sentence, words, loc_starts) if occupy else set()
        best: dict[str, tuple[Trigger, int, int]] = {}  # PLOVER type -> (trigger, first, last token)
        found_at: dict[str, list[tuple[int, int]]] = {}  # PLOVER type -> every trigger's tokens
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
            if held is None or trigger.weight > held[0].weight:
                best[trigger.plover] = (trigger, span.first, span.last)
            found_at.setdefault(trigger.plover, []).append((span.first, span.last))
        _protesters_clash(best, triggers)
        if best:
            positions = [
                [(first, last), *(p for p in found_at.get(plover, []) if p != (first, last))]
                for plover, (_, first, last) in best.items()
            ]
            found = Sentence(field, sentence, keys, [], positions)
            found.events = [_event(value, found, *hit, language) for hit in best.values()]
            out.append(found)
    return out


def _protesters_clash(best: dict[str, tuple[Trigger, int, int]], triggers: list[Trigger | None]) -> None:
    """Protesters who clash with the police make a violent demonstration, not an armed clash: the
    clash joins the PROTEST event as its trigger."""
    clash, protest = best.get("ASSAULT"), best.get("PROTEST")
    if clash and protest and clash[0].acled == "ARMED_CLASH":
        riot = next((t for t in triggers if t and t.plover == "PROTEST" and t.acled == "VIOL_DEMONSTR"), None)
        if riot is not None:
            del best["ASSAULT"]
            best["PROTEST"] = (riot, clash[1], clash[2])


def _event(
    value: str, sentence: Sentence, trigger: Trigger, first: int, last: int, language: str
) -> dict[str, Any]:
    text = value[sentence.start : sentence.end]
    mode, acled = trigger.mode, trigger.acled
    if trigger.plover == "ASSAULT" and acled in {"ATTACK", "ART_MISS_ATTACK"} and _AERIAL.search(text):
        mode, acled = "aerial", "AIR_STRIKE"
    if acled == "GOV_REGAINS_TERIT" and not _GOVERNMENT.search(text):
        acled = "NON_STATE_ACTOR_OVERTAKES_TER"
    keys = sentence.keys
    before = keys[max(0, first - CUE_WINDOW) : first]
    cues = cue_words()
    negated = any(k in cues[(language, "negation")] for k in before)
    hypothetical = any(k in cues[(language, "hypothetical")] for k in before) or (
        language == "ar" and any(map(_not_yet, keys[max(0, first - FUTURE_WINDOW) : first]))
    )
    prior = min(0.95, 0.3 + 0.12 * trigger.weight) * (0.5 if negated or hypothetical else 1.0)
    group = acled_types().get(acled) if acled else None
    trigger_start, trigger_end = sentence.tokens[first].start, sentence.tokens[last - 1].end
    return {
        "plover": {"type": trigger.plover, "mode": mode},
        "acled": {"event_type": group[0], "sub_event_type": group[1]} if group else None,
        "cameo": trigger.cameo,
        "confidence": round(prior, 3),
        "trigger": {
            "text": value[trigger_start:trigger_end],
            "field": sentence.field,
            "start": trigger_start,
            "end": trigger_end,
        },
        "sentence": {"field": sentence.field, "start": sentence.start, "end": sentence.end},
        "negated": negated,
        "hypothetical": hypothetical,
    }


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


def _places(sentence: tuple[Token, ...], words: list[str], loc_starts: list[int]) -> set[int]:
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
