"""Encoders as OpenVINO graphs on the CPU: the transformer layers of e5 (pretrained or
fine-tuned) here, USE's n-gram network in use.py.

Built from the numpy weights, op by op: no ONNX export, no torch. OpenVINO runs it in bf16 where
the CPU has bf16 instructions (its default there; pooled vectors at cosine 0.99999 of fp32) and in
fp32 elsewhere. One thread and no pinning: the worker scales by processes, each its own core, and
pinned threads of several processes would share one. Measured on 30-word Arabic news sentences, one
core: numpy fp32 16 sentences/s, this graph fp32 35, bf16 64-67 (`newsworker bench`). OpenVINO is
imported on the first compile, so the static table's users (e5.py's tokenizer) never load it.
"""

from __future__ import annotations

import math
import mmap
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cache

import numpy as np

Run = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (embedded (B, L, H), mask (B, L)) -> states

CONFIG = {"INFERENCE_NUM_THREADS": 1, "NUM_STREAMS": 1, "ENABLE_CPU_PINNING": False}


def compile_layers(layers: list[dict], heads: int, eps: float) -> Run:
    """A callable running `layers` ({"q": (w [in, out], b), ..., "aln": (w, b), ...}, as e5.py
    holds them) over embedded input; compiled once (~1 s), then reused for every batch."""
    infer = compile_graph(graph(layers, heads, eps), keep=layers, copied=layers)
    return lambda x, mask: infer(x, mask.astype(np.float32))


def compile_graph(model, keep: object, copied: object = ()) -> Callable[..., np.ndarray]:
    """A callable running an OpenVINO model's first output on the given inputs, in order. `keep`:
    what owns the arrays the graph's constants share (`shared`), referenced as long as the callable.
    `copied`: mapped arrays (workers/cache.py) the compiled graph holds its own form of (bf16,
    repacked): their pages are given back after the compile, 82 MB of e5 layers each (still
    readable: a read faults them in from the file again).

    The graph compiles in a background thread (OpenVINO releases the GIL), while the caller goes
    on loading other models: a start overlaps the compiles with the Python work. The first call
    waits for it; `compiled()` waits for all, before any record's time budget starts."""
    import openvino as ov

    def build():
        request = ov.Core().compile_model(model, "CPU", CONFIG).create_infer_request()
        release(copied)
        return request

    request = _compiler().submit(build)
    _pending.append(request)
    lock = threading.Lock()  # one request: callers on several threads take turns

    def run(*inputs: np.ndarray, keep: object = keep) -> np.ndarray:
        # The output buffer belongs to the request and is overwritten by the next call.
        with lock:
            return request.result().infer(dict(enumerate(inputs)))[0].copy()

    return run


_pending: list[Future] = []


@cache
def _compiler() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(1, thread_name_prefix="openvino-compile")


def compiled() -> None:
    """Wait until every graph started in this process has compiled (raising a compile's error)."""
    while _pending:
        _pending.pop().result()


def release(arrays: object) -> None:
    """Give back the resident pages of the mapped arrays in `arrays` (nested lists, tuples, dicts)."""
    if isinstance(arrays, dict):
        arrays = list(arrays.values())
    if isinstance(arrays, list | tuple):
        for item in arrays:
            release(item)
    elif getattr(arrays, "_mmap", None) is not None:  # np.memmap's mapping
        arrays._mmap.madvise(mmap.MADV_DONTNEED)


def precision() -> str:
    """What OpenVINO computes in on this CPU (bf16 or f32), for the benchmark's line."""
    import openvino as ov

    return ov.Core().get_property("CPU", "INFERENCE_PRECISION_HINT").to_string()


def graph(layers: list[dict], heads: int, eps: float):
    """BERT's post-norm layers: self-attention with a padding mask, then the erf-GELU feed-forward."""
    import openvino as ov
    import openvino.opset13 as op

    H = layers[0]["q"][0].shape[0]
    x = op.parameter([-1, -1, H], ov.Type.f32, name="x")
    mask = op.parameter([-1, -1], ov.Type.f32, name="mask")
    # padding gets -1e9 before the softmax: (mask - 1) * 1e9, shaped (B, 1, 1, L)
    bias = op.unsqueeze(
        op.multiply(op.subtract(mask, constant(1.0)), constant(1e9)), constant([1, 2], np.int64)
    )
    heads_shape, flat_shape = constant([0, 0, heads, H // heads], np.int64), constant([0, 0, H], np.int64)
    swap = constant([0, 2, 1, 3], np.int64)
    scale = constant(1.0 / math.sqrt(H // heads))

    def linear(t, weights):
        w, b = weights
        return op.add(op.matmul(t, shared(w), False, False), shared(b))

    def norm(t, weights):
        normed = op.mvn(t, constant([-1], np.int64), True, eps, "inside_sqrt")
        return op.add(op.multiply(normed, shared(weights[0])), shared(weights[1]))

    h = x
    for layer in layers:
        q, k, v = (op.transpose(op.reshape(linear(h, layer[n]), heads_shape, True), swap) for n in "qkv")
        scores = op.add(op.multiply(op.matmul(q, k, False, True), scale), bias)
        context = op.matmul(op.softmax(scores, -1), v, False, False)
        context = op.reshape(op.transpose(context, swap), flat_shape, True)
        h = norm(op.add(h, linear(context, layer["ao"])), layer["aln"])
        h = norm(op.add(h, linear(op.gelu(linear(h, layer["fi"]), "erf"), layer["fo"])), layer["oln"])
    return ov.Model([h], [x, mask], "e5-layers")


def constant(value, dtype=np.float32):
    import openvino.opset13 as op

    return op.constant(np.asarray(value, dtype))


def shared(weights: np.ndarray):
    """A constant over the caller's fp32 array, not a copy of it (85 MB less while compiling)."""
    import openvino.opset13 as op

    assert weights.dtype == np.float32 and weights.flags.c_contiguous
    return op.constant(weights, shared_memory=True)
