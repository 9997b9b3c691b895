"""The search index: bigram postings in Whoosh, derived from the catalog (see store.py). It
follows the catalog's change sequence (the cursor is saved after each sync), so after a crash or
a deleted folder it catches up, and `rebuild` makes it again from scratch. One writer at a time,
one commit per batch, never one per file; an index of another version is made again by itself.

A search finds each word's candidates from its terms' postings, as arrays over the live
documents; a word the terms alone decide (a two-character word, a Latin word) needs nothing
more, the others are checked against the text the catalog holds. NOT is a set difference done
here, over the live documents. Up to VERIFY_ALL candidates are all checked: the total and the
counts by unit, kind and year are then exact. Beyond that, the page shown is checked and the
rest estimated from a sample (`estimated`).
"""
from __future__ import annotations

import math
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import querying, store
from .analysis import normalize, tokens

SCHEMA_VERSION = store.SCHEMA_VERSION
# a commit (one Whoosh segment) every so many documents: bounds the memory of a rebuild
COMMIT_EVERY = 4000
FACETS = ("unit", "kind", "year")
NAME_WEIGHT = 2            # a term in the file name counts as much as two in the text
VERIFY_ALL = 5000          # candidates checked against their text before estimating instead
SAMPLE = 400
K1, B = 1.2, 0.75          # BM25

class IndexRebuilding(querying.QueryError):
    """The index is being made again (a new index version, or `reindex`), or made for the first
    time (`first`: a new workspace's first files): `done` and `total` files so far, when known."""

    def __init__(self, done=None, total=None, first: bool = False):
        if done is None:
            super().__init__("index_rebuilding_unknown")
        else:
            super().__init__("index_building" if first else "index_rebuilding",
                             done=done, total=total)


def document(*, path: str, sha: str, unit: str, kind: str, name: str, text: str, date: str,
             items: list[str], status: str) -> dict:
    """The fields of one file in the index: its terms with their counts (the name's weigh
    more) and what a hit and the facets show."""
    counts = Counter(tokens(text))
    for t in tokens(name):
        counts[t] += NAME_WEIGHT
    return dict(path=path, sha=sha, unit=unit, kind=kind, name=name, date=date, year=date[:4],
                items=",".join(items), status=status, length=sum(counts.values()), grams=counts)


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
    """The live documents of one reader, as arrays indexed 0..n-1, read once per generation."""

    def __init__(self, reader=None, key=None):
        self.key = key
        rows = sorted(store.live_documents(reader), key=lambda r: r[0]) if reader else []
        self.n = len(rows)
        self.doc = np.array([d for d, _ in rows], dtype=np.int64)
        get = [r for _, r in rows]
        self.path, self.sha, self.unit, self.kind, self.name, self.date, self.items, self.status = (
            [r.get(f) or "" for r in get] for f in store.STORED[:8])
        self.length = np.array([r.get("length") or 0 for r in get], dtype=np.float64)
        self.avglen = float(self.length.mean()) if self.n and self.length.any() else 1.0
        self.pos = np.full(int(self.doc[-1]) + 1 if self.n else 1, -1, dtype=np.int64)
        self.pos[self.doc] = np.arange(self.n)
        self.facets = {}
        for f, values in (("unit", self.unit), ("kind", self.kind),
                          ("year", [d[:4] for d in self.date])):
            names, codes = np.unique(np.array(values, dtype=str), return_inverse=True) \
                if self.n else (np.array([], dtype=str), np.zeros(0, dtype=np.int64))
            self.facets[f] = (list(names), codes)
        self.dates = np.array(self.date, dtype=str) if self.n else np.array([], dtype=str)


