"""The readiness check: for every material, item and responsible unit of the standard, what the
archive proves, what is missing (by year of the round), and an estimated score.

A material is `complete` with `count` confirmed files (in each year of the period, if
`per_year`) dated inside the period, `unconfirmed` when only pending suggestions would complete
it, `partial` when some evidence is there, `missing` when none. A file that cannot be opened
never counts, nor does one dated outside the period, nor one no reader understood unless a
person vouched for its date (all are still listed, with why). Only confirmed evidence scores;
`potential_score` says what confirming every pending suggestion would give, and `pending` lists
each suggestion with why it waits and the score confirming it would add: the review queue.
"""
from __future__ import annotations

import gc
from collections import Counter
from dataclasses import dataclass, field

from . import trust
from .mapping import FileFacts, Mapping
from .model import Item, Material, Standard
from .results import CheckResult, Entry, ItemResult, MaterialResult, UnitTodo

STATUSES = ("complete", "unconfirmed", "partial", "missing")
MAX_SUGGESTED_LISTED = 50


@dataclass(frozen=True)
class Suggestion:
    """A suggestion waiting for the office, in the review queue, as the fronts read it: the
    file, the material and item, why it waits, the score confirming it would add. Its full row
    (the file as evidence: path, date, whether it counts, why it waits) is made by `row()`, on
    first use: a large archive holds many suggestions and a page shows twenty."""
    entry: Entry
    check: "Check" = field(repr=False, compare=False)

    @property
    def sha(self) -> str:
        return self.entry.sha

    @property
    def unit(self) -> str | None:
        return self.entry.unit

    @property
    def material(self) -> Material:
        return self.entry.material

    @property
    def item(self) -> Item:
        return self.entry.item

    @property
    def gain(self) -> float:
        return self.entry.gain

    @property
    def fills(self) -> bool:
        return self.entry.fills

    @property
    def veto(self) -> bool:
        return self.entry.item.veto

    def evidence(self) -> dict:
        """The file as evidence for the material (Check.evidence_of): counts, why_not_code, waits."""
        return self.check.evidence_of(self.sha, self.material.id, self.entry.how, False)

    def row(self) -> dict:
        """The review queue's row (`review --json`'s shape, before its sentences are added)."""
        m, it = self.material, self.item
        return {**self.evidence(), "material": m.id, "title": m.title, "need_kind": m.kind,
                "item": it.code, "item_title": it.title, "veto": it.veto, "fills": self.fills,
                "gain": self.gain}


class Queue:
    """The review queue of one check: its entries in order, read as `Suggestion`s; filtered and
    paged without making a row for the entries not shown."""

    def __init__(self, check: "Check", entries: list[Entry]):
        self.check, self.entries = check, entries

    def ordered(self) -> "Queue":
        """Veto items first, then the score confirming each would add, then one that fills a
        missing year; else the standard's order (the check's), then the path."""
        return Queue(self.check, sorted(self.entries,
                                        key=lambda e: (not e.item.veto, -e.gain, not e.fills)))

    def where(self, unit: str | None = None, items: set[str] | None = None) -> "Queue":
        return Queue(self.check, [e for e in self.entries if (unit is None or e.unit == unit)
                                  and (items is None or e.item.code in items)])

    def keys(self) -> dict[tuple[str, str], Entry]:
        """(sha, material id) -> its entry."""
        return {(e.sha, e.material.id): e for e in self.entries}

    def wrap(self, entry: Entry) -> Suggestion:
        return Suggestion(entry, self.check)

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [Suggestion(e, self.check) for e in self.entries[i]]
        return Suggestion(self.entries[i], self.check)

    def __iter__(self):
        return (Suggestion(e, self.check) for e in self.entries)


def _year(d: str | None) -> int | None:
    try:
        return int(d[:4]) if d else None
    except ValueError:
        return None


