"""CRF features of one sentence: normalised word and stem, proclitics, affixes, shape,
gazetteer membership, and a ±2-word window. Training and tagging call the same function."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from workers.entities.arabic import normalize, split_proclitics
from workers.entities.gazetteer import Match, gazetteer

CLUSTERS = Path(__file__).resolve().parent.parent / "data" / "entities" / "clusters.tsv"

_SHAPES = (
    ("AR", re.compile(r"[\u0600-\u06ff]+")),
    ("NUM", re.compile(r"[\d\u0660-\u0669]+(?:[.,]\d+)?")),
    ("CAP", re.compile(r"[A-Z][a-z]+")),
    ("LAT", re.compile(r"[A-Za-z]+")),
    ("PUN", re.compile(r"[^\w\s]+")),
)


def shape(word: str) -> str:
    for name, pattern in _SHAPES:
        if pattern.fullmatch(word):
            return name
    return "MIX"


@cache
def clusters() -> dict[str, tuple[str, str]]:
    """Word key -> (coarse, fine) distributional cluster, learnt from unlabelled Arabic news
    (see workers/entities/train.py): unseen names borrow evidence from words used alike."""
    table = {}
    with CLUSTERS.open(encoding="utf-8") as f:
        for line in f:
            word, coarse, fine = line.rstrip("\n").split("\t")
            table[word] = (coarse, fine)
    return table


def gazetteer_tags(words: list[str], matches: list[Match]) -> list[str]:
    tags = ["O"] * len(words)
    for match in matches:
        tags[match.first] = "B-" + match.type
        for i in range(match.first + 1, match.last):
            tags[i] = "I-" + match.type
    return tags


def sentence_features(words: list[str], matches: list[Match] | None = None) -> list[list[str]]:
    """`matches`: the sentence's gazetteer scan when the caller already has it."""
    if matches is None:
        matches = gazetteer().scan(words, "ar")
    normal = [normalize(w) for w in words]
    split = [split_proclitics(n) for n in normal]
    stems = [s for _, s in split]
    shapes = [shape(w) for w in words]
    gaz = gazetteer_tags(words, matches)
    table = clusters()
    cl = [table.get(s, ("-", "-")) for s in stems]
    out = []
    for i, (n, (clitics, s)) in enumerate(zip(normal, split, strict=True)):
        f = [
            "b",
            "w=" + n,
            "s=" + s,
            "c=" + clitics,
            "sh=" + shapes[i],
            "len=" + str(min(len(s), 8)),
            "g=" + gaz[i],
            "k1=" + cl[i][0],
            "k2=" + cl[i][1],
        ]
        for k in (1, 2, 3):
            if len(s) > k:
                f += [f"p{k}=" + s[:k], f"s{k}=" + s[-k:]]
        for off in (-2, -1, 1, 2):
            j = i + off
            if 0 <= j < len(words):
                f += [f"{off}w=" + normal[j], f"{off}s=" + stems[j]]
                if abs(off) == 1:
                    f += [
                        f"{off}s2=" + stems[j][-2:],
                        f"{off}sh=" + shapes[j],
                        f"{off}g=" + gaz[j],
                        f"{off}k2=" + cl[j][1],
                    ]
            else:
                f.append(f"{off}BOS" if off < 0 else f"{off}EOS")
        if i > 0:
            f.append("-1s|s=" + stems[i - 1] + "|" + s)
        if i + 1 < len(words):
            f.append("s|+1s=" + s + "|" + stems[i + 1])
        out.append(f)
    return out
