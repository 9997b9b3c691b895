"""Chinese analysis that never misses: text is normalised (NFKC, full-width to half-width, the
spaces OCR puts between Han characters removed, lower case), then cut into overlapping
character bigrams for Han runs and whole words for Latin letters and digits. Any substring of
two or more Han characters is then a phrase of consecutive bigrams, so names no dictionary knows
(捧乍, 张国强), two-character words (双拥) and parts of words (优属 in 拥军优属) are all found.

A second field holds the overlapping 3- and 4-grams, positioned at their character offset. Most
Chinese words a clerk types are two to four characters long, and each is then one exact term:
no positions to check, which in Whoosh means pure-Python work for every matching document.
Longer words are phrases of 4-grams, whose candidates are almost all true matches.
"""
from __future__ import annotations

import re
import unicodedata

from ._whoosh import Token, Tokenizer

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_SPACE_BETWEEN_HAN = re.compile(rf"(?<=[{_HAN}])[ \t\u3000]+(?=[{_HAN}])")
_RUNS = re.compile(rf"([{_HAN}]+)|([0-9a-z]+(?:[./_-][0-9a-z]+)*)")


def normalize(text: str) -> str:
    """NFKC folds full-width letters and digits to half-width; OCR's spaces inside Chinese go."""
    text = unicodedata.normalize("NFKC", text)
    return _SPACE_BETWEEN_HAN.sub("", text).lower()


def tokens(text: str) -> list[str]:
    """The terms of `text`, in order: Han bigrams (a lone Han character stays a unigram) and
    Latin / number words."""
    out: list[str] = []
    for m in _RUNS.finditer(normalize(text)):
        han, word = m.group(1), m.group(2)
        if han:
            if len(han) == 1:
                out.append(han)
            else:
                out.extend(han[i:i + 2] for i in range(len(han) - 1))
        else:
            out.append(word)
            if any(c in word for c in "./_-"):    # GB/T-style codes: parts findable too
                out.extend(p for p in re.split(r"[./_-]", word) if p)
    return out


GRAM_SIZES = (3, 4)


def grams(text: str) -> list[tuple[int, str]]:
    """(character offset, gram) for the 3- and 4-grams of every Han run of `text`."""
    out: list[tuple[int, str]] = []
    for m in _RUNS.finditer(normalize(text)):
        han = m.group(1)
        if han:
            for i in range(len(han) - 2):
                for n in GRAM_SIZES:
                    if i + n <= len(han):
                        out.append((m.start() + i, han[i:i + n]))
    return out


def han_runs(text: str) -> list[tuple[str, str]]:
    """The runs of a normalised query word: ("han", 烈士陵园) or ("word", gb/t)."""
    return [("han", m.group(1)) if m.group(1) else ("word", m.group(2))
            for m in _RUNS.finditer(normalize(text))]


class BigramTokenizer(Tokenizer):
    """The Whoosh face of `tokens`, with positions so phrase queries work."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, text in enumerate(tokens(value), start_pos):
            t.text = text
            t.boost = 1.0
            t.stopped = False
            if positions:
                t.pos = pos
            if keeporiginal:
                t.original = text
            yield t


class GramTokenizer(Tokenizer):
    """The Whoosh face of `grams`."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, text in grams(value):
            t.text = text
            t.boost = 1.0
            t.stopped = False
            if positions:
                t.pos = start_pos + pos
            if keeporiginal:
                t.original = text
            yield t


def analyzer():
    return BigramTokenizer()


def gram_analyzer():
    return GramTokenizer()