class Check:
    def __init__(self, std: Standard, mapping: Mapping, veto_needs_review: bool = True):
        self.std = std
        self.mapping = mapping
        self.veto_needs_review = veto_needs_review     # yingjian.toml [review]
        self.start, self.end = std.start.isoformat(), std.end.isoformat()

    def in_period(self, d: str | None) -> bool:
        # a month-only date (2021-03) is inside when its month overlaps the period
        return bool(d) and self.start[:len(d)] <= d <= self.end

    def counts(self, f: FileFacts, date: str | None, date_source: str | None) -> bool:
        """Whether `f`, dated `date` (from `date_source`), may count at all once confirmed."""
        return (f.usable and self.in_period(date)
                and trust.date_counts(unread=f.unread, date_source=date_source))

    def run(self, unit_files: dict[str, int] | None = None) -> CheckResult:
        # a check of 100,000 files makes as many small objects, none of them cyclic: the
        # cyclic collector, run again and again meanwhile, cost a third of the time
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._run(unit_files)
        finally:
            if enabled:
                gc.enable()

    def _run(self, unit_files: dict[str, int] | None) -> CheckResult:
        ev = self.mapping.evidence()
        self.files, evidence = ev.files, ev.materials
        self.waits, self.vouched = ev.waits, ev.vouched
        if self.veto_needs_review:
            evidence, self.waits = _veto_waits(self.std, evidence, self.waits, self.files,
                                               self.mapping.office)
        self.evidence = evidence          # material -> sha -> (how, confirmed), for the reports
        self.pending: list[Entry] = []    # every suggestion waiting for the office (the queue)
        # per file, once: the year it counts for (0: no year needed), or None if it never counts
        self.slot = {sha: (_year(f.date) or 0) if self.counts(f, f.date, f.date_source) else None
                     for sha, f in self.files.items()}
        # a date a person vouched for holds for that file and that material only
        self.slot_for = {key: (_year(d) or 0) if self.counts(self.files[key[0]], d, "vouched")
                         else None for key, d in self.vouched.items()}
        items = [self._item(it, evidence) for it in self.std.items]
        flat = [m for it in items for m in it.all_materials()]
        counts = Counter(m.status for m in flat)
        veto = [it.brief() for top in items for it in top.leaves() if it.veto]
        return CheckResult(
            title=self.std.title,
            period={"start": self.start, "end": self.end, "years": self.std.years},
            standard={"source": self.std.source, "fingerprint": self.mapping.fingerprint},
            score=round(sum(i.score for i in items if not i.bonus), 2),
            bonus_score=round(sum(i.score for i in items if i.bonus), 2),
            max_score=round(sum(i.points for i in items if not i.bonus), 2),
            potential_score=round(sum(i.potential_score for i in items), 2),
            summary={
                "materials": len(flat),
                **{s: counts.get(s, 0) for s in STATUSES},
                "suggestions_pending": sum(m.suggested for m in flat),
                "review_pending": len(self.pending),
                "veto_at_risk": [v["code"] for v in veto if v["status"] != "complete"],
            },
            veto=veto, items=items, units=self._units(items, unit_files or {}))

    # -- one item / material ---------------------------------------------------------------

    def _item(self, it: Item, evidence) -> ItemResult:
        # what one material is worth in the score: a leaf's points shared by its materials
        worth = it.points / len(it.materials) if it.materials and not it.children else 0.0
        mats = [self._material(m, evidence.get(m.id, {}), it, worth) for m in it.materials]
        children = [self._item(c, evidence) for c in it.children]
        if children:
            score = round(sum(c.score for c in children), 2)
            potential = round(sum(c.potential_score for c in children), 2)
            status = _combine([c.status for c in children] + [m.status for m in mats])
        else:
            frac = [m.fraction for m in mats] or [0.0]
            pot = [m.potential for m in mats] or [0.0]
            score = round(it.points * sum(frac) / len(frac), 2)
            potential = round(it.points * sum(pot) / len(pot), 2)
            status = _combine([m.status for m in mats]) if mats else "missing"
        return ItemResult(code=it.code, title=it.title, points=it.points, veto=it.veto,
                          bonus=it.bonus, units=it.units, method=it.method, rule=it.rule,
                          materials=mats, children=children, score=score,
                          potential_score=potential, status=status,
                          veto_at_risk=it.veto and status != "complete")

    def _material(self, m: Material, found: dict[str, tuple[str, bool]], it: Item,
                  worth: float) -> MaterialResult:
        files, slot, slot_for = self.files, self.slot, self.slot_for
        years = self.std.years if m.per_year else [None]
        conf: Counter = Counter()
        total: Counter = Counter()
        suggested = 0
        year_of: dict[str, int | None] = {}
        for sha, (how, confirmed) in found.items():
            y = slot_for[(sha, m.id)] if (sha, m.id) in slot_for else slot[sha]
            if y is None:
                continue
            y = y if m.per_year else None
            year_of[sha] = y
            total[y] += 1
            if confirmed:
                conf[y] += 1
            else:
                suggested += 1
        need = m.count * len(years)
        have = sum(min(m.count, conf[y]) for y in years)
        reachable = sum(min(m.count, total[y]) for y in years)
        if have >= need:
            status = "complete"
        elif reachable >= need:
            status = "unconfirmed"
        elif reachable > 0:
            status = "partial"
        else:
            status = "missing"
        # confirmed evidence by date; suggestions in path order, the first few only
        confirmed = sorted((s for s, (_, c) in found.items() if c), key=lambda s: files[s].date or "")
        waiting = [s for s, (_, c) in found.items() if not c]
        # the review queue: what confirming each suggestion alone would add to the score
        step = worth / m.count / len(years)
        for sha in waiting:
            y = year_of.get(sha, False)
            fills = y is not False and conf[y] < m.count
            self.pending.append(Entry(sha, m, found[sha][0], it, round(step, 4) if fills else 0.0,
                                      fills, files[sha].unit))
        shown = confirmed + waiting[:MAX_SUGGESTED_LISTED]
        own: dict[str, Counter] = {}          # a unit's own pending files, by year
        for sha in waiting:
            if sha in year_of:
                own.setdefault(files[sha].unit, Counter())[year_of[sha]] += 1
        by_unit = {u: _standing_of(conf, mine, years, m.count) for u, mine in own.items()}
        by_unit[None] = _standing_of(conf, Counter(), years, m.count)
        return MaterialResult(
            id=m.id, title=m.title, kind=m.kind, count=m.count, per_year=m.per_year,
            status=status, need=need, have=have, suggested=suggested,
            years_missing=[y for y in years if y is not None and total[y] < m.count],
            years_unconfirmed=[y for y in years if y is not None and conf[y] < m.count <= total[y]],
            evidence=[self.evidence_of(s, m.id, *found[s]) for s in shown],
            evidence_total=len(found),
            fraction=sum(min(m.count, conf[y]) / m.count for y in years) / len(years),
            potential=sum(min(m.count, total[y]) / m.count for y in years) / len(years),
            by_unit=by_unit)

    def evidence_of(self, sha: str, mid: str, how: str, confirmed: bool) -> dict:
        """One file as evidence for one material: where it is, its date and whence (a date a
        person vouched for, if any), whether it counts and why not, why it waits."""
        e = self.files[sha]
        date, source = e.date, e.date_source
        if (sha, mid) in self.vouched:
            date, source = self.vouched[(sha, mid)], "vouched"
        out = {"id": e.sha, "path": e.path, "unit": e.unit, "kind": e.kind, "date": date,
               "date_source": source, "confirmed": confirmed, "how": how,
               "counts": self.counts(e, date, source)}
        if not e.usable:
            out["why_not_code"] = "unusable"
        elif not trust.date_counts(unread=e.unread, date_source=source):
            out["why_not_code"] = "unread"
        elif not date:
            out["why_not_code"] = "no_date"
        elif not self.in_period(date):
            out["why_not_code"] = "out_of_period"
        if not confirmed:
            waits = self.waits.get((sha, mid))
            if waits is None and how == "suggested":     # found by a content rule, undecided
                waits = [(trust.FOUND_BY_CONTENT, {})]
            out["waits"] = [{"code": c, "data": d} for c, d in waits or ()]
        return out

    # -- the units' to-do lists ------------------------------------------------------------

    def _units(self, items: list[ItemResult], unit_files: dict[str, int]) -> list[UnitTodo]:
        todo: dict[str, list] = {u: [] for u in [*self.std.units(), *unit_files]}
        for top in items:
            for it in top.leaves():
                for m in it.materials:
                    if m.status == "complete":
                        continue
                    for u in it.units:
                        # a unit's row counts what the office accepted and the unit's own files
                        # only: another unit's pending file never shows (nor its rejection)
                        status, suggested, years_missing = m.by_unit.get(u, m.by_unit[None])
                        todo.setdefault(u, []).append({
                            "item": it.code, "item_title": it.title, "veto": it.veto,
                            "material": m.id, "title": m.title, "status": status,
                            "years_missing": years_missing, "suggested": suggested})
        out = []
        for u, tasks in todo.items():
            tasks.sort(key=lambda t: (not t["veto"], STATUSES.index(t["status"]) * -1))
            out.append(UnitTodo(unit=u, files=unit_files.get(u, 0), todo=tasks,
                                never_uploaded=unit_files.get(u, 0) == 0))
        return out


