"""The assessment standard as data: items nested to any depth, each leaf with its points,
responsible units, method, scoring rule and the materials that prove it."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Iterator

KINDS = ("document", "photo", "ledger", "video", "any")


@dataclass
class Material:
    id: str
    title: str
    kind: str = "any"
    count: int = 1
    per_year: bool = False
    query: str | None = None
    item: str = ""                 # the code of the item it belongs to

    def fits(self, file_kind: str | None) -> bool:
        return self.kind == "any" or self.kind == file_kind


@dataclass
class Item:
    code: str
    title: str
    points: float = 0.0
    units: list[str] = field(default_factory=list)
    method: str = ""
    rule: str = ""                 # 评分标准, as published
    veto: bool = False
    bonus: bool = False
    materials: list[Material] = field(default_factory=list)
    children: list["Item"] = field(default_factory=list)

    def walk(self) -> Iterator["Item"]:
        yield self
        for c in self.children:
            yield from c.walk()

    def all_materials(self) -> list[Material]:
        return [m for it in self.walk() for m in it.materials]


@dataclass
class Standard:
    title: str
    start: date
    end: date
    items: list[Item]
    source: str = ""

    @property
    def years(self) -> list[int]:
        return list(range(self.start.year, self.end.year + 1))

    def walk(self) -> Iterator[Item]:
        for it in self.items:
            yield from it.walk()

    def materials(self) -> dict[str, Material]:
        return {m.id: m for it in self.walk() for m in it.materials}

    def item(self, code: str) -> Item | None:
        return next((it for it in self.walk() if it.code == code), None)

    def codes(self) -> set[str]:
        """Every item code and material id: what a folder or file name may start with."""
        return {it.code for it in self.walk()} | set(self.materials())

    def units(self) -> list[str]:
        seen: dict[str, None] = {}
        for it in self.walk():
            for u in it.units:
                seen.setdefault(u, None)
        return list(seen)

    def fingerprint(self) -> str:
        """Changes when anything that decides a file's mapping changes (a new round)."""
        import hashlib
        parts = ["mapping-v2"]           # bump when the way files are matched changes
        parts += [f"{m.id}|{m.kind}|{m.query or ''}" for m in self.materials().values()]
        parts += sorted(self.codes())
        return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:16]
