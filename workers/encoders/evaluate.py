"""`newsworker eval encoders`: what each encoder is worth, on data none of them was fitted to.

- Cross-lingual retrieval on the UDHR: for every paragraph in one language, is the paragraph of
  the other language with the highest cosine its translation? Paragraphs are aligned through the
  article headings (`para_idx` is not aligned across languages), within the articles that have
  as many paragraphs in both.
- Same-language news: an ANT title's vector finds its own article's lead sentence among 1,000
  leads (articles held out from the static table's training).
- Speed on 30-word Arabic news sentences, one thread, and the memory each encoder adds.
"""

from __future__ import annotations

import csv
import json
import re
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np

from workers.encoders.distill import held_out
from workers.local_run import rss

Encode = Callable[[list[str]], np.ndarray]
PAIRS = (("arb", "eng"), ("arb", "fra"), ("pes_1", "eng"))


def udhr_articles(data: Path) -> dict[str, list[list[str]]]:
    """UDHR code -> articles (preamble first), each a list of its paragraphs."""
    articles: dict[str, list[list[str]]] = defaultdict(list)
    with (data / "udhr" / "udhr_paragraphs.tsv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row["kind"] == "h2":
                articles[row["code"]].append([])
            elif row["kind"] == "p" and articles[row["code"]]:
                articles[row["code"]][-1].append(row["text"])
    return articles


def aligned(articles: dict[str, list[list[str]]], source: str, target: str) -> tuple[list[str], list[str]]:
    pairs = [
        pair
        for a, b in zip(articles[source], articles[target], strict=True)
        if len(a) == len(b)
        for pair in zip(a, b, strict=True)
    ]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def top1(encode: Encode, queries: list[str], candidates: list[str], centre: bool = False) -> float:
    """Share of queries whose best candidate is their own. `centre`: subtract each side's mean
    vector first (a language's texts share a direction that is not meaning; no labels used)."""
    q, c = encode(queries), encode(candidates)
    if centre:
        q, c = (_unit(v - v.mean(0)) for v in (q, c))
    return float(np.mean(np.argmax(q @ c.T, axis=1) == np.arange(len(queries))))


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


def titles_and_leads(data: Path, count: int = 1000) -> tuple[list[str], list[str]]:
    titles, leads = [], []
    with (data / "ant-corpus" / "ant_v1.1.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            lead = re.split(r"(?<=[.!?؟])\s+", row["text"].strip(), maxsplit=1)[0]
            if held_out(row["docno"]) and row["title"].strip() and len(lead.split()) >= 5:
                titles.append(row["title"])
                leads.append(lead)
            if len(titles) == count:
                break
    return titles, leads


def news_sentences(articles: Path, count: int = 256) -> list[str]:
    """30-word sentences cut from the `text` of a JSONL file of articles."""
    out: list[str] = []
    with articles.open(encoding="utf-8") as lines:
        for line in lines:
            for sentence in re.split(r"(?<=[.!?؟])\s+", json.loads(line)["text"]):
                words = sentence.split()
                if len(words) >= 30:
                    out.append(" ".join(words[:30]))
            if len(out) >= count:
                return out[:count]
    return out


def encoders() -> list[tuple[str, Callable[[], Encode]]]:
    """(name, loader) in order of size, so each memory delta is the encoder's own."""

    def static() -> Encode:
        from workers.encoders import static

        return static.pretrained().encode

    def use() -> Encode:
        from workers.encoders import use

        return use.pretrained().encode

    def contextual() -> Encode:
        from workers.encoders import e5

        return e5.pretrained().encode

    from workers.encoders.runtime import precision

    return [
        ("e5 static (distilled)", static),
        ("USE v3", use),
        (f"e5 contextual (OpenVINO {precision()})", contextual),
    ]


def measured(sentences: list[str]):
    """Per encoder: (name, encode, speed, MB it added to the process). Speed is sentences/s on one
    thread, on new text and on the same text again (the tokenizer remembers the words it split for
    offsets)."""
    for name, load in encoders():
        before = rss()
        encode = load()
        encode(["warm up"])
        rates = []
        for _ in range(2):
            started = time.perf_counter()
            encode(sentences)
            rates.append(len(sentences) / (time.perf_counter() - started))
        speed = f"{rates[0]:,.0f} sentences/s ({rates[1]:,.0f} on the same text again)"
        yield name, encode, speed, (rss() - before) / 2**20


def report(data: Path) -> list[str]:
    from threadpoolctl import threadpool_limits

    articles = udhr_articles(data)
    titles, leads = titles_and_leads(data)
    sentences = news_sentences(data / "ant-corpus" / "ant_v1.1.jsonl")
    lines = []
    with threadpool_limits(1):
        for name, encode, speed, added in measured(sentences):
            scores = []
            for s, t in PAIRS:
                pairs = aligned(articles, s, t)
                scores.append(
                    f"{s}->{t} {top1(encode, *pairs):.2f} / {top1(encode, *pairs, centre=True):.2f}"
                )
            news = top1(encode, titles, leads)
            lines.append(
                f"{name}: UDHR paragraphs top-1 raw / centred: {', '.join(scores)}; ANT title->lead among"
                f" {len(leads)}: {news:.3f}; {speed} (30-word Arabic, one thread);"
                f" +{added:.0f} MB"
            )
    return lines
