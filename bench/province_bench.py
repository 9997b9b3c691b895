"""A province of cities on one PostgreSQL, in one run (each figure beside its baseline measured
in the same run, and the ratio):

- the 全省 page (Flask's test client, a province account; server time from Server-Timing):
  p50 / p95 over the C cities' rows, beside one city's 文件 page in the same run
  (goal: p95 < 1 s at 50 cities x 10,000 files; the rows are the summaries each city wrote
  when it changed, no city's check is run by the page);
- search across the cities (Province.search: each city's own index, the hits ranked together,
  the city facet, snippets of the 20 shown) beside one workspace holding all C x F files in
  one index, searched as its search page does (20 hits with their snippets) (goal: p95 <= 2x);
- one city's check in the province (Workspace.open + check(), what `yingjian check` does)
  beside the same files in a deployment with that city alone, in a database of its own
  (goal: <= 1.2x), interleaved, median of 3.

The catalogs are filled through the catalog's own connection as bench/check_bench.py does
(bench.check_bench.fill), not by ingesting real files; each index follows its catalog's
change sequence. PostgreSQL 15 is started for the run (tests/pg_server.py, durable).

    python bench/province_bench.py [--cities 50] [--files 10000] [--repeat 20]
    python bench/province_bench.py --cities 5 --files 2000          # a quick run
"""
import argparse
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.check_bench import fill  # noqa: E402
from bench.search_bench import QUERIES, pct  # noqa: E402
from tests.conftest import use_database  # noqa: E402
from tests.pg_server import PgServer  # noqa: E402
from yingjian.province import Province, init_province  # noqa: E402
from yingjian.web import create_app  # noqa: E402
from yingjian.workspace import Workspace, init  # noqa: E402

PASSWORD = "bench-password"


def _no_ocr(root: Path) -> None:
    p = root / "yingjian.toml"
    p.write_text(p.read_text(encoding="utf-8").replace("enabled = true", "enabled = false"), encoding="utf-8")


def _filled(root: Path, n: int) -> float:
    """Fill a workspace's catalog with n files, its index following; its summary recorded."""
    ws = Workspace.open(root)
    try:
        t = time.perf_counter()
        fill(ws.catalog, n, ws.standard)
        ws.catalog.log_changed(None, "bench")
        ws.catalog.gather_statistics()
        ws.sync_index()
        ws.record_history()
        return time.perf_counter() - t
    finally:
        ws.close()


def _login(app, name: str):
    c = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    r = c.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302, r.text
    return c


def _server_ms(r) -> float:
    return float(re.search(r"dur=([\d.]+)", r.headers["Server-Timing"]).group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cities", type=int, default=50)
    ap.add_argument("--files", type=int, default=10_000, help="files per city")
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="yingjian-province-bench-"))
    server = PgServer(durable=True)
    try:
        run(tmp, server, args)
    finally:
        server.close()
        shutil.rmtree(tmp, ignore_errors=True)


