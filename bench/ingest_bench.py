"""Ingest benchmark: what archiving costs beside what the disk costs, in one run.

1. First pass over N small dated text files in four units' folders (`stable_seconds = 0`),
   beside a plain loop over the same files that reads, hashes, copies and fsyncs them in
   batches of 200 (all of a batch at once, from threads, as the object store does) and extracts their text with the same readers (the floor; run before and
   after yingjian, the mean is the floor). Goal: at most 3x.
2. The unchanged pass over the same files, beside a plain `os.scandir` walk with one `stat` per
   file (interleaved, three times each, medians). Goal: at most 2x. The pass's `stat`/`lstat`
   calls are counted with strace in a child process (goal: at most 1 per file + 1 per folder).
3. `yingjian watch --poll 60` left idle over W files (the archive grown to W): CPU seconds per
   minute, and the stat calls and the seconds of one polling interval (its own log line).

With `--repeat R` the first pass is measured R times, each in a fresh workspace over the same
inbox, each between two floors of its own (all kept until the end: deleting files makes the
disk busy for what follows); each ratio is printed and the median is the figure.

    python bench/ingest_bench.py [--files 20000] [--watch-files 100000] [--watch-minutes 2] [--repeat 1]
    python bench/ingest_bench.py --files 2000 --watch-files 0      a quick run, no watch
"""
import argparse
import hashlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive.extract import extract  # noqa: E402
from archive.limits import Limits  # noqa: E402
from yingjian.workspace import Workspace, init  # noqa: E402

UNITS = ["双拥办", "人武部", "教育局", "退役军人事务局"]
BATCH = 200
STAT_CALLS = ("stat", "lstat", "newfstatat", "fstatat64", "statx", "stat64", "lstat64")
TRACE = "trace=" + ",".join(("stat", "lstat", "newfstatat", "statx"))
# a stat of a path (not glibc's fstat of an open file, which is newfstatat(fd, "", AT_EMPTY_PATH))
PATH_STAT = re.compile(r"\b(" + "|".join(STAT_CALLS) + r")\((?:AT_FDCWD|\d+), \"[^\"]")


def _path_stats(lines) -> int:
    return sum(1 for line in lines if PATH_STAT.search(line))


def make_corpus(inbox: Path, n: int, start: int = 0) -> tuple[int, int]:
    """n small dated text files, unit/year/month/; returns (bytes, folders)."""
    total, folders = 0, set()
    for i in range(start, start + n):
        year, month, day = 2020 + i % 4, (i // 4) % 12 + 1, i % 28 + 1
        folder = inbox / UNITS[i % len(UNITS)] / f"{year}年" / f"{month:02d}月"
        if folder not in folders:
            folder.mkdir(parents=True, exist_ok=True)
            folders.add(folder)
        text = (f"第{i}号双拥工作记录\n走访慰问现役军人家属和退役军人,落实优抚政策。\n"
                f"{year}年{month}月{day}日\n")
        data = text.encode("utf-8")
        (folder / f"记录{i:06d}.txt").write_bytes(data)
        total += len(data)
    years = {f.parent for f in folders}
    return total, len(folders) + len(years) + len({y.parent for y in years}) + 1


def plain_files(inbox: Path) -> list[str]:
    out, stack = [], [str(inbox)]
    while stack:
        with os.scandir(stack.pop()) as it:
            for e in it:
                (stack if e.is_dir(follow_symlinks=False) else out).append(e.path)
    return out


CPU = {"last": 0.0}       # CPU seconds (this process, all threads) of the last timed part


def floor_first_pass(inbox: Path, dest: Path) -> float:
    """Read, hash, copy, fsync in batches, extract the text with the same reader."""
    cpu = time.process_time()
    start = time.perf_counter()
    dest.mkdir()
    batch = []
    for p in plain_files(inbox):
        with open(p, "rb") as f:
            data = f.read()
        sha = hashlib.sha256(data).hexdigest()
        out = dest / sha
        with open(out, "wb") as w:
            w.write(data)
        batch.append(out)
        extract(out, "txt", Limits())
        if len(batch) >= BATCH:
            _fsync_all(batch)
    _fsync_all(batch)
    CPU["last"] = time.process_time() - cpu
    return time.perf_counter() - start


def _fsync_all(paths: list) -> None:
    """As the object store flushes a batch: all at once, from threads, so that the file system
    writes them out together."""
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(_fsync, paths))
    paths.clear()


def _fsync(p) -> None:
    fd = os.open(p, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)


def settle() -> None:
    """Each timed part starts with nothing of the one before still being written out."""
    if hasattr(os, "sync"):
        os.sync()


def floor_walk(inbox: Path) -> float:
    """A plain os.scandir walk, one stat per file."""
    start = time.perf_counter()
    stack, n = [str(inbox)], 0
    while stack:
        with os.scandir(stack.pop()) as it:
            for e in it:
                if e.is_dir(follow_symlinks=False):
                    stack.append(e.path)
                else:
                    e.stat(follow_symlinks=False)
                    n += 1
    return time.perf_counter() - start


