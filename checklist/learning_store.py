"""The learned suggestions, a store of its own in the workspace database (foundation/sqlstore.py).

Everything here is derived (checklist/learning.py): rebuilt from the office's decisions and
the files' texts, never the record. `learned` holds, per material, the files that resemble its
confirmed files, with how many they resemble and the most similar ones; `learning_trained` the
key of the decisions each material was last trained on (a new decision changes the key, and the
material is scored again), how many files had features then and how alike all files were to its
examples (new files are measured against that); `learning_meta` a version that
grows with every change, so a cached check knows to run again.
"""
from __future__ import annotations

from foundation.sqlstore import SqliteStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS learned (
    material TEXT NOT NULL,
    sha TEXT NOT NULL,
    score REAL NOT NULL,
    n INTEGER NOT NULL,
    similar TEXT NOT NULL,
    PRIMARY KEY (material, sha)
);
CREATE TABLE IF NOT EXISTS learning_trained (
    material TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    through INTEGER NOT NULL,
    center REAL NOT NULL,
    spread REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS learning_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO learning_meta (key, value) VALUES ('version', 0)
"""
PG_SCHEMA = """
CREATE TABLE IF NOT EXISTS learned (
    material TEXT COLLATE "C" NOT NULL,
    sha TEXT COLLATE "C" NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    n BIGINT NOT NULL,
    "similar" TEXT NOT NULL,
    PRIMARY KEY (material, sha)
);
CREATE TABLE IF NOT EXISTS learning_trained (
    material TEXT COLLATE "C" PRIMARY KEY,
    key TEXT NOT NULL,
    through BIGINT NOT NULL,
    center DOUBLE PRECISION NOT NULL,
    spread DOUBLE PRECISION NOT NULL
);
CREATE TABLE IF NOT EXISTS learning_meta (key TEXT COLLATE "C" PRIMARY KEY, value BIGINT NOT NULL);
INSERT INTO learning_meta (key, value) VALUES ('version', 0) ON CONFLICT DO NOTHING
"""   # on PostgreSQL ([cluster] database; foundation/pgstore.py)


class LearningStore(SqliteStore):
    STORE = "learning"
    MIGRATIONS = (SCHEMA,)
    PG_MIGRATIONS = (PG_SCHEMA,)

    def version(self) -> int:
        """Grows with every change of the learned suggestions."""
        row = self._row("SELECT value FROM learning_meta WHERE key = 'version'")
        return row[0] if row else 0

    def trained(self) -> dict[str, tuple[str, int, float, float]]:
        """material -> (the key of the decisions it was trained on, how many files had
        features then, the centre and spread of every file's similarity to its examples)."""
        return {m: (k, t, c, sp) for m, k, t, c, sp in self._tuples(
            "SELECT material, key, through, center, spread FROM learning_trained")}

    def suggestions(self) -> list[tuple[str, str, float, int, str]]:
        """(material, sha, score, n, similar shas comma-separated) of every learned suggestion."""
        return self._tuples("SELECT material, sha, score, n, similar FROM learned")

    def save(self, material: str, key: str, through: int, rows: list[tuple], *,
             replace: bool, stats: tuple[float, float] = (0.0, 0.0)) -> None:
        """The suggestions of one material trained on `key` over `through` files' features:
        `rows` (sha, score, n, similar) replace the material's old ones, or are added to them
        (new files scored against unchanged decisions)."""
        with self._transaction() as db:
            if replace:
                db.execute("DELETE FROM learned WHERE material = ?", (material,))
            db.executemany("INSERT OR REPLACE INTO learned (material, sha, score, n, similar) "
                           "VALUES (?, ?, ?, ?, ?)", [(material, *r) for r in rows])
            db.execute("INSERT OR REPLACE INTO learning_trained (material, key, through, center, "
                       "spread) VALUES (?, ?, ?, ?, ?)", (material, key, through, *stats))
            if replace or rows:
                db.execute("UPDATE learning_meta SET value = value + 1 WHERE key = 'version'")

    def forget(self, materials=None) -> None:
        """Drop what was learned for these materials (all, if None): learning turned off, a
        rebuild, a material no longer in the standard."""
        with self._transaction() as db:
            if materials is None:
                db.execute("DELETE FROM learned")
                db.execute("DELETE FROM learning_trained")
            else:
                for m in materials:
                    db.execute("DELETE FROM learned WHERE material = ?", (m,))
                    db.execute("DELETE FROM learning_trained WHERE material = ?", (m,))
            db.execute("UPDATE learning_meta SET value = value + 1 WHERE key = 'version'")
