"""Web search-page benchmark: the server time of the 搜索 page (search, facets, snippets,
template) at N documents, beside the bare index search for the same queries in the same run.

A workspace is made in a temporary folder, its catalog filled directly with N documents of
the domain's vocabulary (as the check benchmark does), indexed through the real sync, and the
page requested through Flask's test client as a logged-in office user; the time is the app's
own Server-Timing header (what the server spends, without the network).

    python bench/web_bench.py [--docs 10000]
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
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
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
        c = app.test_client()
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
        c.post("/login", data={"name": "bench", "password": "bench-password", "csrf_token": token})
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
