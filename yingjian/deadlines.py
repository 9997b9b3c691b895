"""Due dates the office sets (截止日期): for a unit (everything it still owes) or for one
material (whoever owes it). Every setting is kept with who and when; the latest for a target is
the one that counts, and an empty date takes it back. A store of its own in the workspace
database (foundation/sqlstore.py).

An open material past its due date is overdue (逾期). For one unit's task the material's own
date wins over the unit's: the office set it on purpose for that material. `annotate` adds
`due` and `overdue` to a check's result (keys added, none renamed) and is cheap enough to run
on every read, so a date set a minute ago, or the passing of midnight, shows at once.
"""
from __future__ import annotations

from datetime import date

from foundation import now_iso
from foundation.sqlstore import SqliteStore
from checklist.check import leaves

TABLE = """
CREATE TABLE IF NOT EXISTS due_dates (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('unit', 'material')),
    target TEXT NOT NULL,
    due TEXT NOT NULL DEFAULT '',
    user TEXT,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS due_dates_target ON due_dates(kind, target)
"""
KINDS = ("unit", "material")


class Deadlines(SqliteStore):
    STORE = "deadlines"
    MIGRATIONS = (TABLE,)

    def set(self, kind: str, target: str, due: str | None, user: str | None) -> None:
        """Set (or, with no date, take back) the due date of a unit or a material."""
        if kind not in KINDS:
            raise ValueError(kind)
        if due:
            date.fromisoformat(due)                 # a day, as YYYY-MM-DD, or nothing
        with self._transaction() as db:
            db.execute("INSERT INTO due_dates (kind, target, due, user, at) VALUES (?, ?, ?, ?, ?)",
                       (kind, target, due or "", user, now_iso()))

    def current(self) -> dict[tuple[str, str], dict]:
        """(kind, target) -> {"due", "user", "at"} for every target with a date in force."""
        out = {}
        for r in self._rows("SELECT kind, target, due, user, at FROM due_dates ORDER BY id"):
            out[(r["kind"], r["target"])] = {"due": r["due"], "user": r["user"], "at": r["at"]}
        return {k: v for k, v in out.items() if v["due"]}


def due_for(dues: dict, unit: str | None, material: str) -> str | None:
    """The date one task is due: the material's own, else its unit's."""
    own = dues.get(("material", material))
    if own:
        return own["due"]
    mine = dues.get(("unit", unit)) if unit else None
    return mine["due"] if mine else None


def is_overdue(due: str | None, status: str, today: date) -> bool:
    return bool(due) and status != "complete" and due < today.isoformat()


def annotate(result: dict, dues: dict, today: date, inspection: date | None) -> dict:
    """Add `due` and `overdue` to every material (its own date, else the earliest of its
    responsible units'), to every task of the units' to-do lists and to each unit (its own
    date); `summary.overdue` counts the open materials overdue; `inspection_date` and
    `days_to_inspection` say when the inspectors come."""
    overdue = 0
    for it in leaves(result["items"]):
        unit_dues = sorted(dues[("unit", u)]["due"] for u in it["units"] if ("unit", u) in dues)
        for m in it["materials"]:
            own = dues.get(("material", m["id"]))
            m["due"] = own["due"] if own else (unit_dues[0] if unit_dues else None)
            m["overdue"] = is_overdue(m["due"], m["status"], today)
            overdue += m["overdue"]
    for u in result.get("units", ()):
        mine = dues.get(("unit", u["unit"]))
        u["due"] = mine["due"] if mine else None
        for t in u["todo"]:
            t["due"] = due_for(dues, u["unit"], t["material"])
            t["overdue"] = is_overdue(t["due"], t["status"], today)
        u["overdue"] = sum(t["overdue"] for t in u["todo"])
    by_id = {m["id"]: m for it in leaves(result["items"]) for m in it["materials"]}
    for v in result.get("veto", ()):
        for m in v.get("missing", ()):
            found = by_id.get(m["material"])
            m["due"] = found["due"] if found else None
            m["overdue"] = bool(found) and found["overdue"]
    result["summary"]["overdue"] = overdue
    result["inspection_date"] = inspection.isoformat() if inspection else None
    result["days_to_inspection"] = (inspection - today).days if inspection else None
    result["today"] = today.isoformat()
    return result

