"""Readiness-check benchmark: the full check of the bundled standard over N catalogued files,
beside the time to just read those files' rows from the catalog, in the same run.

The catalog is filled directly (the ingest has its own benchmark): files of every kind in
every unit, a tenth filed under a code of the standard, texts in the domain's vocabulary,
evidence dates across and outside the period, a few broken files, some decisions.
The first check after a new standard tests every file's text against the materials' queries
("cold"); the results are cached per standard, so every later check only reads ("warm").

    python bench/check_bench.py [--files 10000]
    python bench/check_bench.py --files 100000
"""
import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive import Catalog  # noqa: E402
from foundation import now_iso  # noqa: E402
from bench.search_bench import make_doc  # noqa: E402
from checklist import DEFAULT_STANDARD, Check, Mapping, load  # noqa: E402
from checklist.decisions import DecisionStore  # noqa: E402

KINDS = [("document", "pdf", ".pdf"), ("document", "docx", ".docx"), ("photo", "jpeg", ".jpg"),
         ("ledger", "xlsx", ".xlsx")]


def fill(catalog: Catalog, n: int, std) -> None:
    rnd = random.Random(7)
    units = std.units()
    codes = sorted(std.codes())
    extra = ["议军会议纪要", "政府工作报告", "联席会议纪要", "征兵任务完成", "抚恤金发放", "走访慰问方案",
             "伤病残军人接收", "双拥经费 拨付", "国防教育", "共建协议"]
    now = now_iso()
    objects, sources = [], []
    for i in range(n):
        kind, fmt, ext = rnd.choice(KINDS)
        sha = f"{i:064x}"
        text = make_doc(rnd, 600, []) + rnd.choice(extra)
        year = rnd.choice([2019, 2020, 2021, 2022, 2023, 2024])
        date = f"{year}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
        state = "problem" if rnd.random() < 0.01 else "ok"
        objects.append((sha, 1000, fmt, kind, state, text, len(text), date, "content", now))
        unit = rnd.choice(units)
        folder = f"{rnd.choice(codes)} 资料/" if rnd.random() < 0.1 else f"{year}年资料/"
        sources.append((unit, f"{unit}/{folder}{i}{ext}", f"{i}{ext}", sha, now, now))
    with catalog._transaction() as db:      # filled directly, as the ingest never could this fast
        db.executemany("INSERT INTO objects (sha, size, format, kind, state, text, text_chars, date, "
                       "date_source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", objects)
        db.executemany("INSERT INTO sources (unit, path, name, sha, first_seen, last_seen) "
                       "VALUES (?, ?, ?, ?, ?, ?)", sources)


def timed(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=10_000)
    args = ap.parse_args()
    std = load(DEFAULT_STANDARD)
    tmp = Path(tempfile.mkdtemp())
    try:
        catalog = Catalog(tmp / "catalog.sqlite")
        fill(catalog, args.files, std)
        decisions = DecisionStore(tmp / "catalog.sqlite")
        mapping = Mapping(std, catalog, decisions)
        for i, mid in enumerate(list(std.materials())[:20]):
            mapping.decide(f"{i * 7:064x}", mid, "confirm", "bench")
        read, rows = timed(lambda: catalog.present_files())
        t = time.perf_counter()
        Check(std, Mapping(std, catalog, decisions)).run()
        cold = time.perf_counter() - t
        warm, result = timed(lambda: Check(std, Mapping(std, catalog, decisions)).run())
        size = len(json.dumps(result, ensure_ascii=False)) / 1e6
        s = result["summary"]
        print(f"corpus: {args.files} catalogued files, {len(rows)} present; bundled standard "
              f"({len(std.materials())} materials, {len(std.years)} years)")
        print(f"{'step':40} {'seconds':>8} {'× read':>8}")
        print(f"{'read the catalog (present files)':40} {read:8.3f} {1:8.1f}")
        print(f"{'check, warm (content rules cached)':40} {warm:8.3f} {warm / read:8.1f}")
        print(f"{'check, cold (every text tested)':40} {cold:8.3f} {cold / read:8.1f}")
        print(f"result: score {result['score']} / {result['max_score']}, complete {s['complete']}, "
              f"unconfirmed {s['unconfirmed']}, partial {s['partial']}, missing {s['missing']}; "
              f"JSON {size:.1f} MB")
        decisions.close()
        catalog.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
