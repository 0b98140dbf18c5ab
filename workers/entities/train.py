"""Rebuild the offline Arabic NER model from ../shared/data, and score it on the held-out slice.

    newsworker train ner [--data ../shared/data]     # clusters.tsv + ner-crf.crfsuite
    newsworker eval ner [--data ../shared/data]      # per-type F1 and speed on the dev slice

Dev slice: the last 10% of ANERcorp's training sentences, never trained on.
"""

from __future__ import annotations

import itertools
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pycrfsuite

from workers.entities.arabic import key
from workers.entities.features import CLUSTERS, clusters, sentence_features
from workers.entities.tokens import tokenize

MODEL = Path(__file__).resolve().parent.parent / "data" / "entities" / "ner-crf.crfsuite"
DEV_FRACTION = 0.1
TYPES = ("PERS", "LOC", "ORG", "MISC")
CRF_PARAMS = {"c1": 0.05, "c2": 0.01, "max_iterations": 200, "feature.possible_transitions": True}

Sentence = list[tuple[str, str]]


def read_conll(path: Path) -> list[Sentence]:
    sentences: list[Sentence] = []
    current: Sentence = []
    for line in path.open(encoding="utf-8"):
        parts = line.split()
        if not parts:
            if current:
                sentences.append(current)
                current = []
        else:
            current.append((parts[0], parts[1]))
    if current:
        sentences.append(current)
    return sentences


def split(sentences: list[Sentence]) -> tuple[list[Sentence], list[Sentence]]:
    cut = int(len(sentences) * (1 - DEV_FRACTION))
    return sentences[:cut], sentences[cut:]


def build_clusters(data: Path, train: list[Sentence], out: Path = CLUSTERS) -> int:
    """Distributional clusters of word keys: PPMI over a ±2 window of ANT news + ANERcorp train,
    SVD to 100 dimensions, k-means at 100 and 500 clusters."""
    import scipy.sparse as sp
    from scipy.sparse.linalg import svds
    from sklearn.cluster import MiniBatchKMeans

    words: list[str] = []
    with (data / "ant-corpus" / "ant_v1.1.jsonl").open(encoding="utf-8") as f:
        for line in f:
            article = json.loads(line)
            text = f"{article['title']}\n{article['text']}"
            words.extend(key(token.text) for token in tokenize(text))
            words.append("</s>")
    for sentence in train:
        words.extend(key(word) for word, _ in sentence)
        words.append("</s>")
    counts = Counter(words)
    vocab = [w for w, c in counts.most_common(40_000) if c >= 3]
    contexts = [w for w, _ in counts.most_common(5_000)]
    vocab_index = {w: i for i, w in enumerate(vocab)}
    context_index = {w: i for i, w in enumerate(contexts)}
    ids = np.array([vocab_index.get(w, -1) for w in words])
    context_ids = np.array([context_index.get(w, -1) for w in words])
    rows, cols = [], []
    for offset in (-2, -1, 1, 2):
        a = ids[max(0, -offset) : len(ids) - max(0, offset)]
        b = context_ids[max(0, offset) : len(ids) - max(0, -offset)]
        keep = (a >= 0) & (b >= 0)
        rows.append(a[keep])
        cols.append(b[keep])
    r, c = np.concatenate(rows), np.concatenate(cols)
    counts_matrix = sp.coo_matrix((np.ones(len(r)), (r, c)), shape=(len(vocab), len(contexts))).tocsr()
    total = counts_matrix.sum()
    row_sums = np.asarray(counts_matrix.sum(1)).ravel()
    col_p = np.asarray(counts_matrix.sum(0)).ravel() ** 0.75
    col_p /= col_p.sum()
    coo = counts_matrix.tocoo()
    ppmi = np.maximum(np.log(coo.data / (row_sums[coo.row] / total) / (col_p[coo.col] * total)), 0)
    u, s, _ = svds(sp.csr_matrix((ppmi, (coo.row, coo.col)), shape=coo.shape), k=100)
    vectors = u * np.sqrt(s)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
    labels = [
        MiniBatchKMeans(n_clusters=k, random_state=0, batch_size=4096, n_init=3).fit_predict(vectors)
        for k in (100, 500)
    ]
    with out.open("w", encoding="utf-8") as f:
        for i, word in enumerate(vocab):
            f.write(f"{word}\t{labels[0][i]}\t{labels[1][i]}\n")
    clusters.cache_clear()  # features from here on use the new clusters
    return len(vocab)


