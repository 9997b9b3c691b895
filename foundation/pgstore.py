"""The PostgreSQL implementation of the stores (for several machines, `[cluster] database` in
yingjian.toml), beside the SQLite one (foundation/sqlstore.py).

A store keeps one set of query methods, written in the SQL both databases speak; only the
few spellings that differ are translated here, once per statement text: `?` placeholders
(`%s`, a literal `%` doubled), `INSERT OR IGNORE` / `INSERT OR REPLACE` (`ON CONFLICT`, from the
table's primary key), `IS NOT ?` (`IS DISTINCT FROM`), `instr` (`strpos`), `CROSS JOIN` (SQLite's
way to fix a join order), the column names PostgreSQL reserves (`user`, `similar`: quoted), and
`cursor.lastrowid` (`RETURNING` the table's identity column). Each store has its own
migrations for PostgreSQL (`PG_MIGRATIONS`: identity columns, 64-bit integers, double
precision, text compared byte for byte as SQLite does), recorded in the same `schema_versions`
table. `pg_store(cls)` makes the PostgreSQL class of a store: yingjian/stores.py asks for it.

What SQLite gave for free is kept: one writer at a time (every write transaction takes one
advisory lock first, as `BEGIN IMMEDIATE` takes SQLite's write lock: the catalog's change
sequence is then committed in order, which followers on other machines rely on), one
connection per thread (shared by the stores of a process; a web request's given back when it
ends, to a few idle ones that every schema of the database takes in turn), rows read by key and
by index. And
what a server adds is handled: a lost connection (PostgreSQL restarted, a network cut) is
opened again and the statement, or the store method's whole transaction, run again; only
when the server stays away longer than the busy timeout does a store raise
`DatabaseUnavailable` (a coded error: yingjian/messages.py).
A write that was part of a batch is not replayed (the batch's earlier writes are gone with the
connection): the batch fails as a whole, and its caller records those files again.
"""
from __future__ import annotations

import functools
import inspect
import re
import threading
import time
import weakref
import zlib
from typing import Callable, Iterator, Sequence, Union
from urllib.parse import quote, urlsplit, urlunsplit

from .errors import CatalogBusy, DatabaseUnavailable, StoreFull
from .sqlstore import SqliteStore, StoreTooNew, with_this_thread

# a PostgreSQL migration: a SQL script (statements separated by ";") or a function of the
# store's connection
PgMigration = Union[str, Callable]

WRITE_LOCK = 0x79696E67           # the advisory lock every write transaction takes ("ying")
# server states that mean "not now, again in a moment": the server shutting down, starting,
# refusing connections; a connection it dropped has no SQLSTATE at all
_GONE_STATES = {"57P01", "57P02", "57P03", "08000", "08003", "08006", "08001", "08004"}
_FATAL_CONNECT_STATES = {"28P01", "28000", "3D000", "42501"}   # bad password, no such database


def redact(dsn: str) -> str:
    """The address of a database without its password (for messages and logs)."""
    try:
        parts = urlsplit(dsn)
        if parts.password:
            host = parts.hostname or ""
            netloc = f"{parts.username}@{host}" + (f":{parts.port}" if parts.port else "")
            return urlunsplit(parts._replace(netloc=netloc))
    except ValueError:
        pass
    return dsn


def in_schema(dsn: str, schema: str | None) -> str:
    """The address of `dsn` with every connection's tables in `schema` (its search_path): how a
    city of a province has its own tables in the shared database (yingjian/province.py)."""
    if not schema:
        return dsn
    return f"{dsn}{'&' if '?' in dsn else '?'}options={quote(f'-c search_path={schema}', safe='')}"


def write_lock(dsn: str) -> int:
    """The advisory lock a write transaction on `dsn` takes: one per schema, so the cities of a
    province (each in its own schema) write at once, each with one writer at a time."""
    return (WRITE_LOCK << 32) | zlib.crc32(dsn_options(dsn).encode("utf-8"))


def dsn_options(dsn: str) -> str:
    """The server options an address carries (`?options=…`), kept beside our own."""
    from psycopg.conninfo import conninfo_to_dict
    return str(conninfo_to_dict(dsn).get("options") or "")


# -- rows by key and by index, like sqlite3.Row ------------------------------------------------

class Row(tuple):
    """A row read by index (`row[0]`), by column name (`row["sha"]`), or as a dict (`dict(row)`)."""

    __slots__ = ()
    _names: tuple = ()
    _index: dict = {}

    def __getitem__(self, key):
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


