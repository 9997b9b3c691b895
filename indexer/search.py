"""The search index: bigram postings derived from the catalog (see store.py). It follows the
catalog's change sequence (the cursor is saved after each sync), so after a crash or a deleted
folder it catches up, and `rebuild` makes it again from scratch. One writer at a time, one
commit per batch, never one per file.

A search finds each word's candidates from its terms' postings, in memory as arrays over the
live documents; a word the terms alone decide (a two-character word, a Latin word) needs
nothing more, the others are checked against the text the catalog holds. Up to VERIFY_ALL
candidates are all checked: the total and the counts by unit, kind and year are then exact.
Beyond that, the page shown is checked and the rest estimated from a sample (`estimated`).
"""
from __future__ import annotations

import math
import shutil
import sqlite3
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import querying, store
from .analysis import normalize, tokens

SCHEMA_VERSION = store.SCHEMA_VERSION
# a commit (one segment) every so many documents: bounds the memory of a rebuild
COMMIT_EVERY = 4000
FACETS = ("unit", "kind", "year")
NAME_WEIGHT = 2            # a term in the file name counts as much as two in the text
VERIFY_ALL = 5000          # candidates checked against their text before estimating instead
SAMPLE = 400
K1, B = 1.2, 0.75          # BM25

class IndexRebuilding(querying.QueryError):
    """The index is being made again (a new index version, or `reindex`): `done` and `total`
    files so far, when known."""

    def __init__(self, done=None, total=None):
        if done is None:
            super().__init__("index_rebuilding_unknown")
        else:
            super().__init__("index_rebuilding", done=done, total=total)


def document(*, path: str, sha: str, unit: str, kind: str, name: str, text: str, date: str,
             items: list[str], status: str) -> tuple[dict, Counter]:
    """The stored fields of one file and its terms with their counts (the name's weigh more)."""
    counts = Counter(tokens(text))
    for t in tokens(name):
        counts[t] += NAME_WEIGHT
    return (dict(path=path, sha=sha, unit=unit, kind=kind, name=name, date=date,
                 items=",".join(items), status=status), counts)


@dataclass
class Hit:
    id: str
    unit: str
    path: str
    name: str
    kind: str
    date: str | None
    items: list[str]
    score: float
    snippet: str = ""


@dataclass
class Results:
    query: str
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    estimated: bool = False

    def to_json(self) -> dict:
        return {"query": self.query, "total": self.total, "estimated": self.estimated,
                "hits": [h.__dict__ for h in self.hits], "facets": self.facets}


class _Docs:
    """The live documents, as arrays indexed 0..n-1, read once per index generation."""

    def __init__(self, db, generation: str | None):
        self.generation = generation
        rows = db.execute("SELECT doc, path, sha, unit, kind, name, date, items, status, length "
                          "FROM docs ORDER BY doc").fetchall()
        self.n = len(rows)
        cols = list(zip(*rows)) if rows else [()] * 10
        self.doc = np.array(cols[0], dtype=np.int64)
        self.path, self.sha, self.unit, self.kind, self.name, self.date, self.items, self.status = (
            list(c) for c in cols[1:9])
        self.length = np.array(cols[9], dtype=np.float64)
        self.avglen = float(self.length.mean()) if self.n else 1.0
        self.pos = np.full(int(self.doc[-1]) + 1 if self.n else 1, -1, dtype=np.int64)
        self.pos[self.doc] = np.arange(self.n)
        self.facets = {}
        for f, values in (("unit", self.unit), ("kind", self.kind),
                          ("year", [d[:4] for d in self.date])):
            names, codes = np.unique(np.array(values, dtype=str), return_inverse=True) \
                if self.n else (np.array([], dtype=str), np.zeros(0, dtype=np.int64))
            self.facets[f] = (list(names), codes)
        self.dates = np.array(self.date, dtype=str) if self.n else np.array([], dtype=str)

    def dense(self, docs: np.ndarray) -> np.ndarray:
        docs = docs[docs < len(self.pos)]
        d = self.pos[docs]
        return d[d >= 0]


