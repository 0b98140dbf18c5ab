"""Fine-tune multilingual-e5-small on the labelled event candidates (training only: the `train`
extra's torch, one thread).

    newsworker train events --contextual    # -> workers/data/events/decisions-e5.npz (~35 min)

Input: the candidate's window (e5_decisions.window); output: one log-odds per decision block from
the pooled window beside the mean of the trigger's pieces. AdamW, learning rate 5e-5 with 10%
warm-up and linear decay, batch 16, 3 epochs, every labelled candidate of decisions.labelled
(OEDA Arabic, PLOVER GSR, CASE-2021, IndiaPoliceEvents), each on its block's output. Five models,
each without one fold, give every candidate an out-of-fold score; the sixth, on all of them, is
shipped with those scores and the Platt scaling fitted on them.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from workers.encoders import fine_tune
from workers.encoders.e5 import E5, model_path
from workers.events import decisions, e5_decisions

EPOCHS = 3
LEARNING_RATE = 5e-5
BATCH = 16

Example = tuple[list[int], list[int], int, float]  # piece ids, trigger positions, block, label


def examples(model: E5, candidates: list[decisions.Candidate]) -> list[Example]:
    out = []
    for c in candidates:
        trigger = c.event["trigger"]
        ids, positions = e5_decisions.window(model.tokenizer, c.text, trigger["start"], trigger["end"])
        out.append((ids, positions, e5_decisions.BLOCKS.index(decisions.block(c.event)), float(c.label)))
    return out


def build(model: E5):
    import torch
    from torch import nn

    class Reader(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = fine_tune.layers(model)
            self.drop = nn.Dropout(0.1)
            self.head = nn.Linear(2 * model.H, len(e5_decisions.BLOCKS))

        def forward(self, x, mask, trigger):
            states = fine_tune.forward(self.layers, x, mask)
            real = mask.float()[..., None]
            pooled = (states * real).sum(1) / real.sum(1)
            at_trigger = (states * trigger[..., None]).sum(1) / trigger.sum(1, keepdim=True)
            return self.head(self.drop(torch.cat([pooled, at_trigger], -1)))

    return Reader()


def _tensors(model: E5, batch: list[Example]):
    import torch

    x, mask = fine_tune.embed(model, [ids for ids, _, _, _ in batch])
    trigger = torch.zeros(mask.shape)
    for row, (_, positions, _, _) in enumerate(batch):
        trigger[row, positions] = 1.0
    blocks = torch.tensor([block for _, _, block, _ in batch])
    return x, mask, trigger, blocks


def fit(model: E5, data: list[Example], log: Callable[[str], None]):
    import torch

    reader = build(model)
    ordered = sorted(data, key=lambda e: len(e[0]))
    batches = [ordered[i : i + BATCH] for i in range(0, len(ordered), BATCH)]
    steps = EPOCHS * len(batches)
    optimiser = fine_tune.Optimiser(reader, LEARNING_RATE, steps)
    started = time.time()
    for epoch in range(EPOCHS):
        reader.train()
        random.shuffle(batches)
        total = 0.0
        for batch in batches:
            x, mask, trigger, blocks = _tensors(model, batch)
            labels = torch.tensor([label for _, _, _, label in batch])
            logits = reader(x, mask, trigger)[torch.arange(len(batch)), blocks]
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
            optimiser.step(loss)
            total += loss.item()
        log(f"  epoch {epoch + 1} loss {total / len(batches):.4f} {time.time() - started:.0f} s")
    reader.eval()
    return reader


def scores(reader, candidates: list[decisions.Candidate], folder: Path) -> np.ndarray:
    """Each candidate's log-odds for its block as the shipped model computes them: exported (int8)
    and run by OpenVINO (e5_decisions.Reader)."""
    path = folder / "fold.npz"
    fine_tune.save(reader, path)
    triggers = [(c.event["trigger"]["start"], c.event["trigger"]["end"]) for c in candidates]
    blocks = [decisions.block(c.event) for c in candidates]
    return e5_decisions.Reader(path).scores([c.text for c in candidates], triggers, blocks)


def train(candidates: list[decisions.Candidate], log: Callable[[str], None] = print) -> None:
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    random.seed(0)
    model = E5(model_path())
    data = examples(model, candidates)
    folds = np.array([decisions.fold(c) for c in candidates])
    out_of_fold = np.zeros(len(data))
    with tempfile.TemporaryDirectory() as folder:
        for k in range(decisions.FOLDS):
            log(f"fold {k + 1} of {decisions.FOLDS}")
            reader = fit(model, [e for e, f in zip(data, folds, strict=True) if f != k], log)
            held_out = np.flatnonzero(folds == k)
            out_of_fold[held_out] = scores(reader, [candidates[i] for i in held_out], Path(folder))
    log("all candidates")
    reader = fit(model, data, log)
    fine_tune.save(
        reader,
        e5_decisions.MODEL,
        out_of_fold=out_of_fold.astype(np.float32),
        candidates=np.array([decisions.checksum(c) for c in candidates], np.uint32),
        **e5_decisions.platt(candidates, out_of_fold),
    )
    e5_decisions.pretrained.cache_clear()
