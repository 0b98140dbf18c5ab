"""Entities stage: fills `entities` = [{text, type, field, start, end, normalized, link}].

Arabic text goes through the NER backend (offline CRF by default, camel-tools' BERT on request);
curated actors and countries the backend missed are added from the gazetteer. English and French
get spaCy's small pipelines' entities, other languages a spaCy model's when one is named, else
gazetteer entities only (no Arabic-model guesses). Every span is cut from token offsets, so
`record[field][start:end] == text` always holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workers.entities.arabic import CONJUNCTIONS, PREPOSITIONS, key, normalize
from workers.entities.backends import parse
from workers.entities.gazetteer import Entry, Match, gazetteer, rank
from workers.entities.spacy_ner import DEFAULT_MODELS, SpacyTagger
from workers.entities.tokens import DATELINE, Token, sentence_tokens, tokenize
from workers.entities.train import spans

FIELDS = ("title", "text")
TYPE_NAMES = {"PERS": "PER", "PER": "PER", "LOC": "LOC", "ORG": "ORG", "MISC": "MISC"}
# Place nouns in construct with a name: "بلدة عقيربات", "ريف حماة", "مدينة دير الزور".
PLACE_NOUNS = {key(w) for w in ("مدينة", "بلدة", "قرية", "ريف", "محافظة", "مخيم", "حي", "بلدات", "قرى")}


@dataclass
class Found:
    field: str
    tokens: list[Token]
    type: str
    candidates: list[Entry]


class EntityStage:
    name = "entities"

    def __init__(self, backend: str = "crf") -> None:
        """`backend`: a `--ner-backend` value, see workers/entities/backends.py."""
        backends = parse(backend)
        if backends.arabic == "crf":
            from workers.entities.crf import CrfTagger

            self.tagger = CrfTagger()
        elif backends.arabic == "e5":
            from workers.entities.e5_ner import E5Tagger

            self.tagger = E5Tagger()
        else:
            from workers.entities.camel import CamelTagger

            self.tagger = CamelTagger()
        # per language; a model loads on its language's first text (spacy_ner.py)
        self.others: dict[str, SpacyTagger] = {}
        for model in (*DEFAULT_MODELS.values(), *backends.spacy_models):
            tagger = SpacyTagger(model)
            self.others[tagger.language] = tagger
        names = [self.tagger.name, *(t.name for t in self.others.values()), "gazetteer"]
        self.backend = " + ".join(names)
        self.gazetteer = gazetteer()

    def __call__(self, record: dict[str, Any]) -> None:
        language = record["language"]["code"]
        other = None if language == "ar" else self.others.get(language, self.others.get("xx"))
        found: list[Found] = []
        for field in FIELDS:
            value = record.get(field)
            if not value:
                continue
            if language == "ar":
                found.extend(self._arabic(field, value))
            elif other:
                found.extend(self._model_and_gazetteer(other, field, value))
            else:
                found.extend(self._gazetteer_only(field, value))
        _consistent_person_mentions(found)
        countries = {c.country_code for f in found if f.type == "LOC" for c in f.candidates if c.is_country}
        entities = [self._entity(record, f, countries) for f in found]
        entities.sort(key=lambda e: (FIELDS.index(e["field"]), e["start"]))  # reading order
        record["entities"] = entities

    def _arabic(self, field: str, value: str) -> list[Found]:
        found: list[Found] = []
        sentences = sentence_tokens(value)
        all_words = [[t.text for t in sentence] for sentence in sentences]
        all_matches = [self.gazetteer.scan(words, "ar") for words in all_words]
        # one call per field: a neural tagger batches the sentences
        tagged = self.tagger.tag(all_words, all_matches)
        for sentence, words, matches, tags in zip(sentences, all_words, all_matches, tagged, strict=True):
            keys = [key(w) for w in words]
            taken = [False] * len(words)
            for first, last, kind in sorted(spans(tags)):
                if all(k in PLACE_NOUNS for k in keys[first:last]):
                    continue  # "ريف" alone is no name; the name after it is picked up below
                found.append(self._found(field, sentence[first:last], TYPE_NAMES[kind]))
                taken[first:last] = [True] * (last - first)
            found.extend(self._after_place_nouns(field, sentence, keys, taken, matches))
            # Curated actors and countries the model missed (quoted names, rare spellings).
            for match in matches:
                if any(taken[match.first : match.last]):
                    continue
                entry_words = words[match.first : match.last]
                best = max(self.gazetteer.candidates(entry_words), key=rank)
                if best.kb == "newsworker" or best.is_country:
                    found.append(self._found(field, sentence[match.first : match.last], best.type))
        return found

    def _after_place_nouns(
        self, field: str, sentence: list[Token], keys: list[str], taken: list[bool], matches: list[Match]
    ) -> list[Found]:
        """The name following a place noun: the longest gazetteer place there, else one word."""
        found = []
        places = {m.first: m for m in matches}
        for i in range(len(sentence) - 1):
            j = i + 1
            if keys[i] not in PLACE_NOUNS or taken[j] or not self._opens_name(sentence[j].text):
                continue
            last = places[j].last if j in places and places[j].type == "LOC" else j + 1
            found.append(self._found(field, sentence[j:last], "LOC"))
            taken[j:last] = [True] * (last - j)
        return found

    def _opens_name(self, word: str) -> bool:
        """An Arabic word that can open a name: not an article-led common noun ("المدينة"), and not
        a conjunction + word ("وتلال") unless it is a known name itself ("واشنطن")."""
        normal = normalize(word)
        if len(normal) < 3 or not "\u0621" <= normal[0] <= "\u064a" or normal.startswith("ال"):
            return False
        return not normal.startswith(("و", "ف")) or normal in self.gazetteer.names

    def _model_and_gazetteer(self, tagger: SpacyTagger, field: str, value: str) -> list[Found]:
        """The spaCy model's entities, and the gazetteer's names it missed or cut short."""
        found = []
        dateline = DATELINE.match(value)
        for start, end, entity_type in tagger.spans(value):
            tokens = [Token(t.text, t.start + start, t.end + start) for t in tokenize(value[start:end])]
            if dateline and dateline.start(1) <= start and end <= dateline.end(1):
                entity_type = "LOC"  # "NIAMEY (Reuters) -": the model reads the capitals as an ORG
            if tokens:
                found.append(self._found(field, tokens, entity_type))
        # A known name the model saw only part of wins ("Islamic" of "Islamic State", "Deir" of
        # "Deir ez-Zor"); other names the model missed are added.
        for known in self._gazetteer_only(field, value):
            inside = [f for f in found if _characters(f) & _characters(known)]
            if all(_characters(f) < _characters(known) for f in inside):
                found = [f for f in found if f not in inside] + [known]
        return found

    def _gazetteer_only(self, field: str, value: str) -> list[Found]:
        tokens = tokenize(value)
        script = "ar" if any("\u0600" <= t.text[0] <= "\u06ff" for t in tokens) else "en"
        found = []
        for match in self.gazetteer.scan([t.text for t in tokens], script):
            span = tokens[match.first : match.last]
            if script == "en" and not span[0].text[:1].isupper():
                continue  # "reading", "nice": names are capitalised in Latin script
            found.append(self._found(field, span, match.type))
        return found

    def _found(self, field: str, tokens: list[Token], entity_type: str) -> Found:
        candidates = self.gazetteer.candidates([t.text for t in tokens])
        typed = [c for c in candidates if c.type == entity_type]
        curated = [c for c in candidates if c.kb == "newsworker"]
        if not typed and curated:
            # The curated aliases are unambiguous by design: they know better than the model
            # (ترامب tagged LOC is the person Donald Trump).
            entity_type = max(curated, key=rank).type
            typed = [c for c in curated if c.type == entity_type]
        return Found(field, tokens, entity_type, typed)

    def _entity(self, record: dict, found: Found, countries: set[str | None]) -> dict[str, Any]:
        value = record[found.field]
        start = found.tokens[0].start + self._proclitic_length([t.text for t in found.tokens])
        end = found.tokens[-1].end
        text = value[start:end]
        link = None
        if found.candidates:
            best = max(found.candidates, key=lambda c: (c.country_code in countries, rank(c)))
            link = best.link()
        return {
            "text": text,
            "type": found.type,
            "field": found.field,
            "start": start,
            "end": end,
            "normalized": normalize(text),
            "link": link,
        }

    def _proclitic_length(self, words: list[str]) -> int:
        """Letters of a conjunction/preposition glued to a name (وموسكو -> 1), 0 when the word
        is itself a name (واشنطن, بغداد; فرانس in فرانس برس, though رانس is Reims) or what follows
        is not recognisably one."""
        names = self.gazetteer.names
        word, rest_of_name = words[0], [normalize(w) for w in words[1:]]
        if " ".join([normalize(word), *rest_of_name]) in names:
            return 0
        cuts = [
            cut
            for cut in (1, 2)
            if all(ch in CONJUNCTIONS + PREPOSITIONS for ch in word[:cut]) and len(word) - cut >= 3
        ]
        for cut in cuts:  # the whole name known once the letters are cut (وفرانس برس)
            if " ".join([normalize(word[cut:]), *rest_of_name]) in names:
                return cut
        if normalize(word) in names:
            return 0
        for cut in cuts:  # the first word known, or an article-led noun (والجيش السوري)
            rest_normal = normalize(word[cut:])
            if rest_normal in names or rest_normal.startswith("ال"):
                return cut
        return 0


def _characters(found: Found) -> set[int]:
    return set(range(found.tokens[0].start, found.tokens[-1].end))


def _consistent_person_mentions(found: list[Found]) -> None:
    """A later mention of part of a person's name ("غودفري" after "أنطوني غودفري") is that person,
    not a place that happens to share the name. A short form ending like a linked full name
    ("الأسد" after "بشار الأسد") takes its link when no other full name ends that way."""
    person_words = {key(t.text) for f in found if f.type == "PER" for t in f.tokens}
    for f in found:
        if f.type != "PER" and all(key(t.text) in person_words for t in f.tokens):
            f.type, f.candidates = "PER", []
    full_names = [f for f in found if f.type == "PER" and len(f.tokens) > 1]
    for f in found:
        if f.type != "PER" or f.candidates:
            continue
        words = {key(t.text) for t in f.tokens}
        owners = [
            full
            for full in full_names
            if key(full.tokens[-1].text) in words and words <= {key(t.text) for t in full.tokens}
        ]
        # One person only: an unlinked owner ("أحمد سعيد" beside "قيس سعيد") leaves it ambiguous.
        people = {max(o.candidates, key=rank).id if o.candidates else None for o in owners}
        if len(people) == 1 and None not in people:
            f.candidates = owners[0].candidates
