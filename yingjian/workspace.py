"""A workspace on disk: its configuration, the stores and parts opened from it, and the services
both fronts (the command line and the web app) call: sync and rebuild the index, watch, check,
decide, report. The fronts only parse, call and present."""
from __future__ import annotations

import os
import shutil
from datetime import date
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from urllib.parse import quote

from archive import Ingestor, OcrQueue, Thumbnails
from archive.scan import NO_UNIT
from foundation import closest, replace_text
from indexer import IndexBusy
from checklist import (DEFAULT_STANDARD, Check, Mapping, MappingError, Standard, StandardError,
                       dump, load)
from checklist.check import Queue, leaves
from checklist.results import CheckResult

from . import cluster, config as cfg, messages, records
from .config import Config, WorkspaceError
from .registry import city_summary
from .services import Accounts, Activity, Files
from .stores import Stores
from checklist.learning import Learner
from checklist.learning import Settings
from .report import ReportData
from .history import view
from .uploads import upload
from archive.previews import Previews
from .deadlines import annotate
from .history import summary_of


@dataclass
class Readiness:
    """One readiness check: the result (the `check --json` shape) and, for the reports, what
    each file serves: sha -> [(material, how, confirmed)]; and the review queue, every
    suggestion waiting for the office in the order it should look at them (veto items first,
    then by the score confirming it would add)."""
    result: dict
    serves: dict[str, list[tuple[str, str, bool]]]
    pending: Queue | None = None          # the review queue, in order
    checked: CheckResult | None = field(default=None, repr=False)   # the typed result
    standings: tuple | None = field(default=None, repr=False)     # made on first use


