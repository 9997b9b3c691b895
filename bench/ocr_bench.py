"""OCR benchmark: character error rate against the known text and pages per minute, for
yingjian's OCR (RapidOCR, PP-OCR models, a pool of worker processes) beside Tesseract
(Debian's tesseract-ocr with chi_sim, the engine most document archives use) on the same
rendered material in the same run, both with one process per core, taking turns every few
pages so that both see the same load (the machine may be shared: read the ratios).

The two are given the same budget: as many threads at once, one per core by default. Ours
run in `--workers` processes (default one per core) of `--threads` onnxruntime threads each;
Tesseract in workers × threads processes at once, each of one thread (OMP_THREAD_LIMIT=1).
Ours keep their models loaded from page to page, as the archive's worker pool does; Tesseract
starts a process for each page, as its command line is used, and loads chi_sim each time: that
start is measured in the same run and printed, and "less start" gives the processor-time ratio
with it taken out of Tesseract's pages (Tesseract at its very best: never started at all).
Our processor seconds are each page's in its worker (decoding the page included); Tesseract's
are its processes' (reading the PNG included).

The material is drawn here with a CJK font: scanned A4 pages (200 dpi, slightly crooked, speckled,
JPEG in an image-only PDF, as office scanners make them) and phone photos of red banners (some
stored sideways with EXIF orientation 6, some tilted, blurred and JPEG-compressed).

    python bench/ocr_bench.py [--scans 12] [--photos 12] [--workers 2] [--threads 1] [--repeat 1]
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive.limits import Limits  # noqa: E402
from archive.thumbs import cjk_font  # noqa: E402

SENTENCES = [
    "为深入贯彻落实党中央关于双拥工作的决策部署", "进一步巩固和发展军政军民团结", "市委市政府召开双拥工作领导小组会议",
    "研究部署全市拥军优属工作", "各镇街道要高度重视优抚对象走访慰问", "切实解决驻地部队官兵后顾之忧",
    "二〇二一年全市共安置退役军人一百二十六名", "随军家属就业安置率达到百分之九十五", "军人子女入学优待政策全部落实",
    "捧乍镇烈士陵园修缮工程已经完工", "乌沙镇开展国防教育进校园活动", "为张国强等十二户优抚对象送去慰问金",
    "抚恤金按时足额发放到位", "召开议军会议专题研究征兵工作", "建立军地联席会议制度",
    "开展八一建军节走访慰问活动", "双拥模范城创建工作扎实推进", "落实经费保障纳入财政预算",
]
MIXED = [       # what digits and Latin letters a notice holds: dates, numbers, codes, addresses
    "2021年12月31日前报送市双拥办", "联系电话0573-85012345转8021", "依据GB/T 9704-2012党政机关公文格式",
    "No.3 Tel: 13905731234 Fax: 85012346", "第1项 经费1,250,000.00元(含税)", "附件3: 2022年度优抚对象名册.xlsx",
    "www.jiaxing.gov.cn 邮编314000", "共计126名 占比95.2% 同比增长11.8%", "ISBN 978-7-5097-1234-5 第2版",
]
BANNERS = ["热烈庆祝中国人民解放军建军九十四周年", "军民鱼水一家亲", "双拥共建谱新篇",
           "拥军优属光荣", "爱我国防强我国防", "依法服兵役光荣", "关爱退役军人", "军爱民民拥军",
           "学习双拥政策共建和谐家园", "欢迎新兵入伍", "致敬最可爱的人", "国防教育进校园"]


def render_scan(rnd: random.Random, path: Path, dpi: int = 200, font_size: int = 38,
                sentences: list = SENTENCES) -> str:
    """A scanned A4 page: 26 lines of 14-point text (font_size 38 at 200 dpi) drawn from
    `sentences`, as an image-only PDF, and the same pixels as PNG for Tesseract."""
    from PIL import Image, ImageDraw, ImageFilter
    k = dpi / 200
    w, h = round(1654 * k), round(2339 * k)       # A4
    img = Image.new("L", (w, h), 250)
    d = ImageDraw.Draw(img)
    font = cjk_font(round(font_size * k))
    lines = [rnd.choice(sentences) for _ in range(26)]      # a full page of body text
    y = 200 * k
    for line in lines:
        d.text((180 * k, y), line, fill=20, font=font)
        y += 2 * font_size * k
    img = img.rotate(rnd.uniform(-1.5, 1.5), resample=Image.BICUBIC, fillcolor=250)
    px = img.load()
    for _ in range(w * h // 400):          # speckle
        px[rnd.randrange(w), rnd.randrange(h)] = rnd.choice((30, 120, 180))
    img = img.filter(ImageFilter.GaussianBlur(0.6))
    img.convert("RGB").save(path, "PDF", resolution=dpi, quality=70)
    img.save(path.with_suffix(".png"))     # the same pixels for Tesseract, which reads no PDF
    return "".join(lines)


def render_photo(rnd: random.Random, path: Path, sideways: bool, size=(1600, 1200)) -> str:
    """A phone photo of a red banner, drawn at 1600×1200 and stored at `size`."""
    from PIL import Image, ImageDraw, ImageFilter
    w, h = 1600, 1200
    img = Image.new("RGB", (w, h), (rnd.randrange(60, 140), rnd.randrange(90, 150), rnd.randrange(60, 120)))
    d = ImageDraw.Draw(img)
    for _ in range(40):                    # a busy background: trees, people, a wall
        x, y = rnd.randrange(w), rnd.randrange(h)
        d.ellipse((x, y, x + rnd.randrange(40, 200), y + rnd.randrange(40, 200)),
                  fill=tuple(rnd.randrange(40, 200) for _ in range(3)))
    text = rnd.choice(BANNERS)
    font = cjk_font(rnd.choice((64, 72, 80)))
    tw = int(d.textlength(text, font=font))
    top = rnd.randrange(200, 600)
    left = max(20, (w - tw) // 2 - 60)
    d.rectangle((left, top, min(w - 20, left + tw + 120), top + 140), fill=(190, 25, 30))
    d.text((left + 60, top + 30), text, font=font, fill=rnd.choice(((255, 255, 255), (255, 230, 60))))
    if size != (w, h):
        img = img.resize(size, Image.BICUBIC)
    img = img.rotate(rnd.uniform(-4, 4), resample=Image.BICUBIC, expand=False)
    img = img.filter(ImageFilter.GaussianBlur(rnd.uniform(0.5, 1.2) * size[0] / w))
    upright = img
    from PIL import Image as I
    exif = I.Exif()
    exif[0x010F] = "HUAWEI"
    if sideways:
        img = img.transpose(I.Transpose.ROTATE_90)
        exif[0x0112] = 6
    img.save(path, "JPEG", quality=85, exif=exif)
    upright.save(path.with_suffix(".png"))   # Tesseract is given the upright photo (a head start)
    return text


def cer(truth: str, hyp: str) -> float:
    """Levenshtein distance / length, on NFKC text without whitespace."""
    a = "".join(unicodedata.normalize("NFKC", truth).split())
    b = "".join(unicodedata.normalize("NFKC", hyp).split())
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1] / max(len(a), 1)


def read_page_cpu(job):
    """A page read in a worker, and the processor seconds it took there."""
    from archive import ocr
    start = time.process_time()
    text = ocr.read_page(job).text
    return text, time.process_time() - start


def children_cpu() -> float:
    """Processor seconds of the finished child processes (Tesseract's), where it can be known."""
    try:
        import resource
    except ImportError:                 # Windows
        return 0.0
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


class Ours:
    """yingjian's OCR through the pipeline's own worker entry point, in a pool of spawned
    processes that stays up for the whole run (its models loaded before the clock starts)."""

    label = "yingjian (RapidOCR PP-OCR)"

    def __init__(self, workers: int, threads: int):
        from concurrent.futures import ProcessPoolExecutor
        from multiprocessing import get_context
        from archive import ocr
        self.ocr = ocr
        self.pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"),
                                        initializer=ocr._worker_start, initargs=(threads,))
        list(self.pool.map(time.sleep, [1.0] * workers * 2))

    def __call__(self, items):
        jobs = [(str(i), str(p), fmt, 0, Limits()) for i, (p, fmt, _) in enumerate(items)]
        t = time.perf_counter()
        results = list(self.pool.map(read_page_cpu, jobs))
        return [text for text, _ in results], time.perf_counter() - t, sum(c for _, c in results)

    def close(self):
        self.pool.shutdown()


