"""Where a page's OCR time goes, stage by stage (decoding, resizing, detection, cropping,
orientation, recognition), for a 200 dpi A4 scan, a 300 dpi one and a phone photo: the engine
as it was before issue 25 (RapidOCR called whole, float models, every line through the
orientation classifier, batches of 6, pages decoded as they were) beside the engine as it is
(archive/ocr_engine.py) and variants of it that undo one choice each (--variant), page
by page in turn in one process, so both see the same load on a shared machine.

    python bench/ocr_stages.py [--pages 6] [--variant NAME ...]

Each figure is the median over the pages of its kind, in processor milliseconds (a shared
machine stretches the clock, less the processor time); "× before" is the
subject's total over the baseline's. CER is over all pages of a kind (bench/ocr_bench.py's).
"""
import argparse
import random
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive import ocr, ocr_engine  # noqa: E402
from archive.limits import Limits  # noqa: E402
from bench.ocr_bench import MIXED, cer, render_photo, render_scan  # noqa: E402

STAGES = ("decode", *ocr_engine.STAGES)


class Before:
    """The engine before issue 25: RapidOCR called whole, timed by its own steps."""

    def __init__(self):
        from rapidocr import RapidOCR
        self.ocr = RapidOCR(params={
            "Global.log_level": "error",
            "EngineConfig.onnxruntime.intra_op_num_threads": 1,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            "EngineConfig.onnxruntime.enable_cpu_mem_arena": True,
            "Det.limit_side_len": 736, "Det.limit_type": "max"})
        self.ocr(_blank())                      # load the models before the clock starts

    @staticmethod
    def page_images(path: Path, fmt: str) -> list:
        """archive.ocr.page_images as it was (for a scan PDF and a JPEG photo): the photo's
        draft asked for MAX_SIDE × MAX_SIDE (never smaller than full size for a 4:3 photo),
        the page shrunk by PIL's filtered thumbnail."""
        from PIL import Image, ImageOps
        if fmt == "pdf":
            from pypdf import PdfReader
            p = PdfReader(str(path)).pages[0]
            img = next(iter(p.images)).image
        else:
            img = Image.open(path)
            img.draft("RGB", (ocr.MAX_SIDE, ocr.MAX_SIDE))
            img = ImageOps.exif_transpose(img)
        img = img.convert("RGB")
        img.thumbnail((ocr.MAX_SIDE, ocr.MAX_SIDE), Image.BILINEAR, reducing_gap=2.0)
        return [img]

    def read(self, arr, times, fmt):
        from rapidocr.utils.process_img import apply_vertical_padding
        e = self.ocr
        with ocr_engine._timed(times, "resize"):
            img, rec = e.preprocess_img(arr)
            img, rec = apply_vertical_padding(img, rec, e.width_height_ratio, e.min_height)
        with ocr_engine._timed(times, "detection"):
            det = e.text_det(img)
        if det.boxes is None:
            return []
        with ocr_engine._timed(times, "cropping"):
            crops = e.crop_text_regions(img, det.boxes)
        with ocr_engine._timed(times, "orientation"):
            crops, _ = e.cls_and_rotate(crops)
        with ocr_engine._timed(times, "recognition"):
            res = e.recognize_txt(crops)
        return [t for t, s in zip(res.txts, res.scores) if t.strip() and s >= e.text_score]


class After:
    page_images = staticmethod(lambda path, fmt: ocr.page_images(path, fmt, 0, Limits()))

    def __init__(self, **kw):
        self.engine = ocr_engine.Engine(**kw)
        self.engine.read(_blank())
        self.engine.read(_blank(), document=True)

    def read(self, arr, times, fmt):
        return self.engine.read(arr, times, fmt in ocr_engine.DOCUMENT_FORMATS)[0]


def _blank():
    import numpy as np
    from PIL import Image, ImageDraw
    img = Image.new("RGB", (400, 120), "white")
    ImageDraw.Draw(img).text((10, 40), "warm up 123", fill="black")
    return np.asarray(img)


