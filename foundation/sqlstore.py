"""The base of every SQLite store. The workspace keeps one database file (`catalog.sqlite`), and
several stores keep tables in it: the catalog (archive/), the decisions and mapping caches
(checklist/), the accounts and sessions (yingjian/). Each store owns its tables: their SQL lives
in its module, behind named methods, with the store's own schema version and migrations, run by
the one runner below. Nobody outside a store runs SQL on its tables, which is what lets a second
implementation (PostgreSQL, for a province) stand beside this one.
"""
from __future__ import annotations

import os
import sqlite3
import threading
import time
import weakref
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Sequence, Union

from .errors import CatalogBusy, CatalogDamaged, StoreFull

BATCH_CACHE_KIB = 32 * 1024          # page cache of a connection that writes in batches
BATCH_CHECKPOINT_PAGES = 4000        # its automatic checkpoints (SQLite's default is 1,000)
BEGIN_POLL = 0.002                   # a writer waiting for the lock looks this often
HANDOFF_SECONDS = 0.01               # a batch writer leaves the lock free this long between batches

# a migration is a SQL script (statements separated by ";") or a function of the connection
Migration = Union[str, Callable[[sqlite3.Connection], None]]


def _busy(e: BaseException) -> bool:
    """SQLite's "database is locked" / "busy": another connection holds what this one needs."""
    return isinstance(e, sqlite3.OperationalError) and ("locked" in str(e) or "busy" in str(e))


def private(path: Path) -> None:
    """Readable by the owner only (POSIX): the workspace database holds password hashes and
    sessions. SQLite gives its -wal and -shm files the database file's mode. On Windows the
    workspace folder's own permissions protect it (README)."""
    if os.name != "posix":
        return
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if p.exists() and p.stat().st_mode & 0o077:
                os.chmod(p, 0o600)
        except OSError:
            pass


def _create_private(path: Path) -> None:
    """Make the database file 0600 before SQLite first opens it (an empty file is an empty
    database), and tighten one an older release made readable by all."""
    if os.name != "posix":
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError:
        return                        # no folder yet, read-only...: SQLite will say so
    private(path)


def with_this_thread(conns: list, db) -> list:
    """(thread, connection) pairs: the live threads' kept, this thread's `db` added, those of
    threads that have ended closed (a store's connections are per thread)."""
    alive = []
    for ref, conn in conns:
        thread = ref()
        if thread is not None and thread.is_alive():
            alive.append((ref, conn))
        else:
            conn.close()
    alive.append((weakref.ref(threading.current_thread()), db))
    return alive


class StoreTooNew(CatalogDamaged):
    """The database was written by a newer yingjian: it is not touched."""

    code = "store_too_new"

    def __init__(self, path, store: str, found: int, known: int):
        super().__init__(path, f"{store} schema {found} is newer than {known}")
        self.store, self.found, self.known = store, found, known

    @property
    def data(self) -> dict:
        return {"path": str(self.path), "store": self.store, "found": self.found,
                "known": self.known}