_ROW_CLASSES: dict[tuple, type] = {}


def _row_factory(cursor):
    desc = cursor.description
    if desc is None:
        return tuple
    names = tuple(d.name for d in desc)
    cls = _ROW_CLASSES.get(names)
    if cls is None:
        cls = _ROW_CLASSES[names] = type("Row", (Row,), {
            "__slots__": (), "_names": names, "_index": {n: i for i, n in enumerate(names)}})
    return cls


# -- the spellings that differ -------------------------------------------------------------

_QUOTED_NAMES = ("user", "similar")
_TOKENS = re.compile(r"""'(?:[^']|'')*'|"[^"]*"|%|\bIS\s+NOT\s+\?|\?|\bCROSS\s+JOIN\b|"""
                     r"""\binstr\s*\(|\btemp\.|\b(?:""" + "|".join(_QUOTED_NAMES) + r""")\b""", re.I)
_INSERT_OR = re.compile(r"^\s*INSERT\s+OR\s+(IGNORE|REPLACE)\s+INTO\s+(\w+)\s*(\(([^)]*)\))?", re.I | re.S)
_INSERT_VALUES = re.compile(r"^\s*INSERT\s+INTO\s+(\w+)\b.*\bVALUES\b", re.I | re.S)


def _quote(name: str) -> str:
    return f'"{name}"' if name.lower() in _QUOTED_NAMES else name


def _token(m: re.Match) -> str:
    t = m.group(0)
    if t[0] == "'":
        return t.replace("%", "%%")
    if t[0] == '"':
        return t
    low = t.lower()
    if t == "%":
        return "%%"
    if t == "?":
        return "%s"
    if low.startswith("is"):
        return "IS DISTINCT FROM %s"
    if low.startswith("cross"):
        return "JOIN"
    if low.startswith("instr"):
        return "strpos("
    if low == "temp.":
        return ""
    return f'"{low}"'


def translate(sql: str, schema: Callable[[str], tuple[tuple, tuple, str | None]] | None = None,
              returning: bool = False) -> tuple[str, bool]:
    """`sql` as PostgreSQL spells it. `schema(table)` gives a table's (primary key columns,
    every column, identity column) for `INSERT OR REPLACE`; with `returning`, an `INSERT …
    VALUES` returns the new row's identity (what `cursor.lastrowid` reads): (the statement,
    whether it returns one)."""
    conflict, table = "", None
    m = _INSERT_OR.match(sql)
    if m:
        how, table, cols = m.group(1).upper(), m.group(2), m.group(4)
        sql = f"INSERT INTO {table}" + (f" ({cols})" if cols is not None else "") + " " + sql[m.end():].lstrip()
        if how == "IGNORE" or schema is None:
            conflict = " ON CONFLICT DO NOTHING"
        else:
            key, columns, _ = schema(table)
            listed = [c.strip() for c in cols.split(",")] if cols is not None else list(columns)
            rest = [c for c in listed if c not in key]
            conflict = (f" ON CONFLICT ({', '.join(_quote(c) for c in key)}) DO "
                        + ("UPDATE SET " + ", ".join(f"{_quote(c)} = EXCLUDED.{_quote(c)}" for c in rest)
                           if rest else "NOTHING"))
    out = _TOKENS.sub(_token, sql.rstrip().rstrip(";")) + conflict
    if returning and schema is not None:
        m = _INSERT_VALUES.match(out)
        if m:
            ident = schema(m.group(1))[2]
            if ident:
                return out + f" RETURNING {ident}", True
    return out, False


# -- a connection that comes back ------------------------------------------------------------

class ConnectionLost(DatabaseUnavailable):
    """The connection went away inside a transaction: the store method that ran it is run
    again once the server is back (or, inside a batch, the batch fails as a whole)."""


def _psycopg():
    import psycopg                           # only a cluster needs it (the `cluster` extra)
    return psycopg


def _is_gone(e: BaseException, raw) -> bool:
    psycopg = _psycopg()
    if not isinstance(e, psycopg.OperationalError):
        return False
    return raw is None or raw.closed or raw.broken or getattr(e, "sqlstate", None) in _GONE_STATES


_WRITES = ("INSERT", "UPDATE", "DELETE")