class SearchIndex:
    def __init__(self, folder: Path, catalog=None):
        self.folder = Path(folder)
        self.catalog = catalog          # where a candidate's text is checked (texts_of)
        self._db = None
        self._docs: _Docs | None = None
        self._lock = threading.Lock()

    # -- the index on disk -----------------------------------------------------------------

    def _old_release(self) -> bool:
        """An index folder of an earlier version (Whoosh's segments), not yet replaced."""
        return self.folder.is_dir() and not (self.folder / store.FILE_NAME).exists() and any(
            p.name not in (store.LOCK_NAME,) for p in self.folder.iterdir())

    @property
    def db(self):
        if self._db is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._db = store.connect(self.folder)
        return self._db

    def _discard(self) -> None:
        """Remove the files of an index that cannot be used (damaged, or an older version)."""
        self.close()
        if self.folder.is_dir():
            for p in self.folder.iterdir():
                if p.name == store.LOCK_NAME:
                    continue
                if p.is_dir():
                    shutil.rmtree(p, ignore_errors=True)
                else:
                    p.unlink(missing_ok=True)

    @property
    def cursor(self) -> int:
        if self._old_release():
            return 0
        try:
            return int(store.meta(self.db).get("seq", 0))
        except store.Damaged:
            return 0

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        self._docs = None

    def paths(self) -> dict[str, str]:
        """path -> sha of every document in the index (consistency checks, tests)."""
        return dict(self.db.execute("SELECT path, sha FROM docs"))

    # -- following the catalog -------------------------------------------------------------

    def sync(self, catalog, items_of=None, progress=None) -> int:
        """Apply every catalog change after the saved cursor; returns how many files changed.
        `items_of(sha, path, kind) -> [material ids]` lets the application add the mapping.
        Raises IndexBusy (store.Busy) while another process writes the index."""
        if self.catalog is None:
            self.catalog = catalog
        self.folder.mkdir(parents=True, exist_ok=True)
        with store.writer_lock(self.folder):
            if self._old_release():
                self._discard()
            try:
                return self._sync(catalog, items_of, progress)
            except store.Damaged:
                # a damaged file: start again from the catalog, which is the record
                self._discard()
                return self._sync(catalog, items_of, progress)

    def _sync(self, catalog, items_of, progress) -> int:
        m = store.meta(self.db)
        cursor = int(m.get("seq", 0))
        seq, changed = catalog.changed_since(cursor)
        if not changed:
            return 0
        db = self.db
        if cursor == 0:
            store.set_meta(db, building=1, done=0, total=len(changed))
        try:
            for start in range(0, len(changed), COMMIT_EVERY):
                chunk = changed[start:start + COMMIT_EVERY]
                removed, added = [], []
                for row in catalog.index_rows(chunk):
                    if row["state"] != "present" or row["sha"] is None:
                        removed.append(row["id"])
                        continue
                    fields, counts = document(
                        path=row["path"], sha=row["sha"], unit=row["unit"],
                        kind=row["kind"] or "other", name=row["name"], text=row["text"] or "",
                        date=row["date"] or "",
                        items=items_of(row["sha"], row["path"], row["kind"]) if items_of else [],
                        status=row["ostate"] or "")
                    added.append((row["id"], fields, counts))
                store.write_batch(db, removed, added)
                done = start + len(chunk)
                if cursor == 0:
                    store.set_meta(db, done=done)
                if progress:
                    progress(done, len(changed))
            store.merge_segments(db)
            store.set_meta(db, seq=seq, building=0)
        except sqlite3.DatabaseError as e:
            raise store.Damaged(str(e)) from e
        return len(changed)

    def rebuild(self, catalog, items_of=None, progress=None) -> int:
        """Make the index again from the catalog."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with store.writer_lock(self.folder):
            self._discard()
        return self.sync(catalog, items_of, progress)

    # -- asking ----------------------------------------------------------------------------

    def _current_docs(self) -> _Docs:
        """The live documents, reloaded when a writer has committed since."""
        if self._old_release():
            raise IndexRebuilding()
        try:
            m = store.meta(self.db)
        except store.Damaged:
            self.close()
            raise IndexRebuilding()
        if m.get("building") == "1":
            raise IndexRebuilding(done=m.get("done", 0), total=m.get("total", "?"))
        if self._docs is None or self._docs.generation != m.get("generation"):
            self._docs = _Docs(self.db, m.get("generation"))
        return self._docs

    def _word(self, docs: _Docs, w: querying.Word, cache: dict):
        """(candidate mask, term frequency) of one word over the live documents."""
        key = (w.terms, w.prefix)
        if key in cache:
            return cache[key]
        mask = None
        tf = None
        for t in w.terms:
            ids, counts = store.postings(self.db, t, prefix=w.prefix)
            keep = ids < len(docs.pos)
            ids, counts = ids[keep], counts[keep]
            d = docs.pos[ids]
            keep = d >= 0
            d, counts = d[keep], counts[keep].astype(np.float64)
            m = np.zeros(docs.n, dtype=bool)
            m[d] = True
            f = np.zeros(docs.n, dtype=np.float64)
            if w.prefix:                 # several terms of one document add up
                np.add.at(f, d, counts)
            else:
                f[d] = counts
            mask = m if mask is None else mask & m
            tf = f if tf is None else np.minimum(tf, f)
        cache[key] = (mask, tf)
        return mask, tf

    def search(self, text: str, *, unit: str | None = None, kind: str | None = None,
               year: str | None = None, item: str | None = None, date_from: str | None = None,
               date_to: str | None = None, limit: int = 20, page: int = 1,
               text_of=None) -> Results:
        """Ranked hits for the user's query string; raises querying.QueryError for one we can't
        answer (IndexRebuilding while the index is being made again). `text_of(sha)` gives a
        file's text for the snippet."""
        groups, negatives = querying.parse(text)
        with self._lock:
            docs = self._current_docs()
            cache: dict = {}
            cand = np.ones(docs.n, dtype=bool)
            for f, v in (("unit", unit), ("kind", kind), ("year", year)):
                if v:
                    names, codes = docs.facets[f]
                    cand &= (codes == names.index(v)) if v in names else False
            if date_from or date_to:
                cand &= (docs.dates >= (date_from or "0000")) & (docs.dates <= (date_to or "9999") + "\uffff")
            if item:
                idx = np.flatnonzero(cand)
                keep = np.array([item in docs.items[i].split(",") for i in idx], dtype=bool)
                cand[idx[~keep]] = False
            # per group: documents surely in it, and those whose inexact words need their text
            sure_groups, maybe_groups = [], []
            for g in groups:
                sure = np.zeros(docs.n, dtype=bool)
                maybe = np.zeros(docs.n, dtype=bool)
                for w in g:
                    m, _ = self._word(docs, w, cache)
                    if w.exact:
                        sure |= m
                    else:
                        maybe |= m
                cand &= sure | maybe
                sure_groups.append(sure)
                maybe_groups.append(maybe & ~sure)
            neg_maybe = []
            for w in negatives:
                m, _ = self._word(docs, w, cache)
                if w.exact:
                    cand &= ~m
                else:
                    neg_maybe.append((w, m))
            uncertain = np.zeros(docs.n, dtype=bool)
            for maybe in maybe_groups:
                uncertain |= maybe
            for _, m in neg_maybe:
                uncertain |= m
            uncertain &= cand
            score = self._scores(docs, groups, cache)

            def resolve(subset: np.ndarray) -> np.ndarray:
                """Of the documents in `subset` (a mask), those that really match."""
                return self._resolve(docs, subset, groups, maybe_groups, neg_maybe, cache)

            def check(indices: np.ndarray) -> np.ndarray:
                subset = np.zeros(docs.n, dtype=bool)
                subset[indices] = True
                return resolve(subset)[indices]

            unsure = np.flatnonzero(uncertain)
            estimated = False
            if len(unsure) <= VERIFY_ALL:
                if len(unsure):
                    cand &= ~uncertain | resolve(uncertain)
                matched = np.flatnonzero(cand)
                order = matched[np.argsort(-score[matched], kind="stable")]
                shown = order[(page - 1) * limit:page * limit]
                total = len(matched)
                counts = self._facet_counts(docs, matched)
            else:
                estimated = True
                order = np.flatnonzero(cand)
                order = order[np.argsort(-score[order], kind="stable")]
                # the page shown is checked, in rank order, until it is full
                want, good, start = page * limit, [], 0
                step = max(2 * want, 200)
                while len(good) < want and start < len(order):
                    block = order[start:start + step]
                    need = uncertain[block]
                    ok = np.ones(len(block), dtype=bool)
                    if need.any():
                        ok[need] = check(block[need])
                    good.extend(block[ok].tolist())
                    start += step
                shown = np.array(good[(page - 1) * limit:want], dtype=np.int64)
                rng = np.random.default_rng(len(unsure))
                sample = rng.choice(unsure, size=min(SAMPLE, len(unsure)), replace=False)
                ratio = float(check(np.sort(sample)).mean())
                sure_n = int(cand.sum()) - len(unsure)
                total = sure_n + round(ratio * len(unsure))
                counts = self._facet_counts(docs, np.flatnonzero(cand & ~uncertain),
                                            np.flatnonzero(uncertain), ratio)
            hits = [Hit(id=docs.sha[i], unit=docs.unit[i], path=docs.path[i], name=docs.name[i],
                        kind=docs.kind[i], date=docs.date[i] or None,
                        items=[x for x in docs.items[i].split(",") if x],
                        score=round(float(score[i]), 3)) for i in shown]
        for h in hits:
            body = text_of(h.id) if text_of else ""
            h.snippet = querying.snippet(body or h.name, querying.literals(text))
        return Results(text, total, hits, counts, estimated)

    def _scores(self, docs: _Docs, groups, cache) -> np.ndarray:
        """BM25 over the positive words (a longer word's count is its rarest bigram's)."""
        score = np.zeros(docs.n, dtype=np.float64)
        if not docs.n:
            return score
        norm = K1 * (1 - B + B * docs.length / docs.avglen)
        for g in groups:
            for w in g:
                m, tf = self._word(docs, w, cache)
                df = int(m.sum())
                idf = math.log(1 + (docs.n - df + 0.5) / (df + 0.5))
                score += idf * tf * (K1 + 1) / (tf + norm)
        return score

    def _resolve(self, docs: _Docs, subset, groups, maybe_groups, neg_maybe, cache) -> np.ndarray:
        """Decide the documents of `subset` whose membership the terms leave open: each
        inexact word is checked, against the text, only on the documents still in question."""
        ok = subset.copy()
        for g, maybe in zip(groups, maybe_groups):
            todo = ok & maybe
            if not todo.any():
                continue
            passed = np.zeros(docs.n, dtype=bool)
            for w in g:
                if w.exact:
                    continue
                idx = np.flatnonzero(todo & self._word(docs, w, cache)[0] & ~passed)
                if len(idx):
                    passed[idx[self._verify(docs, w, idx)]] = True
            ok &= ~todo | passed
        for w, m in neg_maybe:
            idx = np.flatnonzero(ok & m)
            if len(idx):
                ok[idx[self._verify(docs, w, idx)]] = False
        return ok

    def _verify(self, docs: _Docs, w: querying.Word, idx: np.ndarray) -> np.ndarray:
        """Whether word `w` really is in each document of `idx` (its name or its text). A Han
        word is first looked for by the catalog in the stored text; only the documents where
        it is not found as stored are normalised here (OCR's spaces, full-width forms)."""
        if self.catalog is None:
            raise RuntimeError("SearchIndex needs the catalog to check longer words")
        shas = [docs.sha[i] for i in idx]
        out = np.zeros(len(idx), dtype=bool)
        if querying._HAN_ONLY.fullmatch(w.text):
            found = self.catalog.shas_containing(shas, w.text)
            out[:] = [s in found for s in shas]
        rest = np.flatnonzero(~out)
        if len(rest):
            texts = self.catalog.texts_of([shas[k] for k in rest])
            for k in rest:
                i = idx[k]
                out[k] = (w.check(normalize(texts.get(shas[k], "")))
                          or w.check(normalize(docs.name[i])))
        return out

    @staticmethod
    def _facet_counts(docs: _Docs, sure: np.ndarray, unsure: np.ndarray | None = None,
                      ratio: float = 1.0) -> dict[str, dict[str, int]]:
        out = {}
        for f in FACETS:
            names, codes = docs.facets[f]
            c = np.bincount(codes[sure], minlength=len(names)).astype(np.float64)
            if unsure is not None and len(unsure):
                c += ratio * np.bincount(codes[unsure], minlength=len(names))
            pairs = [(names[j], int(round(c[j]))) for j in range(len(names)) if round(c[j])]
            out[f] = dict(sorted(pairs, key=lambda kv: -kv[1]))
        return out
