"""Multi-word phrase matching over token keys with Aho-Corasick (ahocorasick-rs): the gazetteer's
names and the event triggers both go through it.

A pattern is a space-separated sequence of keys; a final `*` makes its last word a prefix
("قصف*" matches قصفت, قصفوا). Matches cover whole tokens (the prefix may end inside its token).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import ahocorasick_rs


@dataclass(frozen=True, slots=True)
class Span:
    pattern: int  # index into the matcher's patterns
    first: int  # token range [first, last)
    last: int


class PhraseMatcher:
    def __init__(self, patterns: list[str]) -> None:
        self.patterns = patterns
        needles = [f" {p[:-1]}" if p.endswith("*") else f" {p} " for p in patterns]
        self._automaton = ahocorasick_rs.AhoCorasick(needles, matchkind=ahocorasick_rs.MatchKind.Standard)

    def scan(self, keys: list[str]) -> list[Span]:
        """Longest non-overlapping matches, leftmost first."""
        if not keys:
            return []
        haystack = " " + " ".join(keys) + " "
        bounds = []  # position of the space before each token, then of the final space
        position = 0
        for k in keys:
            bounds.append(position)
            position += len(k) + 1
        bounds.append(position)
        found = []
        for index, start, end in self._automaton.find_matches_as_indexes(haystack, overlapping=True):
            first = bisect.bisect_left(bounds, start)
            if first >= len(keys) or bounds[first] != start:
                continue  # did not begin at a token
            if self.patterns[index].endswith("*"):
                last = bisect.bisect_right(bounds, end - 1)  # through the token the prefix ends in
            else:
                last = bisect.bisect_left(bounds, end - 1)
                if last >= len(bounds) or bounds[last] != end - 1:
                    continue  # did not end at a token
            found.append(Span(index, first, last))
        found.sort(key=lambda s: (s.first, -(s.last - s.first)))
        chosen: list[Span] = []
        for span in found:
            if not chosen or span.first >= chosen[-1].last:
                chosen.append(span)
        return chosen
