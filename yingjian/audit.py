"""The audit trail: who did what, when and from where: logins and failed logins, uploads, the
office's decisions and changes to accounts. A store of its own in the workspace database
(foundation/sqlstore.py); entries are only ever added. An entry is a code with data (its words
are made when shown, in yingjian/messages.py), like every stored fact.

"From where" is the client's address for the web app; the web frame sets it once per request
(`set_client`), so a service called from a view (Workspace.decide) records it without every
view passing it along. The command line leaves it empty: the entry was made on this machine.
"""
from __future__ import annotations

import json
import time
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Callable

from foundation.sqlstore import SqliteStore

TABLE = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    at TEXT NOT NULL,
    user TEXT,
    client TEXT,
    action TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS audit_ts ON audit(ts)
"""
ACTIONS = ("login", "login_failed", "login_refused", "logout", "upload", "decide",
           "user_add", "user_passwd", "user_remove", "notice", "due")

_CLIENT: ContextVar[str | None] = ContextVar("yingjian_client", default=None)


def set_client(client: str | None):
    """Entries without an explicit client are recorded from `client` until `reset_client` is
    called with the token this returns (the web frame does so around each request)."""
    return _CLIENT.set(client)


def reset_client(token) -> None:
    _CLIENT.reset(token)


class AuditLog(SqliteStore):
    STORE = "audit"
    MIGRATIONS = (TABLE,)

    def __init__(self, path, busy_timeout: float = 30.0, clock: Callable[[], float] = time.time):
        super().__init__(path, busy_timeout)
        self.clock = clock

    def record(self, action: str, user: str | None, client: str | None = None, **data) -> None:
        """Add one entry; `client` defaults to the one the current request is acting from."""
        if action not in ACTIONS:
            raise ValueError(action)
        ts = self.clock()
        at = datetime.fromtimestamp(ts, timezone.utc).astimezone().isoformat(timespec="seconds")
        client = client if client is not None else _CLIENT.get()
        with self._transaction() as db:
            db.execute("INSERT INTO audit (ts, at, user, client, action, data) "
                       "VALUES (?, ?, ?, ?, ?, ?)",
                       (ts, at, user, client, action, json.dumps(data, ensure_ascii=False)))

    def entries(self, *, since: float | None = None, user: str | None = None,
                action: str | None = None, limit: int | None = None) -> list[dict]:
        """Entries oldest first (the last `limit` of them), from `since` (a POSIX time) on."""
        where, args = ["1 = 1"], []
        if since is not None:
            where.append("ts >= ?")
            args.append(since)
        if user is not None:
            where.append("user = ?")
            args.append(user)
        if action is not None:
            where.append("action = ?")
            args.append(action)
        sql = (f"SELECT id, at, user, client, action, data FROM audit WHERE {' AND '.join(where)} "
               "ORDER BY id DESC")
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        rows = [{"id": r["id"], "at": r["at"], "user": r["user"], "client": r["client"],
                 "action": r["action"], "data": json.loads(r["data"] or "{}")}
                for r in self._db.execute(sql, args)]
        return rows[::-1]
