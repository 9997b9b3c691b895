"""Domain errors of the archive. They carry a `code` and `data`; the application turns them into
sentences (yingjian/messages.py). `str(error)` is an English line for developers' logs."""
from __future__ import annotations

# the store errors are the foundation's (every layer's stores raise them); kept importable here
from foundation.errors import CatalogBusy, CatalogDamaged, StoreError, StoreFull  # noqa: F401


class ArchiveError(Exception):
    """Base of every error the archive raises."""

    code = "archive_error"

    @property
    def data(self) -> dict:
        return {"detail": str(self)}


class ReadError(ArchiveError):
    """A file could not be read or understood; `reason` is a `reasons.Reason` (code and data)."""

    code = "read_error"

    def __init__(self, reason, path=None):
        super().__init__(str(reason))
        self.reason = reason
        self.path = path

    @property
    def data(self) -> dict:
        return {"reason": self.reason, "path": self.path}


class InboxUnavailable(ArchiveError):
    """The inbox folder (often a network share) is not reachable right now."""

    code = "inbox_unavailable"

    def __init__(self, path):
        super().__init__(f"inbox not reachable: {path}")
        self.path = path

    @property
    def data(self) -> dict:
        return {"path": str(self.path)}
