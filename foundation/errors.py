"""Errors of the stores every layer keeps (foundation/sqlstore.py, the object store). Like every
domain error they carry a `code` and `data`; the application turns them into sentences
(yingjian/messages.py). `str(error)` is an English line for developers' logs."""
from __future__ import annotations


class StoreError(Exception):
    """Base of the errors of a store."""

    code = "store_error"

    @property
    def data(self) -> dict:
        return {"detail": str(self)}


class CatalogBusy(StoreError):
    """Another process held the catalog longer than we were willing to wait."""

    code = "catalog_busy"

    def __init__(self, path, waited: float):
        super().__init__(f"catalog {path} locked for {waited:.0f}s")
        self.path = path
        self.waited = waited

    @property
    def data(self) -> dict:
        return {"path": str(self.path), "waited": self.waited}


class StoreFull(StoreError):
    """The disk holding the archive (objects or catalog) is full: nothing half-written was
    kept, and the work is redone once there is space."""

    code = "store_full"

    def __init__(self, path):
        super().__init__(f"no space left for the archive at {path}")
        self.path = path

    @property
    def data(self) -> dict:
        return {"path": str(self.path)}


class CatalogDamaged(StoreError):
    """The catalog file cannot be read as a database (a disk fault, a bad copy)."""

    code = "catalog_damaged"

    def __init__(self, path, detail: str = ""):
        super().__init__(f"catalog {path} is damaged: {detail}")
        self.path = path

    @property
    def data(self) -> dict:
        return {"path": str(self.path)}


class Coded:
    """An error named by its `code`, with `data` for the sentence yingjian/messages.py makes of
    it; `str(error)` is an English line for developers' logs. Mixed into an exception class:
    `class QueryError(Coded, ValueError)`."""

    def __init__(self, code: str, **data):
        super().__init__(f"{code} {data}")
        self.code, self.data = code, data


class DatabaseUnavailable(CatalogBusy):
    """The database server (PostgreSQL, `[cluster] database`) could not be reached for longer
    than the busy timeout: the work is not lost, it is done again once the server is back."""

    code = "database_unavailable"

    def __init__(self, where, waited: float, detail: str = ""):
        StoreError.__init__(self, f"database {where} unavailable for {waited:.0f}s: {detail}")
        self.path = where
        self.waited = waited
        self.detail = detail

    @property
    def data(self) -> dict:
        return {"path": str(self.path), "waited": self.waited}
