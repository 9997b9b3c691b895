"""The stores on both implementations (the `backend` fixture: SQLite, then a real PostgreSQL the
tests start), and what only PostgreSQL has: a server restarted under a running store, the
store's own migrations in a shared database, two processes writing at once."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest

from archive import Catalog
from checklist.decisions import DecisionStore
from checklist.learning_store import LearningStore
from foundation.errors import DatabaseUnavailable
from foundation.pgstore import pg_store, translate, write_lock
from foundation.sqlstore import StoreTooNew
from yingjian import messages
from yingjian.audit import AuditLog
from yingjian.deadlines import Deadlines
from yingjian.history import ReadinessHistory
from yingjian.notice_log import NoticeLog
from yingjian.problem_notes import ProblemNotes
from yingjian.users import Users

ROOT = Path(__file__).resolve().parents[1]
SHA_A, SHA_B = "a" * 64, "b" * 64
PASSWORD = "Dy-2021-zheng"


def record(cat, path: str, sha: str, **kw):
    return cat.record(unit=path.split("/")[0], path=path, name=path.rsplit("/", 1)[-1], sha=sha,
                      size=len(path), fmt="txt", kind="document", mtime_ns=1, **kw)


# -- the same behaviour on both --------------------------------------------------------------

def test_the_catalog_records_versions_changes_and_files_alike(backend):
    cat = backend.open(Catalog)
    try:
        first = record(cat, "人武部/甲.txt", SHA_A)
        assert first.new_object and first.new_version                  # a new path, a new content
        again = record(cat, "人武部/甲.txt", SHA_A)
        assert not again.new_version and not again.new_object        # idempotent
        record(cat, "人武部/甲.txt", SHA_B)                           # a second version
        dup = record(cat, "教育局/乙.txt", SHA_B)
        assert dup.duplicate_of == "人武部/甲.txt"
        files = cat.files()
        assert [(f["path"], f["versions"]) for f in files] == [("人武部/甲.txt", 2), ("教育局/乙.txt", 1)]
        assert files[1]["duplicate_of"] == "人武部/甲.txt"
        seq, changed = cat.changed_since(0)
        assert seq == cat.last_seq() and changed == [first.source_id, dup.source_id]
        row = cat.source_by_id(first.source_id)
        assert row.sha == SHA_B
        obj = cat.object(SHA_A)
        assert obj["sha"] == obj[0] == SHA_A and dict(obj)["state"] == "pending"  # key, index, dict
        cat.save_extraction(SHA_B, state="ok", reason=None, pages=1, text="征兵 100%", info={},
                            date="2021-06-01", date_source="text")
        assert cat.shas_containing([SHA_A, SHA_B], "100%") == {SHA_B}
        assert cat.set_problems({SHA_A: "r"}) == 0 and cat.set_problems({SHA_A: "r"}) == 0
        cat.save_ocr_page(SHA_B, 0, "一", 0.9)
        cat.save_ocr_page(SHA_B, 0, "二", 0.8)                        # replaced, not doubled
        assert cat.ocr_pages(SHA_B)[0]["text"] == "二"
        total, rows = cat.paths_matching(tags={SHA_B: ["1.1a"]}, tag="1.1a", sort="name")
        assert total == 2 and {r["path"] for r in rows} == {"人武部/甲.txt", "教育局/乙.txt"}
        assert cat.evidence_years() == ["2021"]
        assert cat.withdraw([dup.source_id]) == 1
        assert [f["path"] for f in cat.files(include_withdrawn=False)] == ["人武部/甲.txt"]
    finally:
        cat.close()


def test_the_file_list_by_material_answers_on_every_thread(backend):
    """The web server's threads each have a connection: the tags a material filter reads are
    loaded into the connection that asks, not once for the catalog (the second thread used to
    get "no such table: file_list_tags", or another thread's tags)."""
    cat = backend.open(Catalog)
    try:
        record(cat, "人武部/甲.txt", SHA_A)
        record(cat, "教育局/乙.txt", SHA_B)
        tags = {SHA_A: ["1.1a"]}
        assert cat.paths_matching(tags=tags, tag="1.1a")[0] == 1
        got: dict[str, object] = {}

        def other() -> None:
            try:
                got["total"] = cat.paths_matching(tags=tags, tag="1.1a")[0]
                got["untagged"] = [r["path"] for r in cat.paths_matching(tags=tags, tagged=False)[1]]
            except Exception as e:          # noqa: BLE001 (shown by the assertion)
                got["error"] = e
        t = threading.Thread(target=other)
        t.start()
        t.join()
        assert got == {"total": 1, "untagged": ["教育局/乙.txt"]}
        later = {SHA_B: ["1.1a"]}                   # the mapping changed: loaded again
        assert [r["path"] for r in cat.paths_matching(tags=later, tag="1.1a")[1]] == ["教育局/乙.txt"]
    finally:
        cat.close()


def test_every_other_store_keeps_what_it_is_given(backend):
    decisions = backend.open(DecisionStore)
    audit = backend.open(AuditLog)
    users = backend.open(Users, units=["人武部"], audit=audit)
    notes, dues = backend.open(ProblemNotes), backend.open(Deadlines)
    notices, history, learning = backend.open(NoticeLog), backend.open(ReadinessHistory), \
        backend.open(LearningStore)
    try:
        decisions.add(sha=SHA_A, material="1.1a", action="assign", user="张三", at="t1")
        decisions.add(sha=SHA_A, material="1.1a", action="reject", user="李四", at="t2", note="不对")
        assert decisions.latest()[(SHA_A, "1.1a")]["user"] == "李四"
        assert decisions.ever_rejected() == {(SHA_A, "1.1a")}
        decisions.save_declared_codes("r1", [("p1", "1.1a"), ("p2", "")], through=7)
        decisions.save_declared_codes("r1", [("p1", "1.2a")], through=9)
        assert decisions.declared_codes("r1") == {"p1": "1.2a"} and decisions.parsed_through("r1") == 9
        decisions.save_rule_matches("r1", [(SHA_A, "1.1a"), (SHA_B, "")])
        assert decisions.rule_matches("r1") == {SHA_A: "1.1a"} and decisions.rule_match_count("r1") == 2

        users.add("张三", PASSWORD, office=True)
        _, token = users.login("张三", PASSWORD, "10.0.0.1")
        assert users.session_user(token).name == "张三" and users.sessions_of("张三") == 1
        for _ in range(6):
            with pytest.raises(Exception):
                users.login("张三", "wrong-password", "10.0.0.2")
        assert users.locked("张三", "10.0.0.2").code == "account_locked"
        users.set_password("张三", PASSWORD + "x")                    # sessions end, lock lifted
        assert users.session_user(token) is None and users.locked("张三", "x") is None
        actions = [e["action"] for e in audit.entries()]
        assert actions[:2] == ["user_add", "login"] and "user_passwd" in actions
        assert audit.entries(user="张三", action="login")[0]["client"] == "10.0.0.1"

        notes.mark("人武部/甲.txt", SHA_A, "ignored", "张三", reason="重复")
        assert notes.latest()[("人武部/甲.txt", SHA_A)]["reason"] == "重复"
        dues.set("unit", "人武部", "2026-12-01", "张三")
        assert dues.current() == {("unit", "人武部"): {"due": "2026-12-01", "user": "张三",
                                                     "at": dues.current()[("unit", "人武部")]["at"]}}
        number, serial = notices.next_numbers("人武部", 2026)
        n = notices.add("人武部", [{"id": "1.1a"}], day="2026-11-30", due=None, user="张三",
                        number=number, serial=serial)
        assert (n["number"], n["materials"]) == (1, [{"id": "1.1a"}])
        assert notices.next_numbers("人武部", 2026) == (2, 2)
        assert history.keep("2026-11-29", {"open": 3}) and not history.keep("2026-11-30", {"open": 3})
        assert history.keep("2026-11-30", {"open": 2})
        assert [d["day"] for d in history.days()] == ["2026-11-29", "2026-11-30"]
        learning.save("1.1a", "k", 5, [(SHA_A, 0.5, 2, SHA_B)], replace=True, stats=(0.1, 0.2))
        assert learning.suggestions() == [("1.1a", SHA_A, 0.5, 2, SHA_B)]
        assert learning.trained()["1.1a"] == ("k", 5, 0.1, 0.2) and learning.version() == 1
    finally:
        for s in (learning, history, notices, dues, notes, users, audit, decisions):
            s.close()


# -- what only PostgreSQL has ------------------------------------------------------------------

def test_the_few_spellings_that_differ_are_translated():
    schema = {"ocr_pages": (("sha", "page"), ("sha", "page", "text"), None),
              "sources": (("id",), ("id", "path"), "id")}.get
    assert translate("INSERT OR REPLACE INTO ocr_pages VALUES (?, ?, ?)", schema) == (
        "INSERT INTO ocr_pages VALUES (%s, %s, %s) ON CONFLICT (sha, page) DO UPDATE SET "
        "text = EXCLUDED.text", False)
    assert translate("INSERT INTO sources (path) VALUES (?) ON CONFLICT(path) DO NOTHING", schema,
                     returning=True) == (
        "INSERT INTO sources (path) VALUES (%s) ON CONFLICT(path) DO NOTHING RETURNING id", True)
    assert translate("SELECT user FROM t WHERE x LIKE '%?' AND y IS NOT ? AND instr(t, ?) > 0")[0] == \
        "SELECT \"user\" FROM t WHERE x LIKE '%%?' AND y IS DISTINCT FROM %s AND strpos(t, %s) > 0"


def test_each_store_has_its_own_migrations_in_the_shared_database(pg_server):
    dsn = pg_server.database()
    stores = [Catalog, DecisionStore, AuditLog, ProblemNotes, Deadlines, NoticeLog,
              ReadinessHistory, LearningStore]
    opened = [pg_store(cls)(dsn) for cls in stores]
    assert all(s.schema_version() == len(cls.PG_MIGRATIONS) for s, cls in zip(opened, stores))
    for s in opened:
        s.close()
    with psycopg.connect(dsn) as db:
        versions = dict(db.execute("SELECT store, version FROM schema_versions").fetchall())
        assert versions == {cls.STORE: len(cls.PG_MIGRATIONS) for cls in stores}
        db.execute("UPDATE schema_versions SET version = 99 WHERE store = 'catalog'")
    with pytest.raises(StoreTooNew):
        pg_store(Catalog)(dsn)
    # two processes opening a new database at once: the migrations run once, nobody fails
    fresh = pg_server.database()
    code = ("import sys; from archive import Catalog; from foundation.pgstore import pg_store; "
            "c = pg_store(Catalog)(sys.argv[1]); print(c.schema_version()); c.close()")
    procs = [subprocess.Popen([sys.executable, "-c", code, fresh], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outs
    assert {o.strip() for o, _ in outs} == {str(len(Catalog.PG_MIGRATIONS))}


def test_a_restarted_server_is_reconnected_to_and_the_call_succeeds(pg_server):
    cat = pg_store(Catalog)(pg_server.database(), busy_timeout=30)
    try:
        record(cat, "人武部/甲.txt", SHA_A)
        pg_server.restart()                            # every connection is cut
        assert cat.source("人武部/甲.txt").sha == SHA_A   # a read: reconnected, run again
        pg_server.restart()
        record(cat, "人武部/乙.txt", SHA_B)              # a write: reconnected, run again
        assert [f["path"] for f in cat.files()] == ["人武部/乙.txt", "人武部/甲.txt"]   # code point order
    finally:
        cat.close()


def test_a_transaction_cut_by_a_restart_is_run_again_whole(pg_server):
    """The write waits for the write lock inside its transaction when the server restarts:
    that transaction is gone, and the store method runs again, once."""
    dsn = pg_server.database()
    cat = pg_store(Catalog)(dsn, busy_timeout=30)
    done: list = []
    holder = psycopg.connect(dsn)
    holder.execute("SELECT pg_advisory_xact_lock(%s)", (write_lock(dsn),))  # a writer holds it
    try:
        t = threading.Thread(target=lambda: done.append(record(cat, "人武部/甲.txt", SHA_A)))
        t.start()
        time.sleep(1.0)
        assert not done                                 # waiting inside its transaction
        pg_server.restart()
        t.join(60)
        assert done and done[0].new_version
        rows = cat.files()
        assert [(f["path"], f["versions"]) for f in rows] == [("人武部/甲.txt", 1)]
        assert cat.changed_since(0)[1] == [done[0].source_id]
    finally:
        holder.close()
        cat.close()


class CuttingProxy:
    """A TCP proxy between a store and the server that, when armed, passes the next COMMIT on,
    waits for the server's answer that it committed, and cuts the connection instead of
    passing the answer back: the client is left not knowing whether its transaction
    committed (a network failure at the worst moment)."""

    def __init__(self, port: int):
        self.server_port = port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.armed = threading.Event()
        self.cuts = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def dsn(self, dsn: str) -> str:
        return dsn.replace(f":{self.server_port}/", f":{self.port}/")

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.server_port))
            state = {"commit_sent": False}
            threading.Thread(target=self._up, args=(client, upstream, state), daemon=True).start()
            threading.Thread(target=self._down, args=(upstream, client, state), daemon=True).start()

    def _up(self, client, upstream, state) -> None:
        try:
            while data := client.recv(65536):
                if self.armed.is_set() and b"COMMIT" in data:
                    self.armed.clear()
                    state["commit_sent"] = True
                upstream.sendall(data)
        except OSError:
            pass

    def _down(self, upstream, client, state) -> None:
        seen = b""
        try:
            while data := upstream.recv(65536):
                if state["commit_sent"]:
                    seen += data
                    if b"COMMIT\0" in seen:              # the server committed: cut
                        self.cuts += 1
                        for sock in (client, upstream):
                            sock.shutdown(socket.SHUT_RDWR)
                            sock.close()
                        return
                    continue
                client.sendall(data)
        except OSError:
            pass

    def close(self) -> None:
        self.listener.close()


@pytest.mark.parametrize("store", ["decisions", "batch"])
def test_a_commit_whose_answer_is_lost_is_not_written_twice(pg_server, store):
    """The connection dies after the server committed and before the client heard it: the
    store asks the server (txid_status) rather than run the write again, so a decision, or a
    batch of recorded files, is in the database once."""
    dsn = pg_server.database()
    proxy = CuttingProxy(pg_server.port)
    try:
        if store == "decisions":
            decisions = pg_store(DecisionStore)(proxy.dsn(dsn), busy_timeout=20)
            decisions.add(sha=SHA_A, material="1.1a", action="assign", user="张三", at="t1")
            proxy.armed.set()
            decisions.add(sha=SHA_A, material="1.1a", action="confirm", user="李四", at="t2")
            assert proxy.cuts == 1
            assert [d["action"] for d in decisions.history(SHA_A)] == ["assign", "confirm"]
            decisions.close()
        else:
            cat = pg_store(Catalog)(proxy.dsn(dsn), busy_timeout=20)
            cat.begin_batch()
            record(cat, "人武部/甲.txt", SHA_A)
            record(cat, "人武部/乙.txt", SHA_B)
            proxy.armed.set()
            cat.commit_batch(end=True)                   # said committed, though cut
            assert proxy.cuts == 1
            record(cat, "人武部/丙.txt", "c" * 64)        # and the store goes on
            assert [(f["path"], f["versions"]) for f in cat.files()] == \
                [("人武部/丙.txt", 1), ("人武部/乙.txt", 1), ("人武部/甲.txt", 1)]
            assert len(cat.changed_since(0)[1]) == 3
            cat.close()
    finally:
        proxy.close()


def test_a_batch_cut_by_a_restart_fails_whole_and_the_next_one_works(pg_server):
    cat = pg_store(Catalog)(pg_server.database(), busy_timeout=30)
    try:
        cat.begin_batch()
        record(cat, "人武部/甲.txt", SHA_A)
        pg_server.restart()
        with pytest.raises(DatabaseUnavailable):          # the batch's writes went with it
            record(cat, "人武部/乙.txt", SHA_B)
        cat.rollback_batch()
        assert cat.files() == []                           # nothing half-written
        cat.begin_batch()
        record(cat, "人武部/甲.txt", SHA_A)
        cat.commit_batch(end=True)
        assert [f["path"] for f in cat.files()] == ["人武部/甲.txt"]
    finally:
        cat.close()


def test_a_server_down_longer_than_the_busy_timeout_is_one_clear_error(pg_server):
    dsn = pg_server.database()
    cat = pg_store(Catalog)(dsn, busy_timeout=2)
    pg_server.stop()
    try:
        start = time.monotonic()
        with pytest.raises(DatabaseUnavailable) as e:
            cat.files()
        assert 1.5 < time.monotonic() - start < 30
        said = messages.describe(e.value)
        assert "无法连接数据库" in said.text and "PostgreSQL" in said.hint
        assert "yingjian@127.0.0.1" in said.text
    finally:
        pg_server.start()
        cat.close()
    # and a server that comes back within the timeout is simply waited for
    cat = pg_store(Catalog)(dsn, busy_timeout=30)
    try:
        pg_server.stop()
        threading.Timer(2.0, pg_server.start).start()
        assert cat.files() == []
    finally:
        cat.close()


WRITER = """
import json, sys
from archive import Catalog
from foundation.pgstore import pg_store
cat = pg_store(Catalog)(sys.argv[1])
me = sys.argv[2]
for i in range(150):
    cat.record(unit=me, path=f"{me}/{i}.txt", name=f"{i}.txt", sha=f"{me}{i:060d}"[:64].ljust(64, "0"),
               size=i, fmt="txt", kind="document", mtime_ns=i)
    if i % 50 == 0:
        cat.begin_batch()
    if i % 50 == 49:
        cat.commit_batch(end=True)
cat.close()
"""


def test_two_processes_writing_at_once_lose_and_double_nothing(pg_server):
    dsn = pg_server.database()
    pg_store(Catalog)(dsn).close()
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, dsn, unit], cwd=ROOT,
                              stderr=subprocess.PIPE, text=True) for unit in ("人武部", "教育局")]
    errs = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errs
    cat = pg_store(Catalog)(dsn)
    try:
        files = cat.files()
        assert len(files) == 300 and len({f["sha"] for f in files}) == 300
        assert cat.unit_counts() == {"人武部": 150, "教育局": 150}
        # the change sequence, committed in order: each path logged once
        seq, changed = cat.changed_since(0)
        assert sorted(changed) == sorted(f["source_id"] for f in files)
    finally:
        cat.close()


