"""The office's decisions and the mapping's caches: a store of its own in the workspace database
(foundation/sqlstore.py), so that rebuilding the search index loses nothing.

- `decisions`: every confirm / reject / assign / unassign, with who, when, an optional note and
  the evidence date a person vouches for (a file that carries none). Nothing is ever deleted: the
  latest decision for a file and a material wins (`latest`), the rest is history.
- `declared_codes`, `rule_matches`: what each path declares and which content rules each content
  matches, cached per standard fingerprint (a new standard starts them afresh).
"""
from __future__ import annotations

from foundation.sqlstore import SqliteStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY,
    sha TEXT NOT NULL,
    material TEXT NOT NULL,
    action TEXT NOT NULL,
    user TEXT NOT NULL,
    at TEXT NOT NULL,
    note TEXT
);
CREATE INDEX IF NOT EXISTS decisions_sha ON decisions(sha);
CREATE TABLE IF NOT EXISTS declared_codes (
    path TEXT NOT NULL,
    rules TEXT NOT NULL,
    code TEXT NOT NULL,
    PRIMARY KEY (path, rules)
);
CREATE TABLE IF NOT EXISTS rule_matches (
    sha TEXT NOT NULL,
    rules TEXT NOT NULL,
    materials TEXT NOT NULL,
    PRIMARY KEY (sha, rules)
)
"""
# schema 2: the date a person vouches for when assigning a file that carries none
VOUCHED_DATE = "ALTER TABLE decisions ADD COLUMN date TEXT"
# schema 3: how far the paths have been parsed under a standard (by source id), so that a
# check reads only the paths that declare something, never all of them
PARSED_THROUGH = """
CREATE TABLE IF NOT EXISTS parsed_through (rules TEXT PRIMARY KEY, source_id INTEGER NOT NULL);
DELETE FROM declared_codes
"""

_COLUMNS = "sha, material, action, user, at, note, date"


def latest(rows) -> dict[tuple[str, str], dict]:
    """The rule, in one place: of the decisions on one file and one material, the latest wins."""
    out: dict[tuple[str, str], dict] = {}
    for r in rows:                         # oldest first
        out[(r["sha"], r["material"])] = dict(r)
    return out


class DecisionStore(SqliteStore):
    STORE = "decisions"
    MIGRATIONS = (SCHEMA, VOUCHED_DATE, PARSED_THROUGH)

    # -- decisions ---------------------------------------------------------------------------

    def add(self, *, sha: str, material: str, action: str, user: str, at: str,
            note: str | None = None, date: str | None = None) -> None:
        with self._transaction() as db:
            db.execute("INSERT INTO decisions (sha, material, action, user, at, note, date) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)", (sha, material, action, user, at, note, date))

    def latest(self) -> dict[tuple[str, str], dict]:
        """(sha, material) -> the decision in force."""
        return latest(self._rows(f"SELECT {_COLUMNS} FROM decisions ORDER BY id"))

    def latest_for(self, sha: str) -> dict[str, dict]:
        """material -> the decision in force, for one file."""
        rows = self._rows(f"SELECT {_COLUMNS} FROM decisions WHERE sha = ? ORDER BY id", (sha,))
        return {mid: d for (_, mid), d in latest(rows).items()}

    def history(self, sha: str) -> list[dict]:
        """Every decision on one file, oldest first."""
        return [dict(r) for r in self._rows(
            f"SELECT {_COLUMNS} FROM decisions WHERE sha = ? ORDER BY id", (sha,))]

    def ever_rejected(self) -> set[tuple[str, str]]:
        """(sha, material) of every file ever rejected for a material, even if the rejection
        was withdrawn since: what learning must never suggest for it again."""
        return set(self._tuples("SELECT DISTINCT sha, material FROM decisions "
                                "WHERE action = 'reject'"))

    def all(self) -> list[dict]:
        return [dict(r) for r in self._rows(f"SELECT {_COLUMNS} FROM decisions ORDER BY id")]

    # -- caches of one standard --------------------------------------------------------------

    def keep_only(self, rules: str) -> None:
        """One standard at a time: what was cached for an earlier one goes."""
        with self._transaction() as db:
            db.execute("DELETE FROM declared_codes WHERE rules != ?", (rules,))
            db.execute("DELETE FROM rule_matches WHERE rules != ?", (rules,))
            db.execute("DELETE FROM parsed_through WHERE rules != ?", (rules,))

    def parsed_through(self, rules: str) -> int:
        """The highest source id whose path has been parsed for codes under `rules`."""
        row = self._row("SELECT source_id FROM parsed_through WHERE rules = ?", (rules,))
        return row[0] if row else 0

    def declared_codes(self, rules: str) -> dict[str, str]:
        """path -> the code it declares, for the paths that declare one under `rules`."""
        return dict(self._tuples("SELECT path, code FROM declared_codes WHERE rules = ? "
                                 "AND code != ''", (rules,)))

    def save_declared_codes(self, rules: str, codes: list[tuple[str, str]], through: int) -> None:
        """The codes of newly parsed paths (only those that declare one are kept), and the
        source id they were parsed through."""
        with self._transaction() as db:
            db.executemany("INSERT OR REPLACE INTO declared_codes (path, rules, code) "
                           "VALUES (?, ?, ?)", [(p, rules, c) for p, c in codes if c])
            db.execute("INSERT OR REPLACE INTO parsed_through (rules, source_id) VALUES (?, ?)",
                       (rules, through))

    def rule_matches(self, rules: str) -> dict[str, str]:
        """sha -> the materials (comma-separated) its text matched under `rules`, for the
        contents that matched any."""
        return dict(self._tuples("SELECT sha, materials FROM rule_matches WHERE rules = ? "
                                 "AND materials != ''", (rules,)))

    def rule_match_count(self, rules: str) -> int:
        """How many contents have been tested under `rules`, matching or not."""
        return self._tuples("SELECT COUNT(*) FROM rule_matches WHERE rules = ?", (rules,))[0][0]

    def tested_shas(self, rules: str) -> set[str]:
        return {r[0] for r in self._tuples("SELECT sha FROM rule_matches WHERE rules = ?", (rules,))}

    def rule_match(self, sha: str, rules: str) -> str | None:
        row = self._row("SELECT materials FROM rule_matches WHERE sha = ? AND rules = ?",
                        (sha, rules))
        return row[0] if row else None

    def save_rule_matches(self, rules: str, matches: list[tuple[str, str]]) -> None:
        with self._transaction() as db:
            db.executemany("INSERT OR REPLACE INTO rule_matches (sha, rules, materials) "
                           "VALUES (?, ?, ?)", [(sha, rules, m) for sha, m in matches])
