"""How an archived file reaches a material of the standard (the README's "How files reach the
standard's materials"):

1. declared — a folder or file name below the unit folder starts with a code or material id of
   the standard (`1.1/`, `1.1a_2021政府工作报告.pdf`, `3.2-优抚台账/`). It counts as confirmed
   only when the rule of checklist/trust.py holds (a responsible unit or the office, the kind
   fits, the file was read, its date came from inside it); otherwise it is a suggestion with
   its reasons. The longest code wins; only codes the standard has; a bare number such as 2
   needs a separator after it, so 2018年… is never item 2.
2. suggested — the material's query matches the file's text and its kind fits: unconfirmed.
3. decided — the office confirms, rejects, assigns or unassigns; the latest decision for a file
   and a material wins, and each records who and when (and, for an assignment, the evidence
   date a person vouches for).

Decisions and the cached content-rule results live in their own store (checklist/decisions.py),
so rebuilding the search index loses nothing. Evidence is counted by content: the same bytes
sent by two units are one piece of evidence.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from foundation import now_iso
from foundation.errors import Coded
from indexer.analysis import normalize
from indexer.querying import matcher

from . import trust
from .decisions import DecisionStore
from .model import Material, Standard

ACTIONS = ("confirm", "reject", "assign", "unassign")
_SEPARATORS = set(" \t_-—–、,,::))]】+·\u3000")
_HAN = re.compile(r"[\u3400-\u9fff]")

def _by_path(row: tuple) -> str:
    return row[2]


class MappingError(Coded, ValueError):
    """A decision that cannot be recorded: `code` and `data` say why (yingjian/messages.py)."""


class CodeMatcher:
    """Finds the code a path declares: one regular expression over all codes, longest first,
    each with the separator rule it needs; folder names repeat, so answers are remembered."""

    def __init__(self, std: Standard):
        seps = re.escape("".join(sorted(_SEPARATORS)))
        alts = []
        for code in sorted(std.codes(), key=len, reverse=True):
            c = re.escape(code)
            if code.isdigit():       # a bare number needs a separator and a name after it
                alts.append(rf"{c}(?=[{seps}]\S)")
            else:                    # 1.1, 1.1a: the end, a separator or a Chinese character
                alts.append(rf"{c}(?=$|[{seps}]|[\u3400-\u9fff])")
        self._rx = re.compile("^(?:" + "|".join(alts) + ")", re.IGNORECASE) if alts else None
        self._canon = {c.lower(): c for c in std.codes()}
        self._seen: dict[str, str | None] = {}

    def _match(self, name: str) -> str | None:
        if name in self._seen:
            return self._seen[name]
        m = self._rx.match(name) if self._rx else None
        code = self._canon[m.group(0).lower()] if m else None
        if len(self._seen) < 100_000:
            self._seen[name] = code
        return code

    def declared(self, path: str) -> str | None:
        """The code declared by the deepest folder or file name below the unit folder."""
        parts = path.split("/")[1:]
        for i in range(len(parts) - 1, -1, -1):
            name = parts[i].strip()
            if i == len(parts) - 1 and "." in name:
                stem, ext = name.rsplit(".", 1)
                if ext.isalnum() and not ext.isdigit() and len(ext) <= 5:
                    name = stem          # 1.1a.pdf, but not the 10 of 1.10
            code = self._match(name)
            if code:
                return code
        return None


@dataclass(slots=True)
class FileFacts:
    """What the check needs to know of one archived content (one sha), however many paths."""
    sha: str
    path: str                    # the first path holding it, for display
    unit: str
    kind: str
    date: str | None
    date_source: str | None
    usable: bool                 # False: the file cannot be opened, never counts
    unread: bool = False         # no reader understood it: nothing inside it is known


class Evidence(NamedTuple):
    """What the archive offers the standard: the files (sha -> FileFacts); per material, sha ->
    (how, confirmed), how being declared / suggested / decided; why each unconfirmed one waits,
    (sha, material) -> [(code, data)]; and the dates a person vouched for, (sha, material) ->
    date."""
    files: dict[str, FileFacts]
    materials: dict[str, dict[str, tuple[str, bool]]]
    waits: dict[tuple[str, str], list[tuple[str, dict]]]
    vouched: dict[tuple[str, str], str]


class Mapping:
    """The mapping of the whole archive to one standard, computed from the catalog."""

    def __init__(self, std: Standard, catalog, decisions: DecisionStore, office: str | None = None):
        self.std = std
        self.office = office             # the office's own folder: its word needs no other unit
        self.catalog = catalog
        self.store = decisions
        self.codes = CodeMatcher(std)
        self.materials = std.materials()
        self.rules = {m.id: matcher(m.query) for m in self.materials.values() if m.query}
        self.fingerprint = std.fingerprint()
        self._automatic_cache: tuple | None = None   # (the catalog's change, what files declare)
        # reads compute what is not cached yet in memory; only update_caches() (run by the
        # workspace's writers, when they bring the index up to date) saves it
        self._saves_caches = False
        self._under: dict[str, list[Material]] = {
            it.code: it.all_materials() for it in std.walk()}
        self._units_of: dict[str, list[str]] = {
            m.id: it.units for it in std.walk() for m in it.materials}
        self.learned = None          # checklist/learning.py's Learner: suggestions by resemblance

    # -- decisions -----------------------------------------------------------------------------

    def decisions(self) -> dict[tuple[str, str], dict]:
        """The latest decision for each (sha, material)."""
        return self.store.latest()

    def decide(self, sha: str, material: str, action: str, user: str, note: str | None = None,
               date: str | None = None) -> None:
        if action not in ACTIONS:
            raise MappingError("unknown_action", action=action)
        if material not in self.materials:
            raise MappingError("unknown_material", material=material)
        self.store.add(sha=sha, material=material, action=action, user=user, at=now_iso(),
                       note=note, date=date)
        self.catalog.log_changed(sha, "decision")        # the index's `items` follow

    def history(self, sha: str) -> list[dict]:
        return self.store.history(sha)

    # -- content rules -------------------------------------------------------------------------

    def rule_matches(self, shas: set[str] | None = None) -> dict[str, list[str]]:
        """sha -> materials whose query its text matches, for the files of `shas` (or, if None,
        for the files not tested yet under this standard, which are tested now). Results are
        cached per standard fingerprint, except for a file whose text is still to come
        (extraction or OCR pending), which is tested again next time."""
        fp = self.fingerprint
        found: dict[str, list[str]] = {}
        if shas is None:
            if self.store.rule_match_count(fp) == self.catalog.object_count():
                todo = []                         # the usual case: every content tested
            else:
                tested = self.store.tested_shas(fp)
                todo = [sha for sha in self.catalog.object_shas() if sha not in tested]
        else:
            cached = self.store.rule_matches_of(shas, fp)
            todo = [sha for sha in shas if sha not in cached]
            found = {sha: m.split(",") for sha, m in cached.items() if m}
        for i in range(0, len(todo), 500):
            new = []
            for sha, text, state, ocr in self.catalog.texts(todo[i:i + 500]):
                text = normalize(text or "")
                mats = [mid for mid, test in self.rules.items() if test(text)]
                if mats:
                    found[sha] = mats
                if state != "pending" and ocr != "pending":
                    new.append((sha, ",".join(mats)))
            if new and self._saves_caches:
                self.store.save_rule_matches(fp, new)
        return found

    def update_caches(self) -> None:
        """Test the contents and parse the paths that are new to this standard, and keep the
        results: what a read would otherwise work out again in memory. Cheap when nothing is
        new (a count and a number compared)."""
        self._saves_caches = True
        try:
            self.rule_matches()
            if self.store.parsed_through(self.fingerprint) < self.catalog.last_source_id():
                self._declared_codes(self.catalog.present_files())
        finally:
            self._saves_caches = False

    def _declared(self, code: str, kind: str | None, matched: set[str]) -> list[tuple[str, bool]]:
        """(material, by name alone) for a file filed under `code`: a material id is that
        material; an item code is its one material of the file's kind, or those of its
        materials whose query the text matches; failing both, every material of the kind, which
        the name alone cannot tell apart. Whether the file then counts by itself is trust's."""
        if code in self.materials:
            return [(code, True)]
        fitting = [m.id for m in self._under.get(code, ()) if m.fits(kind)]
        if len(fitting) == 1:
            return [(fitting[0], True)]
        by_rule = [m for m in fitting if m in matched]
        return [(m, True) for m in by_rule] if by_rule else [(m, False) for m in fitting]

    # -- the whole archive ---------------------------------------------------------------------

    def _declared_codes(self, present: list[tuple]) -> dict[str, str]:
        """path -> the code it declares under this standard, for the paths that declare one.
        Paths are parsed once: the store remembers up to which source it has parsed."""
        fp = self.fingerprint
        through = self.store.parsed_through(fp)
        new = [(r[2], self.codes.declared(r[2]) or "") for r in present if r[0] > through]
        if new and self._saves_caches:
            self.store.save_declared_codes(fp, new, max(r[0] for r in present))
        codes = self.store.declared_codes(fp)
        if not self._saves_caches:
            codes.update((p, c) for p, c in new if c)
        return codes

    def evidence(self) -> Evidence:
        """The files that serve any material and, per material, how each serves it and whether
        it is confirmed; why each unconfirmed one waits; the dates people vouched for. Unusable
        files are included, marked, so the report can say why they do not count. What the
        files declare and match is kept until the catalog changes other than by a decision, so
        after a decision only the decisions are applied again."""
        key = self.catalog.last_seq_except("decision")
        cached = self._automatic_cache
        if cached is None or cached[0] != key:
            cached = self._automatic_cache = (key, self._automatic())
        files, auto, auto_waits = cached[1]
        decisions = self.decisions()
        ev = self._with_decisions(files, auto, auto_waits, decisions)
        if self.learned is not None:         # never counting: they wait for the office
            ev = self.learned.add_to(ev, decisions, self)
        return ev

    def _automatic(self):
        """(files, material -> sha -> (how, confirmed), waits): what the files' own names and
        texts say, before any decision."""
        uncached = self.rule_matches()           # files new to this standard, tested now
        present = self.catalog.present_files()
        codes = self._declared_codes(present)
        matches = self.store.rule_matches(self.fingerprint)
        for sha, mats in uncached.items():       # pending texts are tested, never cached
            matches.setdefault(sha, ",".join(mats))
        rows = [r for r in present if r[5] != "zip" and (r[2] in codes or r[3] in matches)]
        rows.sort(key=_by_path)
        files: dict[str, FileFacts] = {}
        declared: dict[str, dict[str, set[str]]] = {}     # sha -> code -> declaring units
        matched: dict[str, str] = {}
        for _sid, unit, path, sha, kind, fmt, state, sreason, date, dsrc in rows:
            if sha not in files:
                files[sha] = FileFacts(sha, path, unit, kind, date, dsrc, state != "problem")
                if sha in matches:
                    matched[sha] = matches[sha]
            code = codes.get(path)
            if code:
                declared.setdefault(sha, {}).setdefault(code, set()).add(unit)
        self._mark_unread(files, declared)
        out: dict[str, dict[str, tuple[str, bool]]] = {m: {} for m in self.materials}
        waits: dict[tuple[str, str], list[tuple[str, dict]]] = {}
        for sha, by_code in declared.items():
            f = files[sha]
            hits = set(matched.get(sha, "").split(","))
            for code, units in by_code.items():
                for mid, by_name in self._declared(code, f.kind, hits):
                    why = self.waits_declared(f, mid, units)
                    if not by_name:
                        why.append((trust.AMBIGUOUS_ITEM, {"code": code}))
                    if out[mid].get(sha, ("", False))[1] is False:
                        out[mid][sha] = ("declared", not why)
                        if why:
                            waits[(sha, mid)] = why
                        else:
                            waits.pop((sha, mid), None)
        fits = {mid: m.kind for mid, m in self.materials.items()}
        fitting: dict[tuple[str, str], list[str]] = {}   # few distinct (matches, kind) pairs
        for sha, mats in matched.items():
            kind = files[sha].kind
            mids = fitting.get((mats, kind))
            if mids is None:
                mids = fitting[(mats, kind)] = [
                    mid for mid in mats.split(",")
                    if fits.get(mid) is not None and fits[mid] in ("any", kind)]
            for mid in mids:
                if sha not in out[mid]:
                    out[mid][sha] = ("suggested", False)   # waits: found by content
        return files, out, waits

    def _mark_unread(self, files: dict[str, FileFacts], shas) -> None:
        """Only a file whose date came from outside it may be one no reader understood."""
        doubtful = [sha for sha in shas if sha in files
                    and files[sha].date_source not in trust.TRUSTED_DATE_SOURCES]
        for sha in self.catalog.unread_among(doubtful):
            files[sha].unread = True

    def _facts_of(self, sha: str) -> FileFacts | None:
        """A decided file that neither declares nor matches anything: its facts, if present."""
        srcs = [s for s in self.catalog.sources_of(sha)]
        obj = self.catalog.object(sha) if srcs else None
        if obj is None or obj["format"] == "zip":
            return None
        s = srcs[0]
        return FileFacts(sha, s["path"], s["unit"], obj["kind"], obj["date"], obj["date_source"],
                         obj["state"] != "problem")

    def _with_decisions(self, files, auto, auto_waits, decisions) -> Evidence:
        """The office's decisions over what the files say: a confirm or assign makes a file
        confirmed evidence (with the date vouched for, if any), a reject takes it away."""
        files = dict(files)
        extra = {}
        for sha, _ in decisions:
            if sha not in files and sha not in extra:
                extra[sha] = self._facts_of(sha)
        files.update({sha: f for sha, f in extra.items() if f is not None})
        self._mark_unread(files, [sha for sha, f in extra.items() if f is not None])
        out = {mid: dict(found) for mid, found in auto.items()}
        waits = dict(auto_waits)
        vouched: dict[tuple[str, str], str] = {}
        for (sha, mid), d in decisions.items():
            if mid not in out:
                continue                          # a material no longer in the standard
            if d["action"] in ("confirm", "assign") and sha in files:
                out[mid][sha] = ("decided", True)
                waits.pop((sha, mid), None)
                if d.get("date"):
                    vouched[(sha, mid)] = d["date"]
            elif d["action"] == "reject":
                out[mid].pop(sha, None)
                waits.pop((sha, mid), None)
        return Evidence(files, out, waits, vouched)

    def waits_declared(self, f: FileFacts, mid: str, units: set[str]) -> list[tuple[str, dict]]:
        """Why `f`, declared for material `mid` by the folders of `units`, does not count by
        itself ([] when it does): the rule of checklist/trust.py."""
        return trust.declared_waits(
            units=units, item_units=self._units_of.get(mid, []), office=self.office or "",
            kind=f.kind, need=self.materials[mid].kind, usable=f.usable, unread=f.unread,
            date_source=f.date_source)

    def items_for(self, sha: str, paths: list[str], kind: str | None) -> list[str]:
        """The materials one file serves (declared, suggested or decided): the index's `items`."""
        return self.items_for_many([(sha, paths, kind)])[0]

    def items_for_many(self, files: list[tuple[str, list[str], str | None]]) -> list[list[str]]:
        """`items_for` of each (sha, paths, kind), with two queries for all of them rather than
        two a file (the index's sync asks for a chunk of files at a time)."""
        shas = {sha for sha, _, _ in files}
        matched = self.rule_matches(shas)
        decided = self.store.latest_for_many(shas)
        return [self._items(paths, kind, set(matched.get(sha, ())), decided.get(sha, {}))
                for sha, paths, kind in files]

    def _items(self, paths: list[str], kind: str | None, matched: set[str],
               decided: dict[str, dict]) -> list[str]:
        found: set[str] = set()
        for p in paths:
            code = self.codes.declared(p)
            if code:
                found |= {mid for mid, _ in self._declared(code, kind, matched)}
        found |= {m for m in matched if self.materials[m].fits(kind)}
        latest = {mid: d["action"] for mid, d in decided.items()}
        for mid, action in latest.items():
            if mid not in self.materials:
                continue
            if action in ("confirm", "assign"):
                found.add(mid)
            elif action == "reject":
                found.discard(mid)
        return sorted(found)
