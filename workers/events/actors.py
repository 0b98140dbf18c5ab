"""Who acted on whom: an event's source and target as phrases of the text, linked when they hold an
entity.

The trigger's clause (between commas, semicolons and sentence ends) is cut into phrases at function
words (prepositions, particles, relative pronouns, time words, auxiliaries) and punctuation; in
Arabic a number or an indefinite accusative (مركزا، شخصا) also opens a new phrase, the object. An
entity is never cut, and a phrase that holds one ends with it ("وحدات من الجيش السوري"). Then, by
the trigger's form:
- an actor noun (مسلحون، متظاهرون، انتحاريون, gunmen, protesters) is itself the source;
- a passive agent ("على يد X", "من قبل X", "by X") is the source;
- Arabic verb: a phrase with a person or organisation right before it is its subject ("أن سلاح
  الجو الروسي دمر"), else the phrase right after it (verb-subject-object); a first-person verb
  ("ندعو واشنطن") has only an object;
- Arabic noun (a masdar, a noun with the article): the noun in construct after it is the victim of
  a killing, an arrest, an abduction ("مقتل 15 شخصا"), else the actor ("هجوم داعش"); the actor
  not written there is the clause's subject, its first person or organisation, unless a passive
  verbal noun acts on it (تم استدعاء "غودفري": he is summoned, not the one who protests);
- English (the options the learned choice trains on from the PLOVER GSR; the stage's English
  actors come from the dependency parse, syntax.py): the subject before the verb (a verb in -ed
  or a light verb, "staged", "began", ends
  it, as a participle after a plural noun does, "protesters demanding"; the phrase a preposition
  opens, "Police in Nairobi", "Soldiers from the brigade", leaves the subject to the phrase before
  it; before a noun trigger, "mass demonstrations", the word right before is a modifier), the
  object right after it (behind "a", "the" or a number, not a preposition); a passive agent ("by
  X") is the source. Time words (Monday, last week) and lone determiners are no phrase.
The target is then the phrase a target preposition opens (على، ضد، استهدف, on, against), else the
next phrase that is not prepositional (بإسناد، للشرطة).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from workers.entities.arabic import key, normalize
from workers.entities.tokens import Token
from workers.events import syntax
from workers.events.ontology import number_words

Phrase = tuple[int, int]  # token range [first, last)

MAX_WORDS = 4  # a phrase without an entity keeps its first words
CLAUSE_BREAKS = {",", "،", ";", "؛", ":"}
TARGET_REACH = 8  # tokens after the trigger where a target preposition still counts
# fmt: off
_AR_STOP = frozenset(map(key, (
    "في", "على", "علي", "من", "الى", "إلى", "عن", "مع", "بين", "منذ", "خلال", "بعد", "قبل", "عند", "ضد",
    "نحو", "امام", "أمام", "وسط", "داخل", "خارج", "قرب", "حول", "حتى", "لدى", "عبر", "بسبب", "جراء",
    "اثر", "إثر", "عقب", "يد", "الذي", "التي", "الذين", "اللذين", "اللتين", "ما", "مما", "ان", "أن",
    "إن", "انه", "أنه", "قد", "لقد", "لم", "لن", "لا", "كما", "حيث", "فيما", "بينما", "ثم", "او", "أو",
    "امس", "أمس", "اليوم", "ليلا", "فجر", "صباح", "مساء", "قال", "اضاف", "أضاف", "اعلن", "أعلن", "اكد",
    "أكد", "ذكر", "كان", "كانت", "هو", "هي", "هم", "تم", "يتم", "اي", "أي", "كل", "ذلك", "هذا", "هذه",
    "تلك", "عليه", "عليها", "منه", "منها", "فيه", "فيها", "خلفية", "اصيب", "أصيب", "جرح",
)))
_AR_COMPLEMENTIZERS = frozenset(map(key, ("أن", "ان", "إن", "لكن", "بأن", "وأن")))
# Prepositions: a phrase after one is no subject or object of the verb (من حوامات الدعم).
_AR_PREPOSITIONS = frozenset(map(key, (
    "في", "من", "الى", "إلى", "عن", "مع", "بين", "منذ", "خلال", "بعد", "قبل", "عند", "نحو", "امام", "أمام",
    "وسط", "داخل", "خارج", "قرب", "حول", "حتى", "لدى", "عبر", "بسبب", "جراء", "اثر", "إثر", "عقب",
)))
_AR_PARTITIVE = frozenset(map(key, (
    "عدد", "عشرات", "مئات", "الاف", "آلاف", "وحدات", "عناصر", "افراد", "أفراد", "مجموعة", "بعض", "احد",
    "أحد",
)))
# Masdars whose noun in construct is the victim: مقتل X, اغتيال X, اعتقال X, اختطاف X (not قتل or
# خطف, as often verbs as nouns).
_AR_PATIENT = tuple(map(key, (
    "مقتل", "مصرع", "اغتيال", "اعتقال", "اختطاف", "اصابة", "إصابة", "استهداف",
)))
_AR_TARGET_MARKS = frozenset(map(key, ("على", "علي", "ضد", "استهدف", "استهدفت", "لاستهداف")))
_AR_AGENT_MARKS = ((key("على"), key("يد")), (key("من"), key("قبل")))
# A passive with a verbal noun: تم استدعاء X (X was summoned). X is acted on, never the subject.
_AR_PASSIVE_AUX = frozenset(map(key, ("تم", "يتم", "سيتم", "وتم", "جرى", "يجري", "وجرى")))
_EN_STOP = frozenset((
    "in", "on", "at", "from", "to", "with", "by", "for", "after", "before", "during", "near", "against",
    "into", "over", "under", "since", "as", "that", "which", "who", "whom", "whose", "when", "while",
    "where", "but", "and", "or", "was", "were", "is", "are", "has", "have", "had", "been", "be", "being",
    "will", "would", "could", "should", "may", "might", "said", "says", "say", "also", "not",
    "yesterday", "today", "tonight",
    # time words: "on Monday", "late last month", "a 24-hour strike" name no actor
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february",
    "march", "april", "june", "july", "august", "september", "october", "november", "december",
    "day", "days", "week", "weeks", "weekend", "month", "months", "year", "years", "hour", "hours",
    "night", "morning", "afternoon", "evening", "last", "next", "ago", "late", "early", "earlier",
    "later",
))
# Verbs that carry a nominal event ("staged mass demonstrations", "began a hunger strike"): they end
# the subject's phrase and belong to no actor.
_EN_LIGHT_VERBS = frozenset(
    f"{stem}{ending}" for stem in (
        "stage", "start", "launch", "continu", "organiz", "organis", "conduct", "mount", "join", "call",
    ) for ending in ("", "e", "s", "es", "ed", "ing")
) | {"began", "begun", "begin", "begins", "beginning", "held", "hold", "holds", "holding", "carried",
     "carry", "carrying", "went", "go", "goes", "going"}
# fmt: on
_COUNTS = frozenset(map(key, number_words()))
_EN_DETERMINERS = {"the", "a", "an", "some", "its", "their", "his", "her"}
# What an English actor and a coded one are not compared by (newsworker eval events)
EN_FUNCTION_WORDS = _EN_STOP | _EN_DETERMINERS | {"of"}
_EN_PASSIVE = {"was", "were", "been", "being", "is", "are", "be"}
_EN_PREPOSITIONS = {"in", "on", "at", "from", "near", "of", "outside", "inside", "across"}
_EN_TARGET_MARKS = {"on", "against", "at", "targeting"}
_ACTOR_PEOPLE = {"PER", "ORG"}


def actors(
    value: str,
    field: str,
    tokens: tuple[Token, ...],
    triggers: list[tuple[int, int]],
    language: str,
    entities: list[tuple[int, dict]],
    choose: Chooser | None = None,
    parse: bool = True,
) -> tuple[dict | None, dict | None]:
    """(source, target) of an event: each {text, field, start, end, entity, link} or None.
    `triggers`: token ranges of the event's trigger and of the other triggers of its type in the
    sentence; a verb among them carries the actors best (قتلت قوات الامن ... في غارة), so verbs
    are read first, then the event's own trigger. `entities`: (index, entity) of the article's
    entities in the sentence. `choose`: the learned choice among the phrases (actor_choice.py),
    which the rules' picks inform; without it the rules decide. English reads the dependency parse
    (syntax.py) instead; `parse=False` leaves English actors out."""
    if language == "en" and not parse:
        return None, None
    if language == "en":
        named = [(e["start"], e["end"]) for _, e in entities]
        source, target = syntax.actors(value, (tokens[0].start, tokens[-1].end), tokens, triggers, named)
        return _span(value, field, tokens, source, entities), _span(value, field, tokens, target, entities)
    source, target = rules(tokens, triggers, language, entities)
    if choose is not None:
        source, target = choose(options(value, tokens, triggers, language, entities, (source, target)))
    return _span(value, field, tokens, source, entities), _span(value, field, tokens, target, entities)


def rules(
    tokens: tuple[Token, ...],
    triggers: list[tuple[int, int]],
    language: str,
    entities: list[tuple[int, dict]],
) -> tuple[Phrase | None, Phrase | None]:
    """The rules' source and target phrases (the module's docstring)."""
    words = [t.text for t in tokens]
    ordered = sorted(triggers, key=lambda t: (_form(words[t[0]], language) != "verb", triggers.index(t)))
    found = [_roles(tokens, first, last, language, entities) for first, last in ordered]
    source, target = next(((s, t) for s, t in found if s), (None, None))
    return source, target or next((t for _, t in found if t), None)


@dataclass(frozen=True)
class Option:
    """A phrase that could be the source or the target, with what the rules and the syntax around
    it say (`cues`), for the learned choice."""

    phrase: Phrase
    text: str
    cues: frozenset[str]


Chooser = Callable[[list[Option]], tuple[Phrase | None, Phrase | None]]


def options(
    value: str,
    tokens: tuple[Token, ...],
    triggers: list[tuple[int, int]],
    language: str,
    entities: list[tuple[int, dict]],
    picks: tuple[Phrase | None, Phrase | None],
) -> list[Option]:
    """The phrases of the clauses of the event's triggers, the rules' `picks` and the event's own
    trigger (an actor noun names the actors: انتحاري، سيارة مفخخة), each with its cues."""
    words = [t.text for t in tokens]
    first, last = triggers[0]  # the event's own trigger
    start, end = _clause(tokens, first, last)
    covers = _entity_tokens(tokens, 0, len(tokens), entities)
    own = _phrases(tokens, start, end, language, covers, range(first, last))
    phrases = dict.fromkeys([*own, *(p for p in picks if p), (first, last)])
    for other in triggers[1:]:  # another trigger's phrases, but none holding the event's own
        clause = _clause(tokens, *other)
        found = _phrases(tokens, *clause, language, covers, range(*other))
        phrases |= dict.fromkeys(p for p in found if p[1] <= first or last <= p[0])
    form = _form(words[first], language)
    shared = {f"language {language}", f"trigger {form}"}
    if language == "ar" and key(words[first]).startswith(_AR_PATIENT):
        shared.add("trigger names a victim")
    out = []
    for phrase in phrases:
        cues = set(shared)
        for role, pick in zip(("source", "target"), picks, strict=True):
            if pick == phrase:
                cues.add(f"rules' {role}")
            elif pick and pick[0] < phrase[1] and phrase[0] < pick[1]:
                cues.add(f"overlaps rules' {role}")
        if phrase == (first, last):
            side = "trigger"
        else:
            side = "before" if phrase[1] <= first else "after"
            lo, hi = (phrase[1], first) if side == "before" else (last, phrase[0])
            between = [p for p in own if lo <= p[0] and p[1] <= hi]
            gap = first - phrase[1] if side == "before" else phrase[0] - last
            cues |= {
                f"{side} {min(len(between), 2)}",
                f"gap {_bucket(gap, (0, 2, 5))}",
                f"{side} {form} trigger",
                "in the clause" if start <= phrase[0] and phrase[1] <= end else "another clause",
            }
        cues |= {f"{side}", f"words {_bucket(phrase[1] - phrase[0], (1, 2))}"}
        cues |= {f"holds {kind}" for i, (_, kind) in covers.items() if phrase[0] <= i < phrase[1]}
        cues |= _cues_before(words, phrase[0], language)
        head = words[phrase[0]]
        if language == "ar" and normalize(head)[:1] in ("ب", "ل", "ك"):
            cues.add(f"starts with {normalize(head)[0]}")
        if head[:1].isdigit() or (language == "ar" and _opens_object(head, counted=True)):
            cues.add("counted or accusative")
        lookup = key if language == "ar" else str.lower
        if any(_actor_noun(lookup(w), language) for w in words[slice(*phrase)]):
            cues.add("actor noun")
        text = value[tokens[phrase[0]].start : tokens[phrase[1] - 1].end]
        out.append(Option(phrase, text, frozenset(cues)))
    return out


def _bucket(n: int, edges: tuple[int, ...]) -> str:
    """The range closed by `edges` that holds n: with (0, 2, 5), "0", "1-2", "3-5" or "6+"."""
    low = 0
    for edge in edges:
        if n <= edge:
            return f"{low}-{edge}" if edge > low else str(edge)
        low = edge + 1
    return f"{low}+"


def _cues_before(words: list[str], at: int, language: str) -> set[str]:
    """What the word (or two) before a phrase says of it: a passive agent, a target, a preposition."""
    if at == 0:
        return {"sentence start"}
    if language == "ar":
        previous = key(words[at - 1])
        marks = ((_AR_TARGET_MARKS, "target mark"), (_AR_PREPOSITIONS, "preposition"))
        marks += ((_AR_COMPLEMENTIZERS, "complementizer"),)
        agent = _after_agent_mark(words, at)
    else:
        previous = words[at - 1].lower()
        marks = ((_EN_TARGET_MARKS, "target mark"), (_EN_STOP, "function word"))
        agent = previous == "by"
    if agent:
        return {"after an agent mark"}
    return {"after a " + next((name for found, name in marks if previous in found), "content word")}


def _roles(
    tokens: tuple[Token, ...], first: int, last: int, language: str, entities: list[tuple[int, dict]]
) -> tuple[Phrase | None, Phrase | None]:
    """Source and target phrases around one trigger."""
    start, end = _clause(tokens, first, last)
    covers = _entity_tokens(tokens, start, end, entities)
    phrases = _phrases(tokens, start, end, language, covers, range(first, last))
    words = [t.text for t in tokens]
    choose = _arabic if language == "ar" else _english
    source, target = choose(words, first, last, start, phrases, covers)
    if target is None or not _holds(target, covers, kinds=None):
        # a person or organisation later in the clause is the likelier target (دمر عدة أهداف ... داعش)
        named = [p for p in phrases if p[0] >= last and p != source and _holds(p, covers)]
        target = named[0] if named else target
    return source, target


def _arabic(words: list[str], first: int, last: int, clause: int, phrases: list[Phrase], covers: dict):
    before = [p for p in phrases if p[1] <= first]
    after = [p for p in phrases if p[0] >= last]
    stem = key(words[first])
    adjacent_before = before[-1] if before and before[-1][1] == first else None
    adjacent_after = after[0] if after and after[0][0] == last else None
    target = _marked(words, last, after, language="ar")
    form = _form(words[first], "ar")
    if form == "actor":  # with the actor noun before it: مفجرون انتحاريون
        source = (
            (first - 1, last)
            if first > clause and _actor_noun(key(words[first - 1]), "ar")
            else (first, last)
        )
        return source, target or _object(words, after, source, covers)
    agent = next((p for p in after if p[0] - last <= 4 and _after_agent_mark(words, p[0])), None)
    if agent:  # قتل 5 جنود على يد مسلحين
        return agent, adjacent_before or (adjacent_after if adjacent_after != agent else None)
    if form == "noun":
        genitive = adjacent_after if adjacent_after and adjacent_after != target else None
        if genitive and stem.startswith(_AR_PATIENT):
            return _subject(words, before, covers), genitive
        if genitive and not (_holds(genitive, covers) or _form(words[genitive[0]], "ar") == "actor"):
            genitive = None  # هجوم انتحاري بحزام ناسف: no actor named in construct
        return genitive or _subject(words, before, covers), target
    if stem.startswith("ن") and len(stem) > 3:  # first person: ندعو واشنطن
        return None, target or adjacent_after
    if adjacent_before and _opens_object(words[adjacent_before[0]], counted=True):
        return None, adjacent_before  # ثلاثة جنود قتلوا: the victims, before a passive verb
    if adjacent_before and (
        _holds(adjacent_before, covers)
        or _form(words[adjacent_before[0]], "ar") == "actor"
        or (adjacent_before[0] > 0 and key(words[adjacent_before[0] - 1]) in _AR_COMPLEMENTIZERS)
    ):  # subject first: أن سلاح الجو الروسي دمر، مسلحين مجهولين اختطفوا
        return adjacent_before, target or _object(words, after, None, covers)
    if adjacent_after and _opens_object(words[adjacent_after[0]], counted=True):  # قتل 12 شخصا: the victims
        return None, adjacent_after
    if adjacent_after and not normalize(words[adjacent_after[0]]).startswith(
        ("ب", "ل")
    ):  # verb-subject-object
        return adjacent_after, target or _object(words, after, adjacent_after, covers)
    return adjacent_before, target or _object(words, after, None, covers)


def _english(words: list[str], first: int, last: int, clause: int, phrases: list[Phrase], covers: dict):
    before = [p for p in phrases if p[1] <= first]
    after = [p for p in phrases if p[0] >= last]
    target = _marked(words, last, after, language="en")
    if _actor_noun(words[first].lower(), "en"):
        source = (before[-1][0], last) if before and before[-1][1] == first else (first, last)
        if after and after[0][0] == last and after[0][1] - last > 1:  # "attacked a police station"
            verb_object = [(last + 1, after[0][1]), *after[1:]]
        else:
            verb_object = [p for p in after if p[0] > last]
        return source, target or _without_determiners(words, verb_object[0] if verb_object else None)
    if _form(words[first], "en") == "noun" and before and before[-1][1] == first and len(before) > 1:
        before = before[:-1]  # "mass demonstrations", "a bomb attack": a modifier, not the subject
    subject = before[-1] if before and before[-1][1] >= first - 3 else None
    while subject and subject[0] > 0:  # "Police in Nairobi fired", "Soldiers from the brigade"
        at = subject[0] - 1
        while at > 0 and words[at].lower() in _EN_DETERMINERS:
            at -= 1
        head = (
            next((p for p in before if p[1] == at), None) if words[at].lower() in _EN_PREPOSITIONS else None
        )
        if head is None:
            break
        subject = head
    agent = next((p for p in after if p[0] - last <= 2 and words[p[0] - 1].lower() == "by"), None)
    if agent or (first > 0 and words[first - 1].lower() in _EN_PASSIVE):
        return agent, subject
    # the object follows the verb directly (or behind "a", "the", a number), never a preposition
    direct = after[0] if after and all(_en_skippable(w) for w in words[last : after[0][0]]) else None
    return subject, target or direct


def _en_skippable(word: str) -> bool:
    return word.lower() in _EN_DETERMINERS or _number(word)


def _form(word: str, language: str) -> str:
    """ "actor" (a noun naming the actors), "noun" or "verb", from the word's shape alone: Arabic
    nouns take the article, start with م (مقتل، مظاهرة) or end in ة / ات; English verbs in -ed."""
    if language == "en":
        lower = word.lower()
        return "actor" if _actor_noun(lower, "en") else "verb" if lower.endswith("ed") else "noun"
    stem = key(word)
    if _actor_noun(stem, "ar"):
        return "actor"
    if (
        normalize(word).lstrip("وف").startswith(("ال", "لل", "بال"))
        or stem.startswith((*_AR_PATIENT, "م"))
        or stem.endswith(("ه", "ات"))
        or (len(stem) >= 5 and stem.endswith(("ي", "يا")))  # an adjective: هجوم انتحاري
    ):
        return "noun"
    return "verb"


def _without_determiners(words: list[str], phrase: Phrase | None) -> Phrase | None:
    if phrase is None:
        return None
    begin = phrase[0]
    while begin < phrase[1] - 1 and words[begin].lower() in _EN_DETERMINERS:
        begin += 1
    return begin, phrase[1]


def _actor_noun(word: str, language: str) -> bool:
    """A trigger that names the actors: مسلحون، متظاهرين، انتحاريون, gunmen, protesters."""
    if language == "ar":
        return (
            len(word) >= 5
            and word.endswith(("ون", "ين"))
            and (word[0] == "م" or word.endswith(("يون", "يين")))
        )
    return word.endswith(("men", "ers", "ors", "ants", "ists"))


def _after_agent_mark(words: list[str], at: int) -> bool:
    return at >= 2 and (key(words[at - 2]), key(words[at - 1])) in _AR_AGENT_MARKS


def _marked(words: list[str], last: int, after: list[Phrase], language: str) -> Phrase | None:
    """The first phrase a target preposition opens (على، ضد، استهدف, on, against), close to the trigger."""
    for p in after:
        if p[0] - last > TARGET_REACH:
            break
        for mark in words[max(last, p[0] - 2) : p[0]]:  # على خلفية X
            if (key(mark) in _AR_TARGET_MARKS) if language == "ar" else (mark.lower() in _EN_TARGET_MARKS):
                return p
    return None


def _object(words: list[str], after: list[Phrase], subject: Phrase | None, covers: dict) -> Phrase | None:
    """The first phrase after the trigger (and its subject) that is not prepositional (بإسناد،
    للشرطة): a phrase holding an entity always qualifies."""
    for p in after:
        if p == subject or (p[0] > 0 and key(words[p[0] - 1]) in _AR_PREPOSITIONS):
            continue
        if _holds(p, covers) or not normalize(words[p[0]]).startswith(("ب", "ل", "ك")):
            return p
    return None


def _subject(words: list[str], before: list[Phrase], covers: dict) -> Phrase | None:
    """The clause's subject: its first person or organisation (without the verb before it) that
    is not the patient of a passive verbal noun."""
    for p in before:
        people = [
            i
            for i, (_, kind) in covers.items()
            if p[0] <= i < p[1] and kind in _ACTOR_PEOPLE and not _passive_patient(words, i)
        ]
        if people:
            return min(people), p[1]
    return None


def _passive_patient(words: list[str], at: int) -> bool:
    """Whether the word at `at` is the noun in construct of a passive verbal noun: تم استدعاء
    "غودفري" (quotes between them are skipped)."""
    j = at - 1
    while j >= 0 and not any(ch.isalnum() for ch in words[j]):
        j -= 1
    return j >= 1 and key(words[j - 1]) in _AR_PASSIVE_AUX


def _holds(phrase: Phrase, covers: dict, kinds: set[str] | None = _ACTOR_PEOPLE) -> bool:
    """Whether the phrase holds an entity of these kinds (None: any)."""
    return any(
        phrase[0] <= i < phrase[1] and (kinds is None or kind in kinds) for i, (_, kind) in covers.items()
    )


def _clause(tokens: tuple[Token, ...], first: int, last: int) -> tuple[int, int]:
    """Token range of the trigger's clause: between the nearest clause punctuation around it."""
    start = next((i + 1 for i in range(first - 1, -1, -1) if tokens[i].text in CLAUSE_BREAKS), 0)
    end = next((i for i in range(last, len(tokens)) if tokens[i].text in CLAUSE_BREAKS), len(tokens))
    return start, end


