"""English actors from the dependency parse of spaCy's small English pipeline (the one the entities
stage runs; spacy_ner.parse), not from word windows.

From the trigger's head word (a compound climbs to its noun: "bomb attack"; an adverb to its verb):
- a verb: its subject is the source and its object the target ("Rebels attacked the convoy",
  "fired on the crowd"); a passive turns them round: the agent ("by X") is the source, the subject
  the target ("Police were attacked by protesters"), as for a participle after its noun ("a camp
  attacked by militiamen"). A verb without a subject of its own takes the one it shares: the first
  of two coordinated verbs', the governing verb's ("threatened to strike"), the noun a relative
  clause or a participle hangs on ("militants who stormed", "protesters demanding");
- a noun ("attack", "protest", "bombing"): "by X", a possessor or a name before it ("Israel's
  strike", "Hamas attack", "Palestinian riots") is the source, "on / against / of X" the target,
  "between X and Y" both; as the object of a verb it takes the verb's subject ("staged a protest",
  "launched an attack on X") and, wanting a target, the object of the verb's purpose clause
  ("began a hunger strike to demand the resignation of X"); as a verb's subject it is itself the
  source, and the active verb's object the target ("Twin bombing kills 26 people", "Blast rocks
  Beirut", "Protesters were attacked"); after "in" or "during" the verb carries the actors
  ("wounded two soldiers in a bomb attack"). A dateline ("NIAMEY (Reuters) -") is cut off before
  the parse.
An actor is a noun phrase: the noun with its compounds, adjectives, possessors and "of" complement,
without articles or counts at its start; never a number ("kills 26"), a pronoun, a verb or a time
("on Sunday"); "hundreds of protesters" is the protesters; a target that is a deed of someone
("President Assad's failure", "violations by the army") is that someone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workers.entities.spacy_ner import parse
from workers.entities.tokens import DATELINE, Token

if TYPE_CHECKING:
    from spacy.tokens import Doc
    from spacy.tokens import Token as Word

Phrase = tuple[int, int]  # token range [first, last) of the caller's tokens

_SUBJECTS = {"nsubj", "csubj"}
_OBJECTS = {"dobj", "dative", "attr", "oprd"}
_VERB_TARGETS = {"on", "against", "at", "upon", "targeting"}
_NOUN_TARGETS = {"on", "against", "at", "upon", "targeting", "of"}
_RECIPROCAL = ("clash", "fight", "fought", "battl", "scuffl", "skirmish")  # "clashed with police"
# Dependents before a noun that belong to its phrase: not articles or counts ("at least three")
_MODIFIERS = {"compound", "amod", "nmod", "poss", "conj"}
_SKIPPED_EDGE = {"punct", "cc", "det"}
# A head that counts or groups the actors: "hundreds of protesters", "a group of gunmen"
# fmt: off
_GROUPS = {
    "hundreds", "thousands", "dozens", "scores", "tens", "millions", "group", "groups", "number", "some",
    "many", "crowd", "crowds", "band",
}
_TIMES = {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february",
    "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
    "day", "days", "week", "weeks", "weekend", "month", "months", "year", "years", "hour", "hours",
    "night", "morning", "afternoon", "evening", "today", "yesterday", "tonight", "time", "first",
}
_RELATIVE = {"who", "that", "which", "whom"}
_NOT_ACTORS = {"PRON", "VERB", "AUX", "NUM", "ADP", "SCONJ", "PART", "DET", "ADV", "PUNCT"}
# fmt: on


def actors(
    value: str,
    sentence: tuple[int, int],
    tokens: tuple[Token, ...],
    triggers: list[tuple[int, int]],
    named: list[tuple[int, int]],
) -> tuple[Phrase | None, Phrase | None]:
    """(source, target) token ranges of the event whose trigger is `triggers[0]` in the sentence
    value[sentence[0]:sentence[1]]; the other triggers of its type are read when it names no
    source. `named`: character spans of the article's entities there."""
    offset, text = clause(value, *sentence)
    if text not in _PARSED:
        prepare([text])
    doc = _PARSED[text]
    names = {i for start, end in named for i in range(start - offset, end - offset)}
    found = []
    for first, last in triggers:
        head = _head(doc, tokens[first].start - offset, tokens[last - 1].end - offset)
        if head is not None:
            found.append(_roles(head, names))
    source = next((s for s, _ in found if s is not None), None)
    target = next((t for _, t in found if t is not None and t != source), None)
    return _phrase(source, tokens, offset), _phrase(target, tokens, offset)


