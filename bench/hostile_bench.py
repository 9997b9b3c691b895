"""Hostile-input benchmark (issue 27): what the guarded readers cost, and what the poison corpus
costs the archive.

1. Ordinary small files (PDF, docx, xlsx, xls, txt) read in this process by `extract()` and
   through the guarded worker (`archive.guard.read_object`), interleaved in the same run: the
   extra time per file and the ratio.
2. One `yingjian ingest` (OCR included, one OCR worker) in its own process over the poison
   corpus of tests/hostile.py (the panicking and the aborting .xls, a 60-page scanned OFD and a
   60-frame TIFF past a page cap of 20, a 7z ratio bomb, 42.zip with its 4,368 members, a 7z
   with '..' names) beside three good files of another unit, against the same three good files
   alone in the same run: wall time and the peak memory of the whole process tree (the command,
   its reader and its OCR workers, sampled every 20 ms). Goal: under 2 minutes and 1 GB.

    python bench/hostile_bench.py [--files 300]
"""
import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402  (py7zr's own dependency)

from tests import factories as f, hostile  # noqa: E402


def small_files(folder: Path, n: int) -> list[tuple[Path, str]]:
    out = []
    for i in range(n):
        k = i % 5
        if k == 0:
            out.append((f.text_pdf(folder / f"{i}.pdf", [f"第{i}号通知\n2021年3月1日"]), "pdf"))
        elif k == 1:
            out.append((f.docx_file(folder / f"{i}.docx", [f"第{i}号总结", "2022年12月30日"]), "docx"))
        elif k == 2:
            out.append((f.xlsx_file(folder / f"{i}.xlsx", [["序号", "姓名"], [i, f"人员{i}"]]), "xlsx"))
        elif k == 3:
            p = folder / f"{i}.xls"
            shutil.copyfile(hostile.FORMATS / "ledger_excel97.xls", p)
            out.append((p, "xls"))
        else:
            p = folder / f"{i}.txt"
            p.write_text(f"第{i}号说明,2023年1月1日" * 20, encoding="utf-8")
            out.append((p, "txt"))
    return out


def per_file_overhead(n: int) -> None:
    from archive.extract import extract
    from archive.guard import read_object, shared
    from archive.limits import Limits
    lim = Limits()
    with tempfile.TemporaryDirectory() as tmp:
        files = small_files(Path(tmp), n)
        read_object(*files[0], lim)                  # the worker started and warm, as in a pass
        for p, fmt in files[:5]:
            extract(p, fmt, lim)                     # the readers imported here too
        inline = guarded = 0.0
        for p, fmt in files:                         # interleaved: the same load on both
            t = time.perf_counter()
            a = extract(p, fmt, lim)
            inline += time.perf_counter() - t
            t = time.perf_counter()
            b = read_object(p, fmt, lim)
            guarded += time.perf_counter() - t
            assert a.text == b.text, p
        start = time.perf_counter()
        shared().close()
        read_object(*files[0], lim)
        first = time.perf_counter() - start
    print(f"{n} small files (pdf, docx, xlsx, xls, txt), read {n} times each way:")
    print(f"  in this process     {inline / n * 1000:7.2f} ms a file")
    print(f"  guarded worker      {guarded / n * 1000:7.2f} ms a file   "
          f"(+{(guarded - inline) / n * 1000:.2f} ms, ×{guarded / inline:.2f})")
    print(f"  starting the worker {first * 1000:7.0f} ms, once per process")


def workspace(folder: Path) -> Path:
    root = folder / "ws"
    subprocess.run([sys.executable, "-m", "yingjian", "init", str(root), "--units", "人武部,教育局"],
                   check=True, capture_output=True)
    p = root / "yingjian.toml"
    text = p.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^max_pdf_pages = .*$", "max_pdf_pages = 20", text)
    text = re.sub(r"(?m)^workers = .*$", "workers = 1", text)
    text = re.sub(r"(?m)^stable_seconds = [^#\n]*", "stable_seconds = 0  ", text)
    p.write_text(text, encoding="utf-8")
    inbox = root / "inbox"
    f.text_pdf(inbox / "教育局/2021年征兵工作总结.pdf", ["2021年征兵工作总结\n2021年10月20日"])
    f.docx_file(inbox / "教育局/走访慰问方案.docx", ["八一走访慰问方案", "2022年7月20日"])
    f.xlsx_file(inbox / "教育局/优抚对象台账.xlsx", [["姓名", "类别"], ["张国强", "伤残军人"]])
    return root


def timed_ingest(root: Path) -> tuple[float, int, dict]:
    """Wall time, peak RSS of the process tree (bytes), and the --json summary."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "yingjian", "-w", str(root), "ingest", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    top = psutil.Process(proc.pid)
    peak = 0
    out = []
    import threading
    reader = threading.Thread(target=lambda: out.append(proc.stdout.read()), daemon=True)
    reader.start()
    while proc.poll() is None:
        try:
            tree = [top] + top.children(recursive=True)
            peak = max(peak, sum(_rss(p) for p in tree))
        except psutil.Error:
            pass
        time.sleep(0.02)
    reader.join()
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"ingest failed with rc {proc.returncode}")
    return elapsed, peak, json.loads(out[0])


def _rss(p) -> int:
    try:
        return p.memory_info().rss
    except psutil.Error:
        return 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=300, help="small files for the per-file cost")
    args = ap.parse_args()
    print("machine: %d cores, load %.1f\n" % (psutil.cpu_count(), psutil.getloadavg()[0]))
    per_file_overhead(args.files)
    with tempfile.TemporaryDirectory() as tmp:
        good = workspace(Path(tmp) / "good")
        bad = workspace(Path(tmp) / "bad")
        cases = hostile.build_poison(bad / "inbox/人武部")
        size = sum(p.stat().st_size for p in (bad / "inbox/人武部").iterdir())
        t_good, m_good, _ = timed_ingest(good)
        t_bad, m_bad, out = timed_ingest(bad)
    print(f"\none ingest, OCR included: {len(cases)} hostile files ({size / 1024:.0f} KB, "
          f"{out['ingested']} paths archived with their members, {len(out['problems'])} problems) "
          f"+ 3 good files")
    print(f"  3 good files alone    {t_good:6.1f} s   peak {m_good / 2**20:6.0f} MB (process tree)")
    print(f"  with the hostile ones {t_bad:6.1f} s   peak {m_bad / 2**20:6.0f} MB   "
          f"(×{t_bad / t_good:.1f} time, ×{m_bad / m_good:.1f} memory)")
    print(f"  goal: under 120 s and 1024 MB -> {'met' if t_bad < 120 and m_bad < 2**30 else 'NOT met'}")


if __name__ == "__main__":
    main()
