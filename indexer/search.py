"""The search index: a Whoosh index derived from the catalog. It follows the catalog's change
sequence (the cursor is saved after each commit), so after a crash or a deleted folder it
catches up, and `rebuild` makes it again from scratch. One writer at a time, one commit per
batch, never one per file.
"""
from __future__ import annotations

import json
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

from . import querying
from ._whoosh import fields, index, query
from .analysis import analyzer, gram_analyzer

SCHEMA_VERSION = 2
# a commit every so many documents: Whoosh spills its postings pool to temporary files, and one
# commit for a whole rebuild of 100,000 documents needed 27 GB of them; a few thousand at a time
# keeps that to a few hundred MB and each segment merges in the background of the next commits
COMMIT_EVERY = 2000
FACETS = ("unit", "kind", "year")


def schema():
    a = analyzer()
    return fields.Schema(
        path=fields.ID(stored=True, unique=True),
        sha=fields.ID(stored=True),
        unit=fields.ID(stored=True),
        kind=fields.ID(stored=True),
        name=fields.TEXT(analyzer=a, stored=True, phrase=True, field_boost=2.0),
        content=fields.TEXT(analyzer=a, phrase=True),
        grams=fields.TEXT(analyzer=gram_analyzer(), phrase=True),
        date=fields.ID(stored=True),
        year=fields.ID(stored=True),
        items=fields.KEYWORD(stored=True, commas=True, scorable=False),
        status=fields.ID(stored=True),
    )


def document(*, path: str, sha: str, unit: str, kind: str, name: str, text: str, date: str,
             items: list[str], status: str) -> dict:
    """The fields of one file in the index (the text goes into both the bigram and the gram
    field)."""
    return dict(path=path, sha=sha, unit=unit, kind=kind, name=name, content=text, grams=text,
                date=date, year=date[:4], items=",".join(items), status=status)


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