def clause(value: str, start: int, end: int) -> tuple[int, str]:
    """(offset, text) of the sentence value[start:end] as parsed: without a dateline ("NIAMEY
    (Reuters) -" is no part of the clause)."""
    dateline = DATELINE.match(value, start, end)
    start = dateline.end() if dateline else start
    return start, value[start:end]


def prepare(texts: list[str]) -> None:
    """Parse an article's sentences with events in one batch; each is parsed once for all its
    events (the last few hundred are kept)."""
    todo = [t for t in dict.fromkeys(texts) if t not in _PARSED]
    if len(_PARSED) + len(todo) > 512:
        _PARSED.clear()
    _PARSED.update(zip(todo, parse("en", todo), strict=True))


_PARSED: dict[str, Doc] = {}


def _head(doc: Doc, start: int, end: int) -> Word | None:
    """The syntactic head of the words in characters [start, end), climbed out of a compound
    ("bomb attack") and from an adverb to its verb ("sexually abused")."""
    words = [w for w in doc if start <= w.idx < end]
    if not words:
        return None
    head = next((w for w in words if not start <= w.head.idx < end or w.head is w), words[0])
    while head.dep_ == "compound" and head.head is not head:
        head = head.head
    if head.pos_ == "ADV" and head.head.pos_ == "VERB":
        head = head.head
    return head


def _roles(head: Word, names: set[int]) -> tuple[Word | None, Word | None]:
    if head.pos_ in ("VERB", "AUX"):
        return _verb_roles(head)
    source, target = _noun_roles(head, names)
    preposition = head.head
    if head.dep_ == "pobj" and preposition.lower_ in ("in", "during") and preposition.head.pos_ == "VERB":
        verb_source, verb_target = _verb_roles(preposition.head)  # "wounded two soldiers in a bomb attack"
        source, target = source or verb_source, target or verb_target
    return source, target


def _verb_roles(verb: Word) -> tuple[Word | None, Word | None]:
    agent = _complement(verb, "agent", "pobj")
    patient = next((c for c in verb.children if c.dep_ == "nsubjpass"), None)
    if patient is not None or agent is not None or (verb.dep_ == "acl" and verb.tag_ == "VBN"):
        if patient is None and verb.dep_ == "acl":
            patient = verb.head  # "a camp attacked by militiamen"
        return _actor(agent), _target(patient)
    target = next((c for c in verb.children if c.dep_ in _OBJECTS), None)
    marks = _VERB_TARGETS | ({"with"} if verb.lower_.startswith(_RECIPROCAL) else set())
    return _actor(_subject(verb)), _target(target) or _target(_prepositional(verb, marks)) or _purpose(verb)


def _purpose(verb: Word) -> Word | None:
    """The object of the verb's purpose clause ("rallied to demand the resignation of X")."""
    for clause in verb.children:
        if clause.dep_ in ("advcl", "xcomp") and clause.pos_ == "VERB":
            found = _target(next((c for c in clause.children if c.dep_ == "dobj"), None))
            if found is not None:
                return found
    return None


def _subject(verb: Word) -> Word | None:
    """The verb's subject, or the one it shares with the verb or noun it hangs on."""
    for _ in range(4):
        subject = next((c for c in verb.children if c.dep_ in _SUBJECTS), None)
        if subject is not None and subject.lower_ in _RELATIVE and verb.dep_ == "relcl":
            return verb.head  # "militants who stormed"
        if subject is not None and not (subject.pos_ == "PRON" and verb.dep_ == "ccomp"):
            return subject
        # none, or a pronoun for the reporting verb's subject ("Militants said they attempted")
        if verb.dep_ in ("acl", "relcl") and verb.head.pos_ in ("NOUN", "PROPN"):
            return verb.head  # "protesters demanding"
        if verb.dep_ not in ("conj", "xcomp", "advcl", "ccomp") or verb.head is verb:
            return subject
        verb = verb.head  # "rebels kidnapped ... and exploded", "threatened to strike"
    return None


