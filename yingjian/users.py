"""Accounts for the web app: office users see and decide everything; a unit user sees only its
own unit. Passwords are stored as scrypt hashes (werkzeug's generate_password_hash), in a store
of its own inside the workspace database (foundation/sqlstore.py), so one file holds the record.

Sessions live here too, not in the cookie: the cookie carries a random token, the store keeps
its hash, the user and an absolute end (8 hours from login, never extended). Logging out,
changing a password and removing an account end sessions at once. Failed logins are counted per
account and per client address; too many in a window lock that account or address for a while.
Every login, failure and change to an account goes to the audit trail (yingjian/audit.py).
"""
from __future__ import annotations

import hashlib
import math
import secrets
import time
from dataclasses import dataclass
from typing import Callable

from foundation.errors import Coded
from foundation import now_iso
from foundation.sqlstore import SqliteStore

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
SESSIONS_AND_FAILURES = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    client TEXT,
    created REAL NOT NULL,
    expires REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user);
CREATE TABLE IF NOT EXISTS login_failures (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    client TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_name ON login_failures(name, at);
CREATE INDEX IF NOT EXISTS login_failures_client ON login_failures(client, at)
"""
MIN_PASSWORD = 8
SESSION_SECONDS = 8 * 3600          # absolute: a session ends 8 hours after its login
LOCK_SECONDS = 15 * 60              # the window failures are counted in, and the lock's length
MAX_FAILURES_ACCOUNT = 6            # wrong passwords for one account within the window
MAX_FAILURES_CLIENT = 20            # failures from one address, whatever the accounts


class UserError(Coded, ValueError):
    """An account that cannot be made, or a login refused: `code` and `data` say why
    (yingjian/messages.py)."""


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


def _token_id(token: str) -> str:
    """What the store keeps of a session token: its hash, so a copy of the database cannot be
    replayed as a cookie."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Users(SqliteStore):
    STORE = "accounts"
    MIGRATIONS = (TABLE, SESSIONS_AND_FAILURES)

    def __init__(self, path, units: list[str], busy_timeout: float = 30.0, *, audit=None,
                 clock: Callable[[], float] = time.time):
        super().__init__(path, busy_timeout)
        self.units = units
        self.audit = audit
        self.clock = clock

    def _record(self, action: str, user: str | None, client: str | None = None, **data) -> None:
        if self.audit is not None:
            self.audit.record(action, user, client, **data)

    # -- accounts ------------------------------------------------------------------------------

    def add(self, name: str, password: str, *, office: bool = False, unit: str | None = None,
            replace: bool = False, by: str | None = None) -> User:
        """Make an account (or, with `replace`, give an existing one a new role and password:
        its sessions end). `by` is who did it, for the audit trail."""
        from werkzeug.security import generate_password_hash
        name = name.strip()
        if not name or len(name) > 40 or any(not c.isprintable() for c in name):
            raise UserError("user_name_invalid", max=40)
        if office == bool(unit):
            raise UserError("user_role_required")
        if unit and unit not in self.units:
            raise UserError("unknown_unit", unit=unit, units=list(self.units))
        _check_password(password, name)
        existed = self.get(name) is not None
        if existed and not replace:
            raise UserError("user_exists", name=name)
        role = "office" if office else "unit"
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO users (name, role, unit, password, created_at) "
                       "VALUES (?, ?, ?, ?, ?)",
                       (name, role, unit, generate_password_hash(password, method="scrypt"),
                        now_iso()))
            db.execute("DELETE FROM sessions WHERE user = ?", (name,))
            db.execute("DELETE FROM login_failures WHERE name = ?", (name,))
        self._record("user_add", by, name=name, role=role, unit=unit, replaced=existed)
        return User(name, role, unit)

    def set_password(self, name: str, password: str, *, by: str | None = None) -> None:
        """A new password: every session of the account ends, and a lock on it is lifted."""
        from werkzeug.security import generate_password_hash
        if self.get(name) is None:
            raise UserError("user_not_found", name=name)
        _check_password(password, name)
        with self._transaction() as db:
            db.execute("UPDATE users SET password = ? WHERE name = ?",
                       (generate_password_hash(password, method="scrypt"), name))
            db.execute("DELETE FROM sessions WHERE user = ?", (name,))
            db.execute("DELETE FROM login_failures WHERE name = ?", (name,))
        self._record("user_passwd", by, name=name)

    def remove(self, name: str, *, by: str | None = None) -> None:
        """Remove an account; its sessions end at once. Its decisions and audit entries stay."""
        if self.get(name) is None:
            raise UserError("user_not_found", name=name)
        with self._transaction() as db:
            db.execute("DELETE FROM sessions WHERE user = ?", (name,))
            db.execute("DELETE FROM login_failures WHERE name = ?", (name,))
            db.execute("DELETE FROM users WHERE name = ?", (name,))
        self._record("user_remove", by, name=name)

    def get(self, name: str) -> User | None:
        r = self._row("SELECT name, role, unit FROM users WHERE name = ? AND disabled = 0", (name,))
        return User(r["name"], r["role"], r["unit"]) if r else None

    def check(self, name: str, password: str) -> User | None:
        """The account if `password` is its password (no throttling: `login` is for people)."""
        from werkzeug.security import check_password_hash
        r = self._row("SELECT name, role, unit, password FROM users WHERE name = ? "
                      "AND disabled = 0", (name or "",))
        if r is None:
            check_password_hash("scrypt:32768:8:1$x$" + "0" * 128, password or "")  # same time
            return None
        if not check_password_hash(r["password"], password or ""):
            return None
        return User(r["name"], r["role"], r["unit"])

    def all(self) -> list[User]:
        return [User(r["name"], r["role"], r["unit"]) for r in self._rows(
            "SELECT name, role, unit FROM users WHERE disabled = 0 ORDER BY role, unit, name")]

    # -- logging in: throttled, logged, a server-side session ---------------------------------

    def login(self, name: str, password: str, client: str) -> tuple[User, str]:
        """Check a login from `client` (an address) and start a session: the user and the
        session's token (for the cookie). Raises UserError `login_failed`, or
        `account_locked` / `client_locked` with the minutes to wait."""
        name = (name or "").strip()[:100]
        client = client or ""
        locked = self.locked(name, client)
        if locked is not None:
            self._record("login_refused", name, client, reason=locked.code,
                         minutes=locked.data["minutes"])
            raise locked
        user = self.check(name, password)
        if user is None:
            now = self.clock()
            with self._transaction() as db:
                db.execute("DELETE FROM login_failures WHERE at < ?", (now - LOCK_SECONDS,))
                db.execute("INSERT INTO login_failures (name, client, at) VALUES (?, ?, ?)",
                           (name, client, now))
            self._record("login_failed", name, client)
            raise self.locked(name, client) or UserError("login_failed")
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self._transaction() as db:
            db.execute("DELETE FROM login_failures WHERE name = ?", (name,))
            db.execute("DELETE FROM sessions WHERE expires <= ?", (now,))
            db.execute("INSERT INTO sessions (id, user, client, created, expires) "
                       "VALUES (?, ?, ?, ?, ?)",
                       (_token_id(token), user.name, client, now, now + SESSION_SECONDS))
        self._record("login", user.name, client)
        return user, token

    def locked(self, name: str, client: str) -> UserError | None:
        """Why a login for `name` from `client` is refused now, with the minutes left; None
        when it is not."""
        since = self.clock() - LOCK_SECONDS
        for column, value, limit, code in (("name", name, MAX_FAILURES_ACCOUNT, "account_locked"),
                                           ("client", client, MAX_FAILURES_CLIENT, "client_locked")):
            r = self._row(f"SELECT COUNT(*) AS n, MAX(at) AS last FROM login_failures "
                          f"WHERE {column} = ? AND at >= ?", (value, since))
            if r["n"] >= limit:
                left = r["last"] + LOCK_SECONDS - self.clock()
                return UserError(code, name=name, minutes=max(1, math.ceil(left / 60)))
        return None

    def session_user(self, token: str | None) -> User | None:
        """The user of a live session, or None (no such session, ended, or past its 8 hours)."""
        if not token or not isinstance(token, str):
            return None
        r = self._row("SELECT u.name, u.role, u.unit FROM sessions s JOIN users u "
                      "ON u.name = s.user WHERE s.id = ? AND s.expires > ? AND u.disabled = 0",
                      (_token_id(token), self.clock()))
        return User(r["name"], r["role"], r["unit"]) if r else None

    def logout(self, token: str | None, client: str | None = None) -> None:
        """End one session (the one logging out)."""
        if not token or not isinstance(token, str):
            return
        r = self._row("SELECT user FROM sessions WHERE id = ?", (_token_id(token),))
        with self._transaction() as db:
            db.execute("DELETE FROM sessions WHERE id = ?", (_token_id(token),))
        if r is not None:
            self._record("logout", r["user"], client)

    def sessions_of(self, name: str) -> int:
        """How many live sessions an account has."""
        return self._row("SELECT COUNT(*) AS n FROM sessions WHERE user = ? AND expires > ?",
                         (name, self.clock()))["n"]


