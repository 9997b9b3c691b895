"""Several machines against one PostgreSQL: a real `yingjian watch` keeps going while the server
is restarted under it (every file archived exactly once, nothing lost, the watcher alive), and
a second machine's `serve`-side search index follows the catalog's change sequence there."""
from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from tests.conftest import set_watch_options, use_database
from yingjian.cli import cli
from yingjian.workspace import Workspace, init

ROOT = Path(__file__).resolve().parents[1]


def _no_ocr(root: Path) -> None:
    p = root / "yingjian.toml"
    p.write_text(p.read_text(encoding="utf-8").replace("enabled = true", "enabled = false"),
                 encoding="utf-8")


def _archived(dsn: str) -> dict[str, int]:
    try:
        with psycopg.connect(dsn, connect_timeout=2) as db:
            return dict(db.execute("SELECT path, COUNT(*) FROM sources GROUP BY path").fetchall())
    except (psycopg.OperationalError, psycopg.errors.UndefinedTable):
        return {}                       # the server restarting, or the watcher not started yet


def _arrives(p: Path, text: str) -> None:
    """The file appears whole (written beside the inbox, then renamed into it): a file written
    in place is empty for a moment, and on a loaded machine that moment can outlast the
    stability window, which rightly archives the empty file as a version of its own."""
    staging = p.parents[2] / "staging"
    staging.mkdir(exist_ok=True)
    tmp = staging / p.name
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, p)


@pytest.mark.slow
def test_postgresql_restarted_during_a_watch_loses_and_doubles_nothing(tmp_path, pg_server):
    root = tmp_path / "ws"
    init(root, units=["人武部", "教育局"])
    set_watch_options(root, stable_seconds=0.2, incomplete_after=1)
    _no_ocr(root)
    dsn = pg_server.database()
    use_database(root, dsn)
    log = open(tmp_path / "watch.err", "w")
    watcher = subprocess.Popen([sys.executable, "-m", "yingjian", "-w", str(root), "watch"], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=log, env={**os.environ, "YINGJIAN_HOME": ""})
    try:
        deadline = time.monotonic() + 60
        while not _archived(dsn) and time.monotonic() < deadline:   # up: its first scan done
            _arrives(root / "inbox/人武部/开始.txt", "开始")
            time.sleep(0.5)
        expected: dict[str, str] = {}

        stop = threading.Event()
        written = [0]

        def arrive(pause: float) -> None:
            while not stop.is_set() and written[0] < 3000:
                i = written[0]
                unit = ("人武部", "教育局")[i % 2]
                p = root / "inbox" / unit / f"记录{i:04d}.txt"
                _arrives(p, f"第{i}号记录 2022年5月{i % 28 + 1}日")
                expected[p.relative_to(root / "inbox").as_posix()] = \
                    hashlib.sha256(p.read_bytes()).hexdigest()
                written[0] += 1
                time.sleep(pause)
        # files arrive while the server is restarted again and again, until a restart has
        # cut an open batch at least once (the watcher says so on its error stream)
        writer = threading.Thread(target=arrive, args=(0.005,))
        writer.start()
        rnd = random.Random(21)
        restarts = 0
        while restarts < 40 and "数据库" not in (tmp_path / "watch.err").read_text(encoding="utf-8"):
            time.sleep(rnd.uniform(0.1, 0.8))
            pg_server.restart()
            restarts += 1
        stop.set()
        writer.join()
        assert "数据库" in (tmp_path / "watch.err").read_text(encoding="utf-8"), \
            "no restart landed inside an open batch"
        stop.clear()
        last = written[0]
        threading.Timer(1.0, stop.set).start()
        arrive(0.05)                         # and files after the restarts
        assert written[0] > last
        expected["人武部/开始.txt"] = ""
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            got = _archived(dsn)
            if set(expected) <= set(got):
                break
            time.sleep(0.5)
        assert watcher.poll() is None, "the watcher died"
        got = _archived(dsn)
        assert sorted(set(expected) - set(got)) == []            # nothing lost
        assert set(got.values()) == {1}                         # each path once
        with psycopg.connect(dsn) as db:
            shas = dict(db.execute("SELECT path, sha FROM sources").fetchall())
            versions = dict(db.execute("SELECT s.path, COUNT(v.id) FROM sources s JOIN versions v "
                                       "ON v.source_id = s.id GROUP BY s.path").fetchall())
            changes = db.execute("SELECT COUNT(DISTINCT source_id) FROM changes").fetchone()[0]
            doubled = db.execute("SELECT s.path, v.sha, v.size, v.mtime_ns, v.seen_at FROM sources s "
                                 "JOIN versions v ON v.source_id = s.id WHERE s.id IN (SELECT source_id "
                                 "FROM versions GROUP BY source_id HAVING COUNT(*) > 1) "
                                 "ORDER BY s.path, v.id").fetchall()
        assert all(shas[p] == d for p, d in expected.items() if d)
        assert doubled == []                                    # each version once
        assert set(versions.values()) == {1} and changes == len(got)
    finally:
        watcher.send_signal(signal.SIGTERM)
        try:
            watcher.wait(30)
        except subprocess.TimeoutExpired:
            watcher.kill()
            watcher.wait()
        log.close()
    said = (tmp_path / "watch.err").read_text(encoding="utf-8")
    print(f"{restarts} restarts; the watcher said:\n{said}")
    assert "Traceback" not in said