def test_a_workspace_on_postgresql_makes_every_store_there_and_none_in_sqlite(tmp_path, pg_server):
    from tests.conftest import use_database
    from yingjian.workspace import Workspace, init
    dsn = pg_server.database()
    init(tmp_path / "ws", units=["人武部"])
    use_database(tmp_path / "ws", dsn)
    (tmp_path / "ws/archive/catalog.sqlite").unlink(missing_ok=True)
    ws = Workspace.open(tmp_path / "ws")
    try:
        ws.stores.open_all()
        assert type(ws.catalog).__name__ == "PgCatalog"
    finally:
        ws.close()
    assert not (tmp_path / "ws/archive/catalog.sqlite").exists()
    with psycopg.connect(dsn) as db:
        made = {r[0] for r in db.execute("SELECT store FROM schema_versions")}
    assert made == {"catalog", "decisions", "audit", "accounts", "problem_notes", "deadlines",
                    "notices", "readiness_history", "learning"}
    assert json.loads(json.dumps(sorted(made)))        # plain names


def test_two_schemas_write_at_once_each_with_one_writer(pg_server):
    """The cities of a province keep their tables in schemas of their own: a writer holding one
    city's write lock holds up that city only, never another city's writes."""
    from foundation.pgstore import in_schema
    dsn = pg_server.database()
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute("CREATE SCHEMA city_a")
        admin.execute("CREATE SCHEMA city_b")
    a, b = in_schema(dsn, "city_a"), in_schema(dsn, "city_b")
    assert write_lock(a) != write_lock(b)
    cat_b = pg_store(Catalog)(b, busy_timeout=30)
    holder = psycopg.connect(dsn)
    holder.execute("SELECT pg_advisory_xact_lock(%s)", (write_lock(a),))    # city A's writer
    try:
        done: list = []
        t = threading.Thread(target=lambda: done.append(record(cat_b, "人武部/乙.txt", SHA_A)))
        t.start()
        t.join(20)
        assert done, "city B waited for city A's writer"
    finally:
        holder.rollback()
        holder.close()
        cat_b.close()