def _entity_tokens(
    tokens: tuple[Token, ...], start: int, end: int, entities: list[tuple[int, dict]]
) -> dict[int, tuple[int, str]]:
    """First token of each entity in the clause -> (token after its last, entity type)."""
    covers = {}
    for _, e in entities:
        covered = [i for i in range(start, end) if e["start"] < tokens[i].end and tokens[i].start < e["end"]]
        if covered:
            covers[covered[0]] = (covered[-1] + 1, e["type"])
    return covers


def _phrases(
    tokens: tuple[Token, ...], start: int, end: int, language: str, covers: dict, trigger: range
) -> list[Phrase]:
    """Runs of content words in [start, end) outside the trigger, never cutting an entity, each
    ended by its first one."""
    out: list[Phrase] = []
    i = start
    while i < end:
        if i in trigger or (i not in covers and _stop(tokens[i].text, language)):
            i += 1
            continue
        j, has_entity = i, False
        while j < end and j not in trigger:
            if j in covers:
                j, has_entity = covers[j][0], True
                break  # a phrase that holds an entity ends with it
            if j > i and (_stop(tokens[j].text, language) and not _partitive(tokens, i, j, language)):
                break
            if (
                j > i
                and language == "ar"
                and _opens_object(tokens[j].text)
                and not _number(tokens[j - 1].text)
            ):
                break  # an object begins, unless it is the noun a number counts (12 شخصا)
            if j > i and language == "en" and _en_verb(tokens, j):
                break  # the subject ends where its verb begins ("Turks began", "students staged")
            j += 1
        if not has_entity:
            j = min(j, i + MAX_WORDS)
        if language == "en":  # no actor begins with "a", "staged", "wounded" (after its subject)
            while i < j and (tokens[i].text.lower() in _EN_DETERMINERS or (i > 0 and _en_verb(tokens, i))):
                i += 1
            if i == j:
                continue
        out.append((i, j))
        i = j
    return out