class SearchIndex:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._ix = None
        self._searcher = None
        self._facets: dict[str, dict[str, frozenset]] = {}
        self._lock = threading.Lock()        # a Whoosh searcher is not shared between threads

    # -- the index on disk -----------------------------------------------------------------

    @property
    def ix(self):
        if self._ix is None:
            self._ix = self._open_or_create()
        return self._ix

    def _open_or_create(self):
        meta = self._read_meta()
        if meta.get("schema") == SCHEMA_VERSION:
            try:
                ix = index.open_dir(str(self.folder))
                with ix.reader() as r:          # touches every segment: corrupt ones fail here
                    r.doc_count_all()
                    list(r.indexed_field_names())
                return ix
            except Exception:
                pass            # missing or corrupt: made again below; the catalog is the record
        if self.folder.exists():
            shutil.rmtree(self.folder)
        self.folder.mkdir(parents=True)
        ix = index.create_in(str(self.folder), schema())
        self._write_meta({"schema": SCHEMA_VERSION, "seq": 0})
        return ix

    def _read_meta(self) -> dict:
        try:
            return json.loads((self.folder / "yingjian.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def _write_meta(self, meta: dict) -> None:
        tmp = self.folder / "yingjian.json.tmp"
        tmp.write_text(json.dumps(meta), encoding="utf-8")
        tmp.replace(self.folder / "yingjian.json")

    @property
    def cursor(self) -> int:
        self.ix
        return int(self._read_meta().get("seq", 0))

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None
        if self._ix is not None:
            self._ix.close()
            self._ix = None

    def paths(self) -> dict[str, str]:
        """path -> sha of every document in the index (consistency checks, tests)."""
        with self.ix.searcher() as s:
            return {d["path"]: d["sha"] for d in s.all_stored_fields()}

    # -- following the catalog -------------------------------------------------------------

    def sync(self, catalog, items_of=None, progress=None) -> int:
        """Apply every catalog change after the saved cursor; returns how many files changed.
        `items_of(sha, path, kind) -> [material ids]` lets the application add the mapping."""
        try:
            return self._sync(catalog, items_of, progress)
        except (OSError, ValueError, EOFError, KeyError, IndexError, TypeError) as e:
            if getattr(e, "__module__", "").startswith("archive"):
                raise
            # a damaged segment found while writing: start again from the catalog
            self.close()
            shutil.rmtree(self.folder, ignore_errors=True)
            return self._sync(catalog, items_of, progress)

    def _sync(self, catalog, items_of, progress) -> int:
        seq, changed = catalog.changed_since(self.cursor)
        if not changed:
            return 0
        def apply(writer, sid):
            self._apply(writer, catalog, sid, items_of)
        self.write(changed, apply, progress)
        self._write_meta({"schema": SCHEMA_VERSION, "seq": seq})
        return len(changed)

    def write(self, items, apply, progress=None) -> None:
        """`apply(writer, item)` for each item, committing every COMMIT_EVERY (never one commit
        per file, never one for everything). A crash between commits only means the next sync
        redoes some documents: updating a document is idempotent."""
        items = list(items)
        for start in range(0, len(items), COMMIT_EVERY):
            writer = self.ix.writer(limitmb=256)
            try:
                for i, item in enumerate(items[start:start + COMMIT_EVERY], start + 1):
                    apply(writer, item)
                    if progress:
                        progress(i, len(items))
                writer.commit()
            except BaseException:
                writer.cancel()
                raise

    def rebuild(self, catalog, items_of=None, progress=None) -> int:
        self.close()
        if self.folder.exists():
            shutil.rmtree(self.folder)
        return self.sync(catalog, items_of, progress)

    def _apply(self, writer, catalog, source_id: int, items_of) -> None:
        row = catalog.index_row(source_id)
        if row is None:
            return
        if row["state"] != "present" or row["sha"] is None:
            writer.delete_by_term("path", row["path"])
            return
        writer.update_document(**document(
            path=row["path"], sha=row["sha"], unit=row["unit"], kind=row["kind"] or "other",
            name=row["name"], text=row["text"] or "", date=row["date"] or "",
            items=items_of(row["sha"], row["path"], row["kind"]) if items_of else [],
            status=row["ostate"] or ""))

    # -- asking ----------------------------------------------------------------------------

    def _current_searcher(self):
        """One searcher kept open and refreshed when the index has changed. For each facet
        value (a unit, a kind, a year) the set of its documents is read once per refreshed
        searcher, so counting a result's facets is a few set intersections."""
        if self._searcher is None:
            self._searcher = self.ix.searcher()
        elif not self._searcher.up_to_date():
            self._searcher = self._searcher.refresh()
            self._facets = {}
        if not self._facets:
            r = self._searcher.reader()
            self._facets = {f: {t.decode("utf-8"): frozenset(r.postings(f, t).all_ids())
                                for t in r.lexicon(f)} for f in FACETS}
        return self._searcher

    def search(self, text: str, *, unit: str | None = None, kind: str | None = None,
               year: str | None = None, item: str | None = None, date_from: str | None = None,
               date_to: str | None = None, limit: int = 20, page: int = 1,
               text_of=None) -> Results:
        """Ranked hits for the user's query string; raises querying.QueryError for one we can't
        answer. `text_of(sha)` gives a file's text for the snippet.

        The matching documents are found once, as a set of document numbers, without scoring:
        that gives the exact total and the facet counts. Only the ranking scores, and Whoosh
        skips the posting blocks that cannot reach the page asked for."""
        q = querying.parse(text)
        filters = [query.Term(f, v) for f, v in (("unit", unit), ("kind", kind), ("year", year),
                                                  ("items", item)) if v]
        if date_from or date_to:
            filters.append(query.TermRange("date", date_from or "0000", (date_to or "9999") + "\uffff"))
        with self._lock:
            s = self._current_searcher()
            matched = set(q.docs(s))
            if filters and matched:
                matched &= set(query.And(filters).docs(s))
            counts = {}
            for f in FACETS:
                c = {v: len(matched & docs) for v, docs in self._facets[f].items()}
                c = {v: n for v, n in sorted(c.items(), key=lambda kv: -kv[1]) if n}
                missing = len(matched) - sum(c.values())     # documents with no value (no date)
                if missing > 0:
                    c[""] = missing
                counts[f] = c
            hits = []
            if matched:
                r = s.search(q, limit=page * limit, filter=matched)
                for hit in r[(page - 1) * limit:page * limit]:
                    hits.append(Hit(id=hit["sha"], unit=hit["unit"], path=hit["path"],
                                    name=hit["name"], kind=hit["kind"],
                                    date=hit.get("date") or None,
                                    items=[i for i in (hit.get("items") or "").split(",") if i],
                                    score=round(float(hit.score), 3)))
        for h in hits:
            body = text_of(h.id) if text_of else ""
            h.snippet = querying.snippet(body or h.name, querying.literals(text))
        return Results(text, len(matched), hits, counts)
