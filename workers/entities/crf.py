"""The default offline NER backend: a CRF (python-crfsuite) trained by workers/entities/train.py."""

from __future__ import annotations

import pycrfsuite

from workers.entities.features import sentence_features
from workers.entities.gazetteer import Match
from workers.entities.train import MODEL


class CrfTagger:
    name = "crf"

    def __init__(self) -> None:
        self._tagger = pycrfsuite.Tagger()
        self._tagger.open(str(MODEL))

    def tag(self, sentences: list[list[str]], matches: list[list[Match]]) -> list[list[str]]:
        """BIO tags (B-PERS, I-LOC, ...) for each word of each sentence."""
        return [self._tagger.tag(sentence_features(w, m)) for w, m in zip(sentences, matches, strict=True)]
