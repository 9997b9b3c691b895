"""Web benchmark: the server time of the 搜索 page (search, facets, snippets, template) at N
documents beside the bare index search for the same queries, of the 文件 page (filters,
sort, one page of 50, template) at M files beside the bare catalog query for the same
filters, and of the 待审核 page and `yingjian review --json` with P pending suggestions over
R files beside reading what those suggestions are made of from the stores, in the same run.

A workspace is made in a temporary folder, its catalog filled directly with N documents of
the domain's vocabulary (as the check benchmark does), indexed through the real sync, and the
page requested through Flask's test client as a logged-in office user; the time is the app's
own Server-Timing header (what the server spends, without the network).

And the concurrent pages: C clients fetching pages at once over real sockets from a real
server (waitress over HTTP, cheroot over HTTPS), alone and beside K slow clients (each sends a
body's bytes one every half second, the way a hostile client holds a server), interleaved in
the same run: the p50 / p95 / max latency of the pages, and the slow-client ratio.

    python bench/web_bench.py [--docs 10000] [--files 100000] [--review-files 50000 --pending 5000]
                              [--concurrent 4 --slow-clients 8 --rounds 4]
        [--busy-files 20000 --busy-clients 8 --busy-slow 2 --busy-rounds 15 --slow-path /report/xlsx]

The fast-beside-slow-pages figure runs a real `yingjian serve` and real HTTP clients: the fast
pages' p95 while two clients keep loading a slow page, beside the same pages with nothing in
flight (no request may wait for another: there is no lock around the workspace).
"""
import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.check_bench import fill  # noqa: E402
from bench.search_bench import QUERIES, pct  # noqa: E402
from yingjian.web import create_app  # noqa: E402
from yingjian.workspace import Workspace, init  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--files", type=int, default=100_000)
    ap.add_argument("--review-files", type=int, default=50_000)
    ap.add_argument("--pending", type=int, default=5_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--concurrent", type=int, default=4, help="clients fetching pages at once (0: skip)")
    ap.add_argument("--slow-clients", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--busy-files", type=int, default=20_000,
                    help="files behind the fast-beside-slow-pages figure (0: skip it)")
    ap.add_argument("--busy-clients", type=int, default=8)
    ap.add_argument("--busy-slow", type=int, default=2)
    ap.add_argument("--busy-rounds", type=int, default=15)
    ap.add_argument("--slow-path", default="/report/xlsx")
    args = ap.parse_args()
    if args.busy_files:
        pages_beside_slow_pages(args.busy_files, args.busy_clients, args.busy_slow,
                                args.busy_rounds, args.slow_path)
    if args.concurrent:
        concurrent_pages(args)
    if args.review_files:
        review_page(args.review_files, args.pending, args.repeat)
    if args.files:
        file_list(args.files, args.repeat)
    if args.docs:
        search_page(args)


def logged_in(app):
    c = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    c.post("/login", data={"name": "bench", "password": "bench-password", "csrf_token": token})
    return c


def file_list(n: int, repeat: int) -> None:
    """The 文件 page at `n` files: a clerk's filters, beside the bare catalog query."""
    tmp = Path(tempfile.mkdtemp())
    try:
        init(tmp / "ws")
        ws = Workspace.open(tmp / "ws")
        fill(ws.catalog, n, ws.standard)
        ws.users.add("bench", "bench-password", office=True)
        units = ws.standard.units()
        material = sorted(ws.standard.materials())[0]
        ws.close()
        app = create_app(tmp / "ws", secret="bench")
        c = logged_in(app)
        wsa = app.extensions["yingjian"]
        t = time.perf_counter()
        wsa.files.serving()                          # the mapping, once (cached until the catalog changes)
        mapping = time.perf_counter() - t
        cases = [
            ({}, {}),
            ({"page": 100}, {"offset": 4950}),
            ({"unit": units[0]}, {"unit": units[0]}),
            ({"unit": units[1], "kind": "document", "page": 2}, {"unit": units[1], "kind": "document", "offset": 50}),
            ({"kind": "photo", "year": "2021"}, {"kind": "photo", "year": "2021"}),
            ({"sort": "date", "order": "desc"}, {"sort": "date", "descending": True}),
            ({"sort": "name"}, {"sort": "name"}),
            ({"sort": "size", "order": "desc", "unit": units[2]}, {"sort": "size", "descending": True, "unit": units[2]}),
            ({"status": "problem"}, {"status": "problem"}),
            ({"material": material}, {"tags": wsa.files.serving(), "tag": material}),
            ({"mapped": "no"}, {"tags": wsa.files.serving(), "tagged": False}),
        ]
        def url(query):
            return "/files?" + "&".join(f"{k}={quote(str(v))}" for k, v in query.items())

        t = time.perf_counter()
        for query, _ in cases:              # once: statistics gathered, the tags loaded
            c.get(url(query))
        warm = time.perf_counter() - t
        page, bare, worst = [], [], {}
        for _ in range(repeat):
            for query, kw in cases:
                r = c.get(url(query))
                assert r.status_code == 200 and 'id="file-list"' in r.text
                ms = float(re.search(r"dur=([\d.]+)", r.headers["Server-Timing"]).group(1))
                page.append(ms)
                key = "&".join(f"{k}={v}" for k, v in query.items()) or "(none)"
                worst[key] = max(worst.get(key, 0), ms)
                t = time.perf_counter()
                wsa.catalog.paths_matching(limit=50, **kw)
                bare.append((time.perf_counter() - t) * 1000)
        print(f"corpus: {n} catalogued files (bundled standard), {len(cases)} filters × {repeat}; "
              f"the mapping for the material filters made once in {mapping:.1f} s; a first pass over "
              f"the filters (planner statistics, the material table loaded) {warm:.1f} s")
        print(f"{'':36} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
        print(f"{'文件 page, server time':36} {statistics.median(page):8.1f} {pct(page, 95):8.1f} {max(page):8.1f}")
        print(f"{'bare catalog query (same filters)':36} {statistics.median(bare):8.1f} {pct(bare, 95):8.1f} {max(bare):8.1f}")
        print(f"page p95 / bare p95: {pct(page, 95) / max(pct(bare, 95), 1e-9):.1f}; goal: page p95 under 100 ms")
        print("slowest page per filter (ms): " + ", ".join(f"{k} {v:.0f}" for k, v in
                                                          sorted(worst.items(), key=lambda kv: -kv[1])))
        print()
        wsa.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def fill_review(catalog, n: int, pending: int, std) -> int:
    """`n` files of which `pending` wait for the office: four in five declared by a unit that is
    not responsible for the material (right kind, dated inside), one in five found by content
    (a 共建协议); the rest serve nothing. Returns how many suggestions that should make."""
    from foundation import now_iso
    rnd = random.Random(13)
    now = now_iso()
    units = std.units()
    items = {m.id: it for it in std.walk() for m in it.materials}
    mats = [m for m in std.materials().values()]
    ext = {"document": ("pdf", ".pdf"), "photo": ("jpeg", ".jpg"), "ledger": ("xlsx", ".xlsx"),
           "video": ("mp4", ".mp4"), "any": ("pdf", ".pdf")}
    objects, sources = [], []
    for i in range(n):
        date = f"{rnd.choice([2020, 2021, 2022, 2023])}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
        text = f"日常工作资料 第{i}号 " + "工作安排 " * 40
        if i < pending * 4 // 5:                     # declared by a unit not responsible
            m = rnd.choice(mats)
            unit = rnd.choice([u for u in units if u not in items[m.id].units and u != "双拥办"])
            kind = "document" if m.kind == "any" else m.kind
            folder = f"{m.id} 资料/"
        elif i < pending:                            # found by its content
            kind, unit, folder = "document", rnd.choice(units), "资料/"
            text = f"军民共建协议书 第{i}号 " + "工作安排 " * 40
        else:
            kind, unit, folder = rnd.choice(["document", "photo", "ledger"]), rnd.choice(units), "资料/"
        fmt, suffix = ext[kind]
        sha = f"{i:064x}"
        objects.append((sha, 1000, fmt, kind, "ok", text, len(text), date, "content", now))
        sources.append((unit, f"{unit}/{folder}{i}{suffix}", f"{i}{suffix}", sha, now, now))
    with catalog._transaction() as db:      # filled directly, as the ingest never could this fast
        db.executemany("INSERT INTO objects (sha, size, format, kind, state, text, text_chars, date, "
                       "date_source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", objects)
        db.executemany("INSERT INTO sources (unit, path, name, sha, first_seen, last_seen) "
                       "VALUES (?, ?, ?, ?, ?, ?)", sources)
    return pending


def review_page(n: int, pending: int, repeat: int) -> None:
    """待审核 at `n` files with `pending` suggestions waiting: the page (warm, and the first after
    a decision, which makes the check again) and `yingjian review --json`, beside reading what
    the queue is made of (every present file's facts, the declared codes, the content-rule
    results, the decisions) from the stores."""
    tmp = Path(tempfile.mkdtemp())
    try:
        init(tmp / "ws")
        ws = Workspace.open(tmp / "ws")
        fill_review(ws.catalog, n, pending, ws.standard)
        ws.users.add("bench", "bench-password", office=True)
        t = time.perf_counter()
        total = ws.review(limit=0)["total"]        # the first check: every text tested once
        first = time.perf_counter() - t
        ws.close()
        app = create_app(tmp / "ws", secret="bench")
        c = logged_in(app)
        wsa = app.extensions["yingjian"]
        units = wsa.standard.units()
        urls = ["/review", "/review?page=50", f"/review?unit={quote(units[1])}", "/review?item=10",
                f"/review?unit={quote(units[2])}&page=3", "/review?item=5.1"]

        def server_ms(r) -> float:
            assert r.status_code == 200 and 'id="review-total"' in r.text, r.status_code
            return float(re.search(r"dur=([\d.]+)", r.headers["Server-Timing"]).group(1))

        def bare_read() -> float:
            t = time.perf_counter()
            wsa.catalog.present_files()
            fp = wsa.mapping.fingerprint
            wsa.decisions.declared_codes(fp)
            wsa.decisions.rule_matches(fp)
            wsa.decisions.latest()
            return (time.perf_counter() - t) * 1000

        c.get("/review")                           # the check made once for this process
        warm, after, bare, decide = [], [], [], []
        for _ in range(repeat):
            for u in urls:
                warm.append(server_ms(c.get(u)))
            bare.append(bare_read())
        page = wsa.review(limit=3)["suggestions"]
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/review").text).group(1)
        for row in page[:repeat]:                  # a decision changes the queue: made again
            r = c.post("/review/decide", data={"sha": row["id"], "material": row["material"],
                                               "action": "confirm", "csrf_token": token})
            decide.append(float(re.search(r"dur=([\d.]+)", r.headers["Server-Timing"]).group(1)))
            after.append(server_ms(c.get("/review")))
        wsa.close()
        env = {**os.environ, "YINGJIAN_HOME": ""}
        cli, rows = [], 0
        for _ in range(repeat):
            t = time.perf_counter()
            out = subprocess.run([sys.executable, "-m", "yingjian", "-w", str(tmp / "ws"), "review",
                                  "--json"], capture_output=True, env=env, check=True).stdout
            cli.append(time.perf_counter() - t)
            rows = len(json.loads(out)["suggestions"])
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import yingjian.cli, checklist, archive"], env=env, check=True)
        startup = time.perf_counter() - t
        print(f"corpus: {n} catalogued files (bundled standard), {total} pending suggestions "
              f"(goal {pending}); the first check, testing every text once, {first:.1f} s")
        print(f"{'':44} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
        for label, v in (("待审核 page, server time (20 a page)", warm),
                         ("待审核 page, first after a decision", after),
                         ("the decision itself (POST)", decide),
                         ("bare: read the queue's inputs from the stores", bare)):
            print(f"{label:44} {statistics.median(v):8.1f} {pct(v, 95):8.1f} {max(v):8.1f}")
        print(f"page p95 / bare p95: {pct(warm, 95) / max(pct(bare, 95), 1e-9):.1f}; after a decision: "
              f"{pct(after, 95) / max(pct(bare, 95), 1e-9):.1f}; goal: page under 300 ms")
        print(f"yingjian review --json ({rows} suggestions): {statistics.median(cli):.2f} s "
              f"(of which starting Python and importing: {startup:.2f} s); "
              f"bare read ×{statistics.median(cli) * 1000 / max(statistics.median(bare), 1e-9):.0f}")
        print()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def search_page(args) -> None:
    tmp = Path(tempfile.mkdtemp())
    try:
        init(tmp / "ws")
        ws = Workspace.open(tmp / "ws")
        fill(ws.catalog, args.docs, ws.standard)
        ws.catalog.log_changed(None, "bench")      # filled directly: tell the index to follow
        t = time.perf_counter()
        indexed = ws.sync_index()
        build = time.perf_counter() - t
        assert indexed == args.docs, indexed
        ws.users.add("bench", "bench-password", office=True)
        ws.close()
        app = create_app(tmp / "ws", secret="bench")
        c = logged_in(app)
        c.get("/?q=" + quote("双拥"))                      # the searcher opened once
        page, bare = [], []
        wsa = app.extensions["yingjian"]
        for _ in range(args.repeat):
            for q in QUERIES:
                r = c.get("/?q=" + quote(q))
                assert r.status_code == 200
                page.append(float(re.search(r"dur=([\d.]+)", r.headers["Server-Timing"]).group(1)))
                t = time.perf_counter()
                wsa.index.search(q, limit=20)
                bare.append((time.perf_counter() - t) * 1000)
        print(f"corpus: {args.docs} documents (~600 characters), {len(QUERIES)} queries × "
              f"{args.repeat}; index built through the catalog sync in {build:.0f} s")
        print(f"{'':36} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
        print(f"{'search page, server time':36} {statistics.median(page):8.1f} {pct(page, 95):8.1f} {max(page):8.1f}")
        print(f"{'bare index search (same queries)':36} {statistics.median(bare):8.1f} {pct(bare, 95):8.1f} {max(bare):8.1f}")
        print(f"page p95 / bare p95: {pct(page, 95) / max(pct(bare, 95), 1e-9):.1f}; goal: page under 200 ms")
        wsa.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def concurrent_pages(args) -> None:
    """Pages fetched by several clients at once, alone and beside slow clients, over HTTP and
    HTTPS, rounds interleaved."""
    import ssl
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from yingjian.web.server import make_http_server, make_https_server
    tmp = Path(tempfile.mkdtemp())
    try:
        init(tmp / "ws")
        ws = Workspace.open(tmp / "ws")
        fill(ws.catalog, 2000, ws.standard)
        ws.catalog.log_changed(None, "bench")
        ws.sync_index()
        ws.users.add("bench", "bench-password", office=True)
        ws.close()
        servers = {}
        app = create_app(tmp / "ws", secret="bench")
        http = make_http_server(app, "127.0.0.1", 0, 8, app.extensions["yingjian"].config.web)
        threading.Thread(target=http.run, daemon=True).start()
        servers["http"] = (http.effective_port, None, http.close)
        cert = _self_signed(tmp)
        if cert:
            app2 = create_app(tmp / "ws", secret="bench")
            https = make_https_server(app2, "127.0.0.1", 0, 8, *cert)
            https.error_log = lambda *a, **k: None      # slow clients leaving mid-request
            https.prepare()
            threading.Thread(target=https.serve, daemon=True).start()
            ctx = ssl.create_default_context(cafile=cert[0])
            servers["https"] = (https.bind_addr[1], ctx, https.stop)
        pages = ["/login", "/files", "/items", "/search?q=" + quote("双拥")]
        print(f"\nconcurrent pages: {args.concurrent} clients × {len(pages)} pages × "
              f"{args.rounds} rounds, alone and beside {args.slow_clients} slow clients "
              f"(a byte every 0.5 s); 2,000 catalogued files")
        print(f"{'':30} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
        for scheme, (port, ctx, _) in servers.items():
            base = f"{scheme}://127.0.0.1:{port}"
            cookie = _login(base, ctx)
            alone, beside = [], []

            def fetch(url):
                t = time.perf_counter()
                req = urllib.request.Request(base + url, headers={"Cookie": cookie})
                with urllib.request.urlopen(req, timeout=120, context=ctx) as r:
                    r.read()
                return (time.perf_counter() - t) * 1000

            def round_():
                with ThreadPoolExecutor(args.concurrent) as pool:
                    return list(pool.map(fetch, pages * args.concurrent))

            round_()                                  # warm: the first check, the searcher
            for _ in range(args.rounds):
                alone += round_()
                stop = threading.Event()
                slow = [threading.Thread(target=_slow_client, args=(port, ctx, stop))
                        for _ in range(args.slow_clients)]
                for t in slow:
                    t.start()
                time.sleep(1.0)
                beside += round_()
                stop.set()
                for t in slow:
                    t.join(5)
            for label, v in ((f"{scheme} pages alone", alone), (f"{scheme} beside slow clients", beside)):
                print(f"{label:30} {statistics.median(v):8.1f} {pct(v, 95):8.1f} {max(v):8.1f}")
            print(f"{scheme}: p95 beside slow clients / alone: {pct(beside, 95) / pct(alone, 95):.2f}")
        for _, _, close in servers.values():
            close()
        app.extensions["yingjian"].close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _slow_client(port, ctx, stop) -> None:
    import socket
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        if ctx is not None:
            s = ctx.wrap_socket(s, server_hostname="127.0.0.1")
        s.sendall(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded"
                  b"\r\nContent-Length: 1000\r\n\r\n")
        while not stop.wait(0.5):
            s.sendall(b"a")
        s.close()
    except OSError:
        pass


def _login(base, ctx) -> str:
    import urllib.request
    from urllib.parse import urlencode
    page = urllib.request.urlopen(base + "/login", timeout=30, context=ctx)
    cookie = page.headers["Set-Cookie"].split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode()).group(1)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None
    opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPSHandler(context=ctx))
    try:
        opener.open(urllib.request.Request(base + "/login", data=urlencode(
            {"name": "bench", "password": "bench-password", "csrf_token": token}).encode(),
            headers={"Cookie": cookie}), timeout=30)
    except urllib.error.HTTPError as e:
        return e.headers["Set-Cookie"].split(";")[0]
    raise RuntimeError("login failed")


def _self_signed(folder: Path):
    cert, key = folder / "cert.pem", folder / "key.pem"
    if not shutil.which("openssl"):
        return None
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return str(cert), str(key)



# -- fast pages while slow ones are in flight (issue 20: no global lock) ------------------------

def _http_client(base: str):
    """A logged-in office user over real HTTP: returns get(path) -> (status, seconds)."""
    import http.cookiejar
    import urllib.request
    from urllib.parse import urlencode
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login", timeout=60).read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    opener.open(base + "/login", data=urlencode({"name": "bench", "password": "bench-password",
                                                 "csrf_token": token}).encode(), timeout=60).read()

    def get(path: str) -> tuple[int, float]:
        t = time.perf_counter()
        try:
            with opener.open(base + path, timeout=300) as r:
                r.read()
                status = r.status
        except urllib.error.HTTPError as e:
            status = e.code
        except OSError:
            status = 0
        return status, time.perf_counter() - t
    return get


