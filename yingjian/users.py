"""Accounts for the web app: office users see and decide everything; a unit user sees only its
own unit. Passwords are stored as scrypt hashes (werkzeug's generate_password_hash), in a store
of its own inside the workspace database (archive/sqlstore.py), so one file holds the record.
"""
from __future__ import annotations

from dataclasses import dataclass

from archive.catalog import now_iso
from archive.sqlstore import SqliteStore

TABLE = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('office', 'unit')),
    unit TEXT,
    password TEXT NOT NULL,
    created_at TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0
)
"""
MIN_PASSWORD = 8


class UserError(ValueError):
    """An account that cannot be made: `code` and `data` say why (yingjian/messages.py)."""

    def __init__(self, code: str, **data):
        super().__init__(f"{code} {data}")
        self.code, self.data = code, data


@dataclass
class User:
    name: str
    role: str
    unit: str | None

    @property
    def is_office(self) -> bool:
        return self.role == "office"

    def may_see_unit(self, unit: str) -> bool:
        return self.is_office or unit == self.unit


class Users(SqliteStore):
    STORE = "accounts"
    MIGRATIONS = (TABLE,)

    def __init__(self, path, units: list[str], busy_timeout: float = 30.0):
        super().__init__(path, busy_timeout)
        self.units = units

    def add(self, name: str, password: str, *, office: bool = False, unit: str | None = None,
            replace: bool = False) -> User:
        from werkzeug.security import generate_password_hash
        name = name.strip()
        if not name or len(name) > 40 or any(not c.isprintable() for c in name):
            raise UserError("user_name_invalid", max=40)
        if office == bool(unit):
            raise UserError("user_role_required")
        if unit and unit not in self.units:
            raise UserError("unknown_unit", unit=unit, units=list(self.units))
        if len(password) < MIN_PASSWORD:
            raise UserError("password_too_short", min=MIN_PASSWORD)
        if self.get(name) is not None and not replace:
            raise UserError("user_exists", name=name)
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO users (name, role, unit, password, created_at) "
                       "VALUES (?, ?, ?, ?, ?)",
                       (name, "office" if office else "unit", unit,
                        generate_password_hash(password, method="scrypt"), now_iso()))
        return User(name, "office" if office else "unit", unit)

    def get(self, name: str) -> User | None:
        r = self._db.execute("SELECT name, role, unit FROM users WHERE name = ? AND "
                                    "disabled = 0", (name,)).fetchone()
        return User(r["name"], r["role"], r["unit"]) if r else None

    def check(self, name: str, password: str) -> User | None:
        from werkzeug.security import check_password_hash
        r = self._db.execute("SELECT name, role, unit, password FROM users WHERE name = ? "
                                    "AND disabled = 0", (name or "",)).fetchone()
        if r is None:
            check_password_hash("scrypt:32768:8:1$x$" + "0" * 128, password or "")  # same time
            return None
        if not check_password_hash(r["password"], password or ""):
            return None
        return User(r["name"], r["role"], r["unit"])

    def all(self) -> list[User]:
        return [User(r["name"], r["role"], r["unit"]) for r in self._db.execute(
            "SELECT name, role, unit FROM users WHERE disabled = 0 ORDER BY role, unit, name")]