class SearchIndex:
    def __init__(self, folder: Path, catalog=None):
        self.folder = Path(folder)
        self.catalog = catalog          # where a candidate's text is checked (texts_of)
        self._ix = None
        self._ix_epoch = None
        self._reader = None
        self._docs: _Docs | None = None
        self._lock = threading.Lock()

    # -- the index on disk -----------------------------------------------------------------

    def _index(self, epoch):
        """The Whoosh index of this epoch (a rebuild makes a new one in the same folder)."""
        if self._ix is None or self._ix_epoch != epoch:
            self.close()
            self._ix = store.open_index(self.folder)
            self._ix_epoch = epoch
        return self._ix

    @property
    def cursor(self) -> int:
        meta = store.read_meta(self.folder)
        return int(meta.get("seq", 0)) if store.current(meta) else 0

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self._ix is not None:
            self._ix.close()
            self._ix = None
        self._docs = None

    def paths(self) -> dict[str, str]:
        """path -> sha of every document in the index (consistency checks, tests)."""
        with self._lock:
            docs = self._current_docs()
            return dict(zip(docs.path, docs.sha))

    # -- following the catalog -------------------------------------------------------------

    def sync(self, catalog, items_of=None, progress=None) -> int:
        """Apply every catalog change after the saved cursor; returns how many files changed.
        `items_of([(sha, path, kind), …]) -> [[material ids], …]` lets the application add the
        mapping, a chunk of files at a time.
        Raises IndexBusy (store.Busy) while another process writes the index."""
        if self.catalog is None:
            self.catalog = catalog
        with store.writer_lock(self.folder):
            return self._sync_locked(catalog, items_of, progress)

    def _sync_locked(self, catalog, items_of, progress, fresh: bool = False) -> int:
        try:
            return self._sync(catalog, items_of, progress, fresh)
        except store.Damaged:
            # unreadable files: start again from the catalog, which is the record
            return self._sync(catalog, items_of, progress, fresh=True)

    def _sync(self, catalog, items_of, progress, fresh: bool) -> int:
        meta = store.read_meta(self.folder)
        # the first build, not a rebuild: no index before, or one that never held anything (a
        # watcher's start on a new workspace makes it empty), or a first one a crash left half made
        first = not fresh and (
            (not meta and not store.has_files(self.folder))
            or (store.current(meta) and not meta.get("building") and not int(meta.get("seq", 0)))
            or bool(meta.get("first") and meta.get("building")))
        made = fresh or not store.current(meta) or meta.get("building")
        if made:
            # an index of another version, a damaged one, or one a crash left half built:
            # start from nothing, so that no document is added twice; what is to be done is
            # read first, and readers are told the index is being made from before its old
            # files go until its last file is in
            self.close()
            seq, changed = catalog.changed_since(0)
            meta = store.create(self.folder, building=int(bool(changed)), done=0,
                                total=len(changed), first=int(first))
        else:
            seq, changed = catalog.changed_since(int(meta.get("seq", 0)))
        if not changed:
            return 0
        building = not int(meta.get("seq", 0))     # a new index (made above) or an empty one
        if building and not made:
            store.write_meta(self.folder, building=1, done=0, total=len(changed), first=int(first))
        ix = self._index(meta["epoch"])
        for start in range(0, len(changed), COMMIT_EVERY):
            chunk = changed[start:start + COMMIT_EVERY]
            rows = catalog.index_rows(chunk)
            removed = [r["path"] for r in rows if r["state"] != "present" or r["sha"] is None]
            present = [r for r in rows if r["state"] == "present" and r["sha"] is not None]
            items = items_of([(r["sha"], r["path"], r["kind"]) for r in present]) if items_of \
                else [[] for _ in present]
            added = (document(
                path=row["path"], sha=row["sha"], unit=row["unit"],
                kind=row["kind"] or "other", name=row["name"], text=row["text"] or "",
                date=row["date"] or "", items=its, status=row["ostate"] or "")
                for row, its in zip(present, items))
            try:
                store.write_batch(ix, removed, added, fresh=building)
            except Exception:
                store.check(self.folder)        # Damaged if Whoosh met unreadable files
                raise                           # else a real failure (a full disk...)
            done = start + len(chunk)
            if building:
                store.write_meta(self.folder, done=done)
            if progress:
                progress(done, len(changed))
        store.write_meta(self.folder, seq=seq, building=0, first=0)
        return len(changed)

    def rebuild(self, catalog, items_of=None, progress=None, wait: float = 0.0) -> int:
        """Make the index again from the catalog, waiting up to `wait` seconds for another
        process's sync to end (IndexBusy after that)."""
        if self.catalog is None:
            self.catalog = catalog
        with store.writer_lock(self.folder, wait=wait):
            return self._sync_locked(catalog, items_of, progress, fresh=True)

    # -- asking ----------------------------------------------------------------------------

    def _current_docs(self) -> _Docs:
        """The live documents, reloaded when a writer has committed since."""
        meta = store.read_meta(self.folder)
        if not store.current(meta):
            if store.has_files(self.folder):
                raise IndexRebuilding()         # an older version's index, not yet replaced
            self.close()
            return _Docs()                      # nothing indexed yet
        if meta.get("building"):
            raise IndexRebuilding(done=meta.get("done", 0), total=meta.get("total", "?"),
                                  first=bool(meta.get("first")))
        for attempt in range(3):
            try:
                ix = self._index(meta["epoch"])
                key = (meta["epoch"], ix.latest_generation())
                if self._docs is None or self._docs.key != key:
                    if self._reader is not None:
                        self._reader.close()
                    self._reader = ix.reader()
                    self._docs = _Docs(self._reader, key)
                return self._docs
            except Exception:
                # a writer's merge removed a segment while it was opened (try again), or the
                # index is damaged: the next sync makes it again
                self.close()
        raise IndexRebuilding()

    def _terms(self, docs: _Docs, field_: str, term: str, prefix=False, counts=True):
        """The live documents (as positions 0..n-1) holding a term, and its counts there."""
        if not docs.n:
            return np.zeros(0, dtype=np.int64), np.zeros(0) if counts else None
        ids, tfs = store.postings(self._reader, field_, term, prefix=prefix, counts=counts)
        keep = ids < len(docs.pos)
        ids = ids[keep]
        d = docs.pos[ids]
        ok = d >= 0
        return d[ok], (tfs[keep][ok] if tfs is not None else None)

    def _word(self, docs: _Docs, w: querying.Word, cache: dict):
        """(candidate mask, term frequency) of one word over the live documents."""
        key = (w.terms, w.prefix)
        if key in cache:
            return cache[key]
        mask = None
        tf = None
        for t in w.terms:
            d, counts = self._terms(docs, "grams", t, prefix=w.prefix)
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
               text_of=None, verify_all: int | None = None, sample: int | None = None,
               step: int | None = None, snippets: bool = True) -> Results:
        """Ranked hits for the user's query string; raises querying.QueryError for one we can't
        answer (IndexRebuilding while the index is being made again). `text_of(sha)` gives a
        file's text for the snippet (none: the name's; `snippets` False: none at all, for a
        caller that makes the snippets of the hits it shows itself). `verify_all`, `sample` and `step` are this search's
        share of the checking against the text (how many candidates are all checked before
        estimating, the sample that estimates, the block the shown page is checked in): a
        search over several indexes (a province's cities) shares one index's budget out."""
        groups, negatives = querying.parse(text)
        verify_all = VERIFY_ALL if verify_all is None else verify_all
        sample = SAMPLE if sample is None else sample
        with self._lock:
            docs = self._current_docs()
            cache: dict = {}
            cand = np.ones(docs.n, dtype=bool)
            for f, v in (("unit", unit), ("kind", kind), ("year", year), ("items", item)):
                if v:
                    d, _ = self._terms(docs, f, v, counts=False)
                    only = np.zeros(docs.n, dtype=bool)
                    only[d] = True
                    cand &= only
            if date_from or date_to:
                cand &= (docs.dates >= (date_from or "0000")) & (docs.dates <= (date_to or "9999") + "\uffff")
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

            verified = np.zeros(docs.n, dtype=bool)      # checked against the text already
            passed = np.zeros(docs.n, dtype=bool)        # and found to match

            def check(indices: np.ndarray) -> np.ndarray:
                todo = indices[~verified[indices]]
                if len(todo):
                    subset = np.zeros(docs.n, dtype=bool)
                    subset[todo] = True
                    passed[todo] = resolve(subset)[todo]
                    verified[todo] = True
                return passed[indices]

            unsure = np.flatnonzero(uncertain)
            estimated = False
            if len(unsure) <= verify_all:
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
                # the page shown is checked, in rank order, until it is full; the sample that
                # estimates the rest is checked with the first block (one read of the texts)
                want, good, start = page * limit, [], 0
                step = step or max(2 * want, 200)
                rng = np.random.default_rng(len(unsure))
                picked = np.sort(rng.choice(unsure, size=min(sample, len(unsure)), replace=False))
                first = order[:step]
                check(np.union1d(picked, first[uncertain[first]]))
                while len(good) < want and start < len(order):
                    block = order[start:start + step]
                    need = uncertain[block]
                    ok = np.ones(len(block), dtype=bool)
                    if need.any():
                        ok[need] = check(block[need])
                    good.extend(block[ok].tolist())
                    start += step
                shown = np.array(good[(page - 1) * limit:want], dtype=np.int64)
                ratio = float(check(picked).mean())
                sure_n = int(cand.sum()) - len(unsure)
                total = sure_n + round(ratio * len(unsure))
                counts = self._facet_counts(docs, np.flatnonzero(cand & ~uncertain),
                                            np.flatnonzero(uncertain), ratio)
            hits = [Hit(id=docs.sha[i], unit=docs.unit[i], path=docs.path[i], name=docs.name[i],
                        kind=docs.kind[i], date=docs.date[i] or None,
                        items=[x for x in docs.items[i].split(",") if x],
                        score=round(float(score[i]), 3)) for i in shown]
        words = querying.literals(text) if snippets else []
        for h in hits if snippets else ():
            body = text_of(h.id) if text_of else ""
            h.snippet = querying.snippet(body or h.name, words)
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