def run(tmp: Path, server: PgServer, args) -> None:
    c, n = args.cities, args.files
    print(f"province: {c} cities x {n:,} files = {c * n:,} files on one PostgreSQL 15 (this machine)")
    root = tmp / "province"
    init_province(root, "某省", server.database())
    p = Province.open(root)
    t = time.perf_counter()
    fill_s = 0.0
    for i in range(c):
        inbox = tmp / "inboxes" / f"city{i}"
        inbox.mkdir(parents=True)
        p.add_city(f"城市{i:02d}", inbox)
        city = p.city_root(f"城市{i:02d}")
        _no_ocr(city)
        fill_s += _filled(city, n)
    p.add_user("bench", PASSWORD)
    p.close()
    print(f"  made in {time.perf_counter() - t:.0f} s (catalogs filled and indexed in {fill_s:.0f} s)", flush=True)

    # -- the 全省 page, beside one city's 文件 page ------------------------------------------------
    app = create_app(root, secret="bench")
    client = _login(app, "bench")
    first = Province.open(root)
    city0 = first.city_root("城市00")
    first.close()
    ws0 = Workspace.open(city0)
    ws0.users.add("bench", PASSWORD, office=True)
    ws0.close()
    city_app = create_app(city0, secret="bench")
    city_client = _login(city_app, "bench")
    client.get("/")
    city_client.get("/files")
    page, files_page = [], []
    for i in range(args.repeat):
        sort = ("name", "score", "veto_gaps", "last_upload")[i % 4]
        r = client.get(f"/?sort={sort}&desc={i % 2}")
        assert r.status_code == 200 and r.text.count('class="city"') == c
        page.append(_server_ms(r))
        r = city_client.get("/files")
        assert r.status_code == 200
        files_page.append(_server_ms(r))
    print(f"\n全省 page ({c} rows), server time, {args.repeat} loads:")
    print(f"  全省 page           p50 {statistics.median(page):8.1f} ms   p95 {pct(page, 95):8.1f} ms   (goal p95 < 1000 ms)")
    print(f"  one city's 文件 page p50 {statistics.median(files_page):8.1f} ms   p95 {pct(files_page, 95):8.1f} ms")
    print(f"  ratio 全省 / 文件 (p95): {pct(page, 95) / max(pct(files_page, 95), 1e-9):.2f}x", flush=True)

    # the city alone, in a database of its own (the check's baseline)
    alone = tmp / "alone"
    init(alone)
    _no_ocr(alone)
    use_database(alone, server.database())
    _filled(alone, n)

    # -- one city's check in the province, beside the city alone ------------------------------------
    times = {"province": [], "alone": []}
    results = {}
    prov = app.extensions["yingjian.province"]
    for side, where in (("province", city0), ("alone", alone)):          # warm: rules cached
        ws = Workspace.open(where)
        ws.check()
        ws.close()
    for rnd in range(3):
        for side in (("province", "alone") if rnd % 2 == 0 else ("alone", "province")):
            where = city0 if side == "province" else alone
            t = time.perf_counter()
            ws = Workspace.open(where)
            results[side] = ws.check()
            ws.close()
            times[side].append(time.perf_counter() - t)
    pv, al = statistics.median(times["province"]), statistics.median(times["alone"])
    same = results["province"]["score"] == results["alone"]["score"]
    print(f"\none city's check ({n:,} files; Workspace.open + check(), warm, median of 3, interleaved):")
    print(f"  in the province ({c} cities)   {pv:8.2f} s")
    print(f"  the city alone                 {al:8.2f} s")
    print(f"  ratio province / alone: {pv / al:.2f}x   (goal <= 1.2x); the same score on both: "
          f"{'yes' if same else 'NO'}", flush=True)

    # one workspace with every file in one index (the search baseline): made last, the longest
    # part of a run at the goal size, so that the figures above are printed before it
    t = time.perf_counter()
    big = tmp / "big"
    init(big)
    _no_ocr(big)
    use_database(big, server.database())
    _filled(big, c * n)
    print(f"\n  one workspace of {c * n:,} files made in {time.perf_counter() - t:.0f} s", flush=True)

    # -- search across the cities, beside one index of the same size ------------------------------
    bigws = Workspace.open(big)
    queries = [q for q in QUERIES if " " not in q][:10]
    prov.search(queries[0])
    bigws.index.search(queries[0], limit=20, text_of=bigws.text_of)
    across, one = [], []
    for rnd in range(max(1, args.repeat // 10)):
        for q in queries:
            order = (0, 1) if rnd % 2 == 0 else (1, 0)
            for side in order:
                t = time.perf_counter()
                if side == 0:
                    res = prov.search(q, limit=20)
                    across.append((time.perf_counter() - t) * 1000)
                else:
                    big_res = bigws.index.search(q, limit=20, text_of=bigws.text_of)
                    one.append((time.perf_counter() - t) * 1000)
    print(f"\nsearch, {len(queries)} queries x {max(1, args.repeat // 10)} (interleaved), limit 20:")
    print(f"  across {c} cities (their own indexes)   p50 {statistics.median(across):8.1f} ms   p95 {pct(across, 95):8.1f} ms")
    print(f"  one workspace, {c * n:,} files, one index p50 {statistics.median(one):8.1f} ms   p95 {pct(one, 95):8.1f} ms")
    print(f"  ratio across / one (p95): {pct(across, 95) / max(pct(one, 95), 1e-9):.2f}x   (goal <= 2x); "
          f"last query: {res['total']} across, {big_res.total} in one")
    bigws.close()

    prov.close()
    app.extensions["yingjian"].close()
    city_app.extensions["yingjian"].close()


if __name__ == "__main__":
    main()
