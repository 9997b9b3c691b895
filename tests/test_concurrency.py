"""No global lock: every thread has its own store connections, so a page that takes long never
holds up another user's page, and many threads reading and deciding at once see one consistent
archive. (The figure, fast pages' p95 with slow pages in flight, is bench/web_bench.py's.)"""
import threading

from tests.conftest import run_server
from tests.test_web import PASSWORD, Client, sha_of, site  # noqa: F401  (the fixture)
from yingjian.users import Users


def test_each_thread_has_its_own_connection_and_sees_the_others_commits(tmp_path):
    users = Users(tmp_path / "catalog.sqlite", ["人武部"])
    try:
        seen = {}

        def use(name):
            seen[name] = (id(users._db), [u.name for u in users.all()])
        threads = [threading.Thread(target=use, args=(n,)) for n in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len({id(users._db), seen["a"][0], seen["b"][0]}) == 3
        assert seen["a"][1] == []
        users.add("张三", PASSWORD, office=True)    # a commit on this thread's connection ...
        after = []
        t = threading.Thread(target=lambda: after.append([u.name for u in users.all()]))
        t.start()
        t.join()
        assert after == [["张三"]]                  # ... seen by another thread's
    finally:
        users.close()
    # a closed store is closed for every thread
    t = threading.Thread(target=lambda: after.append(_fails(users.all)))
    t.start()
    t.join()
    assert after[-1] is True


def _fails(fn) -> bool:
    try:
        fn()
    except Exception:                       # noqa: BLE001 - any refusal will do
        return True
    return False


def test_a_page_in_flight_holds_up_no_other_page(site):  # noqa: F811
    """A request that is still working (here a page that waits for the test's signal) while
    another user loads the file list: the file list is answered meanwhile."""
    from waitress.server import create_server
    started, release = threading.Event(), threading.Event()

    def slow():
        started.set()
        release.wait(60)
        return "done"
    site.add_url_rule("/_test_slow", "test_slow", slow)
    srv = create_server(site, host="127.0.0.1", port=0, threads=4)
    port = srv.socket.getsockname()[1]
    threading.Thread(target=run_server, args=(srv,), daemon=True).start()
    import urllib.request
    try:
        slow_answer = []
        t = threading.Thread(target=lambda: slow_answer.append(
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_test_slow", timeout=90).read()))
        t.start()
        assert started.wait(30)
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=30)
        assert page.status == 200 and not release.is_set() and t.is_alive()
    finally:
        release.set()
        t.join(60)
        srv.close()
    assert slow_answer == [b"done"]


def test_many_users_reading_and_deciding_at_once_see_one_archive(site):  # noqa: F811
    ws = site.extensions["yingjian"]
    sha = sha_of(site, "人武部/征兵通报.pdf")
    errors, done = [], []

    def reader(user):
        try:
            c = Client(site, user)
            pages = ("/files", "/search?q=征兵", "/", f"/file/{sha}")
            if user == "张三":                  # the office sees the tree and the queue too
                pages += ("/items", "/review")
            for url in pages * 3:
                r = c.get(url)
                if r.status_code != 200:
                    errors.append((user, url, r.status_code))
            done.append(user)
        except Exception as e:              # noqa: BLE001 - every failure is reported below
            errors.append((user, repr(e)))

    def decider():
        try:
            for i in range(6):
                ws.decide(sha, "1.1a", "assign" if i % 2 == 0 else "unassign", "张三")
            done.append("decider")
        except Exception as e:              # noqa: BLE001
            errors.append(("decider", repr(e)))
    threads = [threading.Thread(target=reader, args=(u,)) for u in ("张三", "张三", "张三", "李四")]
    threads.append(threading.Thread(target=decider))
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert errors == [] and len(done) == 5
    assert [d["action"] for d in ws.decisions.all()][-1] == "unassign"


# -- reads never write -------------------------------------------------------------------------

def _state(ws) -> tuple:
    """What a read must leave as it was: the catalog's change sequence, every table's rows (read
    by a connection of the test's own), and every file of the workspace folder byte for byte,
    but for SQLite's journal files and the image caches (thumbnails and page previews are
    drawn on first view: a cache of a stored object that can be deleted at any time)."""
    import hashlib
    import sqlite3
    root = ws.config.root
    db = sqlite3.connect(f"file:{ws.config.catalog}?mode=ro", uri=True)
    try:
        rows = hashlib.sha256("\n".join(db.iterdump()).encode()).hexdigest()
    finally:
        db.close()
    caches = (ws.config.thumbs, ws.config.thumbs.parent / "previews")
    files = {}
    for p in sorted(root.rglob("*")):
        if not p.is_file() or p.name.endswith(("-wal", "-shm")):
            continue
        if any(c == p or c in p.parents for c in caches):
            continue
        files[p.relative_to(root).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    return ws.catalog.last_seq(), rows, files


def test_no_page_load_writes_anything(site):  # noqa: F811
    """Every GET route of the app, as the office and as a unit, with real arguments: the
    catalog's change sequence, its rows and the workspace folder are as they were."""
    ws = site.extensions["yingjian"]
    sha = sha_of(site, "人武部/征兵通报.pdf")
    ws.decide(sha, "1.1a", "assign", "张三")                 # something decided, to be shown
    args = {"sha": sha, "n": 1, "code": "1.1", "name": "人武部", "filename": "app.css",
            "batch": "0", "notice_id": 1, "id": 1}
    queries = {"search.search": "?q=征兵", "files.files": "?unit=人武部",
               "report.report_download": None}
    office, unit = Client(site, "张三"), Client(site, "李四")
    before = _state(ws)
    seen = []
    for rule in site.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        kinds = ("html",) if rule.endpoint == "report.report_download" else (None,)
        for kind in kinds:
            url = rule.build({**args, "kind": kind} if kind else args)[1]
            url += queries.get(rule.endpoint) or ""
            for who in (office, unit):
                r = who.get(url)
                assert r.status_code < 500, (url, r.status_code)
                seen.append(rule.endpoint)
    assert _state(ws) == before
    assert {"dashboard.home", "search.search", "report.report", "units.unit", "items.item",
            "files.file", "review.review"} <= set(seen)