VARIANTS = {      # what each choice of the engine is worth, alone (--variant)
    "after": {},
    "float": {"int8": ()},
    "int8-rec": {"int8": ("rec",)},      # photos too read with the float detector
    "float-det-scans": {"float_documents": True},      # scans read with the float detector
    "whole-scan": {"skip_margins": False},             # a scan's blank margins detected too
    "no-reread": {"doubt": 0.0},                       # no line read again in float
    "all-lines-cls": {"cls_sample": None},
    "det960": {"det_side": 960},
    "det640": {"det_side": 640},
    "rec48": {"rec_height": ocr_engine.REC_HEIGHT},     # lines read 48 pixels high, not 36
}


def material(tmp: Path, pages: int):
    """(kind, path, format, truth) for each page: scans at 200 and 300 dpi (and in 9-point
    type at 200, and lines full of digits and Latin letters), phone photos
    (4000×3000, as a phone stores them; some sideways by EXIF)."""
    rnd = random.Random(1937)
    out = []
    for i in range(pages):
        for dpi in (200, 300):
            p = tmp / f"scan{dpi}_{i}.pdf"
            out.append((f"A4 scan {dpi} dpi", p, "pdf", render_scan(rnd, p, dpi=dpi)))
        p = tmp / f"scan9pt_{i}.pdf"              # the smallest type the detection size must see
        out.append(("A4 200 dpi, 9 pt", p, "pdf", render_scan(rnd, p, font_size=25)))
        p = tmp / f"scan_mixed_{i}.pdf"           # dates, numbers, codes, Latin letters
        out.append(("A4 200 dpi, digits", p, "pdf", render_scan(rnd, p, sentences=MIXED)))
        p = tmp / f"photo{i}.jpg"
        truth = render_photo(rnd, p, sideways=i % 2 == 0, size=(4000, 3000))
        out.append(("phone photo 12 MP", p, "jpeg", truth))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=6, help="pages of each kind")
    ap.add_argument("--variant", nargs="*", default=["after"], choices=sorted(VARIANTS))
    args = ap.parse_args()
    engines = {"before": Before()}
    for v in args.variant:
        engines[v] = After(**VARIANTS[v])
    tmp = Path(tempfile.mkdtemp())
    try:
        pages = material(tmp, args.pages)
        times = {(kind, name): [] for kind, *_ in pages for name in engines}
        texts = {(kind, name): [] for kind, *_ in pages for name in engines}
        for kind, path, fmt, truth in pages:
            for name, eng in engines.items():        # in turn, page by page: the same load
                t = {}
                with ocr_engine._timed(t, "decode"):
                    imgs = eng.page_images(path, fmt)
                import numpy as np
                lines = []
                for img in imgs:
                    lines += eng.read(np.asarray(img), t, fmt)
                times[kind, name].append(t)
                texts[kind, name].append((truth, "".join(lines)))
        print(f"{args.pages} pages of each kind; one process, one onnxruntime thread; "
              "median processor milliseconds per page")
        head = f"{'page':20} {'engine':14}" + "".join(f"{s:>12}" for s in STAGES)
        print(head + f"{'total':>9}{'× before':>10}{'CER':>7}")
        for kind in dict.fromkeys(k for k, *_ in pages):
            base = None
            for name in engines:
                rows = times[kind, name]
                med = {s: statistics.median(r.get(s, 0.0) for r in rows) for s in STAGES}
                total = statistics.median(sum(r.values()) for r in rows)
                base = base or total
                pairs = texts[kind, name]
                err = sum(cer(a, b) * len(a) for a, b in pairs) / sum(len(a) for a, _ in pairs)
                print(f"{kind:20} {name:14}" + "".join(f"{med[s] * 1000:12.0f}" for s in STAGES)
                      + f"{total * 1000:9.0f}{total / base:10.2f}{err:7.1%}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
