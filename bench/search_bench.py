"""Search benchmark on a generated corpus of Chinese documents in this domain's narrow
vocabulary (双拥 in most files): index build time and size, query latency p50 / p95 over a mixed
query set, and recall against exact substring truth — beside SQLite FTS5 (trigram tokenizer,
LIKE for 1–2 character queries) and a Whoosh index with its default analyzer, in the same run.
Each engine runs in its own process (peak memory is the growth over the corpus held in memory).
Ours is built from a real workspace's catalog (filled first, not timed), as `ingest` does; then
`yingjian reindex` runs on that workspace as a separate process and its own peak memory
(getrusage of children) is reported.

    python bench/search_bench.py [--docs 10000] [--chars 1500]
    python bench/search_bench.py --docs 100000
"""
import argparse
import random
import shutil
import sqlite3
import sys
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive import Catalog  # noqa: E402
from indexer.analysis import normalize  # noqa: E402
from indexer.search import SearchIndex  # noqa: E402
from yingjian.workspace import init  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore", SyntaxWarning)
    from whoosh import fields, index as windex
    from whoosh.qparser import QueryParser

PHRASES = ["双拥工作", "拥军优属", "走访慰问", "驻地部队", "优抚对象", "退役军人", "军民共建",
           "国防教育", "征兵工作", "领导小组", "烈士陵园", "随军家属", "就业安置", "抚恤金发放",
           "军人子女入学", "联席会议", "议军会议", "双拥模范城", "宣传报道", "经费保障"]
FILLER = "的 了 和 在 是 我市 全市 各级 认真 进一步 扎实 开展 落实 加强 推进 组织 工作 情况".split()
PLACES = ["捧乍", "乌沙", "城关", "马场", "平川", "新街", "钟山", "龙场", "黄泥", "双河"]
UNITS = ["双拥办", "人武部", "退役军人事务局", "教育局", "城关街道", "驻地部队", "宣传部"]
NAMES = ["张国强", "刘秀英", "陈卫东", "王建国", "李明", "赵春华", "杨立新", "周海燕"]


def make_doc(rnd: random.Random, chars: int, rare: list[str]) -> str:
    out, n = [], 0
    # each document talks about a few topics, places and people, as real files do
    topics, places, names = rnd.sample(PHRASES, 5), rnd.sample(PLACES, 2), rnd.sample(NAMES, 2)
    while n < chars:
        r = rnd.random()
        piece = (rnd.choice(topics) if r < 0.3 else rnd.choice(FILLER) if r < 0.85
                 else rnd.choice(places) + "镇" if r < 0.93 else rnd.choice(names))
        out.append(piece)
        n += len(piece)
    if rare and rnd.random() < 0.02:
        out.insert(rnd.randrange(len(out)), rnd.choice(rare))
    if rnd.random() < 0.8:
        out.insert(0, "双拥")
    return "".join(out)


QUERIES = (["双拥", "走访慰问", "驻地部队", "国防教育", "优属", "军优", "捧乍", "乌沙镇",
            "张国强", "赵春华", "烈士陵园", "抚恤金", "双拥 走访慰问", "退役军人 就业安置",
            "征兵工作 领导小组", "随军家属 捧乍", "经费", "议军"]
           + ["罕见词甲乙", "丙丁罕见"])


def pct(values, p):
    """The p-th percentile of `values` (nearest rank), in their own unit."""
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def truth(docs, q):
    words = [normalize(w) for w in q.split()]
    return {i for i, d in enumerate(docs) if all(w in d for w in words)}


def fill_catalog(root: Path, docs: list[str]) -> Path:
    """A workspace whose catalog holds the corpus as extracted documents (what ingest leaves)."""
    import hashlib
    config = init(root, units=UNITS)
    cat = Catalog(config.catalog)
    for i, d in enumerate(docs):
        sha = hashlib.sha256(d.encode("utf-8") + str(i).encode()).hexdigest()
        unit = UNITS[i % len(UNITS)]
        cat.record(unit=unit, path=f"{unit}/{i}.txt", name=f"{i}.txt", sha=sha, size=len(d),
                   fmt="txt", kind="document", mtime_ns=None)
        cat.save_extraction(sha, state="ok", reason=None, pages=1, text=d, info={},
                            date=f"{2019 + i % 5}-06-01", date_source="content")
    cat.close()
    return config.catalog


