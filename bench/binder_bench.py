"""The inspection binder's benchmark: its search with no server, and the bound PDF volumes.

1. At N evidence files (default 10,000 generated Chinese documents of 1,500 characters, the
   search benchmark's vocabulary), the binder is written (`write_binder`, its volumes left out:
   they are part 2) and extracted, then measured beside its baselines in the same run:
   - the search data's size (files.js and the text chunks) beside the size of the texts it
     covers (UTF-8), the ratio the issue bounds at 1.5;
   - in Debian's Chromium, over file://, the time from opening index.html to the first search's
     results, beside opening the same page with its search scripts removed (the list alone),
     interleaved, median of the runs.
2. The PDF volume of one 300-page scan (JPEG pages, 150 dpi A4): peak memory of
   `write_volume` (pages copied one at a time into the streaming writer) beside a plain pypdf
   merge (PdfWriter.add_page for every page, then write), each in its own process; and the
   size of the scan for scale.

    python bench/binder_bench.py [--files 10000] [--chars 1500] [--scan-pages 300] [--runs 3]
"""
import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.search_bench import make_doc  # noqa: E402
from yingjian.report import ReportData  # noqa: E402
from yingjian.report import binder as _binder  # noqa: E402
from yingjian.report.binder import write_binder  # noqa: E402

# the generated check carries only what the binder's folders and search need; the readiness
# report inside the binder (measured elsewhere) is left empty
_binder.html_report = lambda data: ""

UNITS = ["双拥办", "人武部", "退役军人事务局", "教育局", "城关街道", "驻地部队", "宣传部"]
QUERY = "走访慰问 驻地部队"


