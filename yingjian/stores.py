"""Every store of a workspace, opened once each in one explicit order: the one place that knows
which implementation of each store is used.

By default every database store is SQLite, tables in the workspace's one database file
(foundation/sqlstore.py is their base), the objects a folder and the search index a Whoosh folder
of the workspace. With `[cluster] database = "postgresql://…"` in yingjian.toml every database
store is its PostgreSQL class instead (`pg_store(cls)`, foundation/pgstore.py: the same methods,
the store's PG_MIGRATIONS), all of them in that one database; the search index stays a Whoosh
folder of this workspace (each machine keeps its own, following the catalog's change sequence).
The implementation is chosen here, from the configuration, and nowhere else: the workspace and
its services only ask `Stores` for `catalog`, `decisions`… and use the methods those have.
"""
from __future__ import annotations

from archive import Catalog, ObjectStore
from checklist.decisions import DecisionStore
from checklist.learning_store import LearningStore
from foundation.pgstore import in_schema, pg_store
from indexer import SearchIndex

from .audit import AuditLog
from .config import Config
from .deadlines import Deadlines
from .history import ReadinessHistory
from .notice_log import NoticeLog
from .problem_notes import ProblemNotes
from .registry import PROVINCE_SCHEMA, ProvinceError, ProvinceRegistry
from .users import Users


class Stores:
    """The stores of one workspace, each opened on first use, the catalog always first (it makes
    the database and runs its migrations before any other store's), or all at once in `ORDER`
    (`open_all`, what a long-running front does at start, so that no page load creates a
    table). Closed together, in the reverse order."""

    # the database stores, in the order they are opened
    ORDER = ("catalog", "decisions", "audit", "users", "problem_notes", "deadlines",
             "notice_log", "history", "learning_store")

    def __init__(self, config: Config):
        self.config = config
        self._opened: dict[str, object] = {}

    def _database(self, cls, **kw):
        if "catalog" not in self._opened:
            self.catalog                      # the database and the catalog's schema first
        return self._make(cls, **kw)

    def _make(self, cls, **kw):
        """A database store: SQLite in the workspace, or PostgreSQL with [cluster] database."""
        database = self.config.cluster.database
        if database:
            # a city of a province: its tables in its own schema (yingjian/province.py)
            database = in_schema(database, self.config.cluster.schema)
            return pg_store(cls)(database, busy_timeout=self.config.busy_timeout, **kw)
        return cls(self.config.catalog, busy_timeout=self.config.busy_timeout, **kw)

    def _get(self, name: str, make):
        store = self._opened.get(name)
        if store is None:
            store = self._opened[name] = make()
        return store

    @property
    def catalog(self) -> Catalog:
        def make():
            self.config.archive.mkdir(parents=True, exist_ok=True)
            return self._make(Catalog)
        return self._get("catalog", make)

    @property
    def decisions(self) -> DecisionStore:
        return self._get("decisions", lambda: self._database(DecisionStore))

    @property
    def audit(self) -> AuditLog:
        return self._get("audit", lambda: self._database(AuditLog))

    @property
    def users(self) -> Users:
        """Accounts and sessions; their changes go to the audit trail."""
        return self._get("users", lambda: self._database(Users, units=self.config.units,
                                                         audit=self.audit))

    @property
    def problem_notes(self) -> ProblemNotes:
        return self._get("problem_notes", lambda: self._database(ProblemNotes))

    @property
    def deadlines(self) -> Deadlines:
        return self._get("deadlines", lambda: self._database(Deadlines))

    @property
    def notice_log(self) -> NoticeLog:
        return self._get("notice_log", lambda: self._database(NoticeLog))

    @property
    def history(self) -> ReadinessHistory:
        return self._get("history", lambda: self._database(ReadinessHistory))

    @property
    def learning_store(self) -> LearningStore:
        return self._get("learning_store", lambda: self._database(LearningStore))

    @property
    def objects(self) -> ObjectStore:
        return self._get("objects", lambda: ObjectStore(self.config.objects,
                                                        durable=self.config.durable))

    @property
    def index(self) -> SearchIndex:
        return self._get("index", lambda: SearchIndex(self.config.index, catalog=self.catalog))

    @property
    def province(self) -> ProvinceRegistry:
        """The province's registry of cities and their summaries, in the province's schema of
        the same database (a province's folder, or one of its cities)."""
        def make():
            database = self.config.cluster.database
            if not database:
                raise ProvinceError("province_needs_database", root=str(self.config.root))
            return pg_store(ProvinceRegistry)(in_schema(database, PROVINCE_SCHEMA),
                                              busy_timeout=self.config.busy_timeout)
        return self._get("province", make)

    def open_all(self) -> None:
        for name in self.ORDER:
            getattr(self, name)

    def close(self) -> None:
        opened, self._opened = self._opened, {}
        for name in ("index", "province", *reversed(self.ORDER)):
            store = opened.get(name)
            if store is not None and hasattr(store, "close"):
                store.close()
