"""Suggestions that learn from the office's decisions.

For each material, the files the office confirmed or assigned are its examples and the files it
ever rejected for it its counter-examples. A file that matches no rule for a material but
resembles its examples becomes a suggestion for it: it waits in 待审核 like any suggestion
(never counting by itself), with the reason "similar to N confirmed files" and the most similar
ones named. The office keeps control: learning is off per material or for the workspace
(yingjian.toml's [learning]), a file ever rejected for a material is never suggested for it
again, and a decided (file, material) is never touched.

How: each file is a vector of character n-grams of its normalised name and text, cut by the
search index's own analysis (indexer.analysis.tokens: Han bigrams, Latin words), hashed by
scikit-learn's HashingVectorizer (no vocabulary to refit, so new files are added one chunk at a
time), weighted TF-IDF and kept to its TOP_TERMS most telling terms (so 100,000 files fit in
about 100 MB). A material is the centroid of its examples (Rocchio's classifier, a nearest
centroid); a file is suggested when its cosine similarity to it stands out from every file's
(at least Z robust deviations above the median: the archive itself says what "unusually alike"
means, whatever the length and style of its texts; or CLEARLY_ALIKE), reaches `min_similarity`,
and beats its
nearest counter-example. Nothing to fit beyond the examples, so one decision rescores one
material: one product of the feature matrix with one vector.

All of it is derived: the vectors live in chunk files under archive/learning/ (delete the folder
and they are made again), the suggestions in checklist/learning_store.py, keyed by the decisions
they were learned from. The record stays the decisions.
"""
from __future__ import annotations

import hashlib
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from foundation import replace_text
from indexer.analysis import tokens

from .learning_store import LearningStore
from .mapping import Evidence, FileFacts

SIMILAR = "similar_to_confirmed"      # the reason a learned suggestion waits: n, similar
N_FEATURES = 2 ** 20
TOP_TERMS = 128                       # per file: its most telling terms
MAX_CHARS = 8000                      # of a file's text
CHUNK = 2000                          # files vectorised per chunk file
MAX_PER_MATERIAL = 50                 # the most similar files suggested per material: as the
                                      # office decides on them, the next ones come
SHOWN = 3                             # the most similar confirmed files named
Z = 5.0                               # robust deviations above the median similarity
MIN_SPREAD = 0.01                     # a tiny archive has no spread to speak of
CLEARLY_ALIKE = 0.5                   # this similar is alike in any archive (a small one has
                                      # too few files to say what stands out)
FORMAT = 1                            # of the chunk files; another value starts afresh


@dataclass(frozen=True)
class Settings:
    """The office's switches (yingjian.toml [learning]): the whole workspace, and materials
    one by one; how similar a file must be to a confirmed one to be suggested."""
    enabled: bool = True
    off: frozenset = field(default_factory=frozenset)
    min_similarity: float = 0.1

    def on(self, material: str) -> bool:
        return self.enabled and material not in self.off


def _terms(doc: str) -> list[str]:
    """The project's analysis, less bare numbers (dates and serial numbers say little of what
    a file is about, and every file has them)."""
    return [t for t in tokens(doc) if not t.isdigit()]


def _vectorizer():
    """scikit-learn is imported when something is to be learned, never to read suggestions (a
    check or a page pays nothing for it)."""
    from sklearn.feature_extraction.text import HashingVectorizer
    return HashingVectorizer(analyzer=_terms, n_features=N_FEATURES, alternate_sign=False,
                             norm=None, dtype=np.float32)


def document(name: str, text: str) -> str:
    """What a file is to the model: its name (twice: a name says much in few words) and text."""
    return f"{name}\n{name}\n{(text or '')[:MAX_CHARS]}"


