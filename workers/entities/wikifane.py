"""WikiFANE Gold (Alotaibi & Lee 2014; CC BY-SA 3.0) as ANERcorp-style training text.

Its 50 fine classes are mapped onto ANERcorp's PERS/LOC/ORG/MISC the way ANERcorp tags news
(see CLASSES and the entities model card), and its clitic-split tokens are joined back the way
raw news writes them (`و هران` -> `وهران`, `عاصمة ها` -> `عاصمتها`, `ل الجيش` -> `للجيش`).
Its alef/ya normalisation cannot be undone; the CRF's features normalise both anyway.

Held out before any measurement: every tenth run of 50 consecutive sentences (runs keep an
article's sentences together), never trained on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from workers.entities.arabic import CONJUNCTIONS, normalize
from workers.entities.train import Sentence, spans

PER = ("Politician", "Other_PER", "Artist", "Scientist", "Religious_PER", "Athlete", "Businessperson")
PER += ("Engineer", "Lawyer", "Police")
LOC = ("Nation", "Population-Center", "State-or-Province", "County-or-District", "GPE-Cluster", "Continent")
LOC += ("Water-Body", "Land-Region-Natural", "Path")
ORG = ("Government", "Non-Governmental", "Commercial", "Educational", "Media", "Sports", "Religious_ORG")
ORG += ("Entertainment", "Medical-Science", "Plant")
MISC = ("Building-Grounds", "Airport", "Air", "Land", "Water", "Software", "Hardware", "Book", "Movie")
MISC += ("Sound", "Drug", "Food", "Projectile", "Shooting", "Blunt", "Nuclear", "Exploding", "Sharp")
MISC += ("Chemical",)
NONE = ("Group", "Celestial", "Subarea-Facility")  # tagged O in ANERcorp's practice: see the model card
CLASSES = {
    **dict.fromkeys(PER, "PERS"),
    **dict.fromkeys(LOC, "LOC"),
    **dict.fromkeys(ORG, "ORG"),
    **dict.fromkeys(MISC, "MISC"),
    **dict.fromkeys(NONE, "O"),
}


# A state body named by what it is (the ministry, the army, the upper house) is O in ANERcorp.
def _normalized(words: str) -> set[str]:
    return {normalize(w) for w in words.split(" ")}


_GENERIC_HEADS = _normalized(
    "وزارة الوزارة الجيش جيش القوات قوات الحكومة حكومة الشرطة شرطة المخابرات مخابرات سلاح محكمة المحكمة "
    "البرلمان"
)
# A descriptor before the name is O in ANERcorp (شركة فورد, صحيفة يديعوت, مدينة ابو ظبي).
_DESCRIPTORS = _normalized(
    "شركة الشركة صحيفة الصحيفة جريدة الجريدة قناة القناة مجلة المجلة وكالة الوكالة اذاعة ولاية مدينة"
)
_COUNCILS = _normalized("مجلس المجلس")
_GENERIC_COUNCILS = _normalized("النواب الشيوخ الوزراء الشورى الشعب الامة التشريعي")
_NATIONAL_TEAM = _normalized("منتخب المنتخب")

PROCLITICS = {"و", "ف", "ب", "ل"}
ENCLITICS = {"ه", "ها"}  # never a word on their own
# also words on their own (هم "they", كم "km"): joined only to an O word without the article
PRONOUNS = {"هم", "هما", "هن", "كم", "كما", "كن", "نا", "ني", "ي", "ك"}
_ARABIC = re.compile(r"[\u0621-\u064a]+")
_BEFORE_PRONOUN = {"على": "علي", "الى": "الي", "لدى": "لدي", "حتى": "حتي"}


def read(path: Path) -> list[Sentence]:
    """'token<TAB>fine tag' lines, blank between sentences; the U+200E marks and BOM dropped."""
    sentences: list[Sentence] = []
    current: Sentence = []
    for line in path.open(encoding="utf-8-sig"):
        parts = line.rstrip("\n").split("\t")
        if len(parts) == 2 and parts[0].strip("\u200e\ufeff "):
            current.append((parts[0].strip("\u200e\ufeff "), parts[1]))
        elif current:
            sentences.append(current)
            current = []
    if current:
        sentences.append(current)
    return sentences


def split(sentences: list[Sentence], run: int = 50) -> tuple[list[Sentence], list[Sentence]]:
    train, held_out = [], []
    for i, sentence in enumerate(sentences):
        (held_out if i // run % 10 == 9 else train).append(sentence)
    return train, held_out


def coarse(sentence: Sentence) -> Sentence:
    """Fine classes -> ANERcorp's types, span by span, with ANERcorp's span conventions: generic
    state bodies are O, a descriptor before a name is O, and `منتخب البرازيل` is the country
    (LOC) after an O."""
    words = [w for w, _ in sentence]
    out = ["O"] * len(words)
    i = 0
    while i < len(words):
        tag = sentence[i][1]
        if tag == "O":
            i += 1
            continue
        fine = tag[2:]
        end = i + 1
        while end < len(words) and sentence[end][1] == "I-" + fine:
            end += 1
        kind = CLASSES[fine]
        names = [normalize(w) for w in words[i:end] if w not in PROCLITICS]
        if fine == "Government" and names and _generic(names):
            kind = "O"
        if fine == "Sports" and names and names[0] in _NATIONAL_TEAM:
            first = i + words[i:end].index(next(w for w in words[i:end] if normalize(w) in _NATIONAL_TEAM))
            if first + 1 < end:
                out[first + 1] = "B-LOC"
            kind = "O"
        start = i
        while kind != "O" and end - start > 1 and normalize(words[start]) in _DESCRIPTORS:
            start += 1
        if kind != "O":
            out[start:end] = ["B-" + kind] + ["I-" + kind] * (end - start - 1)
        i = end
    return list(zip(words, out, strict=True))


def _generic(names: list[str]) -> bool:
    return names[0] in _GENERIC_HEADS or (
        names[0] in _COUNCILS and len(names) > 1 and names[1] in _GENERIC_COUNCILS
    )


def join_clitics(sentence: Sentence) -> Sentence:
    """Glue split proclitics to the next word and enclitic pronouns to the word before, as news
    writes them. The joined token keeps its word's tag (B- if a clitic began the entity). ك is
    the preposition before ما or the article (كما, كالعادة), else the pronoun (انك)."""
    out: list[list[str]] = []
    pending: list[tuple[str, str]] = []  # proclitics waiting for their word
    for i, (word, tag) in enumerate(sentence):
        after = sentence[i + 1][0] if i + 1 < len(sentence) else ""
        proclitic = word in PROCLITICS or (word == "ك" and (after == "ما" or after.startswith("ال")))
        if proclitic and (not pending or word not in CONJUNCTIONS):
            pending.append((word, tag))
            continue
        if pending and _ARABIC.fullmatch(word):
            prefix = "".join(w for w, _ in pending)
            if prefix.endswith("ل") and word.startswith("ال"):
                word = word[1:]  # ل + الجيش -> للجيش
            first = pending[0][1]
            if first.startswith("B-") and tag == "I-" + first[2:]:
                tag = first
            out.append([prefix + word, tag])
            pending = []
            continue
        out.extend([w, t] for w, t in pending)
        pending = []
        host, host_tag = out[-1] if out else ("", "")
        if _ARABIC.fullmatch(host) and (
            word in ENCLITICS or (word in PRONOUNS and host_tag == "O" and not host.startswith("ال"))
        ):
            host = _BEFORE_PRONOUN.get(host, host)
            out[-1][0] = (host[:-1] + "ت" if host.endswith("ة") else host) + word
            continue
        out.append([word, tag])
    out.extend([w, t] for w, t in pending)
    return [(w, t) for w, t in out]


def news_like(sentences: list[Sentence]) -> list[Sentence]:
    return [join_clitics(coarse(s)) for s in sentences]


def load(data: Path) -> tuple[list[Sentence], list[Sentence]]:
    """(training part, held-out part) of WikiFANE Gold under `data`, both news-like."""
    train, held_out = split(read(data / "wikifane" / "WikiFANE_Gold_2014.deduped.txt"))
    return news_like(train), news_like(held_out)


def complete(sentences: list[Sentence], tag: Callable[[list[str]], list[str]]) -> list[Sentence]:
    """The sentences in which `tag` (a tagger trained on ANERcorp's conventions) finds no span
    WikiFANE lacks. WikiFANE leaves many mentions untagged (a country named for the second time)
    and has no class for ANERcorp's currencies, religions or events, so such sentences teach that
    names are O; they are dropped, and no tag is changed."""
    return [s for s in sentences if spans(tag([w for w, _ in s])) <= spans([t for _, t in s])]