class Workspace:
    _statistics_gathered = False

    def __init__(self, config: Config):
        self.config = config
        self.stores = Stores(config)          # every store, opened in one place (yingjian/stores.py)
        self._readiness: tuple | None = None  # (what it was checked against, the Readiness)
        self._learning_settings: tuple | None = None     # (yingjian.toml's mtime, Settings)
        self._today: date | None = None       # the office's today, when a test sets it

    @classmethod
    def open(cls, explicit: str | Path | None = None) -> "Workspace":
        return cls(cfg.load(cfg.find_workspace(explicit)))

    # -- the services the fronts call (yingjian/services/) --------------------------------------

    @cached_property
    def files(self) -> Files:
        return Files(self)

    @cached_property
    def accounts(self) -> Accounts:
        return Accounts(self.stores.users)

    @cached_property
    def activity(self) -> Activity:
        return Activity(self.stores, self.config.archive / "notices")

    # -- the parts, opened on first use ------------------------------------------------------

    @property
    def store(self):
        return self.stores.objects

    @property
    def catalog(self):
        return self.stores.catalog

    @property
    def decisions(self):
        return self.stores.decisions

    @property
    def users(self):
        return self.stores.users

    @property
    def audit(self):
        return self.stores.audit

    @property
    def index(self):
        return self.stores.index

    @cached_property
    def standard(self) -> Standard:
        return load(self.config.standard)

    @cached_property
    def mapping(self) -> Mapping:
        mapping = Mapping(self.standard, self.catalog, self.decisions, office=self.config.office)
        mapping.learned = self.learner
        return mapping

    @cached_property
    def learner(self):
        """Suggestions learned from the office's decisions (checklist/learning.py): derived, in
        archive/learning/ and the learning store; switched in yingjian.toml's [learning]."""
        return Learner(self.catalog, self.decisions, self.stores.learning_store,
                       self.standard.materials(),
                       self.config.archive / "learning", settings=self.learning_settings)

    def learning_settings(self):
        """The [learning] switches as yingjian.toml says them now: the command `yingjian learn
        on|off` may have changed them while the web app or the watcher runs."""
        path = self.config.root / cfg.CONFIG_NAME
        try:
            stamp = path.stat().st_mtime_ns
        except OSError:
            stamp = None
        cached = self._learning_settings
        if cached is None or cached[0] != stamp:
            try:
                opts = cfg.load(self.config.root).learning if stamp is not None else None
            except WorkspaceError:
                opts = None                   # a broken file: keep the settings we started with
            opts = opts or self.config.learning
            self.config.learning = opts
            cached = self._learning_settings = (stamp, Settings(
                opts.enabled, frozenset(opts.off), float(opts.min_similarity)))
        return cached[1]

    def learn(self, budget: int | None = None, progress=None) -> bool:
        """Bring the learned suggestions up to the decisions and the archive (the watcher, the
        web app's background thread and the commands that show suggestions call this; a web
        page never does). True if they changed."""
        try:
            self.mapping
        except StandardError:
            return False                      # a broken standard: nothing to learn for
        return self.learner.refresh(budget=budget, progress=progress)

    def learn_now(self, progress=None) -> int:
        """Learn now (`learn run`); the number of files suggested by resemblance."""
        self.learn(progress=progress)
        return len(self.learner.suggestions())

    def relearn(self, progress=None) -> int:
        """Learn again from nothing (`learn run --rebuild`); the number of files suggested."""
        self.learner.rebuild()
        return self.learn_now(progress=progress)

    def learning_counts(self) -> dict[str, dict[str, int]]:
        """Per material: the files suggested by resemblance (`suggestions`), the confirmed
        files they are learned from (`examples`) and the files ever excluded
        (`counter_examples`)."""
        out: dict[str, dict[str, int]] = {}

        def add(mid: str, key: str) -> None:
            row = out.setdefault(mid, {"suggestions": 0, "examples": 0, "counter_examples": 0})
            row[key] += 1
        for _sha, mid in self.learner.suggestions():
            add(mid, "suggestions")
        for (_sha, mid), d in self.decisions.latest().items():
            if d["action"] in ("confirm", "assign"):
                add(mid, "examples")
        for _sha, mid in self.decisions.ever_rejected():
            add(mid, "counter_examples")
        return out

    @cached_property
    def thumbnails(self) -> Thumbnails:
        return self.image_makers()[0]

    def image_makers(self, run=None) -> tuple[Thumbnails, Previews]:
        """What draws a file's thumbnail and its pages' previews, each kept on first drawing;
        `run` is the guarded reader they draw in (this process's shared one if None; a
        worker's own)."""
        extra = {"run": run} if run is not None else {}
        return (Thumbnails(self.config.thumbs, self.store, self.catalog, self.config.limits,
                           labels=messages.KIND_LABELS, font=self.config.font, **extra),
                Previews(self.config.thumbs.parent / "previews", self.store, self.catalog,
                         self.config.limits, **extra))

    # -- the search index --------------------------------------------------------------------

    def items_of(self, files: list[tuple[str, str, str | None]]) -> list[list[str]]:
        """The materials each (sha, path, kind) serves: the index's `items`, a chunk at a time."""
        return self.mapping.items_for_many([(sha, [path], kind) for sha, path, kind in files])

    def _items_of(self):
        """The index's `items` function, or None while the standard file is broken (a broken
        standard must not stop archiving or search). A new standard (a new round) changes what
        every file serves: every path is logged as changed, so the index redoes them."""
        try:
            fingerprint = self.mapping.fingerprint
        except StandardError:
            return None
        fp_file = self.config.archive / "standard.fingerprint"
        old = fp_file.read_text(encoding="utf-8").strip() if fp_file.is_file() else None
        if old != fingerprint:
            if old is not None:
                self.catalog.log_changed(None, "standard")
            self.decisions.keep_only(fingerprint)     # the caches of the old standard go
            # never seen empty by another process (or after a power cut): that would redo
            # every file's index entry
            replace_text(fp_file, fingerprint)
        return self.items_of

    def catch_up(self, progress=None) -> int:
        """What a front calls once when it opens a workspace to show it (a command that checks,
        reports or searches; the web app at start): the index, the mapping's caches and the
        statistics brought up to the catalog, which another process (a watcher, a worker) or a
        new standard may have changed. Everything that changes the catalog through this
        workspace keeps them in step itself."""
        return self.sync_index(progress=progress)

    def sync_index(self, progress=None) -> int:
        """Bring the search index up to the catalog's change sequence, with the mapping's caches
        and (once per process) the catalog's statistics: what every operation that changed the
        catalog runs, so that a read (a page load) only reads. If another process (a running
        watcher) holds the index, it is keeping it current: search what is there."""
        items_of = self._items_of()
        if items_of is not None:
            self.mapping.update_caches()
        if not self._statistics_gathered:
            self._statistics_gathered = True
            self.catalog.gather_statistics()
        try:
            return self.index.sync(self.catalog, items_of=items_of, progress=progress)
        except IndexBusy:
            return 0

    def search(self, query: str, **options):
        """Full-text search (indexer.SearchResult); `options` as SearchIndex.search takes them.
        A read: the index is kept in step by whatever changed the catalog."""
        return self.index.search(query, text_of=self.text_of, **options)

    def rebuild_index(self, progress=None) -> int:
        """Rebuild the search index from the catalog, with every file's materials. A watcher's
        or another command's sync in progress is waited for as the catalog is (busy_timeout),
        then IndexBusy, a sentence for the clerk."""
        return self.index.rebuild(self.catalog, items_of=self._items_of(), progress=progress,
                                  wait=self.config.busy_timeout)

    # -- readiness and reports ---------------------------------------------------------------

    def readiness(self) -> Readiness:
        """The readiness check of the whole archive against the standard. Files in a folder
        that is no unit (listed as problems) make no unit of their own; the standard's
        responsible units that have no folder are named once, in `units_without_folder`. The
        same check is given again until the catalog changes (decisions and a new standard are
        logged as changes too), so the web app's pages and the review queue cost one check per
        change."""
        key = (self.catalog.last_seq(), self.mapping.fingerprint, tuple(self.config.units),
               self.learner.version())
        cached = self._readiness
        if cached is not None and cached[0] == key:
            return self._with_deadlines(cached[1])
        counts = {u: 0 for u in self.config.units}
        known = set(counts) | set(self.standard.units())
        counts.update({u: n for u, n in self.catalog.unit_counts().items()
                       if u in known or not self.config.units and u != NO_UNIT})
        check = Check(self.standard, self.mapping,
                      veto_needs_review=self.config.veto_needs_review)
        checked = check.run(counts)
        result = checked.to_json()          # the `check --json` shape, made at the edge
        if self.config.units:
            result["units_without_folder"] = [u for u in self.standard.units()
                                              if u not in self.config.units]
        _words_for_why_not(result["items"])
        serves: dict[str, list] = {}
        for mid, shas in check.evidence.items():
            for sha, (how, confirmed) in shas.items():
                serves.setdefault(sha, []).append((mid, how, confirmed))
        ready = Readiness(result, serves, Queue(check, check.pending).ordered(), checked=checked)
        self._readiness = (key, ready)
        return self._with_deadlines(ready)

    def check(self) -> dict:
        """The readiness check's result, in the `check --json` shape."""
        return self.readiness().result

    def report_data(self, readiness: Readiness, links_from: Path | None = None):
        """What the reports need from one check: every present file and the materials it serves,
        the problems, thumbnails, and (with `links_from`, the report's folder) relative links to
        the files in the inbox."""
        inbox = self.config.inbox

        def link(ev: dict) -> str | None:
            if links_from is None:
                return None
            target = inbox / ev["path"]
            if not target.is_file():
                return None             # a zip member, or gone since: no file to open
            return quote(Path(os.path.relpath(target, links_from)).as_posix())

        return ReportData(
            check=readiness.result, office=self.config.title,
            files=[r for r in records.files(self.catalog) if r["status"] not in ("withdrawn", "refused")],
            serves=readiness.serves, problems=records.problems(self.catalog),
            thumbnail=self.thumbnails.get, link=link, object_path=self.store.path,
            history=self._history_view(readiness.result),
            text_of=self.text_of, font=self.config.font)

    def _history_view(self, result: dict) -> dict:
        """The readiness chart and projection: the stored days, and today from `result`; and
        one line per unit."""
        return {**view(self, result), "units_svg": view(self, result, all_units=True)["svg"]}

    # -- names a user types: units, items, materials -------------------------------------------

    def units(self) -> list[str]:
        """The workspace's units (for a workspace made before units were listed: the folders
        the archive holds files of)."""
        if self.config.units:
            return list(self.config.units)
        return [u for u in self.catalog.unit_counts() if u != NO_UNIT]

    def resolve_unit(self, name: str) -> str:
        """A unit as typed (--unit): one of the workspace's, else an error naming the closest."""
        name = name.strip()
        units = self.units()
        if name in units:
            return name
        raise WorkspaceError("unit_unknown", unit=name, closest=closest(name, units),
                             units=units)

    def resolve_item(self, ref: str) -> str:
        """An item code or material id as typed (--item); a material id is returned as is, an
        item with one material gives that material (the index knows files by material)."""
        ref = ref.strip()
        materials = self.standard.materials()
        canon = {c.lower(): c for c in [*materials, *(it.code for it in self.standard.walk())]}
        code = canon.get(ref.lower())
        if code in materials:
            return code
        if code is not None:
            under = self.standard.item(code).all_materials()
            if len(under) == 1:
                return under[0].id
            raise WorkspaceError("item_has_many_materials", item=code,
                                 materials=[f"{m.id} {m.title}" for m in under])
        raise WorkspaceError("item_unknown", item=ref, closest=closest(ref, list(canon.values())))

    def resolve_material(self, ref: str) -> str:
        """A material id as typed: an item code instead lists the item's materials."""
        ref = ref.strip()
        materials = self.standard.materials()
        canon = {m.lower(): m for m in materials}
        if ref.lower() in canon:
            return canon[ref.lower()]
        item = next((it for it in self.standard.walk() if it.code.lower() == ref.lower()), None)
        if item is not None:
            raise MappingError("material_is_item", material=item.code,
                               materials=[f"{m.id} {m.title}" for m in item.all_materials()])
        raise MappingError("unknown_material", material=ref, closest=closest(ref, list(materials)))

    def add_unit(self, name: str) -> Path:
        """A new unit: its name in yingjian.toml and its folder in the inbox."""
        name = name.strip()
        cfg.check_unit_name(name)
        if name in self.config.units:
            raise WorkspaceError("unit_exists", unit=name, folder=str(self.config.inbox / name))
        units = [*self.config.units, name]
        cfg.write_units(self.config.root, units)
        self.config.units = units
        folder = self.config.inbox / name
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    # -- decisions ---------------------------------------------------------------------------

    def resolve_file(self, ref: str) -> str:
        """A file given by a user: an id prefix (at least 6 characters) or a path in the inbox."""
        ref = ref.strip().replace("\\", "/")
        src = self.catalog.source(ref.strip("/"))
        if src is None:
            try:
                rel = Path(ref).resolve().relative_to(self.config.inbox.resolve()).as_posix()
                src = self.catalog.source(rel)
            except (ValueError, OSError):
                pass
        if src is not None:
            if src.sha is None:
                raise MappingError("file_not_archived", ref=ref)
            return src.sha
        if ref and all(c in "0123456789abcdef" for c in ref.lower()):
            if len(ref) < 6:
                raise MappingError("file_id_too_short", ref=ref)
            found = self.catalog.shas_with_prefix(ref.lower())
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                raise MappingError("file_id_ambiguous", ref=ref)
        raise MappingError("file_not_found", ref=ref)

    def decide(self, ref: str, material: str, action: str, user: str, *,
               date: str | None = None, note: str | None = None,
               client: str | None = None) -> str:
        """Record the office's decision for a file and a material (with the evidence date a
        person vouches for, when assigning a file that carries none); returns the file's id.
        The CLI, the web app and the tests all decide through here, so every decision is in
        the audit trail (from `client`, or the address the web request acts from). A decision
        that would change nothing, or a confirmation of a file never suggested, is refused with
        its reason."""
        sha = self._decide(ref, material, action, user, date=date, note=note, client=client)
        self.sync_index()               # what the file serves changed: its index entry follows
        return sha

    def _decide(self, ref: str, material: str, action: str, user: str, *,
                date: str | None, note: str | None, client: str | None) -> str:
        sha = self.resolve_file(ref)
        material = self.resolve_material(material)
        self._check_effect(ref, sha, material, action, date)
        self.mapping.decide(sha, material, action, user, note=note, date=date)
        paths = [s["path"] for s in self.catalog.sources_of(sha)]
        self.audit.record("decide", user, client, decision=action, material=material, sha=sha,
                          path=paths[0] if paths else None, date=date)
        return sha

    def _check_effect(self, ref: str, sha: str, material: str, action: str,
                      date: str | None = None) -> None:
        """Refuse a decision that would change nothing (an assignment that brings a vouched
        date changes the date), or a confirmation of a file nobody suggested."""
        last = self.decisions.latest_for(sha).get(material)
        last = last["action"] if last else None
        paths = [r["path"] for r in self.catalog.sources_of(sha)]
        row = self.catalog.object(sha)
        serves = material in self.mapping.items_for(sha, paths, row["kind"] if row else None) \
            or self.learner.suggests(sha, material)
        data = {"ref": ref, "material": material, "path": paths[0] if paths else sha[:12]}
        if action in ("confirm", "assign") and last in ("confirm", "assign") \
                and not (action == "assign" and date):
            raise MappingError("decision_already", verb=messages.ACTION_LABELS[action], **data)
        if action == "confirm" and last != "reject" and not serves:
            raise MappingError("confirm_not_suggested", **data)
        if action == "reject" and last == "reject":
            raise MappingError("reject_already", **data)
        if action == "reject" and not serves:
            raise MappingError("reject_not_evidence", **data)
        if action == "unassign" and last in (None, "unassign"):
            raise MappingError("unassign_nothing", **data)

    def decide_many(self, refs: list[str], material: str, action: str, user: str, *,
                    date: str | None = None, note: str | None = None,
                    client: str | None = None) -> list[str]:
        """The same decision on several files for one material: every file is resolved first,
        so one unknown file stops the whole batch before anything is recorded; then each is
        decided (and audited) as `decide` does."""
        material = self.resolve_material(material)
        shas = [self.resolve_file(r) for r in refs]
        first_ref = {}
        for ref, sha in zip(refs, shas):
            first_ref.setdefault(sha, ref)            # messages name the file as it was typed
        for sha, ref in first_ref.items():
            self._decide(ref, material, action, user, date=date, note=note, client=client)
        self.sync_index()
        return list(first_ref)

    def review(self, unit: str | None = None, item: str | None = None, offset: int = 0,
               limit: int | None = None) -> dict:
        """The review queue: every suggestion waiting for the office (a file and the material
        it may prove, with why it waits), veto items first, then by the score confirming it
        would add; filtered by the file's unit or by an item (its sub-items included), one page
        of `limit` from `offset`. The command line and the web app both list it from here."""
        pending = self.readiness().pending
        codes = None
        if item:
            found = self.standard.item(item)
            codes = {it.code for it in found.walk()} if found else set()
        if unit or item:
            pending = pending.where(unit=unit or None, items=codes)
        offset = max(0, offset)
        page = pending[offset:] if limit is None else pending[offset:offset + max(0, limit)]
        rows = []
        for p in page:
            full = p.row()
            row = {k: v for k, v in full.items() if k not in ("why_not_code",)}
            row["short"] = p.sha[:8]
            row["waits"] = [{**w, "text": messages.waits(w["code"], w["data"])} for w in full["waits"]]
            row["why_not"] = messages.why_not(full.get("why_not_code")) if not full["counts"] else None
            _add_similar(row)
            rows.append(row)
        return {"total": len(pending), "offset": offset, "limit": limit, "suggestions": rows}

    def standing(self, sha: str, material: str | None = None) -> dict:
        """How one file stands as evidence (for `material`, or for any): `accepted` (confirmed
        and counting), `waiting` (a suggestion the office has not decided, with why it waits),
        `problem` (it cannot be read, with why) or `none`. A unit sees this of its own files."""
        ready = self.readiness()
        row = self.catalog.object(sha)
        if row is not None and row["state"] == "problem":
            return {"standing": "problem", "reasons": [messages.reason(row["reason"])]}
        counting, waiting = _standings(ready)
        keys = [(sha, material)] if material else [(sha, m) for m, _, _ in ready.serves.get(sha, ())]
        if any(k in counting for k in keys):
            return {"standing": "accepted", "reasons": []}
        waits = [waiting[k] for k in keys if k in waiting]
        if waits:
            return {"standing": "waiting", "reasons": [
                messages.waits(w["code"], _for_unit(w)) for p in waits for w in p.evidence()["waits"]]}
        return {"standing": "none", "reasons": []}

    def file_standing(self, shas) -> dict[str, str]:
        """sha -> `accepted`, `waiting` or `none` (see `standing`) for a unit's file list."""
        ready = self.readiness()
        counting, waiting = _standings(ready)
        accepted = {sha for sha, _ in counting}
        pending = {sha for sha, _ in waiting}
        return {sha: "accepted" if sha in accepted else "waiting" if sha in pending else "none"
                for sha in shas}

    def upload(self, unit: str, files, *, material: str | None = None,
               user: str | None = None, **options) -> list[dict]:
        """Files a person hands over (the web app's uploads): written into the unit's inbox
        and taken through the pipeline now (yingjian/uploads.py)."""
        return upload(self, unit, files, material=material, user=user, **options)

    def text_of(self, sha: str) -> str:
        row = self.catalog.object(sha)
        return row["text"] if row else ""

    def ingestor(self, stable_seconds: float | None = None,
                 incomplete_after: float | None = None, **clock) -> Ingestor:
        """The ingest pipeline over this workspace; `clock` and `sleep` may be injected. With
        units configured, only their folders are archived (anything else is a problem)."""
        w = self.config.watch
        return Ingestor(self.config.inbox, self.store, self.catalog, self.config.limits,
                        stable_seconds=w.stable_seconds if stable_seconds is None else stable_seconds,
                        incomplete_after=(w.incomplete_after if incomplete_after is None
                                          else incomplete_after),
                        units=self.config.units or None, dispatch=self.dispatch,
                        shared=self.config.cluster.enabled, **clock)

    @cached_property
    def dispatch(self) -> "cluster.Sender | None":
        """With `[cluster] broker`, where extraction and OCR are sent (workers read them);
        None on one PC, where this process reads them itself."""
        return cluster.Sender(self.config, self.catalog) if self.config.cluster.broker else None

    @property
    def ocr_here(self) -> bool:
        """Whether this process reads scans and photos itself (not when workers do)."""
        return self.config.ocr and self.dispatch is None

    def ingest_pass(self, progress=None, on_total=None, on_event=None):
        """Archive what is new or changed in the inbox once (`yingjian ingest`); the archived
        files are searchable by name at once, their scans' text follows (`read_scans`, or the
        workers with [cluster]). `on_event(code, data)` hears what the pass meets on the way
        (the workers' queue out of reach: archiving goes on, the work is sent later)."""
        if self.dispatch is not None and on_event is not None:
            self.dispatch.on_event = on_event
        summary = self.ingestor().ingest_pass(progress=progress, on_total=on_total)
        self.sync_index()
        return summary

    def read_scans(self, progress=None):
        """OCR every page waiting for it here, then make the text searchable (callers ask
        `ocr_here` first: with [cluster] the workers read the scans)."""
        with self.ocr_queue() as q:
            result = q.run(progress)
        self.sync_index()
        return result

    def retry(self, ref: str) -> "records.Retried":
        """Read a file again at the office's request (`yingjian retry`): a file given up after
        a crash or a timeout is tried once more, with its OCR, and the index follows."""
        sha = self.resolve_file(ref)
        self.ingestor().retry(sha)
        if self.ocr_here:
            with self.ocr_queue(workers=1) as q:
                q.submit(only={sha})
                while q.busy:
                    q.collect(timeout=1.0)
        self.sync_index()
        return records.retried(self.catalog, sha)

    def ocr_queue(self, workers: int | None = None) -> OcrQueue:
        """The OCR of scans and photos; `workers` overrides the configuration."""
        return OcrQueue(self.catalog, self.store, self.config.limits,
                        workers=self.config.ocr_workers if workers is None else workers,
                        threads=self.config.ocr_threads)

    # -- page images, stores ---------------------------------------------------------------

    @cached_property
    def previews(self):
        """Page images of archived files at reading size, made on first view and cached."""
        return self.image_makers()[1]

    def open_stores(self) -> None:
        """Open (and migrate) every store now, in their order, rather than on first use: what a
        long-running front (the web app) does at start, so that no page load creates a table."""
        self.stores.open_all()

    @property
    def problem_notes(self):
        return self.stores.problem_notes

    # -- chasing the units: due dates, notices, readiness over time (yingjian/notices.py) -----

    def today(self) -> date:
        """The office's today (tests set `_today`)."""
        return self._today or date.today()

    @property
    def deadlines(self):
        return self.stores.deadlines

    @property
    def notice_log(self):
        return self.stores.notice_log

    @property
    def history(self):
        return self.stores.history

    def _with_deadlines(self, ready: Readiness) -> Readiness:
        annotate(ready.result, self.deadlines.current(), self.today(), self.config.inspection_date)
        return ready

    def set_due(self, kind: str, target: str, due: str | None, user: str | None, *,
                client: str | None = None) -> str:
        """Set (or with no date take back) the due date of a unit or a material, as typed;
        audited. Returns the target as the workspace knows it."""
        target = self.resolve_unit(target) if kind == "unit" else self.resolve_material(target)
        self.deadlines.set(kind, target, due, user)
        self.audit.record("due", user, client, kind=kind, target=target, due=due)
        return target

    def record_history(self) -> bool:
        """Keep today's readiness summary (at most one point a day, only when it changed). Called
        by what changes the inputs or checks on purpose; never by a page that is only read."""
        try:
            ready = self.readiness()
        except StandardError:
            return False
        result = ready.result
        kept = self.history.keep(self.today().isoformat(), summary_of(result))
        if self.config.province.city:        # a city of a province: its row on the 全省 page
            self.stores.province.set_summary(self.config.province.city, city_summary(
                result, pending=len(ready.pending or ()), last_upload=self.catalog.last_arrival(),
                days=self.history.days()))
        return kept

    def close(self) -> None:
        self.stores.close()