class SqliteStore:
    """A store's connection to the workspace database, its transactions and its migrations.
    Subclasses set STORE (their name in `schema_versions`) and MIGRATIONS (oldest first: the
    schema version is the number of migrations applied)."""

    STORE: str = ""
    MIGRATIONS: Sequence[Migration] = ()

    def __init__(self, path: Path, busy_timeout: float = 30.0):
        self._open(path, busy_timeout)

    def _open(self, path: Path, busy_timeout: float) -> None:
        """Connect and migrate (foundation/pgstore.py opens a PostgreSQL database here instead)."""
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        _create_private(self.path)
        # one connection per thread (SQLite in WAL mode lets readers and a writer work at once):
        # the web app's request threads, the watcher and its helpers never share a connection,
        # so no lock around the store is needed
        self._local = threading.local()
        self._conns: list[tuple[weakref.ref, sqlite3.Connection]] = []
        self._conns_lock = threading.Lock()
        self._closed = False
        db = self._connect()
        try:
            self._migrate()
        except CatalogBusy:
            self.close()
            raise
        except sqlite3.DatabaseError as e:
            self.close()
            if _busy(e):
                raise CatalogBusy(self.path, busy_timeout) from e
            raise CatalogDamaged(self.path, str(e)) from e
        except BaseException:
            self.close()
            raise
        del db

    @property
    def _db(self) -> sqlite3.Connection:
        """This thread's connection to the database, opened on its first use."""
        db = getattr(self._local, "db", None)
        return db if db is not None else self._connect()

    def _connection_state(self) -> dict:
        """What this thread's connection holds beyond the database's tables (its temporary
        tables' contents), noted by the store that put it there: one dict per connection, new
        with a new connection."""
        db = self._db
        state = getattr(self._local, "state", None)
        if state is None or state[0] is not db:
            state = self._local.state = (db, {})
        return state[1]

    def _connect(self) -> sqlite3.Connection:
        if self._closed:
            raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
        db = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None,
                             check_same_thread=False)
        db.row_factory = sqlite3.Row
        try:
            self._journal_mode_wal(db)
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            # a savepoint's undo copies (the ingest's batch holds one per record) in memory: on
            # disk they were written page by page to a temporary file, some 30 pages a file
            db.execute("PRAGMA temp_store=MEMORY")
        except sqlite3.DatabaseError as e:
            db.close()
            if _busy(e):
                raise CatalogBusy(self.path, self.busy_timeout) from e
            raise CatalogDamaged(self.path, str(e)) from e
        with self._conns_lock:
            # the connections of threads that have ended are closed here
            self._conns = with_this_thread(self._conns, db)
        self._local.db = db
        return db

    def _journal_mode_wal(self, db: sqlite3.Connection) -> None:
        """PRAGMA journal_mode=WAL, waiting for the database as any statement does. SQLite answers
        this pragma "database is locked" at once, without its busy handler, while another
        connection is making the same new file WAL: two `yingjian watch` (or a watcher and the
        web app) started together on a new workspace, and one of them stopped there."""
        deadline = time.monotonic() + self.busy_timeout
        pause = 0.005
        while True:
            try:
                db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as e:
                if not _busy(e) or time.monotonic() + pause > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.25)

    # -- migrations --------------------------------------------------------------------------

    def schema_version(self) -> int:
        row = self._db.execute("SELECT version FROM schema_versions WHERE store = ?",
                               (self.STORE,)).fetchone()
        return row[0] if row else 0

    def _legacy_version(self, db: sqlite3.Connection) -> int:
        """The version of a database written before this store had a runner entry."""
        return 0

    def _migrate(self) -> None:
        """Apply the migrations this database has not had yet, all in one transaction. A
        database already at this version is only read: opening a store never waits for
        another process's write (a watcher's batch in the middle of a long read)."""
        known = len(self.MIGRATIONS)
        try:
            row = self._db.execute("SELECT version FROM schema_versions WHERE store = ?",
                                   (self.STORE,)).fetchone()
        except sqlite3.OperationalError:    # no such table yet: a new database
            row = None
        if row is not None and row[0] == known:
            return
        with self._transaction() as db:
            db.execute("CREATE TABLE IF NOT EXISTS schema_versions "
                       "(store TEXT PRIMARY KEY, version INTEGER NOT NULL)")
            row = db.execute("SELECT version FROM schema_versions WHERE store = ?",
                             (self.STORE,)).fetchone()
            current = row[0] if row else self._legacy_version(db)
            if current > known:
                raise StoreTooNew(self.path, self.STORE, current, known)
            for step in self.MIGRATIONS[current:]:
                if callable(step):
                    step(db)
                else:
                    for stmt in step.split(";"):
                        if stmt.strip():
                            db.execute(stmt)
            if row is None or current != known:
                db.execute("INSERT OR REPLACE INTO schema_versions VALUES (?, ?)",
                           (self.STORE, known))

    # -- for the store's own methods ---------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE: take the write lock up front so that two writers never deadlock.
        Inside a batch, a savepoint: the write is still all or nothing, and is committed
        with the batch."""
        if self._joins_open_transaction():
            yield from self._savepoint()
            return
        self._begin()
        try:
            yield self._db
            self._commit()
        except BaseException as e:
            self._rollback(e)
            raise

    def _joins_open_transaction(self) -> bool:
        """Whether a write joins a transaction already open (as a savepoint): this store's batch."""
        return self._batch_open

    def _begin(self) -> None:
        """BEGIN IMMEDIATE, waiting up to busy_timeout for another process's write, looking
        every BEGIN_POLL seconds rather than through SQLite's busy handler, which sleeps up to
        100 ms between two looks: a batch writer (an ingest pass, a watcher's start-up scan)
        lets go of the lock only for HANDOFF_SECONDS between two batches, and only while a
        writer says it waits (`_say_waiting`), and a clerk's decision beside it used to miss
        every such moment and fail 'catalog busy' after busy_timeout."""
        db = self._db
        start = time.monotonic()
        db.execute("PRAGMA busy_timeout = 0")
        waiting = None
        try:
            while True:
                try:
                    db.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as e:
                    if not _busy(e):
                        raise
                    waited = time.monotonic() - start
                    if waited + BEGIN_POLL > self.busy_timeout:
                        raise CatalogBusy(self.path, waited) from e
                if waiting is None:
                    waiting = self._say_waiting()
                time.sleep(BEGIN_POLL)
        finally:
            if waiting:
                try:
                    os.unlink(waiting)
                except OSError:
                    pass
            db.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")

    # a writer waiting for the lock says so with a file beside the database, so that a batch
    # writer pauses between two batches only when somebody waits (HANDOFF_SECONDS a batch of a
    # quick pass is some 10% of its time)

    def _waiting_prefix(self) -> str:
        return f"{self.path.name}-waiting-"

    def _say_waiting(self) -> str:
        name = self.path.with_name(f"{self._waiting_prefix()}{os.getpid()}-{threading.get_ident()}")
        try:
            name.touch()
            return str(name)
        except OSError:
            return ""

    def _someone_waiting(self) -> bool:
        """Whether a writer of another process or thread says it waits for the lock (a mark
        older than busy_timeout is one a killed writer left: it waits no more)."""
        prefix, now = self._waiting_prefix(), time.time()
        try:
            with os.scandir(self.path.parent) as entries:
                for entry in entries:
                    if entry.name.startswith(prefix):
                        try:
                            if now - entry.stat().st_mtime <= self.busy_timeout + 1:
                                return True
                            os.unlink(entry.path)       # a killed writer's
                        except OSError:
                            pass
        except OSError:
            return True                 # cannot tell: pause, as before
        return False

    def _commit(self) -> None:
        self._db.execute("COMMIT")

    def _rollback(self, e: BaseException) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")
        if isinstance(e, sqlite3.OperationalError) and "full" in str(e):
            raise StoreFull(self.path) from e       # "database or disk is full"

    # -- batches: many writes, one commit ------------------------------------------------------
    # A writer that records many things in a row (the ingest pipeline) opens a batch: one
    # transaction holds them all, each write method keeps its own atomicity as a savepoint,
    # and the caller decides when to commit (after it has made durable what the rows refer to).

    @property
    def _batch_open(self) -> bool:
        """Whether this thread has a batch open (a batch is its thread's connection's
        transaction: another thread's writes are never folded into it)."""
        return getattr(self._local, "batch_open", False)

    @_batch_open.setter
    def _batch_open(self, value: bool) -> None:
        self._local.batch_open = value

    def begin_batch(self) -> None:
        """Open one transaction for the writes that follow, until `commit_batch`."""
        if not self._batch_open:
            if not getattr(self._local, "batch_tuned", False):
                self._tune_for_batches()
                self._local.batch_tuned = True
            self._begin()
            self._batch_open = True

    def _tune_for_batches(self) -> None:
        """A batch writer's connection: the pages a batch touches stay in its cache (the
        default 2 MB held less than one batch of an archive of 20,000 files), and the log is
        copied into the database file every 4,000 pages rather than every 1,000 (about every
        batch)."""
        self._db.execute(f"PRAGMA cache_size = -{BATCH_CACHE_KIB}")
        self._db.execute(f"PRAGMA wal_autocheckpoint = {BATCH_CHECKPOINT_PAGES}")

    def commit_batch(self, end: bool = False) -> None:
        """Commit the writes of the batch; the batch goes on unless `end`."""
        if not self._batch_open:
            return
        try:
            self._batch_flush(self._db)
            self._commit()
        except BaseException as e:
            self._batch_open = False
            self._batch_undo(0)
            self._rollback(e)
            raise
        self._batch_open = False
        if not end:
            # a moment with the lock free, for a writer waiting beside (it looks every
            # BEGIN_POLL): taken again at once, it was free only for microseconds
            if self._someone_waiting():
                time.sleep(HANDOFF_SECONDS)
            self.begin_batch()

    def rollback_batch(self) -> None:
        """Forget the writes of the batch (the caller could not make what they refer to durable)."""
        if self._batch_open:
            self._batch_open = False
            self._batch_undo(0)
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")

    def _savepoint(self) -> Iterator[sqlite3.Connection]:
        mark = self._batch_mark()
        self._db.execute("SAVEPOINT write")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK TO write")
            self._db.execute("RELEASE write")
            self._batch_undo(mark)
            raise
        self._db.execute("RELEASE write")

    # A store may keep rows of a batch aside and write them all at once (executemany) just
    # before the batch commits: these three say where its queue is, write it, and cut it back
    # when a write is undone (0 being the mark of an empty queue).
    def _batch_mark(self) -> object:
        return 0

    def _batch_flush(self, db: sqlite3.Connection) -> None:
        pass

    def _batch_undo(self, mark: object) -> None:
        pass

    def _rows(self, sql: str, args: Sequence = ()) -> list[sqlite3.Row]:
        return self._db.execute(sql, args).fetchall()

    def _row(self, sql: str, args: Sequence = ()) -> sqlite3.Row | None:
        return self._db.execute(sql, args).fetchone()

    def _tuples(self, sql: str, args: Sequence = ()) -> list[tuple]:
        """Plain tuples, for the reads that must stay lean at 100,000 rows."""
        cur = self._db.cursor()
        cur.row_factory = None
        return cur.execute(sql, args).fetchall()

    def _in(self, sql: str, keys, after: Sequence = (), *, rows: bool = False) -> list:
        """`sql` run over `keys` 500 at a time, its `{keys}` replaced by their placeholders (so
        any number fits SQLite's limit on variables); `after` are the arguments that follow the
        keys. Plain tuples, or Rows with `rows`."""
        keys, out = list(dict.fromkeys(keys)), []
        for i in range(0, len(keys), 500):
            batch = keys[i:i + 500]
            query = sql.format(keys=",".join("?" * len(batch)))
            out += (self._rows if rows else self._tuples)(query, [*batch, *after])
        return out

    def close(self) -> None:
        """Close every thread's connection; the store is not used after this."""
        with self._conns_lock:
            self._closed = True
            conns, self._conns = self._conns, []
        for _ref, conn in conns:
            conn.close()
        self._local = threading.local()

    # -- the whole database, for `db copy` (yingjian/cluster.py) ---------------------------

    def table_columns(self) -> dict[str, tuple[str, ...]]:
        """table -> its columns, for every table of the database (not SQLite's own)."""
        names = [r[0] for r in self._tuples("SELECT name FROM sqlite_master WHERE type = 'table' "
                                            "AND name NOT LIKE 'sqlite%' ORDER BY name")]
        return {t: tuple(r[1] for r in self._tuples(f"PRAGMA table_info({t})")) for t in names}

    def table_rows(self, table: str, columns: Sequence[str]) -> Iterator[tuple]:
        """Every row of `table` (these columns; `rowid` too, the order rows arrived in)."""
        cur = self._db.cursor()
        cur.row_factory = None
        yield from cur.execute(f"SELECT {', '.join(columns)} FROM {table}")

    def table_count(self, table: str) -> int:
        return self._tuples(f"SELECT COUNT(*) FROM {table}")[0][0]

    def load_tables(self, tables: dict, empty_first: bool = False) -> None:
        """Fill these tables in one transaction (emptied first with `empty_first`): table ->
        (columns, a function giving the rows); a city leaving a province for one PC."""
        with self._transaction() as db:
            db.execute("PRAGMA defer_foreign_keys = ON")
            if empty_first:
                for table in tables:
                    db.execute(f"DELETE FROM {table}")
            for table, (columns, rows) in tables.items():
                marks = ", ".join("?" * len(columns))
                db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows())