def corpus(files: int, chars: int, folder: Path):
    """A check of 8 first-level items x 6 numbered items x 2 materials, with `files` confirmed
    evidence files spread over them, each a small archived object; and their texts."""
    rnd = random.Random(23)
    texts, evidence = {}, []
    for i in range(files):
        sha = f"{i:064x}"
        texts[sha] = make_doc(rnd, chars, [])
        obj = folder / sha
        obj.write_bytes(b"x")
        evidence.append({"id": sha, "path": f"{UNITS[i % 7]}/资料/第{i}号文件.docx", "unit": UNITS[i % 7],
                         "date": f"{2020 + i % 4}-{1 + i % 12:02d}-{1 + i % 28:02d}", "confirmed": True,
                         "counts": True})
    items = []
    per = max(1, files // 96 + 1)
    k = 0
    for t in range(1, 9):
        children = []
        for c in range(1, 7):
            mats = []
            for mid in "ab":
                ev, k = evidence[k:k + per], k + per
                mats.append({"id": f"{t}.{c}{mid}", "title": f"第{t}.{c}{mid}项材料", "evidence": ev})
            children.append({"code": f"{t}.{c}", "title": f"考评内容{t}.{c}", "materials": mats})
        items.append({"code": str(t), "title": f"一级项目{t}", "children": children})
    check = {"title": "基准标准", "period": {"start": "2020-01-01", "end": "2023-12-31"}, "items": items}
    return check, texts


TYPE_AT_READY = """
new MutationObserver(function (_, obs) {
  var box = document.getElementById("yj-box"), q = document.getElementById("yj-q");
  if (box && !box.hidden && window.YJ && YJ.timing.ready) {
    obs.disconnect();
    q.focus();
    q.value = %s;
    q.dispatchEvent(new Event("input"));
  }
}).observe(document, {subtree: true, childList: true, attributes: true});
"""


def open_and_search(page, index: Path, search: bool) -> tuple[float, float, float, float, float]:
    """(open, first search, complete, first results, CPU) in ms, as the page measures them: from
    navigation start to the search box ready (the page without search: to its load event), from
    the first key in the box to the complete results (the 120 ms pause after typing included),
    from navigation start to the complete and to the first results shown; and the CPU time of
    the page's main thread meanwhile (Chromium's ThreadTime, which a loaded machine inflates
    less than the clock). The words are typed by a script in the page the moment the box is
    ready, as the fastest clerk would."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")

    def cpu() -> float:
        return {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}["ThreadTime"]
    start = cpu()
    page.goto(index.as_uri(), wait_until="load")
    if not search:
        return (page.evaluate("() => performance.getEntriesByType('navigation')[0].loadEventEnd"), 0, 0, 0,
                (cpu() - start) * 1000)
    page.wait_for_function("q => document.getElementById('yj-results').dataset.query === q", arg=QUERY)
    used = (cpu() - start) * 1000
    t = page.evaluate("() => YJ.timing")
    return t["ready"], t["shown"] - t["input"], t["shown"], t["first"], used


def bench_search(files: int, chars: int, runs: int) -> None:
    from playwright.sync_api import sync_playwright
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "objects").mkdir()
        check, texts = corpus(files, chars, tmp / "objects")
        data = ReportData(check=check, office="基准市", files=[], serves={}, problems=[],
                          object_path=lambda sha: tmp / "objects" / sha, text_of=texts.get)
        t0 = time.perf_counter()
        write_binder(data, tmp / "binder.zip", volumes=False)
        made = time.perf_counter() - t0
        with zipfile.ZipFile(tmp / "binder.zip") as zf:
            zf.extractall(tmp / "x")
        (top,) = (tmp / "x").iterdir()
        text_bytes = sum(len(t.encode("utf-8")) for t in texts.values())
        data_files = [p for p in (top / "_search").iterdir() if p.name != "search.js"]
        data_bytes = sum(p.stat().st_size for p in data_files)
        code = (top / "_search/search.js").stat().st_size
        # the baseline page: the same index.html, its search scripts removed (the list alone)
        plain = top / "plain.html"
        html = (top / "index.html").read_text(encoding="utf-8")
        plain.write_text(re.sub(r'<script src="_search/[^"]+" defer></script>\n', "", html), encoding="utf-8")
        print(f"corpus: {files:,} evidence files of {chars:,} characters; binder written in {made:.1f} s")
        print(f"search data: {data_bytes / 1e6:.1f} MB in {len(data_files)} files "
              f"(files.js {(top / '_search/files.js').stat().st_size / 1e6:.2f} MB) beside the texts it "
              f"covers {text_bytes / 1e6:.1f} MB (UTF-8): {data_bytes / text_bytes:.2f}x; search.js {code / 1e3:.0f} kB")
        ours, base = [], []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"),
                                        args=["--no-sandbox", "--disable-gpu"])
            for _ in range(runs):           # interleaved: the machine's load falls on both
                pg = browser.new_page()
                base.append(open_and_search(pg, plain, False))
                pg.close()
                pg = browser.new_page()
                pg.add_init_script(TYPE_AT_READY % json.dumps(QUERY))
                ours.append(open_and_search(pg, top / "index.html", True))
                hits = pg.eval_on_selector_all("#yj-results li", "l => l.length")
                status = pg.inner_text("#yj-status")
                pg.close()
            browser.close()
        med = [statistics.median(r[k] for r in ours) for k in range(5)]
        opened, first, done, partial, used = med
        worst = max(r[2] for r in ours)
        b_open, b_cpu = statistics.median(r[0] for r in base), statistics.median(r[4] for r in base)
        print(f"Chromium, file://, median of {runs}: open {opened:.0f} ms (the same page without its "
              f"search {b_open:.0f} ms: {opened / b_open:.2f}x); first search ({QUERY!r}: {status}, "
              f"{hits} shown) {first:.0f} ms from the first key; typed the moment the box was ready: "
              f"first results {partial:.0f} ms after navigation start, complete {done:.0f} ms (worst "
              f"{worst:.0f} ms); main-thread CPU for all of it {used:.0f} ms beside {b_cpu:.0f} ms to "
              f"open the page without search ({used / b_cpu:.2f}x)")


def scan_pdf(path: Path, pages: int) -> None:
    """A scanned document of `pages` pages: greyscale JPEG A4 pages at 150 dpi, text and
    speckle (about 300 kB a page, as office scanners make)."""
    from PIL import Image, ImageDraw
    from tests.factories import _font
    img = Image.new("L", (1240, 1754), 255)
    d = ImageDraw.Draw(img)
    font = _font(34)
    rnd = random.Random(3)
    for k in range(40):
        d.text((110, 120 + k * 38), "".join(rnd.choice("双拥工作领导小组会议纪要走访慰问驻地部队") for _ in range(26)),
                fill=0, font=font)
    px = img.load()
    for _ in range(400):
        px[rnd.randrange(1240), rnd.randrange(1754)] = rnd.choice((0, 120, 200))
    img.save(path, "PDF", resolution=150, save_all=True, append_images=[img] * (pages - 1))


def high_water_kb() -> int:
    """This process's peak resident memory (VmHWM: getrusage's maxrss would carry the parent's
    peak over a fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(mode: str, src: str, out: str) -> None:
    """Runs in its own process: write the volume one way, print the peak memory."""
    import pypdf  # noqa: F401  (both ways import the same libraries before measuring)
    import yingjian.report.volumes  # noqa: F401
    from reportlab.pdfgen import canvas  # noqa: F401
    before = high_water_kb()
    t0 = time.perf_counter()
    if mode == "pypdf":
        from pypdf import PdfReader, PdfWriter
        w = PdfWriter()
        for page in PdfReader(src).pages:
            w.add_page(page)
        with open(out, "wb") as fh:
            w.write(fh)
    else:
        from yingjian.report.volumes import plan, write_volume
        ev = {"id": "scan", "path": "双拥办/1.1a/扫描件.pdf", "unit": "双拥办", "date": "2021-03-05",
              "confirmed": True, "counts": True}
        check = {"title": "基准", "period": {"start": "2020-01-01", "end": "2023-12-31"}, "items": [
            {"code": "1", "title": "组织领导", "children": [{"code": "1.1", "title": "会议", "materials": [
                {"id": "1.1a", "title": "会议纪要", "evidence": [ev]}]}]}]}
        data = ReportData(check=check, office="基准市", files=[{"id": "scan", "format": "pdf", "kind": "document"}],
                          serves={}, problems=[], object_path=lambda sha: Path(src))
        vol = plan(data, check["items"], "1 组织领导")
        write_volume(data, vol, Path(out))
    peak = high_water_kb()
    print(json.dumps({"before_kb": before, "peak_kb": peak, "seconds": time.perf_counter() - t0}))


def bench_pdf(pages: int, runs: int) -> None:
    if not sys.platform.startswith("linux"):
        print("PDF peak memory: measured from /proc, on Linux only")
        return
    from pypdf import PdfReader
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "scan.pdf"
        scan_pdf(src, pages)
        size = src.stat().st_size
        results = {"pypdf": [], "volume": []}
        for _ in range(runs):
            for mode in ("pypdf", "volume"):
                out = Path(tmp) / f"{mode}.pdf"
                r = subprocess.run([sys.executable, __file__, "--child", mode, str(src), str(out)],
                                   capture_output=True, text=True, check=True)
                m = json.loads(r.stdout.strip().splitlines()[-1])
                results[mode].append((m["peak_kb"] - m["before_kb"], m["peak_kb"], m["seconds"],
                                      len(PdfReader(out).pages), out.stat().st_size))
        med = {k: sorted(v)[len(v) // 2] for k, v in results.items()}
        v, b = med["volume"], med["pypdf"]
        print(f"PDF volume of a {pages}-page scan ({size / 1e6:.1f} MB): peak memory growth "
              f"{v[0] / 1024:.0f} MB (peak RSS {v[1] / 1024:.0f} MB, {v[2]:.1f} s, {v[3]} pages with cover and "
              f"contents) beside a plain pypdf merge {b[0] / 1024:.0f} MB (peak RSS {b[1] / 1024:.0f} MB, "
              f"{b[2]:.1f} s, {b[3]} pages): {v[0] / max(b[0], 1):.2f}x")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:5])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--chars", type=int, default=1500)
    ap.add_argument("--scan-pages", type=int, default=300)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    print(f"(machine: {os.cpu_count()} cores, shared; ratios are measured in the same run)")
    if a.files:
        bench_search(a.files, a.chars, a.runs)
    if a.scan_pages:
        bench_pdf(a.scan_pages, a.runs)


if __name__ == "__main__":
    main()