def _noun_roles(noun: Word, names: set[int]) -> tuple[Word | None, Word | None]:
    by = _actor(_complement(noun, "prep", "pobj", "by"))
    named = next(
        (
            c
            for c in noun.lefts
            if c.dep_ == "poss" or (c.dep_ in ("compound", "amod") and (c.pos_ == "PROPN" or c.idx in names))
        ),
        None,
    )
    source = by or _actor(named)
    target = _target(_prepositional(noun, _NOUN_TARGETS))
    between = _complement(noun, "prep", "pobj", "between")
    if between is not None:  # "fighting between Azerbaijanis and Armenians"
        source, target = between, next((c for c in between.children if c.dep_ == "conj"), target)
    verb = noun.head
    if noun.dep_ in ("dobj", "attr") and verb.pos_ in ("VERB", "AUX"):
        source = source or _actor(_subject(verb))  # "staged a protest", "launched an attack on X"
        target = target or _target(_prepositional(verb, _VERB_TARGETS)) or _purpose(verb)
    elif noun.dep_ in ("nsubj", "nsubjpass") and verb.pos_ == "VERB":  # "Twin bombing kills 26 people"
        source = by or noun  # the phrase keeps its modifiers: "Liberian riot police"
        if noun.dep_ == "nsubj":
            target = target or _target(next((c for c in verb.children if c.dep_ in _OBJECTS), None))
    return _actor(source), target


def _complement(word: Word, relation: str, kind: str, head_word: str | None = None) -> Word | None:
    """The `kind` under the child of `word` in `relation` (and spelled `head_word`)."""
    return next(
        (
            g
            for c in word.children
            if c.dep_ == relation and (head_word is None or c.lower_ == head_word)
            for g in c.children
            if g.dep_ == kind
        ),
        None,
    )


def _prepositional(word: Word, prepositions: set[str]) -> Word | None:
    """The object of the first of `prepositions` under `word` that names no time."""
    for c in word.children:
        if c.dep_ == "prep" and c.lower_ in prepositions:
            found = _actor(next((g for g in c.children if g.dep_ == "pobj"), None))
            if found is not None:
                return found
    return None


def _target(word: Word | None) -> Word | None:
    """An actor; a deed of someone ("President Assad's failure", "violations by the army") is
    that someone."""
    word = _actor(word)
    if word is None or word.pos_ == "PROPN":
        return word
    doer = _complement(word, "prep", "pobj", "by") or next((c for c in word.lefts if c.dep_ == "poss"), None)
    return _actor(doer) or word


def _actor(word: Word | None) -> Word | None:
    """The noun that names an actor: never a number, a pronoun, a verb or a time; a group word
    gives way to whom it counts."""
    if word is None:
        return None
    if word.lower_ in _GROUPS or word.like_num:
        counted = _complement(word, "prep", "pobj", "of")
        if counted is not None:
            return _actor(counted)
    if word.like_num or word.pos_ in _NOT_ACTORS or word.lower_ in _TIMES or not word.is_alpha:
        return None
    return word


def _phrase(word: Word | None, tokens: tuple[Token, ...], offset: int) -> Phrase | None:
    """The noun phrase of `word` as a range of the caller's tokens."""
    if word is None:
        return None
    doc = word.doc
    first = min((w.left_edge.i for w in word.lefts if w.dep_ in _MODIFIERS), default=word.i)
    last = word.i
    for right in word.rights:  # "Mohamed Bazoum", "member of the Syrian parliament"
        if right.dep_ not in ("compound", "flat") and not (right.dep_ == "prep" and right.lower_ == "of"):
            break
        last = right.right_edge.i
    while first < word.i and doc[first].dep_ in _SKIPPED_EDGE:
        first += 1
    start, end = doc[first].idx + offset, doc[last].idx + len(doc[last].text) + offset
    covered = [i for i, t in enumerate(tokens) if t.start < end and start < t.end]
    return (covered[0], covered[-1] + 1) if covered else None