def _standing_of(conf: Counter, mine: Counter, years: list, count: int) -> tuple:
    """A material as one unit sees it: (status, its own pending files, years missing), from
    the confirmed evidence and that unit's own suggestions only."""
    need = count * len(years)
    have = sum(min(count, conf[y]) for y in years)
    reachable = sum(min(count, conf[y] + mine[y]) for y in years)
    status = ("complete" if have >= need else "unconfirmed" if reachable >= need
              else "partial" if reachable > 0 else "missing")
    missing = [y for y in years if y is not None and conf[y] + mine[y] < count]
    return status, sum(mine.values()), missing


def _veto_waits(std: Standard, evidence: dict, waits: dict, files: dict,
                office: str | None) -> tuple[dict, dict]:
    """For a veto item a single file decides the whole assessment, so no unit's file counts
    there on its own word: a declared file that would count by itself waits for the office's
    confirmation (`veto_needs_review`), unless it is in the office's own folder. The mapping's
    own results are left as they are."""
    evidence, waits = dict(evidence), dict(waits)
    for it in std.walk():
        if not it.veto:
            continue
        for m in it.materials:
            found = evidence.get(m.id)
            if not found or not any(how == "declared" and ok for how, ok in found.values()):
                continue
            found = evidence[m.id] = dict(found)
            for sha, (how, ok) in found.items():
                if how == "declared" and ok and files[sha].unit != office:
                    found[sha] = (how, False)
                    waits[(sha, m.id)] = [(trust.VETO_NEEDS_REVIEW, {})]
    return evidence, waits


def _combine(statuses: list[str]) -> str:
    if not statuses:
        return "missing"
    if all(s == "complete" for s in statuses):
        return "complete"
    if all(s in ("complete", "unconfirmed") for s in statuses):
        return "unconfirmed"
    if all(s == "missing" for s in statuses):
        return "missing"
    return "partial"


def leaves(items: list[dict]):
    """The numbered items of a check's result that hold materials, in the standard's order."""
    for it in items:
        if it.get("children"):
            yield from leaves(it["children"])
        else:
            yield it
