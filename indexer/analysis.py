"""Chinese analysis that never misses: text is normalised (NFKC, full-width to half-width, the
spaces OCR puts between Han characters removed, lower case), then cut into overlapping
character bigrams for Han runs and whole words for Latin letters and digits. Any substring of
two or more Han characters is then a phrase of consecutive bigrams, so names no dictionary knows
(捧乍, 张国强), two-character words (双拥) and parts of words (优属 in 拥军优属) are all found.

The index keeps, for each bigram, the documents holding it and how often (no positions): a
two-character word is then one exact term, and a longer word's candidates (the documents that
hold all its bigrams) are checked against the text itself.
"""
from __future__ import annotations

import re
import unicodedata


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


def han_runs(text: str) -> list[tuple[str, str]]:
    """The runs of a normalised query word: ("han", 烈士陵园) or ("word", gb/t)."""
    return [("han", m.group(1)) if m.group(1) else ("word", m.group(2))
            for m in _RUNS.finditer(normalize(text))]