def bench_ours(folder, catalog_path, repeat):
    """Through the real search front: ranked page of 20, exact total and facet counts."""
    cat = Catalog(Path(catalog_path))
    t0 = time.perf_counter()
    si = SearchIndex(folder, catalog=cat)
    si.sync(cat)
    build = time.perf_counter() - t0
    si.search("双拥")            # reads the table of documents, once
    lat, found, estimated = [], {}, 0
    for k in range(repeat):
        for q in QUERIES:
            t = time.perf_counter()
            r = si.search(q, limit=20)
            lat.append(time.perf_counter() - t)
            if k == 0:
                every = si.search(q, limit=10**7)
                found[q] = {int(h.name.split(".")[0]) for h in every.hits}
                if r.estimated:
                    estimated += 1
                else:
                    assert r.total == len(found[q]) == every.total, q
    si.close()
    cat.close()
    return build, lat, found, estimated


def bench_fts5(path, docs, repeat):
    t0 = time.perf_counter()
    db = sqlite3.connect(path)
    db.execute("CREATE VIRTUAL TABLE t USING fts5(body, tokenize='trigram')")
    db.executemany("INSERT INTO t(rowid, body) VALUES (?, ?)", enumerate(docs))
    # FTS5's trigram index answers no LIKE pattern under three characters: scan a plain table
    db.execute("CREATE TABLE plain (id INTEGER PRIMARY KEY, body TEXT)")
    db.executemany("INSERT INTO plain VALUES (?, ?)", enumerate(docs))
    db.commit()
    build = time.perf_counter() - t0
    lat, found = [], {}

    def run(q):
        words = [normalize(w) for w in q.split()]
        if all(len(w) >= 3 for w in words):
            m = " AND ".join('"' + w + '"' for w in words)
            rows = db.execute("SELECT rowid FROM t WHERE t MATCH ? ORDER BY rank", (m,)).fetchall()
        else:
            cond = " AND ".join("body LIKE ?" for _ in words)
            rows = db.execute(f"SELECT id FROM plain WHERE {cond}", [f"%{w}%" for w in words]).fetchall()
        return {r[0] for r in rows}

    for k in range(repeat):
        for q in QUERIES:
            t = time.perf_counter()
            ids = run(q)
            lat.append(time.perf_counter() - t)
            if k == 0:
                found[q] = ids
    return build, lat, found, 0


def bench_default(folder, docs, repeat):
    t0 = time.perf_counter()
    ix = windex.create_in(str(folder), fields.Schema(id=fields.ID(stored=True), body=fields.TEXT))
    w = ix.writer(limitmb=256)
    for i, d in enumerate(docs):
        w.add_document(id=str(i), body=d)
    w.commit()
    build = time.perf_counter() - t0
    lat, found = [], {}
    with ix.searcher() as s:
        qp = QueryParser("body", ix.schema)
        for k in range(repeat):
            for q in QUERIES:
                t = time.perf_counter()
                r = s.search(qp.parse(q), limit=None)
                ids = {int(h["id"]) for h in r}
                lat.append(time.perf_counter() - t)
                if k == 0:
                    found[q] = ids
    return build, lat, found, 0


def size_mb(p: Path) -> float:
    if p.is_file():
        return p.stat().st_size / 1e6
    return sum(x.stat().st_size for x in p.rglob("*") if x.is_file()) / 1e6


def corpus(n: int, chars: int) -> list[str]:
    rnd = random.Random(42)
    rare = ["罕见词甲乙", "丙丁罕见"]
    return [normalize(make_doc(rnd, chars, rare)) for _ in range(n)]


def _rss_mb(field: str = "VmRSS") -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None


