"""Events stage: fills `events` with PLOVER + ACLED + CAMEO events, sentence by sentence.

Where each part of an event comes from:
- candidates.py: the trigger lexicon proposes it (type, mode, ACLED sub-type, CAMEO, trigger,
  sentence, negated / hypothetical);
- decisions.py: `confidence`, the learned probability that the event is real (static vectors;
  e5_decisions.py's fine-tuned e5 re-reads ASSAULT and PROTEST candidates); events below
  `--min-event-confidence` are dropped;
- classifier.py / linear.py: the English ACLED sub-type, when the sentence classifier (words, the
  lexicon's tokens and, by default, the sentence's e5 vector) is sure;
- arguments.py: actors (as phrases: actors.py's rules, then actor_choice.py's learned choice for
  Arabic ASSAULT and PROTEST), location, fatalities and quantities, from the
  article's entities and text.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from workers.events import actor_choice, arguments, syntax
from workers.events.candidates import Sentence, candidates
from workers.events.classifier import event_tokens, load_sentence_encoder, sentence_vectors
from workers.events.decisions import MIN_CONFIDENCE, Decisions
from workers.events.linear import classifiers
from workers.events.ontology import acled_types

FIELDS = ("title", "text")
# The English classifier overrules the lexicon's ACLED sub-type only this sure (5-fold
# cross-validation on CASE-2021: 0, 0.3 and 0.5 give weighted F1 within 0.01 of each other).
OVERRIDE = 0.5


class EventStage:
    name = "events"

    def __init__(
        self, min_confidence: float = MIN_CONFIDENCE, learned: bool = True, contextual: bool = True
    ) -> None:
        """`learned=False`: the lexicon's candidates with their prior confidence, all of them
        (what the learned parts are trained on); `contextual=False`: the fast profile (no
        fine-tuned e5 decisions, the ACLED sub-type from words alone)."""
        self.decisions = Decisions(min_confidence if learned else 0.0, learned, contextual)
        # the default reads the sentence's e5 vector too (weighted F1 0.658 -> 0.709, README "Events")
        self.acled = classifiers().get("en-acled-e5" if contextual else "en-acled") if learned else None
        if self.acled is not None and self.acled.vector_weight:
            load_sentence_encoder()
        self.choose = actor_choice.pretrained() if learned else None
        self.learned = learned  # without: no English actors (what is learned from needs none)
        self.backend = "trigger lexicon" + (
            f" + learned decisions ({self.decisions.kind})" if learned else ""
        )

    def __call__(self, record: dict[str, Any]) -> None:
        language = record["language"]["code"]
        found = sentences(record)
        texts = [(value[s.start : s.end], s.events) for value, s, _ in found]
        self.decisions(texts, language)
        if language == "en" and self.acled is not None:
            self._acled(texts)
        if language == "en" and self.learned:  # the actors' parses, one batch per article
            syntax.prepare(
                [
                    syntax.clause(value, sentence.start, sentence.end)[1]
                    for value, sentence, _ in found
                    if any(self.decisions.keep(e) for e in sentence.events)
                ]
            )
        events = []
        for value, sentence, inside in found:
            for event, trigger in zip(sentence.events, sentence.triggers, strict=True):
                if self.decisions.keep(event):
                    learned = (
                        event["plover"]["type"] in actor_choice.TYPES and language in actor_choice.LANGUAGES
                    )
                    choose = self.choose if learned else None
                    arguments.fill(event, value, language, sentence, trigger, inside, choose, self.learned)
                    events.append(event)
        record["events"] = events

    def _acled(self, texts: list[tuple[str, list[dict[str, Any]]]]) -> None:
        """The English sentence classifier's ACLED sub-type for the main event of a sentence, when
        it is sure enough; only sentences with an emitted event are read (the e5 vector is the
        cost), in one model call per article, since most of a call's cost is fixed."""

        def coded(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [e for e in events if e["acled"] and self.decisions.keep(e)]

        todo = [(s, events) for s, events in texts if coded(events)]
        if not todo:
            return
        sentences = [s for s, _ in todo]
        vectors = sentence_vectors(sentences) if self.acled.vector_weight else None
        probabilities = self.acled.probabilities(sentences, [event_tokens(e) for _, e in todo], vectors)
        for (_, events), row in zip(todo, probabilities, strict=True):
            best = int(np.argmax(row))
            if row[best] < OVERRIDE:
                continue  # not sure enough to overrule the lexicon
            event_type, sub_event_type = acled_types()[self.acled.classes[best]]
            main = max(coded(events), key=lambda e: e["confidence"])
            main["acled"] = {"event_type": event_type, "sub_event_type": sub_event_type}


def sentences(record: dict[str, Any]) -> list[tuple[str, Sentence, list[tuple[int, dict]]]]:
    """The record's sentences that hold candidates: (field value, sentence, (index, entity) of the
    article's entities inside it, in text order)."""
    language = record["language"]["code"]
    out = []
    for field in FIELDS:
        value = record.get(field)
        if not value:
            continue
        entities = [(i, e) for i, e in enumerate(record["entities"]) if e["field"] == field]
        loc_starts = [e["start"] for _, e in entities if e["type"] == "LOC"]
        for sentence in candidates(field, value, language, loc_starts):
            inside = [
                (i, e) for i, e in entities if sentence.start <= e["start"] and e["end"] <= sentence.end
            ]
            out.append((value, sentence, sorted(inside, key=lambda item: item[1]["start"])))
    return out


def lexicon_events(text: str, language: str) -> list[dict[str, Any]]:
    """What the trigger lexicon alone finds in a text, with arguments (English actors aside: the
    parse would cost more than all the rest): what the decisions and the ACLED classifier learn
    from."""
    record: dict[str, Any] = {"text": text, "language": {"code": language}, "entities": []}
    EventStage(learned=False)(record)
    return record["events"]
