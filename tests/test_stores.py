"""The seams between the packages: every store owns its tables and migrates its own schema; no
module outside a store runs SQL on them; no user-facing Chinese sentence is written outside
yingjian/messages.py; and a workspace made by release 0.1.0 opens in place, its stored
sentences turned into codes that read as before."""
from __future__ import annotations

import ast
import gc
import hashlib
import re
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive import Catalog
from checklist.decisions import DecisionStore
from yingjian.cli import cli
from yingjian.users import Users
from yingjian.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("foundation", "archive", "indexer", "checklist", "yingjian")


def _old_workspace(tmp_path: Path) -> Path:
    with zipfile.ZipFile(Path(__file__).parent / "fixtures" / "workspace-0.1.0.zip") as z:
        z.extractall(tmp_path)
    root = tmp_path / "ws"
    for p in root.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    return root


def test_a_workspace_of_release_0_1_0_is_migrated_in_place(tmp_path):
    root = _old_workspace(tmp_path)
    runner = CliRunner()
    res = runner.invoke(cli, ["-w", str(root), "problems", "--json"])
    assert res.exit_code == 0, res.output
    import json
    probs = {p["path"]: p for p in json.loads(res.output)["problems"]}
    # sentences stored by 0.1.0 are codes now, and read as before
    assert probs["退役军人事务局/空文件.pdf"]["reason_code"] == "empty"
    assert probs["退役军人事务局/空文件.pdf"]["reason"] == "文件为空(0 字节),请重新上传完整文件"
    assert probs["退役军人事务局/损坏.pdf"]["reason_code"] == "truncated"
    ws = Workspace.open(root)
    try:
        assert ws.catalog.schema_version() == len(Catalog.MIGRATIONS)
        assert ws.decisions.schema_version() == len(DecisionStore.MIGRATIONS)
        assert ws.users.schema_version() == len(Users.MIGRATIONS)
        # the decision and the account made by 0.1.0 are still there
        history = [d for d in ws.decisions.all() if d["user"] == "old-clerk"]
        assert [(d["material"], d["action"]) for d in history] == [("1.1a", "assign")]
        assert ws.users.check("zhang", "password123") is not None
        assert len(ws.catalog.files()) == 4
    finally:
        ws.close()
    # opening it again changes nothing: the migrations ran once
    again = Workspace.open(root)
    try:
        assert again.catalog.schema_version() == len(Catalog.MIGRATIONS)
    finally:
        again.close()


def test_a_catalog_from_a_newer_release_is_refused_untouched(tmp_path):
    import sqlite3
    path = tmp_path / "catalog.sqlite"
    Catalog(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE schema_versions SET version = 99 WHERE store = 'catalog'")
    db.commit()
    db.close()

    def files():                    # the catalog and any journal beside it, byte for byte
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in tmp_path.iterdir()}
    before = files()
    from foundation.sqlstore import StoreTooNew
    with pytest.raises(StoreTooNew):
        Catalog(path)
    from yingjian.messages import describe
    try:
        Catalog(path)
    except StoreTooNew as e:
        assert "更新版本" in describe(e).text
    gc.collect()                    # a connection left open would show here as a -wal file
    assert files() == before


# -- no SQL on a store's tables outside the store ----------------------------------------------

STORES = {
    "archive/catalog.py": ("objects", "sources", "versions", "ocr_pages", "changes", "meta", "work"),
    "archive/catalog_migrations.py": ("objects", "sources"),
    "checklist/decisions.py": ("decisions", "declared_codes", "rule_matches"),
    "checklist/learning_store.py": ("learned", "learning_trained", "learning_meta"),
    "yingjian/users.py": ("users", "sessions", "login_failures"),
    "yingjian/audit.py": ("audit",),
    "yingjian/problem_notes.py": ("problem_notes",),
    "yingjian/deadlines.py": ("due_dates",),
    "yingjian/notice_log.py": ("notices",),
    "yingjian/history.py": ("readiness_history",),
    "yingjian/registry.py": ("cities", "city_summaries"),
}
# modules that own tables of their own (each checked the same way against everyone else's)
_SQL = re.compile(r"\b(SELECT\b[^\"']*?\bFROM|INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|"
                  r"CREATE\s+(?:TABLE|INDEX)(?:\s+IF\s+NOT\s+EXISTS)?|JOIN|ALTER\s+TABLE)\s+"
                  r"([A-Za-z_]+)", re.I)