def run_engine(name: str, where: str, n: int, chars: int, repeat: int, catalog: str):
    """In a fresh process, so that its peak memory is its own (Linux: VmHWM)."""
    docs = corpus(n, chars) if name != "ours" else None
    before = _rss_mb()
    if name == "ours":
        build, lat, found, est = bench_ours(Path(where), catalog, repeat)
    else:
        fn = {"fts5": bench_fts5, "default": bench_default}[name]
        build, lat, found, est = fn(Path(where) if name != "fts5" else where, docs, repeat)
    peak = _rss_mb("VmHWM")
    return build, lat, found, (peak - before) if peak and before else None, est


def reindex_process(ws: Path) -> tuple[float, float | None]:
    """`yingjian reindex` on the workspace as its own process: (seconds, peak MB). A small
    wrapper process runs it, so that the peak is the reindex's alone and not that of the
    engines' worker processes (getrusage of children keeps the largest child)."""
    import json
    import subprocess
    wrapper = ("import json, subprocess, sys\n"
               "try:\n    import resource\nexcept ImportError:\n    resource = None\n"
               "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
               "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 "
               "if resource else None\n"
               "print(json.dumps(peak))\n")
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", wrapper, sys.executable, "-m", "yingjian", "-w",
                          str(ws), "reindex"], check=True, capture_output=True, text=True,
                         cwd=ROOT).stdout
    return time.perf_counter() - t, json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--chars", type=int, default=1500)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-default", action="store_true", help="skip the Whoosh default analyzer")
    args = ap.parse_args()
    docs = corpus(args.docs, args.chars)
    truths = {q: truth(docs, q) for q in QUERIES}
    print(f"corpus: {args.docs} documents × ~{args.chars} characters, {len(QUERIES)} queries × {args.repeat}")
    tmp = Path(tempfile.mkdtemp())
    try:
        catalog = fill_catalog(tmp / "ws", docs)
        del docs
        rows, estimated = [], 0
        engines = [("yingjian (Whoosh bigram counts)", "ours", tmp / "ours"),
                   ("SQLite FTS5 trigram + LIKE", "fts5", tmp / "fts.db")]
        if not args.no_default:
            engines.append(("Whoosh default analyzer", "default", tmp / "default"))
        for label, name, where in engines:
            if name != "fts5":
                where.mkdir()
            with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
                build, lat, found, peak, est = pool.submit(
                    run_engine, name, str(where), args.docs, args.chars, args.repeat,
                    str(catalog)).result()
            estimated += est
            hit = sum(len(found[q] & truths[q]) for q in QUERIES)
            want = sum(len(truths[q]) for q in QUERIES)
            extra = sum(len(found[q] - truths[q]) for q in QUERIES)
            rows.append((label, build, size_mb(where), peak, pct(lat, 50) * 1000, pct(lat, 95) * 1000,
                         hit / max(want, 1), extra))
            print(f"  {label}: done", file=sys.stderr)
        re_s, re_peak = reindex_process(tmp / "ws")
        base = rows[1]
        print(f"{'engine':34} {'build s':>8} {'size MB':>8} {'peak MB':>8} {'p50 ms':>8} {'p95 ms':>8} "
              f"{'recall':>7} {'extra':>6} {'build×':>7} {'size×':>6} {'p95×':>6}")
        for label, build, size, peak, p50, p95, rec, extra in rows:
            peak_s = f"{peak:8.0f}" if peak is not None else f"{'n/a':>8}"
            print(f"{label:34} {build:8.1f} {size:8.1f} {peak_s} {p50:8.1f} {p95:8.1f} "
                  f"{rec:7.1%} {extra:6d} {build / base[1]:7.1f} {size / base[2]:6.2f} "
                  f"{p95 / base[5]:6.2f}")
        print(f"ratios are against FTS5 in this run; queries answered with an estimated total: "
              f"{estimated} of {len(QUERIES)}")
        peak_s = f"{re_peak:.0f} MB" if re_peak is not None else "n/a"
        print(f"yingjian reindex as its own process: {re_s:.1f} s, peak memory {peak_s} "
              f"(limit 500 MB)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
