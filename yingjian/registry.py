"""The province's registry (yingjian/province.py): its cities (name, schema, folder) and each
city's readiness summary, in the province's schema of the shared PostgreSQL database (the
database's own `public` schema; every city has a schema of its own beside it).

A city writes its own row whenever it records its readiness (`Workspace.record_history`: what
changes its inputs or checks on purpose), so the 全省 page reads one row per city and never
runs a city's check. A city's stores never read this schema (their connections' search_path
is the city's schema); only this store, opened by `Stores.province`, does.
"""
from __future__ import annotations

import json

from foundation import now_iso
from foundation.errors import Coded
from foundation.sqlstore import SqliteStore

PROVINCE_SCHEMA = None        # the database's own (public) schema: the province's; each city has its own

TABLES = """
CREATE TABLE IF NOT EXISTS cities (
    name TEXT PRIMARY KEY,
    schema_name TEXT NOT NULL UNIQUE,
    root TEXT NOT NULL,
    added_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS city_summaries (
    city TEXT PRIMARY KEY REFERENCES cities(name),
    at TEXT NOT NULL,
    summary TEXT NOT NULL
)
"""
PG_TABLES = TABLES.replace("TEXT PRIMARY KEY", 'TEXT COLLATE "C" PRIMARY KEY')


class ProvinceError(Coded, ValueError):
    """A province or city refused: `code` and `data` (yingjian/messages.py)."""


class ProvinceRegistry(SqliteStore):
    STORE = "province"
    MIGRATIONS = (TABLES,)
    PG_MIGRATIONS = (PG_TABLES,)

    def add_city(self, name: str, schema: str, root: str) -> None:
        """Register a city and make its schema (empty: its stores make their tables)."""
        if not schema.replace("_", "").isalnum() or not schema.isascii():
            raise ProvinceError("city_schema_invalid", schema=schema)
        with self._transaction() as db:
            db.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            db.execute("INSERT INTO cities (name, schema_name, root, added_at) VALUES (?, ?, ?, ?)",
                       (name, schema, root, now_iso()))

    def remove_city(self, name: str) -> None:
        """Forget a city (its schema and folder are left as they are)."""
        with self._transaction() as db:
            db.execute("DELETE FROM city_summaries WHERE city = ?", (name,))
            db.execute("DELETE FROM cities WHERE name = ?", (name,))

    def cities(self) -> list[dict]:
        return [dict(r) for r in self._rows(
            "SELECT name, schema_name, root, added_at FROM cities ORDER BY name")]

    def city(self, name: str) -> dict | None:
        r = self._row("SELECT name, schema_name, root, added_at FROM cities WHERE name = ?", (name,))
        return dict(r) if r else None

    def set_summary(self, city: str, summary: dict) -> None:
        text = json.dumps(summary, ensure_ascii=False, sort_keys=True)
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO city_summaries (city, at, summary) VALUES (?, ?, ?)",
                       (city, now_iso(), text))

    def summaries(self) -> dict[str, dict]:
        """city -> its last summary, with `at` (when the city wrote it)."""
        return {r["city"]: {**json.loads(r["summary"]), "at": r["at"]}
                for r in self._rows("SELECT city, at, summary FROM city_summaries")}


TREND_DAYS = 14


def city_summary(result: dict, *, pending: int, last_upload: str | None, days: list[dict]) -> dict:
    """What the 全省 page shows of a city, from the city's own check: the estimated score and
    the maximum, veto gaps, materials complete / open, pending reviews, overdue materials, the
    last upload, and the trend (the scores of the last days it kept)."""
    s = result["summary"]
    trend = [{"day": d["day"], "score": d.get("score"), "open": d.get("open")}
             for d in days[-TREND_DAYS:]]
    first = trend[0]["score"] if trend else None
    return {"score": result["score"], "max_score": result["max_score"],
            "veto_gaps": len(s["veto_at_risk"]), "materials": s["materials"],
            "complete": s["complete"], "open": s["materials"] - s["complete"],
            "pending": pending, "overdue": s.get("overdue", 0), "last_upload": last_upload,
            "trend": trend,
            "trend_change": (round(result["score"] - first, 1) if first is not None else 0.0)}