def _refuse_inside_another(root: Path) -> None:
    """A workspace inside another's inbox would be archived by it (its catalog, its objects);
    inside another's archive it would be mixed with that archive's files."""
    for folder in root.parents:
        if not (folder / cfg.CONFIG_NAME).is_file():
            continue
        try:
            other = cfg.load(folder)
        except WorkspaceError:
            continue
        for code, where in (("init_inside_inbox", other.inbox),
                            ("init_inside_archive", other.archive)):
            where = where.resolve()
            if root == where or where in root.parents:
                raise WorkspaceError(code, root=str(root), other=str(folder))


def _words_for_why_not(items: list[dict]) -> None:
    """The check says why a file does not count, and why it waits, as codes; the JSON carries
    the sentences too."""
    for it in items:
        for m in it.get("materials", ()):
            for ev in m.get("evidence", ()):
                if ev.get("why_not_code"):
                    ev["why_not"] = messages.why_not(ev["why_not_code"])
                for w in ev.get("waits", ()):
                    w["text"] = messages.waits(w["code"], w["data"])
                _add_similar(ev)
        _words_for_why_not(it.get("children", ()))


def _for_unit(wait: dict) -> dict:
    """A wait's data as a unit may read it: a learned suggestion's similar files may be other
    units', so their names are left out."""
    return {k: v for k, v in wait["data"].items() if k != "similar"}