class _Cursor:
    """What the stores' methods use of a sqlite3 cursor: execute, executemany, fetchone,
    fetchall, iteration, rowcount, lastrowid, and `row_factory = None` for plain tuples.

    A write inside a transaction is not sent at once: it goes with the next statement that is
    (one round trip for several), or when anything of its result is read (its rowcount, say),
    and at the latest before its savepoint is released or its transaction committed, so that
    an error is still raised inside the store method that made it."""

    def __init__(self, conn: "_Connection"):
        self._conn = conn
        self._cur = None
        self._queued = False
        self.row_factory = _row_factory
        self._lastrowid = None
        self._ident = False

    def execute(self, sql: str, args: Sequence = ()) -> "_Cursor":
        query, ident = self._conn.pool.translated(sql)
        self._ident = ident
        params = tuple(args)

        def run(raw):
            cur = raw.cursor(row_factory=self.row_factory or _tuple_row())
            cur.execute(query, params)
            return cur
        if query.startswith(_WRITES) and self._conn.in_transaction:
            self._queued = True
            self._conn.queue(run, self)
            return self
        self._cur = self._conn.run(run)
        return self

    def executemany(self, sql: str, seq) -> "_Cursor":
        query = self._conn.pool.translated(sql, many=True)[0]
        rows = [tuple(r) for r in seq]
        if not rows:
            return self

        def run(raw):
            cur = raw.cursor()
            cur.executemany(query, rows)
            return cur
        self._cur = self._conn.run(run)
        return self

    def _result(self):
        if self._queued:
            self._conn.flush()
        return self._cur

    def fetchone(self):
        cur = self._result()
        if cur is None or cur.description is None:
            return None
        return cur.fetchone()

    def fetchall(self) -> list:
        cur = self._result()
        if cur is None or cur.description is None:
            return []
        return cur.fetchall()

    def __iter__(self):
        return iter(self.fetchall())

    @property
    def rowcount(self) -> int:
        cur = self._result()
        return cur.rowcount if cur is not None else -1

    @property
    def lastrowid(self):
        if self._ident and self._lastrowid is None:
            cur = self._result()
            row = cur.fetchone() if cur is not None and cur.description is not None else None
            self._lastrowid = row[0] if row else None
        return self._lastrowid


def _tuple_row():
    from psycopg.rows import tuple_row
    return tuple_row


