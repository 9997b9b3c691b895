"""Learning benchmark: how well suggestions learned from the office's decisions find a
material's files that no rule finds, beside the rules alone; how long retraining takes after one
decision; what learning costs the readiness check.

A generated archive of families: each material's files share a vocabulary of their own (words
its query does not contain; its query word is in only some of them), in running text of the
domain's common words; some files of each family borrow a few words of another material
(near misses); half the archive belongs to no material (noise). Names say nothing (扫描全能王
2022-07-28 10.32.pdf). After 1, 3 and 5 files per material are assigned by the office, the
learned suggestions' precision and recall (over the family's files that no rule finds, the
examples left out), beside the rules' own; then, at --large files, the first build of the
features, retraining after one decision (in the process that keeps the features, as the
watcher and the web app do, and in a new one, as a command does), and the warm readiness check
with learning on beside off, interleaved in the same run.

    python bench/learning_bench.py                 # 2,000 files for quality, 100,000 for time
    python bench/learning_bench.py --large 0       # quality only
"""
import argparse
import gc
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from foundation import now_iso  # noqa: E402
from bench.search_bench import FILLER, NAMES, PHRASES, PLACES  # noqa: E402
from checklist import Check  # noqa: E402
from checklist.learning import CLEARLY_ALIKE, MIN_SPREAD, SIMILAR, Z  # noqa: E402
from yingjian import config as cfg  # noqa: E402
from yingjian.workspace import Workspace, init  # noqa: E402

MATERIALS = 20
FAMILY_WORDS = 30          # a material's own vocabulary; each file uses some of it
FAMILY_SHARE = 0.25        # of a family file's words, the share from its family's vocabulary
NEAR_MISS = 0.25           # share of a family's files that borrow words of another material
BORROWED = 0.10            # of a near miss's words, the share borrowed from that material
QUERY_SHARE = 0.3          # share of a family's files holding its query word
COMMON = PHRASES + FILLER + [p + "镇" for p in PLACES] + NAMES


def _pool() -> list[str]:
    """The Han characters of the domain's common words: family words are made of them, so
    they share characters (never whole words) with the rest of the archive."""
    text = "".join(COMMON) + (ROOT / "checklist/data/default_standard.yaml").read_text(
        encoding="utf-8")
    return sorted({c for c in text if "\u4e00" <= c <= "\u9fff"})


def families(rnd: random.Random) -> list[dict]:
    pool, seen, out = _pool(), set(COMMON), []

    def word():
        while True:
            w = "".join(rnd.choice(pool) for _ in range(rnd.choice((2, 3, 3, 4))))
            if w not in seen:
                seen.add(w)
                return w
    for i in range(MATERIALS):
        out.append({"id": f"{i + 1}.1a", "code": f"{i + 1}", "query": word(),
                    "words": [word() for _ in range(FAMILY_WORDS)]})
    return out


def text(rnd: random.Random, words: int, own: list[str], share: float,
         borrowed: list[str] = (), borrow: float = 0.0) -> str:
    """Running text of `words` words: the domain's common words (a few topics, places and
    people per file, as make_doc), with a `share` of `own` words and a `borrow` of others'."""
    topics = rnd.sample(PHRASES, 5) + rnd.sample(PLACES, 2) + rnd.sample(NAMES, 2)
    out = []
    for _ in range(words):
        r = rnd.random()
        if r < share:
            out.append(rnd.choice(own))
        elif r < share + borrow:
            out.append(rnd.choice(borrowed))
        else:
            out.append(rnd.choice(topics) if rnd.random() < 0.4 else rnd.choice(FILLER))
        if rnd.random() < 0.12:
            out.append(rnd.choice(",。、;"))
    return "".join(out)