class Features:
    """The files' vectors: raw counts of each file's kept terms, with the document frequency of
    every term, in chunk files under `folder`, appended as files arrive (several processes may
    append; a file vectorised twice counts once)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.shas: list[str] = []
        self.kinds: list[str] = []
        self.row: dict[str, int] = {}
        self.df = np.zeros(N_FEATURES, dtype=np.int32)
        self._parts: list = []                  # csr matrices, one per chunk
        self._raw = None
        self._weighted = None
        self._loaded: set[str] = set()
        self.generation = self._generation()

    def _generation(self) -> str:
        """Names this set of vectors: if the folder is deleted, rows are numbered afresh and
        everything learned from the old numbering is scored again."""
        self.folder.mkdir(parents=True, exist_ok=True)
        marker = self.folder / "generation"
        if not marker.is_file():
            replace_text(marker, f"{FORMAT}-{uuid.uuid4().hex}", encoding="ascii")
        return marker.read_text(encoding="ascii").strip()

    def load(self) -> bool:
        """Read the chunks written since the last load (by this process or another)."""
        from scipy import sparse
        if self._generation() != self.generation:
            self.__init__(self.folder)
        new = sorted(p for p in os.listdir(self.folder)
                     if p.endswith(".npz") and p not in self._loaded)
        for name in new:
            try:
                with np.load(self.folder / name, allow_pickle=False) as z:
                    shas, kinds = [str(s) for s in z["shas"]], [str(k) for k in z["kinds"]]
                    m = sparse.csr_matrix((z["data"], z["indices"], z["indptr"]),
                                          shape=(len(shas), N_FEATURES))
                    self.df[z["df_terms"]] += z["df_counts"]        # each term once a chunk
            except (OSError, ValueError, KeyError):
                continue                       # half-written by a killed process: made again
            self._loaded.add(name)
            keep = [i for i, s in enumerate(shas) if s not in self.row]
            if len(keep) < len(shas):
                m, shas, kinds = m[keep], [shas[i] for i in keep], [kinds[i] for i in keep]
            for s in shas:
                self.row[s] = len(self.shas)
                self.shas.append(s)
            self.kinds += kinds
            self._parts.append(m)
        if new:
            self._raw, self._weighted = None, None
        return bool(new)

    def add(self, files: list[tuple[str, str, str, str]]) -> None:
        """Vectorise (sha, kind, name, text) and write them as one chunk: each file's kept terms
        with their sublinear term frequency (1 + log tf), and the chunk's document frequencies."""
        files = [f for f in files if f[0] not in self.row]
        if not files:
            return
        counts = _vectorizer().transform([document(n, t) for _, _, n, t in files]).tocsr()
        counts.sum_duplicates()
        terms, freq = np.unique(counts.indices, return_counts=True)
        df = self.df.copy()
        np.add.at(df, terms, freq.astype(np.int32))
        kept = _top_terms(counts, _idf(df, len(self.shas) + len(files)))
        kept.data = 1 + np.log(kept.data)        # sublinear tf, kept so that loading is cheap
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.npz"
        tmp = self.folder / f".{name}.tmp"
        with open(tmp, "wb") as fh:
            np.savez(fh, shas=np.array([f[0] for f in files]), kinds=np.array([f[1] for f in files]),
                     data=kept.data, indices=kept.indices, indptr=kept.indptr,
                     df_terms=terms.astype(np.int32), df_counts=freq.astype(np.int32))
        os.replace(tmp, self.folder / name)
        self.load()

    def matrix(self):
        """Every file's vector (a csr matrix): TF-IDF (sublinear) over its kept terms, of unit
        length."""
        from scipy import sparse
        from sklearn.preprocessing import normalize
        n = len(self.shas)
        if self._weighted is None or self._weighted[0] != n:
            if self._raw is None:
                self._raw = (_stack(self._parts) if len(self._parts) != 1 else self._parts[0])
                self._parts = [self._raw]
            raw = self._raw
            data = _idf(self.df, n)[raw.indices]
            data *= raw.data
            x = sparse.csr_matrix((data, raw.indices, raw.indptr), shape=raw.shape, copy=False)
            self._weighted = (n, normalize(x, copy=False))
        return self._weighted[1]