class _Connection:
    """One thread's connection to the database, shared by every store of the process on that
    database (a web server's thread uses one connection, not one per store). Autocommit:
    transactions are begun and ended by the stores, as with SQLite's isolation_level=None.
    When the server drops it, a statement outside a transaction is run again on a new
    connection; inside one, ConnectionLost; while a batch is open on it, every statement
    raises ConnectionLost until the batch's store has ended it."""

    # statements that return nothing and cannot fail on their own in a healthy transaction:
    # sent with the next statement, in one round trip (psycopg's pipeline), not on their own
    # (a batch's every write is a savepoint: two round trips more per write otherwise)
    DEFERRED = frozenset({"BEGIN", "SAVEPOINT write", "RELEASE write"})

    def __init__(self, pool: "_Pool"):
        self.pool = pool                       # the pool (schema) that has it now
        self.raw = None
        self.batches: set[int] = set()         # ids of the stores with a batch open here
        self.search_path = pool.search_path    # the schema its statements find their tables in
        self.setup: list[str] = []             # sent before anything else: SET search_path
        self.deferred: list[str] = []
        self.queued: list[tuple[Callable, _Cursor]] = []
        self.state: dict = {}                  # see PgStore._connection_state
        self.open()

    def queue(self, fn, cursor: _Cursor) -> None:
        self.queued.append((fn, cursor))

    def flush(self) -> None:
        """Send what waits (see _Cursor): its errors are raised here."""
        if self.deferred or self.queued:
            self.run(None)

    @property
    def reusable(self) -> bool:
        """Whether another thread, or another schema's stores, may take it: nothing of a
        transaction, a batch or a write waits on it."""
        return not (self.broken or self.batches or self.deferred or self.queued
                    or self.in_transaction)

    def use_for(self, pool: "_Pool") -> None:
        """Taken by `pool` (a schema of the same database) from the idle connections: its
        tables found in that schema from the next statement on (sent with it, no round trip
        of its own). An address without a schema has the server's default path."""
        self.pool = pool
        if self.search_path != pool.search_path:
            self.setup = [f"SET search_path TO {pool.search_path}" if pool.search_path
                          else 'SET search_path TO "$user", public']
            self.search_path = pool.search_path

    def open(self, deadline: float | None = None) -> None:
        psycopg = _psycopg()
        pool = self.pool
        start = time.monotonic()
        deadline = deadline if deadline is not None else start + pool.busy_timeout
        self.deferred = []
        self.setup = []
        self.search_path = pool.search_path    # a new connection has its pool's (its address's)
        self.state = {}
        self._drop_queue()
        if self.raw is not None:
            try:
                self.raw.close()
            except Exception:
                pass
            self.raw = None
        while True:
            try:
                self.raw = psycopg.connect(
                    pool.dsn, autocommit=True, connect_timeout=max(2, int(pool.busy_timeout)),
                    options=f"{dsn_options(pool.dsn)} -c lock_timeout={int(pool.busy_timeout * 1000)}".strip())
                return
            except psycopg.OperationalError as e:
                if getattr(e, "sqlstate", None) in _FATAL_CONNECT_STATES or \
                        any(w in str(e) for w in ("password authentication", "does not exist")):
                    raise DatabaseUnavailable(pool.path, 0, str(e).strip()) from e
                if time.monotonic() >= deadline:
                    raise DatabaseUnavailable(pool.path, time.monotonic() - start,
                                              str(e).strip()) from e
                time.sleep(0.2)

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus
        if "BEGIN" in self.deferred:
            return True
        raw = self.raw
        return raw is not None and not raw.closed and not raw.broken and \
            raw.info.transaction_status in (TransactionStatus.INTRANS, TransactionStatus.INERROR)

    @property
    def broken(self) -> bool:
        raw = self.raw
        return raw is None or raw.closed or raw.broken

    def run(self, fn):
        """fn(raw connection), on a new connection if the server dropped the old one while no
        transaction was open (nothing of ours was lost, the statement simply runs again)."""
        psycopg = _psycopg()
        pool = self.pool
        deadline = None
        while True:
            raw = self.raw
            if self.broken:
                if self.batches:
                    raise ConnectionLost(pool.path, 0, "lost inside a batch")
                self.open(deadline)
                raw = self.raw
            idle = not self.in_transaction and not self.deferred and not self.queued
            try:
                if not self.deferred and not self.queued and not self.setup:
                    return fn(raw)
                deferred, self.deferred, self.setup = self.setup + self.deferred, [], []
                queued, self.queued = self.queued, []
                try:
                    with raw.pipeline():
                        for q in deferred:
                            raw.execute(q)
                        for qfn, cursor in queued:
                            cursor._cur, cursor._queued = qfn(raw), False
                        out = fn(raw) if fn is not None else None
                finally:
                    for _qfn, cursor in queued:
                        cursor._queued = False
                return out
            except psycopg.Error as e:
                if not _is_gone(e, raw):
                    mine = _store_error(pool, e)
                    if mine is e:
                        raise
                    raise mine from e
                if not idle or self.batches:
                    raise ConnectionLost(pool.path, 0, str(e).strip()) from e
                if deadline is None:
                    deadline = time.monotonic() + pool.busy_timeout
                self.open(deadline)

    def execute(self, sql: str, args: Sequence = ()) -> _Cursor:
        if sql in self.DEFERRED and not args and not self.broken:
            self.deferred.append(sql)
            return _Cursor(self)
        if sql == "ROLLBACK":
            self.deferred = []                 # whatever was to be sent is undone anyway
            self._drop_queue()
        return _Cursor(self).execute(sql, args)

    def executemany(self, sql: str, seq) -> _Cursor:
        return _Cursor(self).executemany(sql, seq)

    def cursor(self) -> _Cursor:
        return _Cursor(self)

    def _drop_queue(self) -> None:
        for _fn, cursor in getattr(self, "queued", ()):
            cursor._queued = False
        self.queued = []

    def close(self) -> None:
        if self.raw is not None:
            try:
                self.raw.close()
            except Exception:
                pass


def _store_error(pool: "_Pool", e: BaseException) -> BaseException:
    """The store's own error for a server's refusal that means the same as SQLite's: a full
    disk, a lock waited for too long. Anything else is the driver's error as it is."""
    state = getattr(e, "sqlstate", None) or ""
    if state.startswith("53"):                        # insufficient resources: disk full
        return StoreFull(pool.path)
    if state in ("55P03", "40P01", "57014"):          # lock timeout, deadlock, statement timeout
        return CatalogBusy(pool.path, pool.busy_timeout)
    return e


