"""Cluster benchmark: OCR of scanned pages by `yingjian worker` processes over Redis, with 1 and
with 2 workers (concurrency 1 each), beside the single-machine path (the in-process OCR pool of
`ingest`/`watch`, one process per core) on the same pages in the same run. The goal on a
2-core machine: 2 workers read at least 1.8× the pages per minute of 1.

Each figure starts from the same archived-not-read state (a fresh workspace, the same PDFs):
for the workers (started and ready first), the clock runs from `yingjian ingest` having sent
the tasks to the last page merged (the extraction tasks included); for the in-process pool,
over its OCR pass (its processes' start included). The workers take the `extract` and `ocr`
queues, the pool's work (not `previews`). A redis-server is started here in a temporary folder and stopped at the end.
The machine may be shared: read the ratios, measured in the same run.

    python bench/cluster_bench.py [--pages 120] [--per-file 6] [--rounds 1]
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.ocr_bench import render_scan  # noqa: E402
from yingjian.workspace import Workspace, init  # noqa: E402


def scanned_pdfs(folder: Path, pages: int, per_file: int) -> list[Path]:
    """`pages` scanned A4 pages (bench/ocr_bench.py's scans), `per_file` to an image-only PDF."""
    from PIL import Image
    rnd = random.Random(21)
    work = folder / "pages"
    work.mkdir(parents=True)
    images = []
    for n in range(pages):
        render_scan(rnd, work / f"{n}.pdf")
        images.append(Image.open(work / f"{n}.png").convert("RGB"))
    out = []
    for i in range(0, pages, per_file):
        group = images[i:i + per_file]
        path = folder / f"扫描件{i // per_file + 1:03d}.pdf"
        group[0].save(path, "PDF", resolution=200, quality=70, save_all=True, append_images=group[1:])
        out.append(path)
    shutil.rmtree(work)
    return out


def _load() -> str:
    try:
        return f"  (load average {os.getloadavg()[0]:.1f})"
    except (AttributeError, OSError):           # Windows
        return ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(folder: Path) -> tuple[subprocess.Popen, str]:
    import redis
    port = free_port()
    proc = subprocess.Popen([shutil.which("redis-server") or "/usr/bin/redis-server", "--port",
                             str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(folder)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(200):
        try:
            redis.Redis.from_url(url).ping()
            return proc, url
        except redis.ConnectionError:
            time.sleep(0.05)
    raise SystemExit("redis-server did not start")


def workspace(root: Path, pdfs: list[Path], cluster: dict | None) -> Workspace:
    init(root, units=["人武部"])
    p = root / "yingjian.toml"
    text = p.read_text(encoding="utf-8")
    if cluster:
        text += "\n[cluster]\n" + "".join(f'{k} = "{v}"\n' for k, v in cluster.items())
    p.write_text(text, encoding="utf-8")
    ws = Workspace.open(root)
    for pdf in pdfs:
        shutil.copy(pdf, ws.config.inbox / "人武部" / pdf.name)
    return ws


def pages_done(ws: Workspace) -> tuple[int, bool]:
    rows = ws.catalog.files()
    waiting = any(r["state"] == "pending" or r["ocr"] == "pending" for r in rows)
    return sum(len(ws.catalog.ocr_pages(r["sha"])) for r in rows), not waiting


def check_read(ws: Workspace, name: str) -> None:
    """Every page read without error and with text: a fast figure of failed pages means nothing."""
    pages = [p for r in ws.catalog.files() for p in ws.catalog.ocr_pages(r["sha"]).values()]
    failed = [p["error"] for p in pages if p["error"] or len(p["text"]) < 100]
    if failed:
        raise SystemExit(f"{name}: {len(failed)} pages failed or empty: {failed[:5]}")


def in_process(tmp: Path, pdfs: list[Path]) -> tuple[int, float]:
    ws = workspace(tmp / "ws-pool", pdfs, None)
    ws.ingestor(stable_seconds=0, incomplete_after=0).ingest_pass()
    start = time.perf_counter()
    with ws.ocr_queue() as q:
        q.run()
    seconds = time.perf_counter() - start
    n = pages_done(ws)[0]
    check_read(ws, "in-process pool")
    ws.close()
    return n, seconds


def with_workers(tmp: Path, pdfs: list[Path], broker: str, workers: int) -> tuple[int, float]:
    root = tmp / f"ws-{workers}w"
    ws = workspace(root, pdfs, {"broker": broker, "objects": (tmp / f"share-{workers}").as_posix()})
    cmd = [sys.executable, "-m", "yingjian", "-w", str(root)]
    # the queues of the work the in-process pool does (a worker also draws previews, on its
    # own queue, which the pool's figure does not include)
    procs = [subprocess.Popen(cmd + ["worker", "--queues", "extract,ocr", "--concurrency", "1"],
                              stdout=open(tmp / f"worker-{workers}-{n}.log", "wb"),
                              stderr=subprocess.STDOUT, start_new_session=True)
             for n in range(workers)]
    try:
        logs = [tmp / f"worker-{workers}-{n}.log" for n in range(workers)]
        deadline = time.monotonic() + 300              # the workers up, their models loaded
        while not all("已就绪" in p.read_text(encoding="utf-8") for p in logs):
            if time.monotonic() > deadline:
                raise SystemExit("the workers did not start: " + logs[0].read_text(encoding="utf-8"))
            time.sleep(0.2)
        subprocess.run(cmd + ["ingest"], check=True, stdout=subprocess.DEVNULL)
        start = time.perf_counter()                    # the tasks are sent
        while True:
            n, finished = pages_done(ws)
            if finished:
                break
            time.sleep(0.2)
        seconds = time.perf_counter() - start
        check_read(ws, f"{workers} workers")
    finally:
        for p in procs:
            os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            p.wait(60)
        ws.close()
    return n, seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=120)
    ap.add_argument("--per-file", type=int, default=6)
    ap.add_argument("--rounds", type=int, default=1, help="repeat, alternating the order")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (logs)")
    ap.add_argument("--part", choices=("all", "ocr", "db"), default="all",
                    help="ocr: the workers' figure; db: the stores on PostgreSQL beside SQLite "
                         "(bench/cluster_db_bench.py, whose options --files, --check-files, "
                         "--clients, --web-files, --only are passed on)")
    args, rest = ap.parse_known_args()
    if args.part in ("all", "ocr"):
        ocr_figure(args)
    if args.part in ("all", "db"):
        print()
        from bench.cluster_db_bench import main as db_main
        db_main(rest)


def ocr_figure(args) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="yingjian-cluster-bench-"))
    redis_proc = None
    try:
        pdfs = scanned_pdfs(tmp / "corpus", args.pages, args.per_file)
        redis_proc, broker = start_redis(tmp)
        print(f"corpus: {args.pages} scanned A4 pages (200 dpi) in {len(pdfs)} PDFs; "
              f"{os.cpu_count()} cores; redis-server {broker}")
        runs = {"in-process pool": lambda: in_process(tmp, pdfs),
                "1 worker": lambda: with_workers(tmp, pdfs, broker, 1),
                "2 workers": lambda: with_workers(tmp, pdfs, broker, 2)}
        totals = {name: [0, 0.0] for name in runs}
        for r in range(args.rounds):       # ABC, CBA, ...: each sees the machine's load alike
            for name in (list(runs) if r % 2 == 0 else list(reversed(runs))):
                n, seconds = runs[name]()
                totals[name][0] += n
                totals[name][1] += seconds
                shutil.rmtree(tmp / "ws-pool", ignore_errors=True)
                for w in (1, 2):
                    shutil.rmtree(tmp / f"ws-{w}w", ignore_errors=True)
                    shutil.rmtree(tmp / f"share-{w}", ignore_errors=True)
                print(f"{name:>16}: {n} pages in {seconds:6.1f} s = {n / seconds * 60:6.1f} pages/min"
                      f"{_load()}")
        figures = {name: n / seconds * 60 for name, (n, seconds) in totals.items()}
        if args.rounds > 1:
            for name, v in figures.items():
                print(f"{name:>16}: {v:6.1f} pages/min over {args.rounds} rounds")
        one = figures["1 worker"]
        print(f"2 workers / 1 worker: {figures['2 workers'] / one:.2f}x (goal >= 1.8x); "
              f"2 workers / in-process pool: {figures['2 workers'] / figures['in-process pool']:.2f}x")
    finally:
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait(10)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