# the passwords tried first by anyone guessing (the commonest of the leaked password lists,
# Chinese sites' included), eight characters or more; compared without case
COMMON_PASSWORDS = frozenset("""
12345678 123456789 1234567890 0123456789 12345678910 87654321 987654321 9876543210 11223344
1122334455 12341234 123123123 123321123 147258369 159357258 123456abc 123456qwe 1q2w3e4r
1q2w3e4r5t 1qaz2wsx 1qaz2wsx3edc qwertyui qwertyuiop qwerty123 qwe123456 qweasdzxc asdfghjkl
zxcvbnm123 password password1 password123 passw0rd p@ssw0rd p@ssword iloveyou iloveyou1
abc12345 abcd1234 abc123456 a1234567 a12345678 a123456789 aa123456 aa12345678 admin123
admin1234 administrator root1234 welcome1 welcome123 sunshine princess football baseball
superman 1234qwer qwer1234 asdf1234 zxcv1234 woaini1314 woaini520 5201314520 52013145
1314520520 woaini123 wangyu123 li123456 zhang123456 huang123 q1w2e3r4 q1w2e3r4t5
dragon123 monkey123 letmein1 trustno1 11111111a aaaaaaaa1 88888888a 66666666a changeme
yingjian yingjian123 shuangyong
""".split())


def password_problem(password: str, name: str | None = None) -> UserError | None:
    """Why a password may not be used, or None: at least 8 characters, not blank, not one
    character repeated, not one of the commonest passwords, not the account's name."""
    password = password or ""
    if not password.strip():
        return UserError("password_blank")
    if len(password) < MIN_PASSWORD:
        return UserError("password_too_short", min=MIN_PASSWORD)
    if len(set(password)) == 1:
        return UserError("password_repeated")
    if password.casefold() in COMMON_PASSWORDS:
        return UserError("password_common")
    if name and password.strip().casefold() == name.strip().casefold():
        return UserError("password_is_name")
    return None


def _check_password(password: str, name: str | None = None) -> None:
    problem = password_problem(password, name)
    if problem is not None:
        raise problem
