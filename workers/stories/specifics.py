"""What a lead says about which event it reports, in any language: the dates it names, its numbers
and its places. Title-and-lead vectors say what kind of story it is (a bombing in Baghdad, a
ceasefire, a summit); these say which one.

- `year:2021`, `month:1`, `day:1-21` (a month next to a number: "21 janvier", "November 24",
  "19 تموز 2021"), `weekday:4` ("Thursday", "jeudi", "الخميس"): from calendar.tsv, Arabic-Indic
  digits read as digits. Two leads that both name a year (or a month, a day, a weekday) and share
  none are of two events.
- `number:32`: the other numbers (a toll, a magnitude, a summit's session): shared, they corroborate.
- `place:geonames:98182` and `country:IQ`: the enrichment's places linked to GeoNames; a shared
  place (a city, or a country the lead names) corroborates too, the country code alone does not.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from workers.entities.arabic import normalize

CALENDAR = Path(__file__).resolve().parents[1] / "data" / "stories" / "calendar.tsv"
DATES = ("year", "month", "day", "weekday")  # two events when both name one and share none
# one shared: the same event more likely (the place: chosen on the real news dev events, news.py)
CORROBORATE = ("weekday:", "day:", "number:", "place:")
_TOKEN = re.compile(r"\d+(?:[.,\u066b\u066c]\d+)*|[^\W\d_]+")
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_THOUSANDS = re.compile(r"\d{1,3}(?:[.,\u066c]\d{3})+")
_YEAR = re.compile(r"(?:19|20)(?!00)\d\d")  # not 2000 (a round number, "2000 morts", more often)


@cache
def calendar() -> dict[tuple[str, ...], tuple[str, int]]:
    """(normalised word, or two words) -> (month or weekday, its number)."""
    with CALENDAR.open(encoding="utf-8") as f:
        rows = csv.DictReader((line for line in f if not line.startswith("#")), delimiter="\t")
        return {tuple(normalize(w) for w in r["word"].split()): (r["kind"], int(r["value"])) for r in rows}


def _number(token: str) -> float | None:
    if not token[0].isdecimal():
        return None
    if _THOUSANDS.fullmatch(token):
        token = re.sub(r"\D", "", token)
    elif token.count(",") + token.count(".") + token.count("\u066b") <= 1:
        token = re.sub(r"[,\u066b]", ".", token)
    else:
        return None
    try:
        return float(token)
    except ValueError:  # digits of another script float() does not read
        return None


def of_text(text: str) -> set[str]:
    tokens = _TOKEN.findall(normalize(text.translate(_DIGITS)))
    numbers = [_number(t) for t in tokens]
    words = calendar()
    items, dated = set(), set()  # dated: token positions read as a day or a year
    i = 0
    while i < len(tokens):
        span = 2 if tuple(tokens[i : i + 2]) in words else 1
        kind, value = words.get(tuple(tokens[i : i + span]), (None, 0))
        if kind == "weekday":
            items.add(f"weekday:{value}")
        elif kind == "month":
            near = [j for j in (i - 1, i + span, i + span + 1) if 0 <= j < len(tokens) and numbers[j]]
            days = [j for j in near[:2] if numbers[j] == int(numbers[j]) and 1 <= numbers[j] <= 31]
            if near:
                items.add(f"month:{value}")
            if days:
                items.add(f"day:{value}-{int(numbers[days[0]])}")
                dated.add(days[0])
        i += span
    for j, (token, number) in enumerate(zip(tokens, numbers, strict=True)):
        if _YEAR.fullmatch(token):
            items.add(f"year:{token}")
        elif number is not None and number >= 2 and j not in dated:
            items.add(f"number:{number:g}")
    return items


def of_record(record: dict[str, Any], text: str) -> frozenset[str]:
    """The specifics of `text` (the record's title and lead) and the record's linked places."""
    items = of_text(text)
    for entity in record["entities"]:
        link = entity.get("link")
        if link and link["kb"] == "geonames":
            items.add(f"place:{link['kb']}:{link['id']}")
            if link.get("country_code"):
                items.add(f"country:{link['country_code']}")
    return frozenset(items)


def conflict(a: frozenset[str], b: Iterable[str]) -> bool:
    """Whether two sets of specifics (an article's, a story's) name two different dates: a kind both
    have and share nothing of."""
    b = set(b)
    for kind in DATES:
        x = {item for item in a if item.startswith(kind + ":")}
        y = {item for item in b if item.startswith(kind + ":")}
        if x and y and not x & y:
            return True
    return False