def pages_beside_slow_pages(n: int, clients: int, slow_clients: int, rounds: int,
                            slow_path: str) -> None:
    """`clients` users load the file list, a search and the dashboard in turn against a real
    `yingjian serve`, first with nothing else in flight, then while `slow_clients` more keep
    loading a slow page: the fast pages' p95 in both phases, their ratio, and the errors."""
    import threading
    import urllib.error  # noqa: F401  (used by _http_client)
    tmp = Path(tempfile.mkdtemp())
    proc = None
    try:
        init(tmp / "ws")
        ws = Workspace.open(tmp / "ws")
        fill(ws.catalog, n, ws.standard)
        ws.users.add("bench", "bench-password", office=True)
        ws.sync_index()
        ws.close()
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        proc = subprocess.Popen([sys.executable, "-m", "yingjian", "-w", str(tmp / "ws"), "serve",
                                 "--port", str(port), "--threads", str(clients + slow_clients + 2)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        fast_paths = ["/files", "/search?q=" + quote("征兵工作"), "/"]
        warm = _http_client(base)
        for p in [*fast_paths, slow_path]:           # first loads (the check, the mapping) done
            warm(p)
        one_slow = warm(slow_path)[1]

        def phase(with_slow: bool) -> tuple[list[float], int, int]:
            times, errors, slow_done = [], [0], [0]
            stop = threading.Event()
            lock = threading.Lock()

            def fast_user(i):
                get = _http_client(base)
                for r in range(rounds):
                    status, dt = get(fast_paths[(i + r) % len(fast_paths)])
                    with lock:
                        times.append(dt)
                        errors[0] += status != 200

            def slow_user():
                get = _http_client(base)
                while not stop.is_set():
                    status, _dt = get(slow_path)
                    with lock:
                        slow_done[0] += 1
                        errors[0] += status != 200
            slow = [threading.Thread(target=slow_user) for _ in range(slow_clients if with_slow else 0)]
            for t in slow:
                t.start()
            if slow:
                time.sleep(min(one_slow, 5) / 2)       # the slow pages are in flight
            fast = [threading.Thread(target=fast_user, args=(i,)) for i in range(clients)]
            for t in fast:
                t.start()
            for t in fast:
                t.join()
            stop.set()
            for t in slow:
                t.join()
            return times, errors[0], slow_done[0]

        idle, idle_err, _ = phase(False)
        busy, busy_err, slow_done = phase(True)
        p_idle, p_busy = pct(idle, 95) * 1000, pct(busy, 95) * 1000
        print(f"\nconcurrent pages at {n:,} files, real `yingjian serve` (waitress, "
              f"{clients + slow_clients + 2} threads), {clients} users x {rounds} loads of "
              f"文件/搜索/首页 (one slow page {slow_path} alone: {one_slow * 1000:.0f} ms):")
        print(f"  fast pages p95 idle              {p_idle:8.0f} ms   (median {statistics.median(idle) * 1000:.0f} ms, errors {idle_err})")
        print(f"  fast pages p95 with {slow_clients} slow in flight {p_busy:8.0f} ms   "
              f"(median {statistics.median(busy) * 1000:.0f} ms, errors {busy_err}, slow pages served {slow_done})")
        print(f"  ratio {p_busy / p_idle:.2f}x   (goal <= 3x, 0 errors)")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
