"""The query language a clerk types: several words mean AND; OR and NOT (or a leading -);
"quoted phrases". Every word matches exactly where its characters appear together, in the
file's name or its text. A word is looked up by its index terms (a Han word of two characters
is one bigram and needs nothing more; a longer one is the documents holding all its bigrams,
then checked against the text); any string is either answered or rejected with QueryError:
nothing a user types can crash the search.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from foundation.errors import Coded
from .analysis import han_runs, normalize, tokens

MAX_QUERY_CHARS = 500
MAX_TERMS = 32


class QueryError(Coded, ValueError):
    """The query cannot be answered: `code` and `data` say why (the application words it)."""


_TOKEN = re.compile(r'"([^"]*)"?|(\S+)')


def _clauses(text: str) -> list[tuple[str, str]]:
    """(operator, words) pairs: operator is '', 'OR' or 'NOT'."""
    out, pending = [], ""
    for m in _TOKEN.finditer(text):
        quoted, word = m.group(1), m.group(2)
        if word in ("OR", "|"):
            pending = "OR" if out else ""
            continue
        if word in ("NOT", "AND"):
            pending = "NOT" if word == "NOT" else pending
            continue
        if quoted is None and word.startswith("-") and len(word) > 1:
            out.append(("NOT", word[1:]))
            pending = ""
            continue
        value = quoted if quoted is not None else word
        if value.strip():
            out.append((pending, value))
        pending = ""
    return out


@dataclass(frozen=True)
class Word:
    """One word of a query. `terms`: index terms every matching document holds; `exact`: they
    alone decide (no check against the text); `prefix`: a lone Han character, any term that
    starts with it; `check(normalised text) -> bool` decides the others."""
    text: str
    terms: tuple[str, ...]
    exact: bool
    prefix: bool = False

    def check(self, normalised: str) -> bool:
        if self.exact:
            return True
        if self.prefix:
            return self.text in normalised
        if _HAN_ONLY.fullmatch(self.text):
            return self.text in normalised
        return re.search(_word_pattern(self.text), normalised) is not None


_HAN_ONLY = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def _word(words: str) -> Word | None:
    toks = tokens(words)
    if not toks:
        return None
    norm = normalize(words).strip()
    runs = han_runs(words)
    if len(runs) == 1:
        kind, run = runs[0]
        if kind == "word":
            return Word(run, (run,), exact=True)
        if len(run) == 1:
            return Word(run, (run,), exact=True, prefix=True)
        return Word(run, tuple(dict.fromkeys(toks)), exact=len(run) == 2)
    return Word(norm, tuple(dict.fromkeys(toks)), exact=False)


def _structure(text: str, make) -> tuple[list[list], list]:
    """The query as an AND of OR-groups plus the NOT terms, each word turned into whatever
    `make(words)` returns (None: nothing to look for). Rejects what cannot be answered."""
    if text is None:
        raise QueryError("query_empty")
    text = "".join(c for c in str(text) if c.isprintable() or c in " \t")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError("query_too_long", max=MAX_QUERY_CHARS)
    clauses = _clauses(text)
    if not clauses:
        raise QueryError("query_empty")
    if len(clauses) > MAX_TERMS:
        raise QueryError("query_too_many_terms", max=MAX_TERMS)
    groups: list[list] = []
    negatives = []
    for op, words in clauses:
        q = make(words)
        if q is None:
            continue
        if op == "NOT":
            negatives.append(q)
        elif op == "OR" and groups:
            groups[-1].append(q)
        else:
            groups.append([q])
    if not groups:
        raise QueryError("query_only_negative" if negatives else "query_nothing_to_find")
    return groups, negatives


def parse(text: str) -> tuple[list[list[Word]], list[Word]]:
    """The user's string as an AND of OR-groups of words, and the words to exclude."""
    return _structure(text, _word)


def matcher(text: str):
    """A test of one normalised text against a query, with the index's meaning (every word a
    substring of the normalised text, Latin words and numbers whole): the content rules of the
    standard's materials use it to classify files without asking the index file by file."""
    def make(words):
        word = normalize(words).strip()
        return re.compile(_word_pattern(word)) if word and tokens(word) else None

    groups, negatives = _structure(text, make)

    def test(normalised: str) -> bool:
        return (all(any(rx.search(normalised) for rx in g) for g in groups)
                and not any(rx.search(normalised) for rx in negatives))
    return test


def _word_pattern(word: str) -> str:
    parts = [re.escape(p) for p in word.split()]
    body = r"\s*".join(parts)
    if re.match(r"[0-9a-z]", word):
        body = r"(?<![0-9a-z])" + body
    if re.search(r"[0-9a-z]$", word):
        body += r"(?![0-9a-z])"
    return body


def literals(text: str) -> list[str]:
    """The strings to highlight: the positive words and phrases, normalised."""
    try:
        return [normalize(w) for op, w in _clauses(text or "") if op != "NOT" and w.strip()]
    except Exception:
        return []


def snippet(body: str, words: list[str], width: int = 60, mark=("【", "】")) -> str:
    """Text around the first match, matches wrapped in `mark` (the web app passes HTML marks
    and escapes the rest itself)."""
    norm = normalize(body)
    # normalize() can drop characters; search and cut in the normalised text
    pos = -1
    for w in words:
        compact = re.sub(r"\s+", "", w)
        p = norm.find(compact) if compact else -1
        if p >= 0 and (pos < 0 or p < pos):
            pos = p
    start = max(0, pos - width // 2) if pos >= 0 else 0
    piece = norm[start:start + width].replace("\f", " ").replace("\n", " ")
    # the text's own brackets (an Excel sheet's title is written 【Sheet1】) must not read as marks
    piece = piece.replace(mark[0], "〖").replace(mark[1], "〗")
    wanted = sorted({re.sub(r"\s+", "", w) for w in words if w.strip()}, key=len, reverse=True)
    if wanted:
        piece = re.sub("|".join(map(re.escape, wanted)), lambda m: f"{mark[0]}{m.group(0)}{mark[1]}",
                       piece)
    return ("…" if start > 0 else "") + piece + ("…" if start + width < len(norm) else "")