def _string_constants(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value
        elif isinstance(node, ast.JoinedStr):
            yield node.lineno, "".join(v.value for v in node.values
                                       if isinstance(v, ast.Constant) and isinstance(v.value, str))


def _sources():
    for pkg in PACKAGES:
        for p in sorted((ROOT / pkg).rglob("*.py")):
            yield p.relative_to(ROOT).as_posix(), p


def test_no_module_outside_a_store_runs_sql_on_its_tables():
    owners: dict[str, list[str]] = {}
    for mod, tables in STORES.items():
        for t in tables:
            owners.setdefault(t, []).append(mod)
    leaks = []
    for rel, path in _sources():
        for line, text in _string_constants(path):
            for m in _SQL.finditer(text):
                table = m.group(2).lower()
                if table in owners and table not in STORES.get(rel, ()):
                    leaks.append(f"{rel}:{line} uses {table} (owned by {', '.join(owners[table])})")
    assert leaks == []


def test_no_store_exposes_its_connection():
    for rel, path in _sources():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\.db\.(execute|cursor|executemany)\(", text), rel
        if rel not in ("foundation/sqlstore.py", "foundation/pgstore.py") and rel not in STORES:
            assert "._db" not in text, rel


# -- user-facing sentences in one place --------------------------------------------------------

_HAN = re.compile(r"[\u3400-\u9fff]")
# modules whose Chinese strings are not messages: patterns the parsers recognise, history kept
# for a migration, the published table's column names, the demo's script, words drawn into
# thumbnails and reports' fixed headings are data and layout, checked by their own tests
NOT_MESSAGES = {
    "yingjian/messages.py": "the messages themselves",
    "archive/dates.py": "date patterns (年 月 日, 〇一二…) the parser recognises",
    "archive/catalog_migrations.py": "the sentences 0.1.0 stored, recognised to migrate them",
    "checklist/xlsx.py": "the published table's column names and the blank template's contents",
    "checklist/standard.py": "the header comment written into an imported standard file",
    "yingjian/demo.py": "the demo's narration",
    "yingjian/uploads.py": "the uploads' folder name and the name given to a nameless file",
    "yingjian/config.py": "the commented yingjian.toml that init writes, and the default names",
    "archive/scan.py": "the unit name given to files found at the inbox root",
    "yingjian/text.py": "terminal layout of the files table and readiness text",
    "yingjian/report/__init__.py": "report file names",
    "yingjian/report/html.py": "the chart's legend",
    "yingjian/report/excel.py": "sheet and column headings",
    "yingjian/report/province.py": "the province report's sheet and column headings",
    "yingjian/report/binder.py": "folder names inside the binder",
}


def _docstrings(tree) -> set[int]:
    return {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
            and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}


def test_user_facing_sentences_live_in_the_messages_module():
    """Core packages raise codes; a Chinese sentence in an exception, a stored reason or a log
    line anywhere else would bypass messages.py. The command line's help and output lines are
    its presentation and may be Chinese, but never an error: errors go through Fail(code)."""
    found = []
    for rel, path in _sources():
        if rel in NOT_MESSAGES or rel.startswith(("yingjian/cli/", "yingjian/web/")):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = _docstrings(tree)
        found += [f"{rel}:{n.lineno}: {n.value[:30]}" for n in ast.walk(tree)
                  if isinstance(n, ast.Constant) and isinstance(n.value, str)
                  and _HAN.search(n.value) and id(n) not in docs]
    assert found == []


def test_errors_raised_by_the_fronts_carry_codes_not_sentences():
    """In the command line and the web app, an error is raised by code (Fail, abort with a
    status): a Chinese literal inside a raise or abort() would be a second home for messages."""
    found = []
    for rel, path in _sources():
        if not (rel.startswith("yingjian/cli/") or rel.startswith("yingjian/web/")):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            call = node.exc if isinstance(node, ast.Raise) else node if isinstance(node, ast.Call) \
                and getattr(node.func, "id", "") == "abort" else None
            if call is None:
                continue
            for sub in ast.walk(call):
                if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and _HAN.search(sub.value):
                    found.append(f"{rel}:{sub.lineno}: {sub.value[:30]}")
    assert found == []


def test_a_write_that_fails_inside_a_batch_undoes_itself_and_nothing_before_it(backend):
    """In a batch many writes share one transaction; each stays all-or-nothing on its own, so
    a file that fails to record takes none of the batch's other files with it (on SQLite and
    on PostgreSQL: the `backend` fixture)."""
    import sqlite3

    import psycopg
    cat = backend.open(Catalog)
    ok, bad = "a" * 64, "b" * 64
    cat.begin_batch()
    cat.record(unit="人武部", path="人武部/甲.txt", name="甲.txt", sha=ok, size=1, fmt="txt",
               kind="document", mtime_ns=1)
    with pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError)):  # a member of no zip
        cat.record(unit="人武部", path="人武部/乙.zip/丙.txt", name="丙.txt", sha=bad, size=1,
                   fmt="txt", kind="document", mtime_ns=1, container_id=12345)
    cat.commit_batch(end=True)
    cat.close()
    cat = backend.open(Catalog)                         # what was committed, read afresh
    assert cat.source("人武部/甲.txt").sha == ok and cat.object(ok) is not None
    assert cat.source("人武部/乙.zip/丙.txt") is None and cat.object(bad) is None
    # the version and the change kept aside for the batch's commit were written with it
    assert [v["sha"] for v in cat.versions(cat.source("人武部/甲.txt").id)] == [ok]
    assert cat.changed_since(0)[1] == [cat.source("人武部/甲.txt").id]
    cat.close()


