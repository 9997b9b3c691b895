"""The search index: a Whoosh index derived from the catalog. It follows the catalog's change
sequence (the cursor is saved after each commit), so after a crash or a deleted folder it
catches up, and `rebuild` makes it again from scratch. One writer at a time, one commit per
batch, never one per file.
"""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from . import querying
from ._whoosh import fields, index, query, sorting
from .analysis import analyzer

SCHEMA_VERSION = 1
BATCH = 500


def schema():
    a = analyzer()
    return fields.Schema(
        path=fields.ID(stored=True, unique=True),
        sha=fields.ID(stored=True),
        unit=fields.ID(stored=True),
        kind=fields.ID(stored=True),
        name=fields.TEXT(analyzer=a, stored=True, phrase=True, field_boost=2.0),
        content=fields.TEXT(analyzer=a, phrase=True),
        date=fields.ID(stored=True),
        year=fields.ID(stored=True),
        items=fields.KEYWORD(stored=True, commas=True, scorable=False),
        status=fields.ID(stored=True),
    )


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
        if self._ix is not None:
            self._ix.close()
            self._ix = None

    # -- following the catalog -------------------------------------------------------------

    def sync(self, catalog, items_of=None, progress=None) -> int:
        """Apply every catalog change after the saved cursor; returns how many files changed.
        `items_of(source_id) -> [material ids]` lets the application add the mapping."""
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
        writer = self.ix.writer(limitmb=128)
        try:
            for i, sid in enumerate(changed, 1):
                self._apply(writer, catalog, sid, items_of)
                if progress:
                    progress(i, len(changed))
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        self._write_meta({"schema": SCHEMA_VERSION, "seq": seq})
        return len(changed)

    def rebuild(self, catalog, items_of=None, progress=None) -> int:
        self.close()
        if self.folder.exists():
            shutil.rmtree(self.folder)
        return self.sync(catalog, items_of, progress)

    def _apply(self, writer, catalog, source_id: int, items_of) -> None:
        row = catalog.db.execute(
            "SELECT s.path, s.unit, s.name, s.state, s.sha, o.kind, o.text, o.date, o.state AS "
            "ostate FROM sources s LEFT JOIN objects o ON o.sha = s.sha WHERE s.id = ?",
            (source_id,)).fetchone()
        if row is None:
            return
        if row["state"] != "present" or row["sha"] is None:
            writer.delete_by_term("path", row["path"])
            return
        date = row["date"] or ""
        writer.update_document(
            path=row["path"], sha=row["sha"], unit=row["unit"], kind=row["kind"] or "other",
            name=row["name"], content=row["text"] or "", date=date, year=date[:4],
            items=",".join(items_of(source_id)) if items_of else "", status=row["ostate"] or "")

    # -- asking ----------------------------------------------------------------------------

    def search(self, text: str, *, unit: str | None = None, kind: str | None = None,
               year: str | None = None, item: str | None = None, date_from: str | None = None,
               date_to: str | None = None, limit: int = 20, page: int = 1,
               text_of=None) -> Results:
        """Ranked hits for the user's query string; raises querying.QueryError for one we can't
        answer. `text_of(sha)` gives a file's text for the snippet."""
        q = querying.parse(text)
        filters = [query.Term(f, v) for f, v in (("unit", unit), ("kind", kind), ("year", year),
                                                  ("items", item)) if v]
        if date_from or date_to:
            filters.append(query.TermRange("date", date_from or "0000", (date_to or "9999") + "\uffff"))
        flt = query.And(filters) if filters else None
        with self.ix.searcher() as s:
            facets = {"unit": sorting.FieldFacet("unit"), "kind": sorting.FieldFacet("kind"),
                      "year": sorting.FieldFacet("year")}
            r = s.search_page(q, page, pagelen=limit, filter=flt, groupedby=facets)
            total = len(r)
            counts = {name: {k or "": len(v) for k, v in r.results.groups(name).items()}
                      for name in facets}
            hits = []
            for hit in r:
                hits.append(Hit(id=hit["sha"], unit=hit["unit"], path=hit["path"],
                                name=hit["name"], kind=hit["kind"], date=hit.get("date") or None,
                                items=[i for i in (hit.get("items") or "").split(",") if i],
                                score=round(float(hit.score), 3)))
        for h in hits:
            body = text_of(h.id) if text_of else ""
            h.snippet = querying.snippet(body or h.name, querying.literals(text))
        return Results(text, total, hits, counts)
