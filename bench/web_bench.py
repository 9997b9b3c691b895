"""Web benchmark: the server time of the 搜索 page (search, facets, snippets, template) at N
documents beside the bare index search for the same queries, and of the 文件 page (filters,
sort, one page of 50, template) at M files beside the bare catalog query for the same
filters, in the same run.

A workspace is made in a temporary folder, its catalog filled directly with N documents of
the domain's vocabulary (as the check benchmark does), indexed through the real sync, and the
page requested through Flask's test client as a logged-in office user; the time is the app's
own Server-Timing header (what the server spends, without the network).

    python bench/web_bench.py [--docs 10000] [--files 100000]
"""
import argparse
import re
import shutil
import statistics
import sys
import tempfile
import time
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
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
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
        wsa.serving()                          # the mapping, once (cached until the catalog changes)
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
            ({"material": material}, {"tags": wsa.serving(), "tag": material}),
            ({"mapped": "no"}, {"tags": wsa.serving(), "tagged": False}),
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
                wsa.catalog.file_list(limit=50, **kw)
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


if __name__ == "__main__":
    main()
