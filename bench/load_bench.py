"""Load benchmark: N files dropped at once into several units' folders while `yingjian watch`
runs and a clerk keeps searching. Prints the search latency while the archive is busy beside
the same searches while it is idle (same run, same index), the time until every file is
archived, and whether any file was lost.

    python bench/load_bench.py [--files 200] [--units 4]
"""
import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive import Catalog  # noqa: E402
from bench.search_bench import pct  # noqa: E402
from indexer import SearchIndex  # noqa: E402
from tests import factories as f  # noqa: E402
from yingjian.workspace import Workspace, init  # noqa: E402

UNITS = ["人武部", "教育局", "退役军人事务局", "城关街道", "宣传部", "驻地部队"]
QUERIES = ["双拥", "征兵工作", "烈士陵园", "捧乍镇", "走访慰问 驻地部队", "优抚", "2021", "张国强"]
WORDS = ["双拥工作", "征兵工作", "烈士陵园", "走访慰问", "驻地部队", "优抚对象", "捧乍镇", "乌沙镇", "张国强"]


def drop(inbox: Path, i: int, unit: str, rnd: random.Random) -> Path:
    words = "".join(rnd.sample(WORDS, 4))
    if i % 10 == 0:
        return f.photo_jpeg(inbox / unit / f"IMG_2022080{i % 9 + 1}_{i:04d}.jpg", "双拥共建",
                            exif_date="2022:08:01 10:00:00", size=(800, 600))
    if i % 2:
        return f.text_pdf(inbox / unit / f"文件{i:04d}.pdf", [f"第{i}号 {words}\n2021年{i % 12 + 1}月1日"])
    return f.docx_file(inbox / unit / f"总结{i:04d}.docx", [f"总结 {i} {words}", "2022年3月1日"])


def search_times(index: SearchIndex, seconds: float | None = None, rounds: int | None = None,
                 stop=lambda: False) -> tuple[list[float], int]:
    """Latencies (ms) of the query set, repeated; returns them and the number of failures."""
    times, failures, start, done = [], 0, time.monotonic(), 0
    while True:
        for q in QUERIES:
            t = time.perf_counter()
            try:
                index.search(q, limit=20)
            except Exception:
                failures += 1
            times.append((time.perf_counter() - t) * 1000)
        done += 1
        if rounds is not None and done >= rounds:
            break
        if seconds is not None and time.monotonic() - start > seconds:
            break
        if stop():
            break
    return times, failures


def archived(catalog_path: Path) -> int:
    c = Catalog(catalog_path)
    try:
        return sum(1 for r in c.files() if r["sha"] is not None)
    finally:
        c.close()


def run(root: Path, files: int, units: int, seed_files: int = 100, timeout: float = 600) -> dict:
    rnd = random.Random(5)
    init(root, units=UNITS[:units])
    p = root / "yingjian.toml"
    p.write_text(p.read_text(encoding="utf-8").replace("stable_seconds = 5 ", "stable_seconds = 1 "),
                 encoding="utf-8")
    ws = Workspace.open(root)
    for i in range(seed_files):
        drop(ws.config.inbox, 100000 + i, UNITS[i % units], rnd)
    ws.ingestor(stable_seconds=0, incomplete_after=0).ingest_pass()
    ws.sync_index()
    base = archived(ws.config.catalog)
    ws.close()
    watcher = subprocess.Popen([sys.executable, "-m", "yingjian", "-w", str(root), "watch"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        time.sleep(3)
        catalog = Catalog(root / "archive" / "catalog.sqlite")     # candidates are checked there
        index = SearchIndex(root / "archive" / "index", catalog=catalog)
        idle, idle_fail = search_times(index, rounds=5)
        t0 = time.monotonic()
        for i in range(files):                         # all at once, every unit
            drop(root / "inbox", i, UNITS[i % units], rnd)
        target = base + files
        busy, busy_fail = search_times(
            index, stop=lambda: archived(root / "archive" / "catalog.sqlite") >= target
            or time.monotonic() - t0 > timeout)
        took = time.monotonic() - t0
        got = archived(root / "archive" / "catalog.sqlite") - base
        deadline = time.monotonic() + 60               # the watcher's next index commits
        while len(index.paths()) < target and time.monotonic() < deadline:
            time.sleep(0.5)
        found = len(index.paths())
        index.close()
        catalog.close()
    finally:
        watcher.terminate()
        watcher.wait(timeout=60)
    return {"files": files, "units": units, "archived": got, "lost": files - got,
            "seconds": took, "idle": idle, "busy": busy, "failures": idle_fail + busy_fail,
            "indexed": found - base}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--units", type=int, default=4)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    try:
        r = run(tmp / "ws", args.files, args.units)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"corpus: {r['files']} files dropped at once into {r['units']} units (a tenth photos, "
          f"OCR on) over 100 already archived; yingjian watch running")
    print(f"archived {r['archived']} of {r['files']} in {r['seconds']:.1f} s; lost {r['lost']}; "
          f"search failures {r['failures']}")
    print(f"{'search latency':28} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'× idle p95':>11}")
    for label, v in (("idle", r["idle"]), ("while ingesting", r["busy"])):
        print(f"{label:28} {len(v):6d} {statistics.median(v):8.1f} {pct(v, 95):8.1f} "
              f"{pct(v, 95) / pct(r['idle'], 95):11.1f}")


if __name__ == "__main__":
    main()
