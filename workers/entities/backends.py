"""Which NER backends a `--ner-backend` value names, and whether they can run here.

    crf                          Arabic: the shipped offline CRF (default)
    e5                           Arabic: multilingual-e5-small fine-tuned here (more accurate, slower)
    camel                        Arabic: camel-tools' BERT NER (needs `camel_data -i ner-arabert`)
    crf,spacy:de_core_news_sm    ... plus a spaCy model for the language it was trained on
    crf,spacy:/models/xx_ner     ... a model folder; language "xx" serves every other language

English and French always have spaCy's small pipelines (installed with newsworker, loaded on
their first text); a `spacy:` model of the same language replaces them. Other languages get
gazetteer entities only unless a spaCy model serves them.
"""

from __future__ import annotations

from dataclasses import dataclass

ARABIC = ("crf", "e5", "camel")


class BackendUnavailable(RuntimeError):
    """A configured backend whose model is not installed; the message says how to install it."""


@dataclass(frozen=True)
class Backends:
    arabic: str
    spacy_models: tuple[str, ...] = ()


def parse(spec: str) -> Backends:
    arabic, *others = [part.strip() for part in spec.split(",")]
    if arabic not in ARABIC:
        raise ValueError(f"unknown NER backend {arabic!r} for Arabic ({' or '.join(ARABIC)})")
    models = []
    for other in others:
        kind, _, model = other.partition(":")
        if kind != "spacy" or not model:
            raise ValueError(f"unknown NER backend {other!r}: expected spacy:<model name or folder>")
        models.append(model)
    return Backends(arabic, tuple(models))


def check(spec: str) -> None:
    """Fail before work starts, with the fix in the message (the worker would otherwise find out
    inside its enrichment processes)."""
    backends = parse(spec)
    if backends.arabic == "e5":
        from workers.entities.e5_ner import MODEL

        if not MODEL.exists():
            raise BackendUnavailable(
                f"{MODEL} is missing: rebuild it with `newsworker train ner --backend e5`"
            )
    if backends.arabic == "camel":
        import importlib.util

        from workers.entities.camel import model_dir

        model_dir()
        if importlib.util.find_spec("torch") is None:
            raise BackendUnavailable(
                "the camel backend needs torch and transformers, which the default install leaves out:"
                " install the extra with `uv pip install --no-config 'newsworker[camel]'`"
                " (or `pip install 'newsworker[camel]'`)"
            )
    if backends.spacy_models:
        from workers.entities.spacy_ner import SpacyTagger

        for model in backends.spacy_models:
            _ = SpacyTagger(model).nlp  # a named model loads now: its errors belong to the start