def _add_similar(row: dict) -> None:
    """A suggestion learned from the office's decisions says so (`learned`) and names the
    confirmed files it resembles most (`similar`: id, short, path)."""
    for w in row.get("waits", ()):
        if w["code"] == "similar_to_confirmed":
            row["learned"] = True
            row["similar"] = [{**s, "short": s["id"][:8]} for s in w["data"].get("similar", ())]


def _standings(ready: Readiness) -> tuple[set, dict]:
    """(sha, material) pairs that count, and those waiting (-> their queue row), of one check."""
    if ready.standings is None:
        counting = {(ev["id"], m["id"]) for it in leaves(ready.result["items"])
                    for m in it["materials"] for ev in m["evidence"]
                    if ev["confirmed"] and ev["counts"]}
        queue = ready.pending
        ready.standings = (counting, _Waiting(queue, queue.keys()))
    return ready.standings


def init(root: Path, standard: Path | None = None, units: list[str] | None = None,
         inbox: str | None = None, extra: str = "") -> Config:
    """Make a workspace: yingjian.toml, standard.yaml, one inbox folder per unit, the archive."""
    root = Path(root).resolve()
    if (root / cfg.CONFIG_NAME).exists():
        raise WorkspaceError("already_workspace", root=str(root))
    _refuse_inside_another(root)
    if units:
        cfg.check_units(units)
    source = Path(standard) if standard else DEFAULT_STANDARD
    if not source.is_file():
        raise WorkspaceError("standard_file_missing", path=str(source))
    std = load(source)                       # checked before anything is written
    if not units:
        units = [cfg.Config.office, *[u for u in std.units() if u != cfg.Config.office]]
    root.mkdir(parents=True, exist_ok=True)
    if source.suffix.lower() in (".yaml", ".yml"):
        shutil.copyfile(source, root / "standard.yaml")
    else:                                    # an Excel table, imported
        (root / "standard.yaml").write_text(dump(std), encoding="utf-8")
    (root / cfg.CONFIG_NAME).write_text(
        cfg.render(units, inbox=inbox or "inbox") + extra, encoding="utf-8")
    config = cfg.load(root)
    for unit in units:
        (config.inbox / unit).mkdir(parents=True, exist_ok=True)
    for folder in (config.objects, config.thumbs):
        folder.mkdir(parents=True, exist_ok=True)
    stores = Stores(config)                  # the database made, every store's tables in it
    stores.open_all()
    stores.close()
    return config


class _Waiting(dict):
    """(sha, material) -> its review-queue row, made when read."""

    def __init__(self, queue: Queue, entries: dict):
        super().__init__(entries)
        self.queue = queue

    def __getitem__(self, key):
        return self.queue.wrap(super().__getitem__(key))
