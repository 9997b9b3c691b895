"""Domain errors of the archive. They carry data; the application turns them into sentences."""


class ArchiveError(Exception):
    """Base of every error the archive raises."""


class ReadError(ArchiveError):
    """A file could not be read or understood; `reason` is the sentence a clerk reads."""

    def __init__(self, reason: str, path=None):
        super().__init__(reason)
        self.reason = reason
        self.path = path


class CatalogBusy(ArchiveError):
    """Another process held the catalog longer than we were willing to wait."""

    def __init__(self, path, waited: float):
        super().__init__(f"catalog {path} locked for {waited:.0f}s")
        self.path = path
        self.waited = waited


class InboxUnavailable(ArchiveError):
    """The inbox folder (often a network share) is not reachable right now."""

    def __init__(self, path):
        super().__init__(f"inbox not reachable: {path}")
        self.path = path


class StoreFull(ArchiveError):
    """The disk holding the archive (objects or catalog) is full: nothing half-written was
    kept, and the work is redone once there is space."""

    def __init__(self, path):
        super().__init__(f"no space left for the archive at {path}")
        self.path = path


class CatalogDamaged(ArchiveError):
    """The catalog file cannot be read as a database (a disk fault, a bad copy)."""

    def __init__(self, path, detail: str = ""):
        super().__init__(f"catalog {path} is damaged: {detail}")
        self.path = path