def workspace(root: Path, inbox: Path) -> None:
    """A workspace over `inbox`, with OCR off (plain text: nothing to OCR)."""
    init(root, units=UNITS, inbox=str(inbox))
    toml = root / "yingjian.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("enabled = true", "enabled = false"),
                    encoding="utf-8")


def yingjian_pass(root: Path, durable: bool = True) -> tuple[float, dict]:
    ws = Workspace.open(root)
    ws.store.durable = durable
    try:
        ing = ws.ingestor(stable_seconds=0, incomplete_after=0)   # the stores opened: not timed
        cpu = time.process_time()
        start = time.perf_counter()
        s = ing.ingest_pass()
        wall = time.perf_counter() - start
        CPU["last"] = time.process_time() - cpu
        return wall, s.to_json()
    finally:
        ws.close()


PASS_IN_CHILD = """
import os, sys
sys.path.insert(0, {root!r})
from yingjian.workspace import Workspace
ws = Workspace.open({ws!r})
ing = ws.ingestor(stable_seconds=0, incomplete_after=0)
os.path.exists("/yingjian-bench-pass-begins")
s = ing.ingest_pass()
os.path.exists("/yingjian-bench-pass-ends")
assert s.unchanged == s.scanned, s.to_json()
"""


def count_stats_of_pass(root: Path, tmp: Path) -> int | None:
    """stat-family system calls between the markers of an unchanged pass, in a child under
    strace; None without strace."""
    if not shutil.which("strace"):
        return None
    trace = tmp / "pass.strace"
    code = PASS_IN_CHILD.format(root=str(ROOT), ws=str(root))
    subprocess.run(["strace", "-f", "-qq", "-s", "256", "-e", TRACE, "-o", str(trace),
                    sys.executable, "-c", code], check=True)
    return _stats_between_markers(trace.read_text(errors="replace"))


def _stats_between_markers(text: str) -> int:
    lines = text.splitlines()
    begin = next(i for i, line in enumerate(lines) if "yingjian-bench-pass-begins" in line)
    end = next(i for i, line in enumerate(lines) if "yingjian-bench-pass-ends" in line)
    return _path_stats(lines[begin + 1:end])