class Tesseract:
    label = "Tesseract chi_sim"

    def __init__(self, workers: int):
        self.env = dict(os.environ, OMP_THREAD_LIMIT="1")
        self.pool = ThreadPoolExecutor(workers)

    def start_cpu(self, tmp: Path) -> float:
        """Processor seconds of starting tesseract and loading chi_sim, which every page pays
        here (one process a page, as the command line and pytesseract read pages): the median
        of three runs on a small blank image."""
        from PIL import Image
        blank = tmp / "blank.png"
        Image.new("L", (320, 48), 250).save(blank)
        runs = []
        for _ in range(3):
            cpu = children_cpu()
            subprocess.run(["tesseract", str(blank), "stdout", "-l", "chi_sim", "--psm", "3"],
                           capture_output=True, env=self.env)
            runs.append(children_cpu() - cpu)
        return sorted(runs)[1]

    def one(self, item):
        p = item[0].with_suffix(".png")
        out = subprocess.run(["tesseract", str(p), "stdout", "-l", "chi_sim", "--psm", "3"],
                             capture_output=True, env=self.env)
        return out.stdout.decode("utf-8", "replace")

    def __call__(self, items):
        t, cpu = time.perf_counter(), children_cpu()
        texts = list(self.pool.map(self.one, items))
        return texts, time.perf_counter() - t, children_cpu() - cpu

    def close(self):
        self.pool.shutdown()