def _en_verb(tokens: tuple[Token, ...], at: int) -> bool:
    """A light verb, a word in -ing after a plural noun ("protesters demanding"), or a word in -ed
    after a content word ("Kurds demonstrated"; not "the occupied West Bank", "an improvised
    device", "two wounded soldiers")."""
    word, previous = tokens[at].text.lower(), tokens[at - 1].text.lower()
    if word in _EN_LIGHT_VERBS:
        return True
    if word.endswith("ing") and len(word) > 5 and len(previous) > 3 and previous.endswith("s"):
        return previous.isalpha() and previous not in _EN_STOP  # "protesters demanding the ..."
    return (
        word.endswith("ed")
        and len(word) > 4
        and previous not in _EN_DETERMINERS
        and not _number(previous)
        and any(ch.isalpha() for ch in previous)
    )


def _stop(word: str, language: str) -> bool:
    if not any(ch.isalnum() for ch in word):
        return True
    if language == "ar":
        return key(word) in _AR_STOP
    return word.lower() in _EN_STOP


def _opens_object(word: str, counted: bool = False) -> bool:
    """A number or an indefinite accusative (مركزا، شخصا) starts the verb's object; `counted`:
    number words too (ستة متشددين)."""
    normal = normalize(word)
    if word[:1].isdigit() or (len(normal) >= 4 and normal.endswith("ا") and not normal.startswith("ال")):
        return True
    return counted and key(word) in _COUNTS


