"""The stores on PostgreSQL beside SQLite, in one run (each figure with its SQLite baseline
measured in the same run, interleaved, and the ratio):

- ingest: `yingjian ingest --no-ocr` of N small text files (a real process), into a workspace
  on SQLite and into one on PostgreSQL (goal: PostgreSQL <= 2x);
- check: the readiness check (`Workspace.open` + `check()`, what `yingjian check` does before
  printing) over M catalogued files, the catalog filled directly through the catalog's own
  connection as bench/check_bench.py does (goal: PostgreSQL <= 1.5x);
- web: C concurrent clients, each a logged-in office user loading 文件 / 搜索 / 首页 in turn,
  against two real `yingjian serve` processes (two workspace folders, two machines, on the
  same PostgreSQL database, each with its own search index) beside one `yingjian serve` on
  SQLite: p50, p95 and errors.

The PostgreSQL 15 server is started for the run in a temporary folder (tests/pg_server.py,
with PostgreSQL's default durability: fsync and synchronous commit on), on this machine: the
same disk and cores as SQLite, no network in between but the loopback.

    python bench/cluster_db_bench.py [--files 10000] [--check-files 100000] [--clients 50]
                                     [--rounds 6] [--web-files 2000]
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.check_bench import fill  # noqa: E402
from bench.search_bench import pct  # noqa: E402
from bench.web_bench import _http_client  # noqa: E402
from tests.conftest import use_database  # noqa: E402
from tests.pg_server import PgServer  # noqa: E402
from yingjian.workspace import Workspace, init  # noqa: E402

ENV = {**os.environ, "YINGJIAN_HOME": ""}


def _no_ocr(root: Path) -> None:
    p = root / "yingjian.toml"
    p.write_text(p.read_text(encoding="utf-8").replace("enabled = true", "enabled = false"),
                 encoding="utf-8")


def workspace(root: Path, dsn: str | None) -> Path:
    init(root, units=["双拥办", "人武部", "教育局", "民政局", "财政局"])
    _no_ocr(root)
    if dsn:
        use_database(root, dsn)
    return root


def ingest_figure(tmp: Path, server: PgServer, n: int) -> None:
    """N small text files, one ingest each side, SQLite first then PostgreSQL then the other
    way round (two rounds, the median)."""
    times = {"sqlite": [], "postgresql": []}
    for rnd, order in enumerate((("sqlite", "postgresql"), ("postgresql", "sqlite"))):
        for side in order:
            root = workspace(tmp / f"ingest-{side}-{rnd}", server.database() if side == "postgresql" else None)
            units = ["双拥办", "人武部", "教育局", "民政局", "财政局"]
            for i in range(n):
                unit = units[i % len(units)]
                folder = root / "inbox" / unit / f"{2020 + i % 4}年"
                folder.mkdir(parents=True, exist_ok=True)
                (folder / f"记录{i:05d}.txt").write_text(
                    f"{unit} 双拥工作记录 第{i}号 {2020 + i % 4}年{i % 12 + 1}月{i % 28 + 1}日 "
                    f"走访慰问 征兵 国防教育 {i * 7919 % 100003}", encoding="utf-8")
            t = time.perf_counter()
            res = subprocess.run([sys.executable, "-m", "yingjian", "-w", str(root), "ingest",
                                  "--no-ocr", "--json"], env=ENV, capture_output=True, text=True)
            times[side].append(time.perf_counter() - t)
            if res.returncode != 0:
                raise SystemExit(res.stderr)
            shutil.rmtree(root, ignore_errors=True)
    sq, pg = statistics.median(times["sqlite"]), statistics.median(times["postgresql"])
    print(f"\ningest --no-ocr of {n:,} small text files (a real `yingjian ingest` process; "
          f"median of 2 rounds, interleaved)")
    print(f"  SQLite      {sq:8.1f} s   {n / sq:8.0f} files/s")
    print(f"  PostgreSQL  {pg:8.1f} s   {n / pg:8.0f} files/s")
    print(f"  ratio PostgreSQL / SQLite: {pg / sq:.2f}x   (goal <= 2x)")


def check_figure(tmp: Path, server: PgServer, n: int) -> None:
    roots = {"sqlite": workspace(tmp / "check-sqlite", None),
             "postgresql": workspace(tmp / "check-pg", server.database())}
    t_fill = {}
    for side, root in roots.items():
        ws = Workspace.open(root)
        t = time.perf_counter()
        fill(ws.catalog, n, ws.standard)
        t_fill[side] = time.perf_counter() - t
        ws.catalog.gather_statistics()
        ws.check()                                  # cold: every text tested once, cached
        ws.close()
    times = {"sqlite": [], "postgresql": []}
    results = {}
    for rnd in range(3):
        for side in (("sqlite", "postgresql") if rnd % 2 == 0 else ("postgresql", "sqlite")):
            t = time.perf_counter()
            ws = Workspace.open(roots[side])
            result = results[side] = ws.check()
            ws.close()
            times[side].append(time.perf_counter() - t)
    for r in results.values():                     # the one thing that differs: the folder
        r.get("standard", {}).pop("source", None)
    same = json.dumps(results["sqlite"], sort_keys=True) == json.dumps(results["postgresql"], sort_keys=True)
    sq, pg = statistics.median(times["sqlite"]), statistics.median(times["postgresql"])
    print(f"\ncheck over {n:,} catalogued files (bundled standard; Workspace.open + check(), warm: "
          f"the content rules cached; median of 3, interleaved; filled in {t_fill['sqlite']:.0f} s "
          f"SQLite, {t_fill['postgresql']:.0f} s PostgreSQL)")
    print(f"  SQLite      {sq:8.2f} s")
    print(f"  PostgreSQL  {pg:8.2f} s")
    print(f"  ratio PostgreSQL / SQLite: {pg / sq:.2f}x   (goal <= 1.5x); score {result['score']}, "
          f"the same check result on both: {'yes' if same else 'NO'}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(root: Path, threads: int):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "yingjian", "-w", str(root), "serve", "--port",
                             str(port), "--threads", str(threads)], env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    raise SystemExit("serve did not start")


def _clients(bases: list[str], clients: int, rounds: int) -> tuple[list[float], int]:
    paths = ["/files", "/search?q=" + quote("征兵工作"), "/"]
    times, errors, lock = [], [0], threading.Lock()
    logins = [None] * clients

    def login(i):
        logins[i] = _http_client(bases[i % len(bases)])
    ts = [threading.Thread(target=login, args=(i,)) for i in range(clients)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()

    def user(i):
        get = logins[i]
        for r in range(rounds):
            status, dt = get(paths[(i + r) % len(paths)])
            with lock:
                times.append(dt)
                errors[0] += status != 200
    ts = [threading.Thread(target=user, args=(i,)) for i in range(clients)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return times, errors[0]


def web_figure(tmp: Path, server: PgServer, n: int, clients: int, rounds: int) -> None:
    dsn = server.database()
    sq_root = workspace(tmp / "web-sqlite", None)
    head, second = workspace(tmp / "web-head", dsn), workspace(tmp / "web-second", dsn)
    for root in (sq_root, head):
        ws = Workspace.open(root)
        fill(ws.catalog, n, ws.standard)
        ws.users.add("bench", "bench-password", office=True)
        ws.sync_index()
        ws.close()
    ws = Workspace.open(second)                     # the second machine builds its own index
    ws.sync_index()
    ws.close()
    procs = []
    try:
        threads = clients + 4
        sq_proc, sq_base = _serve(sq_root, threads)
        procs.append(sq_proc)
        pg_bases = []
        for root in (head, second):
            p, base = _serve(root, threads)
            procs.append(p)
            pg_bases.append(base)
        for base in (sq_base, *pg_bases):            # first loads (the check, the searcher)
            warm = _http_client(base)
            for path in ("/files", "/search?q=" + quote("征兵工作"), "/"):
                warm(path)
        results = {"sqlite": ([], 0), "postgresql": ([], 0)}
        for rnd in range(2):
            for side in (("sqlite", "postgresql") if rnd == 0 else ("postgresql", "sqlite")):
                times, errs = _clients([sq_base] if side == "sqlite" else pg_bases, clients, rounds)
                results[side] = (results[side][0] + times, results[side][1] + errs)
        print(f"\n{clients} concurrent web clients x {rounds} loads of 文件/搜索/首页 each, twice "
              f"(interleaved), {n:,} catalogued files; real `yingjian serve` processes "
              f"({threads} threads each)")
        for side, label in (("sqlite", "one serve on SQLite"),
                            ("postgresql", "two serve on PostgreSQL (two machines' folders)")):
            times, errs = results[side]
            print(f"  {label:48} p50 {statistics.median(times) * 1000:7.0f} ms   "
                  f"p95 {pct(times, 95) * 1000:7.0f} ms   errors {errs} of {len(times)}")
        ratio = pct(results["postgresql"][0], 95) / pct(results["sqlite"][0], 95)
        print(f"  ratio p95 PostgreSQL (two serve) / SQLite (one serve): {ratio:.2f}x   (goal: 0 errors)")
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=10_000, help="files the ingest figure archives")
    ap.add_argument("--check-files", type=int, default=100_000)
    ap.add_argument("--web-files", type=int, default=2_000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--only", choices=("ingest", "check", "web"), default=None)
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="yingjian-cluster-bench-"))
    server = PgServer(durable=True)
    try:
        print(f"PostgreSQL {server.bin.parent.name} (fsync and synchronous commit on) on this machine, "
              f"{os.cpu_count()} cores; SQLite {__import__('sqlite3').sqlite_version} (WAL)")
        if args.only in (None, "ingest"):
            ingest_figure(tmp, server, args.files)
        if args.only in (None, "check"):
            check_figure(tmp, server, args.check_files)
        if args.only in (None, "web"):
            web_figure(tmp, server, args.web_files, args.clients, args.rounds)
    finally:
        server.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
