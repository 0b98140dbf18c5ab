"""camel-tools' BERT NER (`ner-arabert`) as a backend, when its data is installed.

The model data is not downloadable here or in CI: `camel_data -i ner-arabert` installs it where
camel-tools looks (`$CAMELTOOLS_DATA/data/ner/arabert`). Importing camel-tools' NER module reads a
data catalogue and downloads one when it is missing, with no timeout; `ensure_catalogue()` writes a
local, empty catalogue first so the worker never touches the network.
"""

from __future__ import annotations

import os
from pathlib import Path

import orjson

from workers.entities.backends import BackendUnavailable

INSTALL_HINT = "install it with: camel_data -i ner-arabert   (or pass the model folder)"


def data_dir() -> Path:
    return Path(os.environ.get("CAMELTOOLS_DATA", Path.home() / ".camel_tools")).expanduser()


def ensure_catalogue() -> None:
    catalogue = data_dir() / "catalogue.json"
    if not catalogue.exists():
        catalogue.parent.mkdir(parents=True, exist_ok=True)
        catalogue.write_bytes(orjson.dumps({"version": "offline", "packages": {}, "components": {}}))


def model_dir(model_path: Path | None = None) -> Path:
    """The installed ner-arabert model folder, or BackendUnavailable naming the install command."""
    path = model_path or data_dir() / "data" / "ner" / "arabert"
    if not (path / "config.json").exists():
        raise BackendUnavailable(f"camel-tools NER model not found at {path}; {INSTALL_HINT}")
    return path


class CamelTagger:
    name = "camel"

    def __init__(self, model_path: Path | None = None, batch_size: int = 32) -> None:
        path = model_dir(model_path)
        ensure_catalogue()
        import torch
        from camel_tools.ner import NERecognizer

        recognizer = NERecognizer(str(path), use_gpu=False)
        self._torch = torch
        self._model = recognizer.model.eval()
        self._tokenizer = recognizer.tokenizer
        self._labels = recognizer.labels_map
        self._batch_size = batch_size
        self._max_pieces = self._model.config.max_position_embeddings - 2

    def tag(self, sentences: list[list[str]], matches: object = None) -> list[list[str]]:
        """BIO tags for each word; `matches` (gazetteer scans) is for feature-based taggers."""
        tags: list[list[str]] = []
        for i in range(0, len(sentences), self._batch_size):
            tags.extend(self._tag_batch(sentences[i : i + self._batch_size]))
        return tags

    def _tag_batch(self, batch: list[list[str]]) -> list[list[str]]:
        """One forward pass, padded to the longest sentence of the batch (not to 256)."""
        tok = self._tokenizer
        encoded, first_piece = [], []
        for words in batch:
            ids, firsts = [tok.cls_token_id], []
            for word in words:
                pieces = tok.convert_tokens_to_ids(tok.tokenize(word))
                # A word with no word piece (a lone zero-width mark) keeps its place as "O".
                firsts.append(len(ids) if pieces and len(ids) + len(pieces) <= self._max_pieces else None)
                if firsts[-1] is not None:
                    ids.extend(pieces)
            encoded.append([*ids, tok.sep_token_id])
            first_piece.append(firsts)
        width = max(len(ids) for ids in encoded)
        torch = self._torch
        input_ids = torch.full((len(encoded), width), tok.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(encoded), width), dtype=torch.long)
        for row, ids in enumerate(encoded):
            input_ids[row, : len(ids)] = torch.tensor(ids)
            mask[row, : len(ids)] = 1
        with torch.inference_mode():
            best = self._model(input_ids=input_ids, attention_mask=mask).logits.argmax(-1)
        return [
            [self._labels[int(best[row, p])] if p is not None else "O" for p in firsts]
            for row, firsts in enumerate(first_piece)
        ]