def corpus(rnd: random.Random, fams: list[dict], n: int) -> list[tuple[str, str, int | None]]:
    """(name, text, family index or None) for n files: half in families, half noise."""
    out = []
    every = [w for f in fams for w in f["words"]]
    for i in range(n):
        year, month, day = rnd.randint(2020, 2023), rnd.randint(1, 12), rnd.randint(1, 28)
        name = (f"扫描全能王 {year}-{month:02d}-{day:02d} {rnd.randint(8, 18)}.{rnd.randint(10, 59)}.pdf"
                if rnd.random() < 0.6 else f"微信图片_{year}{month:02d}{day:02d}{i:06d}.pdf")
        date = f"\n{year}年{month}月{day}日"
        size = rnd.randint(80, 250)
        if i % 2:                               # noise: now and then a word of some family
            out.append((name, text(rnd, size, every, 0.01) + date, None))
            continue
        k = (i // 2) % len(fams)
        f = fams[k]
        own = rnd.sample(f["words"], 12)
        other = fams[(k + rnd.randint(1, len(fams) - 1)) % len(fams)]["words"]
        near = rnd.random() < NEAR_MISS
        body = text(rnd, size, own, FAMILY_SHARE, rnd.sample(other, 6) if near else [],
                    BORROWED if near else 0.0)
        if rnd.random() < QUERY_SHARE:
            body = f["query"] + body
        out.append((name, body + date, k))
    return out


def standard(fams: list[dict]) -> str:
    lines = ["title: 学习基准标准", "period: {start: 2020-01-01, end: 2023-12-31}", "items:"]
    for f in fams:
        lines += [f'  - code: "{f["code"]}"', f"    title: 项目{f['code']}", "    points: 1",
                  "    units: [双拥办]", "    materials:",
                  f'      - {{id: "{f["id"]}", title: 材料{f["code"]}, kind: document, count: 1, '
                  f'query: {f["query"]}}}']
    return "\n".join(lines) + "\n"


def workspace(tmp: Path, fams, files) -> Workspace:
    std = tmp / "standard.yaml"
    std.write_text(standard(fams), encoding="utf-8")
    init(tmp / "ws", standard=std, units=["双拥办"])
    ws = Workspace.open(tmp / "ws")
    now = now_iso()
    objects, sources = [], []
    for i, (name, text, _) in enumerate(files):
        sha = f"{i:064x}"
        objects.append((sha, 1000, "pdf", "document", "ok", text, len(text), "2022-06-01",
                        "content", now))
        sources.append(("双拥办", f"双拥办/{i // 1000}/{i}/{name}", name, sha, now, now))
    with ws.catalog._transaction() as db:      # filled directly, as check_bench does
        db.executemany("INSERT INTO objects (sha, size, format, kind, state, text, text_chars, "
                       "date, date_source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       objects)
        db.executemany("INSERT INTO sources (unit, path, name, sha, first_seen, last_seen) "
                       "VALUES (?, ?, ?, ?, ?, ?)", sources)
    return ws


def found(ws) -> tuple[dict, dict]:
    """material -> shas the rules suggest; material -> shas learning suggests."""
    ev = ws.mapping.evidence()
    rules, learned = {}, {}
    for mid, shas in ev.materials.items():
        for sha, (how, confirmed) in shas.items():
            if confirmed:
                continue
            w = ev.waits.get((sha, mid))
            (learned if w and w[0][0] == SIMILAR else rules).setdefault(mid, set()).add(sha)
    return rules, learned


def nearest_neighbour(ws, examples: list[str]) -> set[str]:
    """The alternative the learner was chosen over: a file's score is its similarity to its
    nearest example (k-nearest neighbours, k = 1) instead of to the examples' centroid, under
    the same rule (Z robust deviations above the median, or CLEARLY_ALIKE; at least the floor)."""
    import numpy as np
    f = ws.learner.features
    x = f.matrix()
    sims = (x @ x[[f.row[s] for s in examples]].T).toarray().max(axis=1)
    center = float(np.median(sims))
    spread = max(MIN_SPREAD, 1.4826 * float(np.median(np.abs(sims - center))))
    keep = (sims >= ws.learning_settings().min_similarity) & (
        (sims >= center + Z * spread) | (sims >= CLEARLY_ALIKE))
    return {f.shas[i] for i in np.nonzero(keep)[0]}


def pr(pairs: list[tuple[set, set]]) -> tuple[float, float]:
    """Micro precision and recall of (found, truth) pairs."""
    tp = sum(len(f & t) for f, t in pairs)
    nf, nt = sum(len(f) for f, _ in pairs), sum(len(t) for _, t in pairs)
    return (tp / nf if nf else 1.0), (tp / nt if nt else 1.0)


def quality(n: int, seed: int) -> list[tuple]:
    rnd = random.Random(seed)
    fams = families(rnd)
    files = corpus(rnd, fams, n)
    tmp = Path(tempfile.mkdtemp())
    rows = []
    try:
        ws = workspace(tmp, fams, files)
        truth = {f["id"]: {f"{i:064x}" for i, (_, _, k) in enumerate(files) if k == j}
                 for j, f in enumerate(fams)}
        order = {mid: rnd.sample(sorted(shas), len(shas)) for mid, shas in truth.items()}
        done = 0
        for k in (1, 3, 5):
            for mid in truth:
                for sha in order[mid][done:k]:
                    ws.mapping.decide(sha, mid, "assign", "bench")
            done = k
            t = time.perf_counter()
            ws.learn()
            took = time.perf_counter() - t
            rules, learned = found(ws)
            r_pairs, l_pairs, both, knn = [], [], [], []
            for mid, shas in truth.items():
                rest = shas - set(order[mid][:k])
                r, lrn = rules.get(mid, set()), learned.get(mid, set())
                r_pairs.append((r, rest))
                l_pairs.append((lrn, rest - r))
                both.append((r | lrn, rest))
                knn.append((nearest_neighbour(ws, order[mid][:k]) - r - set(order[mid][:k]),
                            rest - r))
            rows.append((k, *pr(r_pairs), *pr(l_pairs), *pr(both), took, *pr(knn)))
        ws.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


def timing(n: int, seed: int) -> None:
    rnd = random.Random(seed)
    fams = families(rnd)
    t = time.perf_counter()
    files = corpus(rnd, fams, n)
    tmp = Path(tempfile.mkdtemp())
    try:
        ws = workspace(tmp, fams, files)
        made = time.perf_counter() - t
        print(f"\nat {n:,} files (generated and catalogued in {made:.0f} s):")
        ids = [f["id"] for f in fams]
        members = {f["id"]: [f"{i:064x}" for i, (_, _, k) in enumerate(files) if k == j]
                   for j, f in enumerate(fams)}
        for mid in ids:
            for sha in members[mid][:3]:
                ws.mapping.decide(sha, mid, "assign", "bench")
        t = time.perf_counter()
        ws.learn()
        first = time.perf_counter() - t
        Check(ws.standard, ws.mapping).run()          # the content rules, tested once
        # retraining after one decision: in the process that keeps the features (watch, serve)
        warm = []
        for i in range(3):
            ws.mapping.decide(members[ids[i]][3], ids[i], "assign", "bench")
            t = time.perf_counter()
            ws.learn()
            warm.append(time.perf_counter() - t)
        # ... and in a new process (a command): the features read from disk first
        cold = []
        for i in range(3, 5):
            ws.mapping.decide(members[ids[i]][3], ids[i], "assign", "bench")
            fresh = Workspace.open(ws.config.root)
            t = time.perf_counter()
            fresh.learn()
            cold.append(time.perf_counter() - t)
            fresh.close()
        ws.learn()
        # the warm readiness check, learning off and on, interleaved
        off, on = [], []
        for _ in range(7):
            for enabled, into in ((False, off), (True, on)):
                cfg.write_learning(ws.config.root, enabled, [])
                ws.learning_settings()
                Check(ws.standard, ws.mapping).run()      # warm: what changed is read once
                gc.collect()
                t = time.perf_counter()
                result = Check(ws.standard, ws.mapping).run()
                into.append(time.perf_counter() - t)
            learned = result["summary"]["review_pending"]
        med = statistics.median
        print(f"{'step':58} {'seconds':>8} {'ratio':>8}")
        print(f"{'check, warm, learning off':58} {med(off):8.3f} {1:8.2f}")
        print(f"{'check, warm, learning on':58} {med(on):8.3f} {med(on) / med(off):8.2f}")
        print(f"{'first learning (features of every file, 60 examples)':58} {first:8.2f} "
              f"{first / med(off):8.1f}")
        print(f"{'retrain after one decision, features in memory (median)':58} {med(warm):8.3f} "
              f"{med(warm) / med(off):8.2f}")
        print(f"{'retrain after one decision, new process (median)':58} {med(cold):8.3f} "
              f"{med(cold) / med(off):8.2f}")
        print(f"(ratios against the warm check with learning off; {learned:,} suggestions "
              f"pending with learning on)")
        ws.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=2000, help="archive size for quality")
    ap.add_argument("--seeds", type=int, default=3, help="archives generated for quality")
    ap.add_argument("--large", type=int, default=100_000, help="archive size for time (0: skip)")
    args = ap.parse_args()
    print(f"quality: {args.files:,} files, {MATERIALS} materials, half the files in their "
          f"families ({NEAR_MISS:.0%} near misses), half noise; mean of {args.seeds} archives")
    per_k: dict[int, list] = {}
    for seed in range(args.seeds):
        for row in quality(args.files, seed):
            per_k.setdefault(row[0], []).append(row[1:])
    print(f"{'confirmed':>9} | {'rules P':>7} {'rules R':>7} | {'learned P':>9} {'learned R':>9} | "
          f"{'both P':>6} {'both R':>6} | {'1-NN P':>6} {'1-NN R':>6} | {'learn s':>7}")
    for k, rows in per_k.items():
        m = [statistics.mean(c) for c in zip(*rows)]
        print(f"{k:>9} | {m[0]:7.2f} {m[1]:7.2f} | {m[2]:9.2f} {m[3]:9.2f} | {m[4]:6.2f} "
              f"{m[5]:6.2f} | {m[7]:6.2f} {m[8]:6.2f} | {m[6]:7.2f}")
    print("(learned R: of the family's files no rule finds; both: rules and learning together, "
          "of all the family's files; 1-NN: the nearest example instead of the centroid, same "
          "rule, before the counter-example and placed-file filters; examples left out)")
    if args.large:
        timing(args.large, 99)


if __name__ == "__main__":
    main()
