"""What a readiness check finds, typed: the result, its items and materials, each unit's to-do
list, and a suggestion waiting in the review queue. The check builds these; the JSON of
`check --json` (documented in the README, a contract: keys may be added, never renamed) is made
from them at the edge, by `to_json()`, and what the check needs only on the way (a material's
fraction of its points, what each unit sees of it) never reaches the JSON.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from .model import Item, Material


@dataclass
class MaterialResult:
    id: str
    title: str
    kind: str | None
    count: int
    per_year: bool
    status: str                    # complete | unconfirmed | partial | missing
    need: int
    have: int
    suggested: int
    years_missing: list[int]
    years_unconfirmed: list[int]
    evidence: list[dict]           # each file as evidence (Check.evidence_of)
    evidence_total: int
    # on the way only (not in the JSON):
    fraction: float = 0.0          # of the material's worth, confirmed
    potential: float = 0.0         # ... if every suggestion were confirmed
    by_unit: dict = field(default_factory=dict, repr=False)   # unit -> (status, own pending, years)

    def to_json(self) -> dict:
        return {"id": self.id, "title": self.title, "kind": self.kind, "count": self.count,
                "per_year": self.per_year, "status": self.status, "need": self.need,
                "have": self.have, "suggested": self.suggested,
                "years_missing": self.years_missing, "years_unconfirmed": self.years_unconfirmed,
                "evidence": self.evidence, "evidence_total": self.evidence_total}


@dataclass
class ItemResult:
    code: str
    title: str
    points: float
    veto: bool
    bonus: bool
    units: list[str]
    method: str | None
    rule: object
    materials: list[MaterialResult]
    children: list["ItemResult"]
    score: float
    potential_score: float
    status: str
    veto_at_risk: bool

    def leaves(self):
        """This item, or its numbered sub-items that hold materials, in the standard's order."""
        if self.children:
            for c in self.children:
                yield from c.leaves()
        else:
            yield self

    def all_materials(self):
        yield from self.materials
        for c in self.children:
            yield from c.all_materials()

    def brief(self) -> dict:
        """A veto item as the summary lists it: what is still missing."""
        return {"code": self.code, "title": self.title, "status": self.status, "units": self.units,
                "missing": [{"material": m.id, "title": m.title, "status": m.status,
                             "years_missing": m.years_missing}
                            for m in self.materials if m.status != "complete"]}

    def to_json(self) -> dict:
        out = {"code": self.code, "title": self.title, "points": self.points, "veto": self.veto,
               "bonus": self.bonus, "units": self.units, "method": self.method, "rule": self.rule,
               "materials": [m.to_json() for m in self.materials]}
        if self.children:
            out["children"] = [c.to_json() for c in self.children]
        out.update(score=self.score, potential_score=self.potential_score, status=self.status,
                   veto_at_risk=self.veto_at_risk)
        return out


@dataclass
class UnitTodo:
    """What one unit still owes: its open materials, veto items first."""
    unit: str
    files: int
    todo: list[dict]
    never_uploaded: bool

    def to_json(self) -> dict:
        return {"unit": self.unit, "files": self.files, "todo": self.todo,
                "never_uploaded": self.never_uploaded}


@dataclass
class CheckResult:
    title: str
    period: dict
    standard: dict
    score: float
    bonus_score: float
    max_score: float
    potential_score: float
    summary: dict
    veto: list[dict]
    items: list[ItemResult]
    units: list[UnitTodo]

    def leaves(self):
        for it in self.items:
            yield from it.leaves()

    def to_json(self) -> dict:
        """The `check --json` shape."""
        return {"title": self.title, "period": self.period, "standard": self.standard,
                "score": self.score, "bonus_score": self.bonus_score, "max_score": self.max_score,
                "potential_score": self.potential_score, "summary": self.summary,
                "veto": self.veto, "items": [it.to_json() for it in self.items],
                "units": [u.to_json() for u in self.units]}


class Entry(NamedTuple):
    """A suggestion as the check keeps it (many of them, cheaply): the file, the material it
    may prove, how it was found, the item, the score confirming it alone would add, whether it
    fills a missing year, the file's unit."""
    sha: str
    material: Material
    how: str
    item: Item
    gain: float
    fills: bool
    unit: str | None
