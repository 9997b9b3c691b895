"""`yingjian db copy --to postgresql://…`: a workspace's SQLite database moved into PostgreSQL
with nothing lost, to go from one PC to several machines (`[cluster] database`).

Both sides are opened through `Stores` (so each has every store's schema, migrated to this
release: the SQLite file first brought up to date, the PostgreSQL database given each store's
PG_MIGRATIONS), then every table is copied in one PostgreSQL transaction (COPY, parents before
the tables that refer to them, the identity sequences moved past the highest id), and then
both databases are read again, table by table: the row counts and a hash of every row must be
the same on both sides, or the copy is reported as different. The SQLite file is only read:
the workspace goes on working on it until yingjian.toml gets the `[cluster] database` line
this prints (the office decides when to switch).
"""
from __future__ import annotations

import hashlib
from dataclasses import replace

from foundation.errors import Coded
from foundation.pgstore import redact

from .config import ClusterOptions, Config
from .stores import Stores

# tables every store set makes itself: the runner's versions (each side its own migrations)
_NOT_COPIED = ("schema_versions",)
# tables a new database already has a row in (made by a migration): replaced by the copy
_SEEDED = ("learning_meta",)


class CopyError(Coded, ValueError):
    """A copy refused or found different: `code` and `data` (yingjian/messages.py)."""


def _canonical(value) -> str:
    if value is None:
        return "n"
    if isinstance(value, bool):
        return f"i{int(value)}"
    if isinstance(value, int):
        return f"i{value}"
    if isinstance(value, float):
        return f"f{value!r}"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "b" + bytes(value).hex()
    return "s" + str(value)


def table_hash(rows) -> tuple[int, str]:
    """(how many rows, a hash of them all in any order): each row hashed on its own, the
    hashes sorted, then hashed together."""
    digests = sorted(hashlib.sha256("\x1f".join(map(_canonical, r)).encode("utf-8")).digest()
                     for r in rows)
    h = hashlib.sha256()
    for d in digests:
        h.update(d)
    return len(digests), h.hexdigest()


def copy_database(config: Config, target: str, *, replace_target: bool = False) -> dict:
    """Copy the workspace's SQLite database into the PostgreSQL database at `target`, then
    compare both. Refuses a target that already holds records unless `replace_target`."""
    if not config.catalog.exists():
        raise CopyError("db_copy_no_source", path=str(config.catalog))
    result = copy_tables(replace(config, cluster=ClusterOptions()),
                         replace(config, cluster=replace(config.cluster, database=target)),
                         replace_target=replace_target, target_name=redact(target))
    result["config_line"] = f'[cluster]\ndatabase = "{target}"'
    if not result["same"]:
        raise CopyError("db_copy_different", tables=[t["table"] for t in result["tables"] if not t["same"]],
                        result=result)
    return result


def copy_tables(source_config: Config, dest_config: Config, *, replace_target: bool = False,
                target_name: str | None = None) -> dict:
    """Every table of one workspace's stores into another's (SQLite to PostgreSQL for `db copy`
    and a city coming into a province, PostgreSQL to SQLite for a city leaving it), then both
    read again and compared table by table (`same`)."""
    source, dest = Stores(source_config), Stores(dest_config)
    try:
        source.open_all()
        dest.open_all()
        src, dst = source.catalog, dest.catalog      # every store's tables are in one database
        src_tables = {t: c for t, c in src.table_columns().items() if t not in _NOT_COPIED}
        dst_tables = dst.table_columns()
        plan: dict[str, tuple[str, ...]] = {}
        for table, cols in src_tables.items():
            if table not in dst_tables:
                raise CopyError("db_copy_table_missing", table=table)
            # the arrival order SQLite keeps as rowid is a column on PostgreSQL (and SQLite
            # takes it back as its rowid)
            missing = [c for c in cols if c not in dst_tables[table] and c != "rowid"]
            if missing:
                raise CopyError("db_copy_column_missing", table=table, column=missing[0])
            plan[table] = cols + (("rowid",) if "rowid" in dst_tables[table] and "rowid" not in cols else ())
        target = target_name or str(dest_config.cluster.database and redact(dest_config.cluster.database)
                                    or dest_config.catalog)
        held = sorted(t for t in dst_tables if t not in _NOT_COPIED + _SEEDED and dst.table_count(t))
        if held and not replace_target:
            raise CopyError("db_copy_target_not_empty", target=target, tables=held)
        dst.load_tables({t: (cols, lambda t=t, cols=cols: src.table_rows(t, cols))
                         for t, cols in plan.items()}, empty_first=True)
        tables, same = [], True
        for table, cols in sorted(src_tables.items()):
            n, h = table_hash(src.table_rows(table, cols))
            m, g = table_hash(dst.table_rows(table, cols))
            tables.append({"table": table, "rows": n, "target_rows": m, "hash": h,
                           "target_hash": g, "same": n == m and h == g})
            same = same and tables[-1]["same"]
    finally:
        dest.close()
        source.close()
    return {"source": str(source_config.cluster.database and redact(source_config.cluster.database)
                          or source_config.catalog),
            "target": target, "tables": tables, "rows": sum(t["rows"] for t in tables), "same": same}
