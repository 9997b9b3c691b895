"""What the office did and set, as read back: the audit trail, the due dates in force and the
notices sent (the notices themselves are made by yingjian/notices.py)."""
from __future__ import annotations

from pathlib import Path


class Activity:
    def __init__(self, stores, notices_folder: Path):
        self._stores = stores
        self._notices_folder = notices_folder

    def audit_entries(self, *, since: float | None = None, user: str | None = None,
                      limit: int | None = None) -> list[dict]:
        return self._stores.audit.entries(since=since, user=user, limit=limit)

    def record(self, action: str, user: str | None, client: str | None = None, **data) -> None:
        """One entry in the audit trail."""
        self._stores.audit.record(action, user, client, **data)

    def due_dates(self) -> dict:
        """(kind, target) -> the due date in force (a unit's or a material's; the latest set)."""
        return self._stores.deadlines.current()

    def notices_of(self, unit: str) -> list[dict]:
        """The notices sent to `unit`, the latest first."""
        return self._stores.notice_log.of_unit(unit)[::-1]

    def notice(self, notice_id: int) -> tuple[dict, Path | None] | None:
        """A notice sent and its file as it was sent (None if the file is gone)."""
        n = self._stores.notice_log.get(notice_id)
        if n is None:
            return None
        path = self._notices_folder / Path(n["file"]).name if n["file"] else None
        return n, path if path is not None and path.is_file() else None
