"""The office's marks on problem files: 已通知 (the unit was told; who and when) or 忽略 (with
a reason, say a duplicate the unit should delete). A mark belongs to one path holding one
content: when the unit replaces the file, the new content's problem is new and unmarked. Every
mark is kept; the latest for a (path, content) is the one that counts. A store of its own in
the workspace database (foundation/sqlstore.py), like the accounts (yingjian/users.py).
"""
from __future__ import annotations

from foundation import now_iso
from foundation.sqlstore import SqliteStore

TABLE = """
CREATE TABLE IF NOT EXISTS problem_notes (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL,
    sha TEXT NOT NULL DEFAULT '',
    mark TEXT NOT NULL CHECK (mark IN ('notified', 'ignored', 'cleared')),
    reason TEXT,
    user TEXT NOT NULL,
    at TEXT NOT NULL
)
"""
INDEX = "CREATE INDEX IF NOT EXISTS problem_notes_path ON problem_notes(path, sha)"
MARKS = ("notified", "ignored", "cleared")


class ProblemNotes(SqliteStore):
    STORE = "problem_notes"
    MIGRATIONS = (TABLE + ";" + INDEX,)

    def mark(self, path: str, sha: str | None, mark: str, user: str,
             reason: str | None = None) -> None:
        """Record a mark (`cleared` takes the previous one back)."""
        if mark not in MARKS:
            raise ValueError(mark)
        with self._transaction() as db:
            db.execute("INSERT INTO problem_notes (path, sha, mark, reason, user, at) "
                       "VALUES (?, ?, ?, ?, ?, ?)", (path, sha or "", mark, reason, user, now_iso()))

    def latest(self) -> dict[tuple[str, str], dict]:
        """(path, sha or "") -> the latest mark, for every path marked and not cleared."""
        out = {}
        for r in self._rows("SELECT path, sha, mark, reason, user, at FROM problem_notes "
                            "ORDER BY id"):
            out[(r["path"], r["sha"])] = dict(r)
        return {k: v for k, v in out.items() if v["mark"] != "cleared"}
