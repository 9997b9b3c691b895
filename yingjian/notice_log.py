"""The record of every 督办通知 sent: which unit, its number for that unit (第 N 次督办), the
document number, the materials it listed (id, status, missing years, due date), the due date
it gave, who made it and when, and the file written. Entries are only ever added. A store of
its own in the workspace database (foundation/sqlstore.py), beside the audit trail that also
names each notice.
"""
from __future__ import annotations

import json

from foundation import now_iso
from foundation.sqlstore import SqliteStore

TABLE = """
CREATE TABLE IF NOT EXISTS notices (
    id INTEGER PRIMARY KEY,
    unit TEXT NOT NULL,
    number INTEGER NOT NULL,
    year INTEGER NOT NULL,
    serial INTEGER NOT NULL,
    due TEXT,
    user TEXT,
    at TEXT NOT NULL,
    day TEXT NOT NULL,
    file TEXT,
    materials TEXT NOT NULL DEFAULT '[]',
    UNIQUE (unit, number)
);
CREATE INDEX IF NOT EXISTS notices_unit ON notices(unit, number)
"""


class NoticeLog(SqliteStore):
    STORE = "notices"
    MIGRATIONS = (TABLE,)

    def next_numbers(self, unit: str, year: int) -> tuple[int, int]:
        """The number the unit's next notice gets (第 N 次), and the next serial of the year."""
        number = self._row("SELECT COALESCE(MAX(number), 0) + 1 FROM notices WHERE unit = ?",
                           (unit,))[0]
        serial = self._row("SELECT COALESCE(MAX(serial), 0) + 1 FROM notices WHERE year = ?",
                           (year,))[0]
        return number, serial

    def add(self, unit: str, materials: list[dict], *, day: str, due: str | None,
            user: str | None, number: int, serial: int, file: str | None = None) -> dict:
        """Record one notice under the numbers it was written with (`next_numbers`); a notice
        of the same unit recorded meanwhile by someone else makes this one fail (UNIQUE), never
        two notices with one number."""
        with self._transaction() as db:
            cur = db.execute(
                "INSERT INTO notices (unit, number, year, serial, due, user, at, day, file, "
                "materials) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (unit, number, int(day[:4]), serial, due, user, now_iso(), day, file,
                 json.dumps(materials, ensure_ascii=False)))
        return self.get(cur.lastrowid)

    def get(self, notice_id: int) -> dict | None:
        r = self._row("SELECT * FROM notices WHERE id = ?", (notice_id,))
        return _entry(r) if r else None

    def of_unit(self, unit: str) -> list[dict]:
        """The unit's notices, first first."""
        return [_entry(r) for r in self._rows("SELECT * FROM notices WHERE unit = ? ORDER BY number",
                                               (unit,))]

    def latest_by_unit(self) -> dict[str, dict]:
        """unit -> its last notice (with `count`, how many it has had)."""
        out = {}
        for r in self._rows("SELECT n.*, c.count FROM notices n JOIN (SELECT unit, MAX(number) "
                            "AS top, COUNT(*) AS count FROM notices GROUP BY unit) c "
                            "ON n.unit = c.unit AND n.number = c.top"):
            out[r["unit"]] = {**_entry(r), "count": r["count"]}
        return out

    def recent(self, limit: int = 50) -> list[dict]:
        return [_entry(r) for r in self._rows("SELECT * FROM notices ORDER BY id DESC LIMIT ?",
                                               (limit,))]


def _entry(r) -> dict:
    d = dict(r)
    d["materials"] = json.loads(d["materials"] or "[]")
    return d