def _stack(parts: list):
    """Rows of several csr matrices, one after the other, copied once."""
    from scipy import sparse
    if not parts:
        return sparse.csr_matrix((0, N_FEATURES), dtype=np.float32)
    ends = np.cumsum([0] + [p.nnz for p in parts])
    indptr = np.concatenate([[0]] + [p.indptr[1:] + ends[i] for i, p in enumerate(parts)])
    return sparse.csr_matrix((np.concatenate([p.data for p in parts]).astype(np.float32, copy=False),
                              np.concatenate([p.indices for p in parts]), indptr),
                             shape=(sum(p.shape[0] for p in parts), N_FEATURES), copy=False)


def _idf(df: np.ndarray, n: int) -> np.ndarray:
    return (np.log((1 + n) / (1 + df.astype(np.float32))) + 1).astype(np.float32)


def _top_terms(counts, idf: np.ndarray):
    """Each row's TOP_TERMS terms by TF-IDF, with their raw counts."""
    from scipy import sparse
    data, indices, indptr = [], [], [0]
    for i in range(counts.shape[0]):
        a, b = counts.indptr[i], counts.indptr[i + 1]
        idx, cnt = counts.indices[a:b], counts.data[a:b]
        if b - a > TOP_TERMS:
            w = (1 + np.log(cnt)) * idf[idx]
            top = np.argpartition(-w, TOP_TERMS)[:TOP_TERMS]
            idx, cnt = idx[top], cnt[top]
        indices.append(idx)
        data.append(cnt)
        indptr.append(indptr[-1] + len(idx))
    return sparse.csr_matrix((np.concatenate(data) if data else np.zeros(0, np.float32),
                              np.concatenate(indices) if indices else np.zeros(0, np.int32),
                              np.array(indptr)), shape=counts.shape)