def test_each_machine_keeps_its_own_index_following_the_shared_catalog(tmp_path, pg_server):
    """Two workspace folders (two machines) with one [cluster] database: a file archived through
    one is found by `search` on the other once its index has followed the change sequence; each
    index is a folder of its own machine's workspace."""
    dsn = pg_server.database()
    roots = []
    for name in ("head", "second"):
        root = tmp_path / name
        init(root, units=["人武部", "教育局"])
        use_database(root, dsn)
        roots.append(root)
    head, second = roots

    def search(root, word):
        res = CliRunner().invoke(cli, ["-w", str(root), "search", word, "--json"],
                                 env={"YINGJIAN_HOME": ""})
        assert res.exit_code == 0, res.output
        return json.loads(res.output)

    assert search(second, "拥军优属")["total"] == 0           # the second machine's index exists
    (head / "inbox/人武部/拥军.txt").write_text("2022年拥军优属慰问活动总结", encoding="utf-8")
    res = CliRunner().invoke(cli, ["-w", str(head), "ingest", "--no-ocr"], env={"YINGJIAN_HOME": ""})
    assert res.exit_code == 0, res.output
    hits = search(second, "拥军优属")                          # the second machine follows
    assert hits["total"] == 1 and hits["hits"][0]["path"] == "人武部/拥军.txt"
    assert search(head, "拥军优属")["total"] == 1
    # each machine's index is on its own disk; neither holds a SQLite catalog
    ws = Workspace.open(second)
    try:
        assert ws.config.index.is_relative_to(second)
        assert any(ws.config.index.iterdir())
    finally:
        ws.close()
    # a file withdrawn through the head is gone from the second machine's search too
    (head / "inbox/人武部/拥军.txt").unlink()
    res = CliRunner().invoke(cli, ["-w", str(head), "ingest", "--no-ocr"], env={"YINGJIAN_HOME": ""})
    assert res.exit_code == 0, res.output
    assert search(second, "拥军优属")["total"] == 0


def test_a_session_started_on_one_machine_is_valid_on_the_other_and_ends_on_both(tmp_path, pg_server):
    """Two `serve` machines on one [cluster] database, the same web secret (the file
    archive/web-secret copied to both): the sessions are in the accounts store, so a user
    logged in through one is logged in on the other, and a logout on either ends it."""
    import re

    from yingjian.web import create_app
    dsn = pg_server.database()
    apps = []
    for name in ("head", "second"):
        root = tmp_path / name
        init(root, units=["人武部"])
        use_database(root, dsn)
        apps.append(create_app(root, secret="the-same-secret-on-every-machine"))
    head, second = (app.test_client() for app in apps)
    ws = Workspace.open(tmp_path / "head")
    ws.users.add("张三", "Dy-2021-zheng", office=True)
    ws.close()
    token = re.search(r'name="csrf_token" value="([^"]+)"', head.get("/login").text).group(1)
    r = head.post("/login", data={"name": "张三", "password": "Dy-2021-zheng", "csrf_token": token})
    assert r.status_code == 302
    cookie = head.get_cookie("session")
    second.set_cookie(cookie.key, cookie.value)
    assert second.get("/files").status_code == 200           # the other machine knows the session
    token = re.search(r'name="csrf_token" value="([^"]+)"', second.get("/files").text).group(1)
    second.post("/logout", data={"csrf_token": token})
    assert head.get("/files").status_code == 302             # ended on the first machine too
    for app in apps:
        app.extensions["yingjian"].close()
