"""Ingest benchmark: N mixed small files (text PDFs, scanned PDFs, JPEGs with EXIF, docx, xlsx,
txt) ingested by yingjian, printed beside the same files copied and hashed with plain Python in
the same run (the physical floor), as a ratio.

    python bench/ingest_bench.py [--files 2000]
"""
import argparse
import hashlib
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import factories as f  # noqa: E402
from yingjian.workspace import Workspace, init  # noqa: E402

UNITS = ["双拥办", "人武部", "教育局", "退役军人事务局", "城关街道"]


def make_corpus(inbox: Path, n: int) -> int:
    total = 0
    for i in range(n):
        unit = inbox / UNITS[i % len(UNITS)] / f"{2020 + i % 4}年"
        k = i % 6
        if k == 0:
            p = f.text_pdf(unit / f"通知{i:05d}.pdf", [f"关于做好第{i}批双拥工作的通知\n2021年{i % 12 + 1}月{i % 28 + 1}日"])
        elif k == 1:
            p = f.photo_jpeg(unit / f"IMG_2022{i % 12 + 1:02d}01_{i:05d}.jpg", size=(320, 240),
                             exif_date=f"2022:{i % 12 + 1:02d}:01 10:00:00")
        elif k == 2:
            p = f.docx_file(unit / f"总结{i:05d}.docx", [f"第{i}号工作总结", "2022年12月30日"])
        elif k == 3:
            p = f.xlsx_file(unit / f"台账{i:05d}.xlsx", [["序号", "姓名"], [i, f"人员{i}"]])
        elif k == 4:
            p = unit / f"说明{i:05d}.txt"
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(f"第{i}号说明,2023年1月{i % 28 + 1}日" * 20, encoding="utf-8")
        else:
            p = f.scanned_pdf(unit / f"扫描{i:05d}.pdf", [f"扫描件{i}"], size=(620, 877), font_size=24)
        total += p.stat().st_size
    return total


def copy_and_hash(inbox: Path, dest: Path) -> float:
    start = time.perf_counter()
    dest.mkdir()
    for i, p in enumerate(sorted(x for x in inbox.rglob("*") if x.is_file())):
        h = hashlib.sha256()
        with open(p, "rb") as src, open(dest / str(i), "wb") as out:
            while chunk := src.read(1 << 20):
                h.update(chunk)
                out.write(chunk)
        h.hexdigest()
    return time.perf_counter() - start


def ingest(root: Path, durable: bool) -> tuple[float, dict]:
    ws = Workspace.open(root)
    ws.config.durable = durable
    start = time.perf_counter()
    s = ws.ingestor(stable_seconds=0, incomplete_after=0).ingest_pass()
    elapsed = time.perf_counter() - start
    ws.close()
    return elapsed, s.to_json()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=2000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        roots = [tmp / "ws-durable", tmp / "ws-fast"]
        for r in roots:
            init(r, units=UNITS)
        t0 = time.perf_counter()
        size = make_corpus(roots[0] / "inbox", args.files)
        for unit in UNITS:
            shutil.copytree(roots[0] / "inbox" / unit, roots[1] / "inbox" / unit, dirs_exist_ok=True)
        print(f"corpus: {args.files} files, {size / 1e6:.1f} MB (made in {time.perf_counter() - t0:.1f} s)")
        base = copy_and_hash(roots[0] / "inbox", tmp / "plain-copy")
        dur, s1 = ingest(roots[0], durable=True)
        fast, s2 = ingest(roots[1], durable=False)
        assert s1["ingested"] + s1["duplicates"] == args.files, s1
        print(f"{'what':44} {'seconds':>8} {'files/s':>8} {'× floor':>8}")
        for label, t in (("plain Python copy + SHA-256 (floor)", base),
                         ("yingjian ingest (fsync each object, default)", dur),
                         ("yingjian ingest (durable = false)", fast)):
            print(f"{label:44} {t:8.2f} {args.files / t:8.0f} {t / base:8.1f}")
        print(f"problems: {len(s1['problems'])}")


if __name__ == "__main__":
    main()
