"""camel-tools' BERT NER backend: real loading code on a tiny model made here (the real model
data cannot be downloaded), dynamic padding, offsets, and no network on import."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

LABELS = ["B-LOC", "B-MISC", "B-ORG", "B-PERS", "I-LOC", "I-MISC", "I-ORG", "I-PERS", "O"]
WORDS = ["زار", "الوفد", "موسكو", "أمس", "وقال", "في", "دير", "الزور", "."]


def make_tiny_model(folder: Path, always: str = "B-LOC") -> Path:
    import torch
    from transformers import BertConfig, BertForTokenClassification, BertTokenizer

    folder.mkdir(parents=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS, *sorted(set("".join(WORDS)))]
    (folder / "vocab.txt").write_text("\n".join(dict.fromkeys(vocab)) + "\n", encoding="utf-8")
    BertTokenizer(str(folder / "vocab.txt")).save_pretrained(folder)
    config = BertConfig(
        vocab_size=len(dict.fromkeys(vocab)),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)),
        label2id={label: i for i, label in enumerate(LABELS)},
    )
    torch.manual_seed(0)
    model = BertForTokenClassification(config)
    with torch.no_grad():  # a deterministic "model": one label wins everywhere
        model.classifier.weight.zero_()
        model.classifier.bias.fill_(-5.0)
        model.classifier.bias[LABELS.index(always)] = 5.0
    model.save_pretrained(folder)
    return folder


@pytest.fixture
def camel_home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("CAMELTOOLS_DATA", str(tmp_path / "camel"))
    return tmp_path / "camel"


@pytest.mark.camel
def test_importing_camel_ner_never_touches_the_network(tmp_path):
    code = "from workers.entities.camel import ensure_catalogue; ensure_catalogue(); import camel_tools.ner"
    env = {
        **os.environ,
        "CAMELTOOLS_DATA": str(tmp_path / "camel"),
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "camel" / "catalogue.json").exists()


def test_missing_model_names_the_install_command(camel_home):
    from workers.entities.camel import BackendUnavailable, CamelTagger

    with pytest.raises(BackendUnavailable, match="camel_data -i ner-arabert"):
        CamelTagger()


@pytest.mark.camel
def test_tiny_model_tags_every_word_with_dynamic_padding(tmp_path, camel_home):
    from workers.entities.camel import CamelTagger

    tagger = CamelTagger(make_tiny_model(tmp_path / "tiny"), batch_size=8)
    widths = []
    tagger._model.register_forward_hook(
        lambda module, args, kwargs, out: widths.append(kwargs["input_ids"].shape[1]), with_kwargs=True
    )
    sentences = [WORDS[:3], WORDS, ["موسكو", "\u200b", "أمس"]]
    tags = tagger.tag(sentences)
    assert [len(t) for t in tags] == [len(s) for s in sentences]
    assert tags[2] == ["B-LOC", "O", "B-LOC"]  # the zero-width word keeps its place, as O
    pieces = [len(tagger._tokenizer.tokenize(" ".join(s))) + 2 for s in sentences]
    assert widths == [max(pieces)] and widths[0] < 256  # padded to the longest, not to 256


@pytest.mark.camel
def test_camel_backend_in_the_stage_keeps_offsets(tmp_path, camel_home):
    from workers.entities.stage import EntityStage

    make_tiny_model(camel_home / "data" / "ner" / "arabert", always="B-ORG")
    stage = EntityStage("camel")
    text = "زار الوفد موسكو أمس."
    record = {"text": text, "language": {"code": "ar"}}
    stage(record)
    assert stage.backend == "camel + gazetteer"
    assert {e["text"] for e in record["entities"]} >= {"زار", "الوفد", "موسكو", "أمس"}
    for e in record["entities"]:
        assert text[e["start"] : e["end"]] == e["text"] and e["type"] == "ORG"


@pytest.mark.parametrize("command", ["enrich", "worker"])
def test_commands_refuse_a_missing_camel_model_up_front(command, camel_home, tmp_path):
    from click.testing import CliRunner

    from workers.cli import main

    args = [command, "--ner-backend", "camel"]
    if command == "worker":
        args += ["--bootstrap-servers", "127.0.0.1:9", "--state-dir", str(tmp_path)]
    result = CliRunner().invoke(main, args, input=b'{"text": "x"}\n')
    assert result.exit_code == 1
    assert "camel_data -i ner-arabert" in result.output


def test_unknown_backend_is_refused():
    from click.testing import CliRunner

    from workers.cli import main

    result = CliRunner().invoke(main, ["enrich", "--ner-backend", "bert"], input=b"")
    assert result.exit_code == 1 and "unknown NER backend 'bert'" in result.output


def test_without_the_extra_the_backend_names_it(camel_home, tmp_path):
    """The lean install has no torch: asking for the camel backend says which extra brings it."""
    if importlib.util.find_spec("torch") is not None:
        pytest.skip("torch is installed here (.venv-test)")
    from workers.entities import backends

    model = camel_home / "data" / "ner" / "arabert"
    model.mkdir(parents=True)
    (model / "config.json").write_text("{}")
    with pytest.raises(backends.BackendUnavailable, match=r"newsworker\[camel\]"):
        backends.check("camel")
