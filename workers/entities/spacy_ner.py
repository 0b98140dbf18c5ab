"""A spaCy model as the NER backend for the language it was trained on (optional extra `spacy`).

Its labels map onto ours: OntoNotes (en_core_web_*) PERSON, GPE/LOC/FAC, ORG, and NORP, EVENT,
PRODUCT, WORK_OF_ART, LAW, LANGUAGE as MISC; WikiNER (xx_ent_wiki_sm, ...) PER, LOC, ORG, MISC.
Dates, numbers and amounts are not entities in our contract and are dropped.
"""

from __future__ import annotations

from workers.entities.backends import BackendUnavailable

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
# Components that never help entity recognition; excluding them makes loading and tagging faster.
_UNUSED = ["lemmatizer", "textcat", "textcat_multilabel", "senter", "sentencizer"]


class SpacyTagger:
    def __init__(self, model: str) -> None:
        try:
            import spacy
        except ImportError:
            raise BackendUnavailable(
                f"NER backend spacy:{model} needs spaCy: pip install 'newsworker[spacy]'"
            ) from None
        try:
            self.nlp = spacy.load(model, exclude=_UNUSED)
        except OSError:
            raise BackendUnavailable(
                f"spaCy model {model!r} is not installed: python -m spacy download {model}"
                "   (or pass the model folder)"
            ) from None
        if "ner" not in self.nlp.pipe_names:
            raise BackendUnavailable(f"spaCy model {model!r} has no 'ner' component")
        self.language = self.nlp.lang  # "xx": multilingual
        self.name = f"spaCy {model}"

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, type) character spans of `text`, in our entity types."""
        pieces = chunks(text)
        docs = self.nlp.pipe(piece for _, piece in pieces)
        return [
            (offset + e.start_char, offset + e.end_char, LABELS[e.label_])
            for (offset, _), doc in zip(pieces, docs, strict=True)
            for e in doc.ents
            if e.label_ in LABELS
        ]


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
