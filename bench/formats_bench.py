"""How well and how fast yingjian reads .doc, .xls and OFD, beside a reference in the same run.

    python -m bench.formats_bench [--copies 40]

For each format: the character error rate (edit distance / length of the known text, after
NFKC and without whitespace) and files per second over `copies` copies of each real sample in
tests/fixtures/formats, read by our reader in this process, and by the reference as a pipeline
would run it, one process per file: LibreOffice's `soffice --headless --convert-to txt` where
installed, else `catdoc` for .doc and `xls2csv` (from the same Debian package) for .xls. OFD has
no reference here (LibreOffice does not read it): that column says so. Goal: the reference's
accuracy at 5x its speed or better. Also: .xlsx read by python-calamine against openpyxl.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FIX = ROOT / "tests" / "fixtures" / "formats"

from archive.extract import extract  # noqa: E402
from archive.limits import Limits  # noqa: E402
from tests.test_formats import NOTICE  # noqa: E402

LEDGER = ("重点优抚对象慰问金发放表 填报日期:2023年1月5日 序号 姓名 类别 乡镇 金额(元) "
          "1 杨光荣 伤残军人 敬南镇 2000 2 刘秀芬 烈属 丰都街道 2500")
OFD_TEXT = {
    "ofdrw__helloworld.ofd": "你好呀,OFD Reader&Writer!",
    "ofdrw__multiKeywordInTextCode.ofd": "打发打发打发打发打发哈哈打发哈哈哈哈哈哈哈哈哈打发",
}
CASES = [  # format, samples with their known text
    ("doc", {"notice_word97.doc": NOTICE, "notice_wps.wps": NOTICE}),
    ("xls", {"ledger_excel97.xls": LEDGER, "ledger_wps.et": LEDGER}),
    ("ofd", OFD_TEXT),
]


def norm(text: str, ledger: bool = False) -> str:
    t = unicodedata.normalize("NFKC", text)
    if ledger:       # a CSV's quotes and commas, our tabs and sheet title: cell separators
        t = t.replace('"', "").replace(",", " ").replace("【优抚对象】", "")
    return "".join(t.split())


def cer(got: str, want: str) -> float:
    """Levenshtein distance over the length of the known text."""
    prev = list(range(len(got) + 1))
    for i, w in enumerate(want, 1):
        cur = [i]
        for j, g in enumerate(got, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (w != g)))
        prev = cur
    return prev[-1] / max(len(want), 1)


def reference_tool(fmt: str) -> tuple[str, list[str]] | None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice and fmt in ("doc", "xls"):
        return "soffice", [soffice, "--headless", "--convert-to", "txt:Text (encoded):UTF8" if
                           fmt == "doc" else "csv", "--outdir"]
    if fmt == "doc" and shutil.which("catdoc"):
        return "catdoc", ["catdoc", "-d", "utf-8", "-w"]
    if fmt == "xls" and shutil.which("xls2csv"):
        return "xls2csv", ["xls2csv", "-d", "utf-8"]
    return None


def run_reference(tool: tuple[str, list[str]], path: Path, out: Path) -> str:
    name, cmd = tool
    if name == "soffice":
        subprocess.run(cmd + [str(out), str(path)], capture_output=True, timeout=120)
        produced = sorted(out.glob(path.stem + ".*"))
        return produced[0].read_text("utf-8", "replace") if produced else ""
    return subprocess.run(cmd + [str(path)], capture_output=True, timeout=60).stdout.decode(
        "utf-8", "replace")


def corpus(folder: Path, samples: dict[str, str], copies: int) -> list[tuple[Path, str]]:
    out = []
    for name, known in samples.items():
        for i in range(copies):
            p = folder / f"{i:03d}_{name}"
            shutil.copyfile(FIX / name, p)
            out.append((p, known))
    return out


def measure(fmt: str, samples: dict[str, str], copies: int, tmp: Path) -> dict:
    files = corpus(tmp, samples, copies)
    ledger = fmt == "xls"
    extract(files[0][0], fmt, Limits())           # imports once, as a running watcher has
    start = time.perf_counter()
    texts = [extract(p, fmt, Limits()).text for p, _ in files]
    ours_s = time.perf_counter() - start          # the error rate is computed outside the clock
    errors = [cer(norm(t, ledger), norm(known, ledger)) for t, (_, known) in zip(texts, files)]
    row = {"format": fmt, "files": len(files), "ours_cer": sum(errors) / len(errors),
           "ours_fps": len(files) / ours_s}
    tool = reference_tool(fmt)
    if tool is None:
        row["ref"] = None
        return row
    out = tmp / "ref_out"
    out.mkdir(exist_ok=True)
    ref_files = files if tool[0] != "soffice" else files[:max(2, len(files) // 10)]
    start = time.perf_counter()
    texts = [run_reference(tool, p, out) for p, _ in ref_files]
    ref_s = time.perf_counter() - start
    errors = [cer(norm(t, ledger), norm(known, ledger)) for t, (_, known) in zip(texts, ref_files)]
    row.update(ref=tool[0], ref_files=len(ref_files), ref_cer=sum(errors) / len(errors),
               ref_fps=len(ref_files) / ref_s)
    return row


def xlsx_rows(tmp: Path, rows: int = 20000) -> str:
    import openpyxl

    from archive.readers.office97 import read_ledger
    from archive.readers.ooxml import read_xlsx
    p = tmp / "big.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    for i in range(rows):
        ws.append([i, f"姓名{i}", "伤残军人", "敬南镇", 2000 + i % 7, "2021-08-01"])
    wb.save(p)

    def openpyxl_text(path):
        fh = open(path, "rb")
        wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
        lines = ["\t".join(str(v) for v in r if v is not None) for r in wb.active.iter_rows(values_only=True)]
        wb.close()
        fh.close()
        return "\n".join(lines)

    t = time.perf_counter()
    a = openpyxl_text(p)
    t_openpyxl = time.perf_counter() - t
    t = time.perf_counter()
    b = read_ledger(p, Limits()).text
    t_calamine = time.perf_counter() - t
    same = norm(a) == norm(b.replace("【Sheet】", ""))
    assert read_xlsx  # the pipeline's xlsx reader is read_ledger behind the bomb guard
    return (f"xlsx, {rows:,} rows: calamine {t_calamine:.2f} s, openpyxl {t_openpyxl:.2f} s "
            f"(calamine {t_openpyxl / t_calamine:.1f}x faster), same text: {same}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=40, help="copies of each sample (default 40)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        print(f"{'format':6} {'files':>5}  {'ours CER':>8} {'ours files/s':>12}  "
              f"{'reference':10} {'ref CER':>7} {'ref files/s':>11}  speed-up")
        for fmt, samples in CASES:
            sub = tmp / fmt
            sub.mkdir()
            r = measure(fmt, samples, args.copies, sub)
            line = f"{fmt:6} {r['files']:>5}  {r['ours_cer']:>8.3f} {r['ours_fps']:>12.1f}  "
            if r.get("ref"):
                line += (f"{r['ref']:10} {r['ref_cer']:>7.3f} {r['ref_fps']:>11.1f}  "
                         f"{r['ours_fps'] / r['ref_fps']:.1f}x")
            else:
                line += ("(no reference: LibreOffice does not read OFD)" if fmt == "ofd" else
                         "(no reference installed: apt-get install catdoc or libreoffice)")
            print(line)
        print(xlsx_rows(tmp))


if __name__ == "__main__":
    main()