def watch_idle(root: Path, minutes: float, tmp: Path) -> dict:
    """`yingjian watch --poll 60` over the archive, after its startup scan: CPU per minute,
    then one interval under strace for its stat calls, and the walks its log reported."""
    import psutil
    log = root / "archive" / "watch.log"
    log.unlink(missing_ok=True)
    proc = subprocess.Popen([sys.executable, "-m", "yingjian", "-w", str(root), "watch",
                             "--poll", "60"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_walks(log, 1, timeout=900)
        time.sleep(5)                                 # the startup scan's index sync
        p = psutil.Process(proc.pid)
        c0, t0 = sum(p.cpu_times()[:2]), time.monotonic()
        time.sleep(minutes * 60)
        cpu = sum(p.cpu_times()[:2]) - c0
        elapsed = time.monotonic() - t0
        stats = None
        if shutil.which("strace"):
            before = len(_walks(log))
            trace = tmp / "watch.strace"
            st = subprocess.Popen(["strace", "-f", "-qq", "-s", "256", "-p", str(proc.pid), "-e",
                                   TRACE + ",write", "-o", str(trace)])
            _wait_for_walks(log, before + 2, timeout=400)    # one whole interval traced
            st.terminate()
            st.wait()
            stats = _stats_between_walks(trace.read_text(errors="replace"))
        return {"cpu_per_minute": cpu / elapsed * 60, "minutes": elapsed / 60,
                "walks": _walks(log), "stats_per_interval": stats}
    finally:
        proc.terminate()
        proc.wait(timeout=60)


WALK_LINE = re.compile(r"reconcile scan: (\d+) files seen in ([\d.]+) s \(([\d.]+) s CPU\)")


def _walks(log: Path) -> list[tuple[int, float, float]]:
    if not log.exists():
        return []
    return [(int(m[1]), float(m[2]), float(m[3]))
            for m in WALK_LINE.finditer(log.read_text(encoding="utf-8", errors="replace"))]


def _wait_for_walks(log: Path, n: int, timeout: float) -> None:
    end = time.monotonic() + timeout
    while len(_walks(log)) < n:
        if time.monotonic() > end:
            raise TimeoutError(f"watch logged {len(_walks(log))} walks, not {n}")
        time.sleep(1)


def _stats_between_walks(text: str) -> int:
    """stat calls from the end of one walk (its log line written) to the end of the next: one
    whole interval. The log line is a write to watch.log."""
    lines = text.splitlines()
    ends = [i for i, line in enumerate(lines) if "write(" in line and "reconcile scan:" in line]
    if len(ends) < 2:
        raise RuntimeError("strace did not see two walks of the watcher")
    return _path_stats(lines[ends[0] + 1:ends[1]])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=20000, help="files of the first and unchanged pass")
    ap.add_argument("--watch-files", type=int, default=100000,
                    help="files the idle watch looks over (0: skip the watch)")
    ap.add_argument("--watch-minutes", type=float, default=2.0)
    ap.add_argument("--repeat", type=int, default=1,
                    help="first passes, each in a fresh workspace between two floors (median ratio)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        inbox = tmp / "inbox"                         # outside the workspaces: one for each repeat
        t0 = time.perf_counter()
        size, folders = make_corpus(inbox, args.files)
        print(f"corpus: {args.files} text files in {folders} folders, {size / 1e6:.1f} MB "
              f"(made in {time.perf_counter() - t0:.1f} s); a shared 2-core machine: ratios, "
              "not seconds, are the figures")

        print(f"\n{'first pass':48} {'seconds':>8} {'files/s':>8} {'x floor':>8}")
        ratios, cpu_ratios = [], []
        for r in range(max(1, args.repeat)):
            root = tmp / f"ws{r}"
            workspace(root, inbox)
            settle()
            floor_a = floor_first_pass(inbox, tmp / f"floor-{r}a")
            cpu_a = CPU["last"]
            settle()
            first, s = yingjian_pass(root)
            cpu_first = CPU["last"]
            settle()
            floor_b = floor_first_pass(inbox, tmp / f"floor-{r}b")
            cpu_floor = (cpu_a + CPU["last"]) / 2
            assert s["ingested"] + s["duplicates"] == args.files, s
            floor = (floor_a + floor_b) / 2
            ratios.append(first / floor)
            cpu_ratios.append(cpu_first / cpu_floor)
            run = f"run {r + 1}: " if args.repeat > 1 else ""
            print(f"{run + 'floor: read, hash, copy, fsync/200, text':48} {floor:8.2f} "
                  f"{args.files / floor:8.0f} {1:8.2f}   ({floor_a:.2f} before, {floor_b:.2f} after; "
                  f"{cpu_floor:.2f} s CPU)")
            print(f"{run + 'yingjian ingest (first pass)':48} {first:8.2f} {args.files / first:8.0f} "
                  f"{first / floor:8.2f}   goal <= 3   ({cpu_first:.2f} s CPU, "
                  f"{cpu_first / cpu_floor:.2f}x the floor's)")
        if len(ratios) > 1:
            print(f"{'first pass, median of the ratios':48} {'':8} {'':8} "
                  f"{statistics.median(ratios):8.2f}   goal <= 3   "
                  f"({', '.join(f'{x:.2f}' for x in ratios)}; CPU "
                  f"{statistics.median(cpu_ratios):.2f}x)")

        walks, passes = [], []
        for _ in range(3):
            walks.append(floor_walk(inbox))
            t, s = yingjian_pass(root)
            assert s["unchanged"] == args.files, s
            passes.append(t)
        walk, again = statistics.median(walks), statistics.median(passes)
        print(f"\n{'unchanged pass (median of 3, interleaved)':48} {'seconds':>8} {'files/s':>8} "
              f"{'x floor':>8}")
        print(f"{'floor: os.scandir walk, one stat per file':48} {walk:8.2f} "
              f"{args.files / walk:8.0f} {1:8.2f}")
        print(f"{'yingjian ingest (nothing changed)':48} {again:8.2f} {args.files / again:8.0f} "
              f"{again / walk:8.2f}   goal <= 2")
        n = count_stats_of_pass(root, tmp)
        if n is None:
            print("stat calls of the pass: strace not found, not counted")
        else:
            print(f"stat/lstat calls of the pass: {n} for {args.files} files in {folders} folders "
                  f"({n / args.files:.3f} a file; goal <= {args.files + folders})")

        if args.watch_files > args.files:
            more = args.watch_files - args.files
            t0 = time.perf_counter()
            make_corpus(inbox, more, start=args.files)
            t1 = time.perf_counter()
            grown, s = yingjian_pass(root, durable=False)     # setup only: no fsync
            t2 = time.perf_counter()
            ws = Workspace.open(root)
            ws.sync_index()
            ws.close()
            print(f"\narchive grown to {args.watch_files} files: {more} made in {t1 - t0:.0f} s, "
                  f"ingested without fsync in {grown:.0f} s, "
                  f"index built in {time.perf_counter() - t2:.0f} s")
            w = watch_idle(root, args.watch_minutes, tmp)
            print(f"watch --poll 60, idle over {args.watch_files} files, {w['minutes']:.1f} min: "
                  f"{w['cpu_per_minute']:.2f} CPU seconds a minute")
            for files, secs, cpu in w["walks"]:
                print(f"  its log: reconcile scan: {files} files seen in {secs:.2f} s ({cpu:.2f} s CPU)")
            if w["stats_per_interval"] is not None:
                print(f"  stat calls in one interval (strace): {w['stats_per_interval']} "
                      f"for {args.watch_files} files")


if __name__ == "__main__":
    main()
