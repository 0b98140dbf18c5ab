"""Tokens with exact code-point offsets into the original text, and sentence segments."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from camel_tools.tokenizers.word import simple_word_tokenize

# Format characters (zero-width, bidi controls) never start or end a token's span.
_EDGE = "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
_SENTENCE_END = re.compile(r"[.!?؟…]+|\n")
# A news dateline: the place in capitals, maybe a date, the agency, a dash ("NIAMEY (Reuters) -",
# "PARIS, Aug 4 (AFP) -", "GAZA —").
DATELINE = re.compile(
    r"\s*([A-Z][A-Z.'-]*(?: [A-Z][A-Z.'-]*){0,3})(?:,[^()\n]{1,30})?(?: \([^)\n]{1,40}\))? [-–—]\s"
)


@dataclass(frozen=True, slots=True)
class Token:
    text: str  # == source[start:end]
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    """camel-tools' word tokenisation, aligned back to `text` so offsets are exact."""
    tokens: list[Token] = []
    position = 0
    for piece in simple_word_tokenize(text):
        start = text.find(piece, position)
        if start < 0:  # the tokenizer never rewrites characters; guard anyway
            continue
        end = start + len(piece)
        position = end
        while start < end and text[start] in _EDGE:
            start += 1
        while end > start and text[end - 1] in _EDGE:
            end -= 1
        if start < end:
            tokens.append(Token(text[start:end], start, end))
    return tokens


def sentences(tokens: list[Token], text: str, max_len: int = 120) -> list[list[Token]]:
    """Split at sentence punctuation and line breaks; long runs are cut at max_len tokens."""
    out: list[list[Token]] = []
    current: list[Token] = []
    previous_end = 0
    for token in tokens:
        if current and ("\n" in text[previous_end : token.start] or len(current) >= max_len):
            out.append(current)
            current = []
        current.append(token)
        previous_end = token.end
        if _SENTENCE_END.fullmatch(token.text):
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out


@lru_cache(maxsize=4)
def sentence_tokens(text: str) -> tuple[tuple[Token, ...], ...]:
    """`sentences(tokenize(text))`, remembered for the few fields of the article in hand: the
    entity and event stages both read them."""
    return tuple(tuple(s) for s in sentences(tokenize(text), text))