class Learner:
    """Trains from the decisions and texts (`refresh`, by the watcher, the web app's background
    thread and the commands that show suggestions) and adds what it learned to the mapping's
    evidence (`add_to`, read-only: a web page never writes)."""

    def __init__(self, catalog, decisions, store: LearningStore, materials: dict, folder: Path,
                 settings=None):
        self.catalog, self.decisions, self.store = catalog, decisions, store
        self.materials = materials                        # id -> Material
        self.folder = Path(folder)
        if settings is None:
            settings = Settings()
        self._settings = settings if callable(settings) else (lambda: settings)
        self._features: Features | None = None
        self._features_seq = -1
        self._read: tuple | None = None
        self._facts: tuple | None = None

    @property
    def settings(self) -> Settings:
        return self._settings()

    @property
    def features(self) -> Features:
        if self._features is None:
            self._features = Features(self.folder)
        return self._features

    def version(self) -> tuple:
        """Changes whenever what `add_to` adds may change (a cached check runs again)."""
        s = self.settings
        return (self.store.version(), s.enabled, tuple(sorted(s.off)))

    # -- training ------------------------------------------------------------------------------

    def refresh(self, budget: int | None = None, progress=None) -> bool:
        """Bring the learned suggestions up to the decisions and the archive: vectorise the files
        not vectorised yet (at most `budget` of them now; the rest next time), score again each
        material whose decisions changed, score the new files for the others. Nothing is done
        for a material without examples, nor for a workspace where none has any. Returns whether
        the suggestions changed."""
        s = self.settings
        latest = self.decisions.latest()
        examples: dict[str, set[str]] = {}
        for (sha, mid), d in latest.items():
            if d["action"] in ("confirm", "assign") and mid in self.materials and s.on(mid):
                examples.setdefault(mid, set()).add(sha)
        trained = self.store.trained()
        gone = [m for m in trained if m not in examples]
        if gone:
            self.store.forget(gone)
        if not examples:
            return bool(gone)
        self._vectorise(budget, progress)
        f = self.features
        x = f.matrix()
        rejected: dict[str, set[str]] = {}
        for sha, mid in self.decisions.ever_rejected():
            rejected.setdefault(mid, set()).add(sha)
        decided: dict[str, set[str]] = {}
        for sha, mid in latest:
            decided.setdefault(mid, set()).add(sha)
        changed = bool(gone)
        for mid, pos in sorted(examples.items()):
            pos_rows = sorted(f.row[sha] for sha in pos if sha in f.row)
            neg_rows = sorted(f.row[sha] for sha in rejected.get(mid, ()) if sha in f.row)
            key = hashlib.sha1(repr((f.generation, s.min_similarity, Z, TOP_TERMS, pos_rows,
                                     neg_rows)).encode()).hexdigest()
            old = trained.get(mid)
            fresh = old is None or old[0] != key
            if not fresh and old[1] >= len(f.shas):
                continue                              # nothing new for this material
            rows, stats = [], (0.0, 0.0)
            if pos_rows:
                rows, stats = self._score(x, 0 if fresh else old[1], pos_rows, neg_rows,
                                          decided.get(mid, set()), self.materials[mid],
                                          s.min_similarity, None if fresh else old[2:])
            self.store.save(mid, key, len(f.shas), rows, replace=fresh, stats=stats)
            changed = changed or fresh or bool(rows)
        return changed

    def _vectorise(self, budget: int | None, progress=None) -> None:
        """The files whose text is final and that have no vector yet."""
        f = self.features
        f.load()
        seq = self.catalog.last_seq_except("decision")
        if seq == self._features_seq:
            return
        todo = [sha for sha in self.catalog.object_shas() if sha not in f.row]
        left = False
        if budget is not None and len(todo) > budget:
            todo, left = todo[:budget], True
        done = 0
        for i in range(0, len(todo), CHUNK):
            part = todo[i:i + CHUNK]
            names: dict[str, str] = {}
            kinds: dict[str, str] = {}
            for row in self.catalog.present_files_of(part):
                if row[5] != "zip" and (row[3] not in names or row[2] < names[row[3]]):
                    names[row[3]], kinds[row[3]] = row[2], row[4]
            batch = []
            for sha, text, state, ocr in self.catalog.texts([s for s in part if s in names]):
                if state == "pending" or ocr == "pending":
                    left = True                      # its text is still to come
                    continue
                batch.append((sha, kinds[sha], names[sha].rsplit("/", 1)[-1], text))
            f.add(batch)
            done += len(part)
            if progress is not None:
                progress(done, len(todo))
        if not left:
            self._features_seq = seq

    def _score(self, x, start: int, pos_rows: list[int], neg_rows: list[int], decided: set[str],
               material, floor: float, stats: tuple[float, float] | None = None):
        """(rows, (centre, spread)): rows (sha, score, n, similar) for the files from row
        `start` that resemble the examples' centroid (see the module's docstring); never an
        example, a counter-example or a decided file. The centre and spread of every file's
        similarity are measured now, or given (`stats`) when only new files are scored."""
        f = self.features
        p = x[pos_rows]
        centroid = np.asarray(p.mean(axis=0)).ravel()
        centroid /= np.linalg.norm(centroid) or 1.0
        sims = (x if start == 0 else x[start:]) @ centroid     # x[0:] would copy it all
        if stats is None:
            center = float(np.median(sims))
            spread = max(MIN_SPREAD, 1.4826 * float(np.median(np.abs(sims - center))))
        else:
            center, spread = stats
        cand = np.nonzero((sims >= floor) & ((sims >= center + Z * spread)
                                             | (sims >= CLEARLY_ALIKE)))[0]
        cand = [i for i in cand if f.shas[start + i] not in decided
                and material.fits(f.kinds[start + i])]
        out = []
        if cand:
            rows = [start + i for i in cand]
            near = (x[rows] @ p.T).toarray()
            against = ((x[rows] @ x[neg_rows].T).toarray().max(axis=1) if neg_rows
                       else np.zeros(len(rows)))
            pos_shas = [f.shas[r] for r in pos_rows]
            for j, i in enumerate(cand):
                if against[j] >= sims[i]:
                    continue                   # nearer a file the office rejected for it
                order = np.argsort(-near[j])[:SHOWN]
                out.append((f.shas[start + i], round(float(sims[i]), 4), len(pos_rows),
                            ",".join(pos_shas[k] for k in order)))
        out.sort(key=lambda r: -r[1])
        return out[:MAX_PER_MATERIAL], (center, spread)

    def rebuild(self) -> None:
        """Forget every vector and suggestion; the next refresh makes them again."""
        import shutil
        shutil.rmtree(self.folder, ignore_errors=True)
        self._features, self._features_seq = None, -1
        self.store.forget()

    # -- reading -------------------------------------------------------------------------------

    def _prepared(self, files: dict, mapping) -> list[tuple]:
        """(sha, material, facts, reason) of every learned suggestion whose file is present and
        fits the material's kind, made once until the catalog or what is learned changes (a
        warm check pays little for them): the facts of files the mapping does not list are
        read from the catalog, the reason names the confirmed files each resembles most."""
        key = (self.version(), self.catalog.last_seq_except("decision"))
        if self._facts is not None and self._facts[0] == key:
            return self._facts[1]
        learned = self.suggestions()
        facts = {sha: files[sha] for sha, _ in learned if sha in files}
        new = {sha for sha, _ in learned if sha not in files}
        found: dict[str, FileFacts] = {}
        for _sid, unit, path, sha, kind, fmt, state, _r, date, dsrc in sorted(
                self.catalog.present_files_of(new), key=lambda r: r[2]):
            if sha not in found and fmt != "zip":
                found[sha] = FileFacts(sha, path, unit, kind, date, dsrc, state != "problem")
        mapping._mark_unread(found, list(found))
        facts.update(found)
        out = []
        for (sha, mid), (_, n, similar) in learned.items():
            f = facts.get(sha)
            if f is None or mid not in self.materials or not self.materials[mid].fits(f.kind):
                continue
            out.append((sha, mid, f, [(SIMILAR, {"n": n, "similar": [
                {"id": s, "path": files[s].path} for s in similar if s in files]})]))
        self._facts = (key, out)
        return out

    def suggestions(self) -> dict[tuple[str, str], tuple[float, int, list[str]]]:
        """(sha, material) -> (score, n, similar shas), for the materials learning is on for."""
        key = self.version()
        if self._read is None or self._read[0] != key:
            s = self.settings
            rows = self.store.suggestions() if s.enabled else []
            self._read = (key, {(sha, mid): (score, n, [x for x in similar.split(",") if x])
                                for mid, sha, score, n, similar in rows if s.on(mid)})
        return self._read[1]

    def suggests(self, sha: str, material: str) -> bool:
        return (sha, material) in self.suggestions()

    def add_to(self, ev: Evidence, decisions: dict, mapping) -> Evidence:
        """The learned suggestions added to the evidence: for a material, a file it does not
        list already (by a code, a content rule or a decision), never a decided (file,
        material), never a file the office has placed as evidence for another material (it
        knows where that one belongs), never counting by itself."""
        if not self.suggestions():
            return ev
        files, out, waits = ev.files, ev.materials, ev.waits
        placed = {sha for (sha, _), d in decisions.items() if d["action"] in ("confirm", "assign")}
        for sha, mid, facts, why in self._prepared(files, mapping):
            found = out.get(mid)
            if found is None or sha in found or sha in placed or (sha, mid) in decisions:
                continue
            if sha not in files:
                files[sha] = facts
            found[sha] = ("suggested", False)
            waits[(sha, mid)] = why
        return ev