def interleaved(engines, items, block: int):
    """Each engine's texts and seconds over `items`, read in blocks of `block` pages, the
    engines taking turns block by block (and the first of a turn alternating), so that on a
    shared machine both see the same load."""
    texts = {e: [] for e in engines}
    seconds = {e: 0.0 for e in engines}
    cpu = {e: 0.0 for e in engines}
    for n, start in enumerate(range(0, len(items), block)):
        chunk = items[start:start + block]
        for e in (engines if n % 2 == 0 else engines[::-1]):
            got, dt, dcpu = e(chunk)
            texts[e] += got
            seconds[e] += dt
            cpu[e] += dcpu
    return texts, seconds, cpu


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scans", type=int, default=12)
    ap.add_argument("--photos", type=int, default=12)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2,
                    help="yingjian's worker processes (Tesseract: workers × threads processes)")
    ap.add_argument("--threads", type=int, default=1, help="onnxruntime threads per worker")
    ap.add_argument("--repeat", type=int, default=1, help="measure the same material again")
    args = ap.parse_args()
    if not shutil.which("tesseract"):
        sys.exit("tesseract is not installed: apt-get install tesseract-ocr tesseract-ocr-chi-sim")
    rnd = random.Random(2021)
    tmp = Path(tempfile.mkdtemp())
    cores = os.cpu_count() or 2
    engines = []
    try:
        sets = {"scans": [], "photos": []}
        for i in range(args.scans):
            p = tmp / f"scan{i}.pdf"
            sets["scans"].append((p, "pdf", render_scan(rnd, p)))
        for i in range(args.photos):
            p = tmp / f"photo{i}.jpg"
            sets["photos"].append((p, "jpeg", render_photo(rnd, p, sideways=i % 3 == 0)))
        tess = max(1, args.workers * args.threads)       # the same number of threads at once
        engines = [Ours(args.workers, args.threads), Tesseract(tess)]
        print(f"corpus: {args.scans} scanned A4 pages (200 dpi, ~{sum(len(t) for *_, t in sets['scans']) // max(args.scans, 1)} "
              f"characters each), {args.photos} banner photos; yingjian {args.workers} worker "
              f"processes × {args.threads} thread, Tesseract {tess} processes × 1 thread; the two take "
              f"turns every {cores * 2} pages")
        start = engines[1].start_cpu(tmp)
        print(f"Tesseract's start and chi_sim load: {start:.2f} processor seconds, paid by each of its "
              f"pages (in its figures; \"less start\": Tesseract's CPU s/page without it over ours)")
        print(f"{'run':>3} {'material':8} {'engine':28} {'CER':>7} {'pages/min':>10} {'CER × Tess.':>12} "
              f"{'speed × Tess.':>14} {'CPU s/page':>11} {'CPU × Tess.':>12} {'less start':>11}")
        for run in range(1, args.repeat + 1):
            for name, items in sets.items():
                texts, seconds, cpu = interleaved(engines, items, cores * 2)
                rows = []
                for e in engines:
                    err = sum(cer(t, h) * len(t) for (_, _, t), h in zip(items, texts[e])) / \
                        sum(len(t) for *_, t in items)
                    rows.append((e.label, err, len(items) / seconds[e] * 60, cpu[e] / len(items)))
                base = rows[1]
                for label, err, ppm, cpp in rows:
                    # CPU × Tess.: how many of this engine's pages cost one Tesseract page
                    print(f"{run:3} {name:8} {label:28} {err:7.1%} {ppm:10.1f} "
                          f"{err / max(base[1], 1e-9):12.2f} {ppm / base[2]:14.2f} "
                          f"{cpp:11.2f} {base[3] / max(cpp, 1e-9):12.2f} "
                          f"{(base[3] - start) / max(cpp if label != base[0] else cpp - start, 1e-9):11.2f}",
                          flush=True)
    finally:
        for e in engines:
            e.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