def silver(data: Path, count: int, cache_dir: Path) -> list[Sentence]:
    """`count` ANT sentences (5-60 camel-tools tokens, as the stage sees them; every article in
    turn) tagged by the e5 backend: the CRF learns the teacher's knowledge from them. Tagging
    takes ~1 minute per 1,000 sentences on one core, so tagged sentences are kept in `cache_dir`
    (per teacher) and a larger count tags only the sentences beyond them."""
    from workers.entities.e5_ner import MODEL as TEACHER
    from workers.entities.e5_ner import E5Tagger
    from workers.entities.tokens import sentence_tokens

    cache = cache_dir / f"ner-silver-{TEACHER.stat().st_size}-{int(TEACHER.stat().st_mtime)}.conll"
    done = read_conll(cache) if cache.exists() else []
    if len(done) >= count:
        return done[:count]
    texts = [
        json.loads(line)["text"] for line in (data / "ant-corpus" / "ant_v1.1.jsonl").open(encoding="utf-8")
    ]
    articles = [[[t.text for t in s] for s in sentence_tokens(text) if 5 <= len(s) <= 60] for text in texts]
    # the first sentence of every article, then the second, ...: many articles, few sentences each
    rounds = itertools.zip_longest(*articles)
    sentences = [s for row in rounds for s in row if s is not None][len(done) : count]
    tagger = E5Tagger()
    cache.parent.mkdir(parents=True, exist_ok=True)
    for start in range(0, len(sentences), 1000):  # appended as it goes: an interrupted run keeps its work
        chunk = sentences[start : start + 1000]
        tagged = [list(zip(w, t, strict=True)) for w, t in zip(chunk, tagger.tag(chunk), strict=True)]
        with cache.open("a", encoding="utf-8") as f:
            for sentence in tagged:
                f.writelines(f"{word} {tag}\n" for word, tag in sentence)
                f.write("\n")
        done += tagged
    return done


def train_crf(train: list[Sentence], out: Path = MODEL) -> None:
    trainer = pycrfsuite.Trainer(verbose=False)
    for sentence in train:
        trainer.append(sentence_features([w for w, _ in sentence]), [t for _, t in sentence])
    trainer.set_params(CRF_PARAMS)
    trainer.train(str(out))


def spans(tags: list[str]) -> set[tuple[int, int, str]]:
    """CoNLL-style exact entity spans (start, end, type) of a BIO tag sequence."""
    found, start, kind = set(), None, None
    for i, tag in enumerate([*tags, "O"]):
        inside = tag.startswith("I-") and tag[2:] == kind
        if not inside:
            if start is not None:
                found.add((start, i, kind))
            start, kind = (i, tag[2:]) if tag != "O" else (None, None)
    return found


@dataclass(frozen=True)
class Score:
    micro_f1: float
    per_type: dict[str, float]
    sentences: int
    sentences_per_second: float

    def lines(self) -> str:
        per = ", ".join(f"{t} {f:.3f}" for t, f in self.per_type.items())
        return (
            f"dev sentences: {self.sentences}\nmicro F1 (exact spans): {self.micro_f1:.4f}\n"
            f"per type: {per}\n"
            f"speed (one core): {self.sentences_per_second:,.0f} sentences/s"
        )


def crf_tagger(model: Path = MODEL) -> Callable[[list[str]], list[str]]:
    """Words -> BIO tags with the CRF in `model`."""
    tagger = pycrfsuite.Tagger()
    tagger.open(str(model))
    sentence_features(["."])  # load the gazetteer and clusters before any clock starts
    return lambda words: tagger.tag(sentence_features(words))


def evaluate(dev: list[Sentence], model: Path = MODEL) -> Score:
    tag = crf_tagger(model)
    return score(dev, lambda batch: [tag(words) for words in batch])


def score(dev: list[Sentence], tag: Callable[[list[list[str]]], list[list[str]]]) -> Score:
    """Exact-span F1 of `tag` (word lists -> BIO tags) on `dev`, and its speed."""
    started = time.perf_counter()
    predicted = tag([[w for w, _ in s] for s in dev])
    elapsed = time.perf_counter() - started
    counts = span_counts([[t for _, t in s] for s in dev], predicted)
    total = [sum(c[i] for c in counts.values()) for i in range(3)]
    return Score(f1(*total), {t: f1(*c) for t, c in counts.items()}, len(dev), len(dev) / elapsed)


def span_counts(gold: list[list[str]], guess: list[list[str]]) -> dict[str, list[int]]:
    """True positives, false positives and false negatives of exact spans, by type, between
    two BIO tag sequences per sentence."""
    counts = {t: [0, 0, 0] for t in TYPES}
    for gold_tags, guess_tags in zip(gold, guess, strict=True):
        g_all, p_all = spans(gold_tags), spans(guess_tags)
        for t in TYPES:
            g = {s for s in g_all if s[2] == t}
            p = {s for s in p_all if s[2] == t}
            counts[t][0] += len(g & p)
            counts[t][1] += len(p - g)
            counts[t][2] += len(g - p)
    return counts


def f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0