def _number(word: str) -> bool:
    return word[:1].isdigit() or key(word) in _COUNTS


def _partitive(tokens: tuple[Token, ...], i: int, j: int, language: str) -> bool:
    """من after a count or group word stays in the phrase: وحدات من الجيش, عدد من الشبان."""
    return (
        language == "ar"
        and j == i + 1
        and key(tokens[j].text) == key("من")
        and (key(tokens[i].text) in _AR_PARTITIVE or tokens[i].text.isdigit())
    )


def _span(
    value: str, field: str, tokens: tuple[Token, ...], phrase: Phrase | None, entities: list[tuple[int, dict]]
) -> dict | None:
    if phrase is None:
        return None
    begin, end = tokens[phrase[0]].start, tokens[phrase[1] - 1].end
    held = [(i, e) for i, e in entities if begin < e["end"] and e["start"] < end]
    held.sort(key=lambda item: (item[1]["type"] not in _ACTOR_PEOPLE, item[1]["start"]))
    index, entity = held[0] if held else (None, None)
    if entity is not None:  # the phrase as written covers the whole entity
        begin, end = min(begin, entity["start"]), max(end, entity["end"])
    return {
        "text": value[begin:end],
        "field": field,
        "start": begin,
        "end": end,
        "entity": index,
        "link": entity["link"] if entity else None,
    }