MAX_IDLE = 8           # idle connections a process keeps to one database, whatever the schema
_HELD = threading.local()     # the pools this thread holds a connection of (see release_connections)


def _search_path(dsn: str) -> tuple[str, str | None]:
    """(the address without its search_path, the search_path it gives or None): the schemas of
    one database (a province's cities) share their idle connections."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo
    info = conninfo_to_dict(dsn)
    options = str(info.get("options") or "")
    m = re.search(r"-c\s*search_path=(\S+)", options)
    if not m:
        return make_conninfo(**info), None
    rest = (options[:m.start()] + options[m.end():]).strip()
    if rest:
        info["options"] = rest
    else:
        info.pop("options", None)
    return make_conninfo(**info), m.group(1)


class _Server:
    """The idle connections of one process to one database, whatever their schema: a web
    server's thread gives back its connection after each request (`release_connections`), so a
    province's serve holds about as many connections as it has requests at once, not one per
    thread for each of its cities (PostgreSQL's default is 100 in all)."""

    def __init__(self, key: tuple):
        self.key = key
        self.idle: list[_Connection] = []
        self.lock = threading.Lock()
        self.pools = 0

    def take(self, pool: "_Pool") -> "_Connection":
        with self.lock:
            db = self.idle.pop() if self.idle else None
        if db is None:
            return _Connection(pool)
        db.use_for(pool)
        return db

    def give(self, db: "_Connection") -> None:
        with self.lock:
            if len(self.idle) < MAX_IDLE:
                self.idle.append(db)
                return
        db.close()

    def close(self) -> None:
        with self.lock:
            idle, self.idle = self.idle, []
        for db in idle:
            db.close()


_SERVERS: dict[tuple, _Server] = {}


class _Pool:
    """The connections of one process to one database (one schema of it): one per thread,
    shared by the stores open on it, closed when the last of those stores closes (or given
    back to the database's idle ones by `release_connections`); with the statements
    translated once for all of them and the tables' keys read once."""

    def __init__(self, dsn: str, busy_timeout: float, server: _Server, search_path: str | None):
        self.dsn, self.path, self.busy_timeout = dsn, redact(dsn), busy_timeout
        self.server = server
        self.search_path = search_path          # of its address (`_search_path`)
        self.local = threading.local()
        self.conns: list[tuple[weakref.ref, _Connection]] = []
        self.lock = threading.Lock()
        self.stores: weakref.WeakSet = weakref.WeakSet()
        self.sql_cache: dict[tuple[str, bool], tuple[str, bool]] = {}
        self.schema_cache: dict[str, tuple[tuple, tuple, str | None]] | None = None

    def connection(self) -> _Connection:
        db = getattr(self.local, "db", None)
        if db is not None:
            return db
        db = self.server.take(self)
        with self.lock:
            self.conns = with_this_thread(self.conns, db)   # those of ended threads closed
        self.local.db = db
        held = getattr(_HELD, "pools", None)
        if held is None:
            held = _HELD.pools = weakref.WeakSet()
        held.add(self)
        return db

    def release(self) -> bool:
        """This thread's connection back to the idle ones, if nothing of a transaction or a
        batch is on it: whether the thread holds none of this pool's now."""
        db = getattr(self.local, "db", None)
        if db is None:
            return True
        if not db.reusable:
            return False
        self.local.db = None
        with self.lock:
            self.conns = [(ref, c) for ref, c in self.conns if c is not db]
        self.server.give(db)
        return True

    def translated(self, sql: str, many: bool = False) -> tuple[str, bool]:
        key = (sql, many)
        done = self.sql_cache.get(key)
        if done is None:
            done = self.sql_cache[key] = translate(sql, self.table, returning=not many)
        return done

    def table(self, name: str) -> tuple[tuple, tuple, str | None]:
        return self.schema().get(name, ((), (), None))

    def schema(self) -> dict[str, tuple[tuple, tuple, str | None]]:
        """table -> (primary key columns, every column, identity column), read once."""
        if self.schema_cache is None:
            def tuples(sql):
                cur = self.connection().cursor()
                cur.row_factory = None
                return cur.execute(sql).fetchall()
            cols: dict[str, list] = {}
            ident: dict[str, str] = {}
            for table, col, is_ident in tuples(
                    "SELECT c.relname, a.attname, a.attidentity FROM pg_attribute a "
                    "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = current_schema() AND c.relkind = 'r' AND a.attnum > 0 "
                    "AND NOT a.attisdropped ORDER BY c.relname, a.attnum"):
                cols.setdefault(table, []).append(col)
                if is_ident:
                    ident[table] = col
            keys: dict[str, list] = {}
            for table, col in tuples(
                    "SELECT c.relname, a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey) "
                    "WHERE i.indisprimary AND n.nspname = current_schema()"):
                keys.setdefault(table, []).append(col)
            self.schema_cache = {t: (tuple(keys.get(t, ())), tuple(c), ident.get(t)) for t, c in cols.items()}
        return self.schema_cache

    def migrated(self) -> None:
        self.schema_cache, self.sql_cache = None, {}

    def close(self) -> None:
        with self.lock:
            conns, self.conns = self.conns, []
        for _ref, conn in conns:
            conn.close()
        self.local = threading.local()


_POOLS: dict[tuple[str, float], _Pool] = {}
_POOLS_LOCK = threading.Lock()


def release_connections() -> None:
    """Give back this thread's idle connections (after a web request, after a city's part of a
    province's search): another thread, or the stores of another city, take them next."""
    held = getattr(_HELD, "pools", None)
    if not held:
        return
    for pool in list(held):
        if pool.release():              # one with a transaction open stays, for the next time
            held.discard(pool)


class PgStore:
    """Mixed in before a store's class by `pg_store`: the connection, transactions, batches and
    migrations of the store on PostgreSQL. The store's own methods are unchanged."""

    dsn: str = ""

    def _open(self, dsn, busy_timeout: float) -> None:
        self.dsn = str(dsn)
        self._write_lock = write_lock(self.dsn)
        self.path = redact(self.dsn)
        self.busy_timeout = busy_timeout
        self._local = threading.local()
        self._closed = False
        with _POOLS_LOCK:
            key = (self.dsn, float(busy_timeout))
            pool = _POOLS.get(key)
            if pool is None:
                base, search_path = _search_path(self.dsn)
                skey = (base, float(busy_timeout))
                server = _SERVERS.get(skey)
                if server is None:
                    server = _SERVERS[skey] = _Server(skey)
                server.pools += 1
                pool = _POOLS[key] = _Pool(self.dsn, busy_timeout, server, search_path)
            pool.stores.add(self)
            self._pool = pool
        try:
            self._db
            self._migrate()
        except BaseException:
            self.close()
            raise

    @property
    def _db(self) -> _Connection:
        if self._closed:
            raise RuntimeError("the store is closed")
        return self._pool.connection()

    def _connection_state(self) -> dict:
        """What this thread's connection holds beyond the tables (its temporary tables'
        contents), noted by the store that put it there; emptied when the connection is new."""
        return self._db.state

    @property
    def _batch_open(self) -> bool:
        return getattr(self._local, "batch_open", False)

    @_batch_open.setter
    def _batch_open(self, value: bool) -> None:
        """A batch open on this thread's connection: if the server drops it, no statement on
        it may carry on as if nothing happened until the batch is ended."""
        self._local.batch_open = value
        (self._db.batches.add if value else self._db.batches.discard)(id(self))

    def _schema(self) -> dict[str, tuple[tuple, tuple, str | None]]:
        return self._pool.schema()

    # -- migrations ------------------------------------------------------------------------

    def schema_version(self) -> int:
        row = self._row("SELECT version FROM schema_versions WHERE store = ?", (self.STORE,))
        return row[0] if row else 0

    def _migrate(self) -> None:
        """The store's PostgreSQL migrations not yet applied, in one transaction; two processes
        opening a new database at once take turns (the write lock)."""
        steps = self.MIGRATIONS
        known = len(steps)
        with self._transaction() as db:
            db.execute("CREATE TABLE IF NOT EXISTS schema_versions "
                       "(store TEXT PRIMARY KEY, version INTEGER NOT NULL)")
            row = db.execute("SELECT version FROM schema_versions WHERE store = ?",
                             (self.STORE,)).fetchone()
            current = row[0] if row else 0
            if current > known:
                raise StoreTooNew(self.path, self.STORE, current, known)
            for step in steps[current:]:
                if callable(step):
                    step(db)
                else:
                    for stmt in step.split(";"):
                        if stmt.strip():
                            db.execute(stmt)
            if current != known or row is None:
                db.execute("INSERT INTO schema_versions VALUES (?, ?) ON CONFLICT (store) "
                           "DO UPDATE SET version = EXCLUDED.version", (self.STORE, known))
        self._pool.migrated()

    # -- transactions ------------------------------------------------------------------------

    def _joins_open_transaction(self) -> bool:
        """As SQLite's, and also a transaction already open on this thread's connection
        (another store's batch: the stores share it), committed with it."""
        return self._batch_open or self._db.in_transaction

    def _savepoint(self) -> Iterator[_Connection]:
        """SQLite's savepoint, with the writes that wait sent before it is released: a write's
        error is raised inside the savepoint, which undoes it alone."""
        mark = self._batch_mark()
        db = self._db
        db.execute("SAVEPOINT write")
        try:
            yield db
            db.flush()
        except BaseException:
            db.execute("ROLLBACK TO write")
            db.execute("RELEASE write")
            self._batch_undo(mark)
            raise
        db.execute("RELEASE write")

    def _tune_for_batches(self) -> None:
        """SQLite's cache and checkpoint settings have no PostgreSQL counterpart a client sets."""

    def _someone_waiting(self) -> bool:
        """Never a pause between two batches: PostgreSQL queues the writers waiting for the
        advisory lock and gives it to the first of them when a batch commits."""
        return False

    def _begin(self) -> None:
        """BEGIN, then the write lock (SQLite's BEGIN IMMEDIATE): one writer at a time; and the
        transaction's id, in the same round trip, for `_commit` to ask about."""
        self._db.execute("BEGIN")
        try:
            row = self._db.execute("SELECT pg_advisory_xact_lock(?), txid_current()",
                                   (self._write_lock,)).fetchone()
            self._local.txid = row[1]
        except BaseException:
            self._local.txid = None
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise

    def _commit(self) -> None:
        """COMMIT. A connection lost while it was on its way leaves one question: did the server
        commit before it went? Asked on a new connection (`txid_status`): if it did, this is a
        success, and the store method must not be run again (its rows would be written twice);
        if not, ConnectionLost, and the method runs again as after any lost transaction."""
        txid, self._local.txid = getattr(self._local, "txid", None), None
        try:
            self._db.execute("COMMIT")
        except ConnectionLost:
            if txid is None or not self._committed(txid):
                raise

    def _committed(self, txid: int) -> bool:
        """Whether transaction `txid` committed, asked on a new connection (waiting up to the
        busy timeout while the server is away or the old session still ends)."""
        db = self._db
        deadline = time.monotonic() + self.busy_timeout
        while True:
            db.open(deadline)
            try:
                status = db.raw.execute("SELECT txid_status(%s)", (txid,)).fetchone()[0]
            except _psycopg().OperationalError:
                if time.monotonic() >= deadline:
                    raise
                continue                         # dropped again: the server is restarting
            if status != "in progress":
                return status == "committed"
            if time.monotonic() >= deadline:         # not known: neither done nor run again
                raise DatabaseUnavailable(self.path, self.busy_timeout,
                                          f"transaction {txid} still in progress")
            time.sleep(0.05)

    def _rollback(self, e: BaseException) -> None:
        db = self._db
        if db.in_transaction:
            try:
                db.execute("ROLLBACK")
            except ConnectionLost:
                pass

    # -- reads ---------------------------------------------------------------------------------

    def _rows(self, sql: str, args: Sequence = ()) -> list:
        return self._db.execute(sql, args).fetchall()

    def _row(self, sql: str, args: Sequence = ()):
        return self._db.execute(sql, args).fetchone()

    def _tuples(self, sql: str, args: Sequence = ()) -> list[tuple]:
        cur = self._db.cursor()
        cur.row_factory = None
        return cur.execute(sql, args).fetchall()

    def gather_statistics(self) -> None:
        self._db.execute("ANALYZE")

    def _legacy_version(self, db) -> int:
        return 0

    def close(self) -> None:
        """The store is not used after this; the connections close with the last store of the
        process on this database."""
        if self._closed:
            return
        self._closed = True
        pool = self._pool
        with _POOLS_LOCK:
            pool.stores.discard(self)
            if not pool.stores:
                _POOLS.pop((pool.dsn, float(pool.busy_timeout)), None)
                pool.close()
                pool.server.pools -= 1
                if pool.server.pools <= 0:
                    _SERVERS.pop(pool.server.key, None)
                    pool.server.close()
        self._local = threading.local()

    # -- the whole database, for `db copy` -------------------------------------------------

    def table_columns(self) -> dict[str, tuple[str, ...]]:
        """table -> its columns, for every table of the database."""
        return {t: v[1] for t, v in self._schema().items()}

    def table_rows(self, table: str, columns: Sequence[str]) -> Iterator[tuple]:
        """Every row of `table` (these columns), read in pieces."""
        cols = ", ".join(_quote(c) for c in columns)
        psycopg = _psycopg()
        with psycopg.connect(self.dsn) as raw:
            with raw.cursor(name="copy_read") as cur:
                cur.itersize = 5000
                cur.execute(f"SELECT {cols} FROM {table}")
                yield from cur

    def load_tables(self, tables: dict[str, tuple[Sequence[str], Callable[[], Iterator[tuple]]]],
                    empty_first: bool = False) -> None:
        """Fill these tables in one transaction (emptied first with `empty_first`): table ->
        (columns, a function giving the rows), a table before those that refer to it; the
        identity sequences then continue after the highest id copied."""
        psycopg = _psycopg()
        refers = {}
        for child, parent in self._tuples(
                "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c "
                "WHERE c.contype = 'f' AND c.conrelid <> c.confrelid"):
            refers.setdefault(child, set()).add(parent)
        order: list[str] = []

        def visit(t: str, seen=()) -> None:
            if t in order or t in seen:
                return
            for parent in sorted(refers.get(t, ())):
                if parent in tables:
                    visit(parent, (*seen, t))
            order.append(t)
        for t in sorted(tables):
            visit(t)
        with psycopg.connect(self.dsn) as raw:
            with raw.transaction():
                raw.execute("SELECT pg_advisory_xact_lock(%s)", (write_lock(self.dsn),))
                if empty_first:
                    raw.execute(f"TRUNCATE {', '.join(order)}")
                for table in order:
                    columns, rows = tables[table]
                    cols = ", ".join(_quote(c) for c in columns)
                    with raw.cursor().copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                        for r in rows():
                            copy.write_row(r)
                for table, (_key, _cols, ident) in self._schema().items():
                    if ident and table in tables:
                        raw.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{ident}'), "
                                    f"GREATEST(COALESCE(MAX({ident}), 0), 1), MAX({ident}) IS NOT NULL) "
                                    f"FROM {table}")

    def table_count(self, table: str) -> int:
        return self._tuples(f"SELECT COUNT(*) FROM {table}")[0][0]


