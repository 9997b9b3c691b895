"""Accounts for the web app: office users see and decide everything; a unit user sees only its
own unit. Passwords are stored as scrypt hashes (werkzeug's generate_password_hash), in a table
of the catalog database so that one file holds the whole record.
"""
from __future__ import annotations

from dataclasses import dataclass

from archive.catalog import now_iso

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
    """The message is for the user (Chinese)."""


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


class Users:
    def __init__(self, catalog, units: list[str]):
        self.catalog = catalog
        self.units = units
        with catalog.transaction() as db:
            db.execute(TABLE)

    def add(self, name: str, password: str, *, office: bool = False, unit: str | None = None,
            replace: bool = False) -> User:
        from werkzeug.security import generate_password_hash
        name = name.strip()
        if not name or len(name) > 40 or any(not c.isprintable() for c in name):
            raise UserError("用户名不能为空,不超过 40 个字,且不能含控制字符")
        if office == bool(unit):
            raise UserError("请指定 --office(双拥办)或 --unit 单位 之一")
        if unit and unit not in self.units:
            raise UserError(f"工作区中没有单位“{unit}”;可选:{'、'.join(self.units)}")
        if len(password) < MIN_PASSWORD:
            raise UserError(f"密码至少 {MIN_PASSWORD} 位")
        if self.get(name) is not None and not replace:
            raise UserError(f"用户 {name} 已存在(要重设密码请加 --replace)")
        with self.catalog.transaction() as db:
            db.execute("INSERT OR REPLACE INTO users (name, role, unit, password, created_at) "
                       "VALUES (?, ?, ?, ?, ?)",
                       (name, "office" if office else "unit", unit,
                        generate_password_hash(password, method="scrypt"), now_iso()))
        return User(name, "office" if office else "unit", unit)

    def get(self, name: str) -> User | None:
        r = self.catalog.db.execute("SELECT name, role, unit FROM users WHERE name = ? AND "
                                    "disabled = 0", (name,)).fetchone()
        return User(r["name"], r["role"], r["unit"]) if r else None

    def check(self, name: str, password: str) -> User | None:
        from werkzeug.security import check_password_hash
        r = self.catalog.db.execute("SELECT name, role, unit, password FROM users WHERE name = ? "
                                    "AND disabled = 0", (name or "",)).fetchone()
        if r is None:
            check_password_hash("scrypt:32768:8:1$x$" + "0" * 128, password or "")  # same time
            return None
        if not check_password_hash(r["password"], password or ""):
            return None
        return User(r["name"], r["role"], r["unit"])

    def all(self) -> list[User]:
        return [User(r["name"], r["role"], r["unit"]) for r in self.catalog.db.execute(
            "SELECT name, role, unit FROM users WHERE disabled = 0 ORDER BY role, unit, name")]
