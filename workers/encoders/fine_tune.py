"""Fine-tuning multilingual-e5-small with torch (training only: the `train` extra), for every
capability that fine-tunes it: the 12 pretrained layers as torch modules, the frozen input layer,
and the export that `e5.fine_tuned` reads back for inference without torch."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from workers.encoders.e5 import E5, pad


def layers(model: E5):
    """The pretrained layers as a torch ModuleList (dropout 0.1), to fine-tune."""
    import torch
    from torch import nn

    class Layer(nn.Module):
        def __init__(self, weights: dict) -> None:
            super().__init__()
            self.heads = model.heads
            for name in ("q", "k", "v", "ao", "fi", "fo"):
                w, b = weights[name]  # stored [in, out]
                linear = nn.Linear(*w.shape)
                linear.weight.data = torch.from_numpy(np.ascontiguousarray(w.T))
                linear.bias.data = torch.from_numpy(b.copy())
                setattr(self, name, linear)
            for name in ("aln", "oln"):
                norm = nn.LayerNorm(model.H, eps=model.eps)
                norm.weight.data = torch.from_numpy(weights[name][0].copy())
                norm.bias.data = torch.from_numpy(weights[name][1].copy())
                setattr(self, name, norm)
            self.drop = nn.Dropout(0.1)

        def forward(self, x, bias):
            B, L, H = x.shape
            split = lambda t: t.view(B, L, self.heads, H // self.heads).transpose(1, 2)  # noqa: E731
            q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
            scores = q @ k.transpose(-1, -2) / math.sqrt(H // self.heads) + bias
            context = (scores.softmax(-1) @ v).transpose(1, 2).reshape(B, L, H)
            x = self.aln(x + self.drop(self.ao(context)))
            return self.oln(x + self.drop(self.fo(nn.functional.gelu(self.fi(x)))))

    return nn.ModuleList(Layer(w) for w in model.layers)


class Optimiser:
    """AdamW (weight decay 0.01) at `lr` after a linear warm-up over the first 10% of `steps`, then
    a linear decay to 0; gradients clipped to norm 1."""

    def __init__(self, module, lr: float, steps: int) -> None:
        import torch

        self.module = module
        self.optimizer = torch.optim.AdamW(module.parameters(), lr=lr, weight_decay=0.01)
        warmup = steps // 10
        self.schedule = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer,
            lambda s: s / max(1, warmup) if s < warmup else max(0.0, (steps - s) / (steps - warmup)),
        )

    def step(self, loss) -> None:
        import torch

        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.module.parameters(), 1.0)
        self.optimizer.step()
        self.schedule.step()
        self.optimizer.zero_grad()


def forward(stack, x, mask):
    """The layers over embedded pieces (B, L, H) and their mask."""
    bias = (~mask).float()[:, None, None, :] * -1e9
    for layer in stack:
        x = layer(x, bias)
    return x


def embed(model: E5, batch: list[list[int]]):
    """The frozen embedding (piece rows + positions + type, normed) of a padded batch."""
    import torch

    ids, mask = pad(batch)
    return torch.from_numpy(model.embed(ids)), torch.from_numpy(mask)


def save(module, out: Path, **extra: np.ndarray) -> None:
    """A module's `layers` as int8 with one scale per output row ([in, out] kept transposed, as
    e5.py uses them), biases and norms fp32, its `head` fp32, and `extra` arrays."""
    arrays: dict[str, np.ndarray] = dict(extra)
    for i, layer in enumerate(module.layers):
        for name in ("q", "k", "v", "ao", "fi", "fo"):
            linear = getattr(layer, name)
            w = linear.weight.detach().numpy()  # [out, in]
            scale = np.abs(w).max(1) / 127.0
            arrays[f"l{i}.{name}.q"] = np.round(w / scale[:, None]).astype(np.int8)
            arrays[f"l{i}.{name}.s"] = scale.astype(np.float32)
            arrays[f"l{i}.{name}.b"] = linear.bias.detach().numpy()
        for name in ("aln", "oln"):
            norm = getattr(layer, name)
            arrays[f"l{i}.{name}.w"] = norm.weight.detach().numpy()
            arrays[f"l{i}.{name}.b"] = norm.bias.detach().numpy()
    arrays["head.w"] = module.head.weight.detach().numpy()
    arrays["head.b"] = module.head.bias.detach().numpy()
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, **arrays)