# the store methods not run again after a lost connection: the batch ones (a batch cannot be
# replayed) and those that only open or close
_NOT_RETRIED = {"begin_batch", "commit_batch", "rollback_batch", "close", "table_rows",
                "load_tables"}


def _retrying(fn):
    """Run a store method again when its transaction lost its connection (the server
    restarted): the transaction was rolled back, nothing of it is in the database. Not inside a
    batch, and only the outermost store method (the one whose transaction it was)."""
    @functools.wraps(fn)
    def call(self, *args, **kw):
        local = self._local
        if getattr(local, "depth", 0) or getattr(local, "batch_open", False) or self._db.batches:
            return fn(self, *args, **kw)
        local.depth = 1
        try:
            start = time.monotonic()
            while True:
                try:
                    return fn(self, *args, **kw)
                except ConnectionLost as e:
                    if getattr(self._local, "batch_open", False) or self._db.batches:
                        raise
                    waited = time.monotonic() - start
                    if waited >= self.busy_timeout:
                        raise DatabaseUnavailable(self.path, waited, e.detail) from e
                    self._db.open(start + self.busy_timeout)
        finally:
            self._local.depth = 0
    return call


_PG_CLASSES: dict[type, type] = {}


def pg_store(cls: type) -> type:
    """The PostgreSQL class of a SQLite store class: its methods, PgStore's connection and
    `cls.PG_MIGRATIONS` for migrations; each public method run again after a lost connection."""
    made = _PG_CLASSES.get(cls)
    if made is not None:
        return made
    if not hasattr(cls, "PG_MIGRATIONS"):
        raise TypeError(f"{cls.__name__} has no PostgreSQL migrations")
    ns: dict = {"MIGRATIONS": tuple(cls.PG_MIGRATIONS), "__module__": cls.__module__}
    for klass in cls.__mro__:
        if klass is SqliteStore or klass is object:
            break
        for name, value in vars(klass).items():
            if name.startswith("_") or name in ns or name in _NOT_RETRIED:
                continue
            if inspect.isfunction(value):
                ns[name] = _retrying(value)
    made = _PG_CLASSES[cls] = type("Pg" + cls.__name__, (PgStore, cls), ns)
    return made
