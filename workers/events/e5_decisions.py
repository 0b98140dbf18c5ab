"""Is an ASSAULT or PROTEST candidate real? multilingual-e5-small fine-tuned on the labelled
candidates re-reads the sentence, run without torch.

The static sentence vector blurs what OEDA's labels ask (an event reported as it happens, not
protesters named or last week's attack): the static decision scores Arabic F1 0.588 (ASSAULT) and
0.258 (PROTEST) in cross-validation at the default threshold. The fine-tuned encoder reads the 32
pieces around the trigger; a candidate the static decision does not rule out (RE_READ) gets the
mean of both decisions' log-odds: 0.667 and 0.371 (README "Events"). ~7 ms a re-read candidate;
`--event-decisions static` (the fast profile) skips it.

Training (`newsworker train events --contextual`, workers/events/e5_train.py) fine-tunes the 12
layers and a head over the pooled window and the trigger's pieces, one output per decision block,
on every labelled candidate; `workers/data/events/decisions-e5.npz` holds the layers (int8), the
head, the candidates' out-of-fold scores (each from a model that never saw its sentence) and the
Platt scaling per block and language fitted on them, which `newsworker eval events` refits fold by
fold.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

from workers.encoders import e5
from workers.events import decisions
from workers.events.decisions import BLOCKS  # the head's outputs, in this order
from workers.events.ontology import DATA

MODEL = DATA / "decisions-e5.npz"
DECIDES = ("ASSAULT", "PROTEST")  # the blocks whose confidence it gives by default
# A candidate is re-read when the static decision gives it at least this: below it are 64% of the
# Arabic ASSAULT candidates, 4% of them real (0.05 and 0.1 score the same in cross-validation; 0.15
# lower; re-reading every candidate too, at twice the cost).
RE_READ = 0.05
WINDOW = 32  # pieces around the trigger, <s> and </s> included


def window(tokenizer: e5.Tokenizer, text: str, start: int, end: int) -> tuple[list[int], list[int]]:
    """The piece ids of `text` (with the passage prefix, <s>, </s>) cut to WINDOW around the trigger
    at [start, end), and the positions of the trigger's pieces in them."""
    pieces = tokenizer(text, prefix="passage: ")
    trigger = [i for i, (a, b) in enumerate(pieces.spans) if a >= 0 and a < end and start < b]
    ids = pieces.ids
    if len(ids) > WINDOW:
        centre = trigger[0] if trigger else 1
        low = max(1, min(centre - WINDOW // 2, len(ids) - 1 - (WINDOW - 2)))
        high = low + WINDOW - 2
        ids = [ids[0], *ids[low:high], ids[-1]]
        trigger = [i - low + 1 for i in trigger if low <= i < high]
    return ids, trigger or [0]


class Reader:
    """`scores(texts, triggers, blocks)`: the head's log-odds for each candidate's block."""

    def __init__(self, path: Path = MODEL, batch_size: int = 16) -> None:
        self.model = e5.pretrained()
        layers, self.head = e5.fine_tuned(path)
        self.run = self.model.compile(layers)
        with np.load(path) as arrays:
            self.platt = scaling({name: arrays[name] for name in arrays.files})
        self.batch_size = batch_size

    def scores(self, texts: list[str], triggers: list[tuple[int, int]], blocks: list[str]) -> np.ndarray:
        windows = [window(self.model.tokenizer, t, a, b) for t, (a, b) in zip(texts, triggers, strict=True)]
        batch = [e5.Pieces(ids, []) for ids, _ in windows]
        out = np.zeros(len(texts), np.float32)
        for rows, chunk in self.model.batches(batch, self.batch_size):
            states, mask = self.model.forward(chunk, self.run)
            for row, state, real in zip(rows, states, mask, strict=True):
                pooled = state[real].mean(0)
                trigger = state[windows[row][1]].mean(0)
                logits = np.concatenate([pooled, trigger]) @ self.head[0] + self.head[1]
                out[row] = logits[BLOCKS.index(blocks[row])]
        return out

    def confidence(self, scores: np.ndarray, blocks: list[str], language: str) -> np.ndarray:
        return calibrated(self.platt, scores, blocks, language)


def combined(static: np.ndarray, contextual: np.ndarray) -> np.ndarray:
    """The mean of the two decisions' log-odds: each corrects the other (5-fold CV, Arabic F1 at
    the default threshold: ASSAULT 0.588 static, 0.658 contextual, 0.667 combined; PROTEST 0.258,
    0.274, 0.371), and the static one keeps the war reports that OEDA's Arabic labels, and so the
    contextual one, count as "no" (README "Events")."""
    logit = lambda p: np.log(np.clip(p, 1e-6, 1 - 1e-6) / (1 - np.clip(p, 1e-6, 1 - 1e-6)))  # noqa: E731
    return 1.0 / (1.0 + np.exp(-(logit(static) + logit(contextual)) / 2))


def calibrated(
    scaling: dict[tuple[str, str], tuple[float, float]], scores: np.ndarray, blocks: list[str], language: str
) -> np.ndarray:
    """Log-odds Platt-scaled per (block, language); a language without labels takes Arabic's."""
    a, b = np.array([scaling.get((k, language), scaling[(k, "ar")]) for k in blocks]).T
    return 1.0 / (1.0 + np.exp(-(a * scores + b)))


def platt(candidates: list, scores: np.ndarray, rows: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Platt scaling per decided block and language, fitted on the `rows` (default: all) of the
    candidates' out-of-fold scores: {"platt/BLOCK/LANGUAGE": (a, b)}."""
    y = np.array([c.label for c in candidates])
    blocks = np.array([decisions.block(c.event) for c in candidates])
    languages = np.array([c.language for c in candidates])
    fitted = np.ones(len(candidates), bool) if rows is None else rows
    out = {}
    for block in DECIDES:
        for language in ("ar", "en"):
            mine = fitted & (blocks == block) & (languages == language)
            if mine.any():
                out[f"platt/{block}/{language}"] = np.array(decisions.platt(scores[mine], y[mine]))
    return out


def scaling(arrays: dict[str, np.ndarray]) -> dict[tuple[str, str], tuple[float, float]]:
    """(block, language) -> Platt's (a, b), from the "platt/BLOCK/LANGUAGE" arrays `platt` names."""
    return {
        tuple(name.split("/")[1:]): tuple(map(float, ab))
        for name, ab in arrays.items()
        if name.startswith("platt/")
    }


def out_of_fold(candidates: list, static: np.ndarray, path: Path = MODEL) -> np.ndarray | None:
    """The labelled candidates' confidences as the stage gives them, out of fold: the static
    decision's (`static`) where it is below RE_READ or the block is not decided here; else that
    combined with the score of the model trained without the candidate's fold (stored by
    training), Platt-scaled on the other folds. None without a model."""
    if not path.exists():
        return None
    with np.load(path) as arrays:
        scores, names = arrays["out_of_fold"], arrays["candidates"]
    if names.tolist() != [decisions.checksum(c) for c in candidates]:
        raise ValueError(f"{path} was trained on other candidates: `newsworker train events --contextual`")
    folds = np.array([decisions.fold(c) for c in candidates])
    blocks = [decisions.block(c.event) for c in candidates]
    languages = [c.language for c in candidates]
    out = static.copy()
    for k in range(decisions.FOLDS):
        fitted = scaling(platt(candidates, scores, folds != k))  # without fold k
        for language in ("ar", "en"):
            here = [
                i
                for i in np.flatnonzero(folds == k)
                if blocks[i] in DECIDES and languages[i] == language and static[i] >= RE_READ
            ]
            if here:
                contextual = calibrated(fitted, scores[here], [blocks[i] for i in here], language)
                out[here] = combined(static[here], contextual)
    return out


@cache
def pretrained(path: Path = MODEL) -> Reader | None:
    return Reader(path) if path.exists() else None