def test_a_batch_keeps_its_undo_copies_in_memory_and_its_pages_in_cache(tmp_path):
    """A batch holds a savepoint per record: SQLite copies every page a savepoint touches
    before changing it, into a temporary file unless temp_store is MEMORY (some 30 pages a
    file, written one by one). The batch's connection also keeps a larger page cache."""
    cat = Catalog(tmp_path / "catalog.sqlite")
    cat.begin_batch()
    db = cat._db
    assert db.execute("PRAGMA temp_store").fetchone()[0] == 2
    assert db.execute("PRAGMA cache_size").fetchone()[0] <= -32 * 1024
    cat.commit_batch(end=True)
    cat.close()


def test_every_store_is_opened_in_one_place_only():
    """yingjian/stores.py is the one place that knows which implementation of each store a
    workspace uses (where a PostgreSQL one will be chosen): no other module constructs one."""
    names = ("Catalog", "DecisionStore", "Users", "AuditLog", "ProblemNotes", "Deadlines",
             "NoticeLog", "ReadinessHistory", "LearningStore", "ObjectStore", "SearchIndex")
    made = re.compile(r"(?<![\w.])(" + "|".join(names) + r")\(")
    found = []
    for rel, path in _sources():
        if rel == "yingjian/stores.py":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if made.search(code) and not code.lstrip().startswith(("class ", "def ")):
                found.append(f"{rel}:{n}: {line.strip()}")
    assert found == []


def test_a_new_workspace_has_every_store_made_in_order(tmp_path):
    from yingjian.stores import Stores
    from yingjian.workspace import Workspace, init
    init(tmp_path / "ws", units=["人武部"])
    import sqlite3
    db = sqlite3.connect(tmp_path / "ws/archive/catalog.sqlite")
    made = {r[0] for r in db.execute("SELECT store FROM schema_versions")}
    db.close()
    assert made == {"catalog", "decisions", "audit", "accounts", "problem_notes", "deadlines",
                    "notices", "readiness_history", "learning"}
    ws = Workspace.open(tmp_path / "ws")
    try:
        assert isinstance(ws.stores, Stores) and ws.catalog is ws.stores.catalog
    finally:
        ws.close()


_OPEN_TOGETHER = """
import sys, time
from pathlib import Path
from archive import Catalog
base, start, rounds = Path(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
failed = []
for n in range(rounds):
    at = start + n * 0.25
    while time.time() < at:         # spin: every process opens its round's catalog at once
        pass
    (base / str(n)).mkdir(exist_ok=True)
    try:
        Catalog(base / str(n) / "catalog.sqlite").close()
    except Exception as e:
        failed.append(f"{n}: {type(e).__name__} {e.__context__!r}")
print("\\n".join(failed))
"""


@pytest.mark.slow
def test_processes_opening_a_new_catalog_at_once_all_wait_their_turn(tmp_path):
    """Two watchers (or a watcher and the web app) started together on a new workspace make
    its catalog at the same moment. SQLite answers the WAL pragma "locked" at once, without
    waiting, while another connection is making the file WAL: every process must wait for it
    as for any other statement, and none stop with 'catalog busy'."""
    import subprocess
    import sys
    import time
    rounds, start = 16, time.time() + 4
    procs = [subprocess.Popen([sys.executable, "-c", _OPEN_TOGETHER, str(tmp_path), str(start),
                               str(rounds)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
             for _ in range(5)]
    failures = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0] * 5
    assert [f for f in failures if f] == []
    for n in range(rounds):
        cat = Catalog(tmp_path / str(n) / "catalog.sqlite")
        assert cat.schema_version() == len(Catalog.MIGRATIONS)
        cat.close()


def test_a_writer_waiting_for_the_catalog_says_so_and_a_batch_pauses_only_then(tmp_path):
    """A batch writer leaves the lock free a moment between two batches only while another
    writer says (a file beside the catalog) that it waits for it: a pass that nobody waits for
    does not pause at every batch."""
    import subprocess
    import sys
    import threading
    path = tmp_path / "catalog.sqlite"
    Catalog(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys\n"
         "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
         "db.execute('BEGIN IMMEDIATE'); print('held', flush=True); sys.stdin.read()", str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    batch, waiter = Catalog(path), Catalog(path)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert not batch._someone_waiting()
        done = threading.Event()

        def write():
            with waiter._transaction():
                pass
            done.set()
        t = threading.Thread(target=write)
        t.start()
        deadline = time.monotonic() + 30
        while not batch._someone_waiting() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert batch._someone_waiting() and not done.is_set()
        assert [p.name for p in tmp_path.iterdir() if "-waiting-" in p.name]
    finally:
        holder.stdin.close()
        holder.wait(30)
    t.join(30)
    assert done.is_set() and not batch._someone_waiting()
    assert not [p.name for p in tmp_path.iterdir() if "-waiting-" in p.name]
    batch.close()
    waiter.close()
