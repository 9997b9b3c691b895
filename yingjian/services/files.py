"""The archive's files as the fronts show them: records, one file's page, its bytes, thumbnail
and page images, and the problems with the office's notes on them."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from checklist import StandardError

from .. import records


@dataclass(frozen=True)
class FileDetail:
    """One archived file for its page: the catalog's row, each present path's versions, the
    materials it is mapped to and the decisions on it (for the office), how many page images
    it has."""
    sha: str
    object: dict
    versions: dict[int, list] = field(default_factory=dict)
    items: list[str] = field(default_factory=list)
    history: list = field(default_factory=list)
    page_images: int = 0

    @property
    def text(self) -> str:
        return self.object.get("text") or ""


@dataclass(frozen=True)
class FilePage:
    """One page of the 文件 list: how many paths match, the records shown (each with the
    materials it serves, `materials`), the page and how many there are."""
    total: int
    files: list[dict]
    page: int
    pages: int


@dataclass
class ProblemRow:
    """A file that could not be archived or read as it should, with the office's note on it
    (已通知 / 忽略), if any."""
    record: dict
    note: dict | None = None


class UnknownPath(LookupError):
    """A path the catalog never held."""

    def __init__(self, path: str):
        super().__init__(path)
        self.path = path


class Files:
    def __init__(self, ws):
        self._ws = ws                  # the workspace that built this service (its stores, mapping)
        self._serving: tuple | None = None     # (the catalog's change, sha -> materials)

    @property
    def _catalog(self):
        return self._ws.stores.catalog

    # -- lists -------------------------------------------------------------------------------

    def serving(self) -> dict[str, list[str]]:
        """sha -> the materials it serves (declared, suggested or decided), for every file
        that serves one; computed again only when the catalog has changed (decisions and a new
        standard are logged as changes too)."""
        ws, catalog = self._ws, self._catalog
        try:
            seq = (catalog.last_seq(), ws.learner.version())
        except StandardError:
            seq = (catalog.last_seq(), None)
        cached = self._serving
        if cached is None or cached[0] != seq:
            out: dict[str, list[str]] = {}
            try:
                evidence = ws.mapping.evidence()[1]
            except StandardError:          # a broken standard: nothing serves anything
                evidence = {}
            for mid, shas in evidence.items():
                for sha in shas:
                    out.setdefault(sha, []).append(mid)
            cached = self._serving = (seq, out)
        return cached[1]

    def page(self, *, unit: str | None = None, kind: str | None = None,
             year: str | None = None, status: str | None = None,
             material: str | None = None, mapped: str | None = None, sort: str = "unit",
             descending: bool = False, page: int = 1, per_page: int = 50) -> FilePage:
        """One page of the archive's paths, filtered and sorted by the catalog (exact):
        `mapped` is "yes" (serves any material) or "no"; `material` a material's id."""
        if year is not None and year != "none" and not (year.isdigit() and len(year) == 4):
            year = None
        serving, catalog = self.serving(), self._catalog
        total, rows = catalog.paths_matching(
            unit=unit, kind=kind, year=year,
            status=status if status in catalog.LIST_STATUSES else None,
            tags=serving, tag=material or None, tagged={"yes": True, "no": False}.get(mapped or ""),
            sort=sort, descending=descending, offset=(page - 1) * per_page, limit=per_page)
        files = []
        for r in rows:
            rec = records.file_record(r)
            if rec["status"] == "ok" and r["ocr"] == "pending":
                rec["status"] = "pending"
            rec["materials"] = sorted(serving.get(r["sha"], ()))
            files.append(rec)
        return FilePage(total=total, files=files, page=page, pages=max(1, -(-total // per_page)))

    def years(self) -> list[str]:
        """The evidence years the archive's files have, for the list's filter."""
        return self._catalog.evidence_years()

    def records(self, unit: str | None = None) -> list[dict]:
        """Every archived path (of `unit`), as `files --json` gives them."""
        return records.files(self._catalog, unit)

    def problems(self, unit: str | None = None) -> list[dict]:
        """Every problem (of `unit`), as `problems --json` gives them."""
        return records.problems(self._catalog, unit)

    def unit_counts(self) -> dict[str, int]:
        return self._catalog.unit_counts()

    def backlog(self) -> dict:
        """What the archive has still to read: contents to extract, contents and pages waiting
        for OCR (the catalog's `backlog`), for the office's home page and `yingjian status`."""
        return self._catalog.backlog()

    def problem_count(self) -> int:
        return self._catalog.paths_matching(status="problem", limit=1)[0]

    def problems_noted(self, may_see=lambda unit: True) -> list[ProblemRow]:
        """The problems a user may see, each with the office's latest note on it."""
        marks = self._ws.stores.problem_notes.latest()
        return [ProblemRow(p, marks.get((p["path"], p["id"] or "")))
                for p in self.problems() if may_see(p["unit"])]

    def note_problems(self, paths: list[str], mark: str, user: str, reason: str | None) -> None:
        """Note problems as 已通知 (`notified`) or 忽略 (`ignored`); every path is checked before
        any is noted (an unknown one: `UnknownPath`, nothing noted)."""
        found = []
        for path in paths:
            src = self._catalog.source(path)
            if src is None:
                raise UnknownPath(path)
            found.append((path, src.sha))
        for path, sha in found:
            self._ws.stores.problem_notes.mark(path, sha, mark, user, reason)

    # -- one file ----------------------------------------------------------------------------

    def sources_of(self, sha: str) -> list:
        """The present paths holding `sha`."""
        return self._catalog.sources_of(sha)

    def paths_of(self, sha: str) -> list[str]:
        return [r["path"] for r in self._catalog.sources_of(sha)]

    def detail(self, sha: str, sources: list, *, office: bool) -> FileDetail | None:
        """The file's page: `sources` are the paths the user may see; the materials and the
        decisions only for the office."""
        row = self._catalog.object(sha)
        if row is None:
            return None
        obj = dict(row)
        ws = self._ws
        return FileDetail(
            sha=sha, object=obj,
            versions={s["id"]: self._catalog.versions(s["id"]) for s in sources},
            items=ws.mapping.items_for(sha, [s["path"] for s in sources], obj["kind"]) if office else [],
            history=ws.mapping.history(sha) if office else [],
            page_images=ws.previews.pages(row))

    def format_of(self, sha: str) -> str | None:
        row = self._catalog.object(sha)
        return row["format"] if row is not None else None

    def content(self, sha: str) -> Path | None:
        """The archived bytes of `sha` (never the inbox's copy), or None if the object is gone."""
        store = self._ws.stores.objects
        return store.path(sha) if store.has(sha) else None

    def thumbnail(self, sha: str) -> Path | None:
        return self._ws.thumbnails.get(sha)

    def page_image(self, sha: str, index: int) -> Path | None:
        """Page `index` (from 0) at reading size, made on first view."""
        return self._ws.previews.get(sha, index) if index >= 0 else None
