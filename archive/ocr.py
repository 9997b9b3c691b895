"""OCR: the text of scanned pages and photos, read by RapidOCR (PP-OCR models that ship inside
its wheel: nothing is downloaded, ever).

OCR is the slow stage, so it runs apart from archiving: the extraction marks the pages that
need it (`objects.ocr = 'pending'`, `ocr_todo`), the file is archived and listed at once, and an
`OcrQueue` reads the pages in a pool of worker processes sized to the cores. Each page is saved
as it is read (text and confidence), so a killed process resumes where it stopped and no page is
read twice; when all pages of an object are in, its text and evidence date are updated and
every path holding it is logged as changed, so the search index follows. Same content, same
text: OCR is keyed by the object, not the path.
"""
from __future__ import annotations

import json
import logging
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import reasons
from .dates import evidence_date
from .extract import PAGE_BREAK
from .guard import GuardedPool
from .limits import Limits
from .ocr_engine import DOCUMENT_FORMATS, Engine
from .readers.media import register_heif
from .readers.ofd import page_images as ofd_images

MAX_SIDE = 2000          # pixels: what the detection model needs; larger pages are scaled down
MIN_SIDE = 32


@dataclass
class PageText:
    sha: str
    page: int
    text: str = ""
    confidence: float | None = None
    seconds: float = 0.0
    error: str | None = None


# -- one page, in whichever process runs it ----------------------------------------------------

def page_images(path: Path, fmt: str, page: int, limits: Limits) -> list:
    """The images to OCR for one page: for a PDF page its scanned images (as pypdf decodes
    them: JPEG, Flate, CCITT fax, JBIG2 where pypdf can), for a photo the photo turned upright
    by its EXIF orientation. Every image is RGB and at most MAX_SIDE pixels on its long side."""
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = limits.max_image_pixels
    if fmt == "pdf":
        from pypdf import PdfReader
        reader = PdfReader(str(path), strict=False)
        if reader.is_encrypted:
            reader.decrypt("")
        p = reader.pages[page]
        xobjects = p["/Resources"].get_object().get("/XObject")
        sizes = []
        found = {}
        for name, ref in (xobjects.get_object().items() if xobjects is not None else []):
            x = ref.get_object()
            if x.get("/Subtype") == "/Image":
                w, h = int(x.get("/Width", 0)), int(x.get("/Height", 0))
                if w * h > limits.max_image_pixels:
                    raise ValueError("image too large")
                sizes.append((w * h, name))
                found[name] = x
        if not sizes:
            return []
        largest = max(sizes)[0]
        wanted = {name for area, name in sizes if area >= largest / 10 and area > 0}  # not logos
        images = [_jpeg_in_pdf(found[name]) or p.images[name].image
                  for area, name in sorted(sizes, reverse=True) if name in wanted]
    elif fmt == "ofd":
        images = ofd_images(path, page, limits)      # a scanned OFD page: the images on it
    else:
        if fmt in ("heic", "avif"):
            register_heif()
        if page:
            img = _tiff_page(path, page)                 # a page of a multi-page TIFF scan
        else:
            img = _draft(Image.open(path))
        images = [ImageOps.exif_transpose(img)]
    out = []
    for img in images:
        if img.mode not in ("RGB", "L"):
            img = img.convert("RGBA").convert("RGB") if "A" in img.mode or img.mode == "P" \
                else img.convert("RGB")
        if max(img.size) > MAX_SIDE:
            img = _shrink(img)
        if img.mode == "L":             # after the shrink: a third of the pixels to shrink
            img = img.convert("RGB")
        if min(img.size) >= MIN_SIDE:
            out.append(img)
    return out


def _draft(img):
    """A JPEG larger than read, set to decode at 1/2, 1/4 or 1/8 scale while still at least
    MAX_SIDE on its long side: a 12 MP phone photo decodes in a third of the time."""
    if img.format == "JPEG" and max(img.size) > MAX_SIDE:
        r = MAX_SIDE / max(img.size)
        img.draft(img.mode, (math.ceil(img.width * r), math.ceil(img.height * r)))
    return img


def _jpeg_in_pdf(x):
    """A PDF's JPEG image as Pillow opens it from the stream's own bytes, or None where pypdf
    must decode it (another filter, CMYK, a /Decode array, a mask). pypdf decodes a JPEG,
    encodes it again and decodes that: three times the work of a scanned page's one decode."""
    import io
    from PIL import Image
    filters = x.get("/Filter")
    if isinstance(filters, list) and len(filters) == 1:
        filters = filters[0]
    space = x.get("/ColorSpace")
    space = space.get_object() if space is not None else None
    if filters != "/DCTDecode" or space not in ("/DeviceGray", "/DeviceRGB") \
            or any(k in x for k in ("/Decode", "/SMask", "/Mask", "/ImageMask")):
        return None
    img = _draft(Image.open(io.BytesIO(x.get_data())))
    return img if img.mode in ("L", "RGB") else None


_OPEN_TIFF: dict = {}      # the multi-page TIFF being read: frame offsets learnt once


def _tiff_page(path: Path, page: int):
    """Frame `page` of a TIFF, kept open between pages so each seek goes straight to its frame
    (Pillow remembers the offsets it has passed), instead of walking every frame again."""
    from PIL import Image
    key = str(path)
    img = _OPEN_TIFF.get(key)
    if img is None:
        for old in _OPEN_TIFF.values():
            old.close()
        _OPEN_TIFF.clear()
        img = _OPEN_TIFF[key] = Image.open(path)
    img.seek(page)
    img.load()
    return img.copy()


def _shrink(img):
    """`img` scaled to MAX_SIDE on its long side: halved by averaging while it is twice too
    large, then interpolated, which is all a shrink by less than half needs (PIL's filtered
    resize took a tenth of a scanned page's OCR time for no better text)."""
    import cv2
    import numpy as np
    from PIL import Image
    while max(img.size) >= 2 * MAX_SIDE:
        img = img.reduce(2)
    r = MAX_SIDE / max(img.size)
    size = (max(1, round(img.width * r)), max(1, round(img.height * r)))
    return Image.fromarray(cv2.resize(np.asarray(img), size, interpolation=cv2.INTER_LINEAR))


_ENGINE = None


_THREADS = 1      # onnxruntime threads per process; set by the queue in each worker


def engine():
    """The OCR engine of this process (archive/ocr_engine.py), made once: its models are
    loaded when it is made, so a worker is ready before its first page."""
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = Engine(threads=_THREADS)
    return _ENGINE


def recognize(img, times: dict | None = None, fmt: str = "") -> tuple[str, float | None]:
    """The text of one image (of a file in format `fmt`), line by line in reading order, and
    the mean line confidence; `times` adds the seconds of each stage (bench/ocr_stages.py)."""
    import numpy as np
    txts, scores, boxes = engine().read(np.asarray(img), times, fmt in DOCUMENT_FORMATS)
    if not txts:
        return "", None
    lines = _reading_order(txts, boxes)
    return "\n".join(lines), round(sum(scores) / len(scores), 4) if scores else None


def _reading_order(txts, boxes) -> list[str]:
    """Lines top to bottom, and left to right within a row (boxes whose centres are within
    half a line height of each other)."""
    items = []
    for t, b in zip(txts, boxes):
        ys = [pt[1] for pt in b]
        xs = [pt[0] for pt in b]
        items.append(((min(ys) + max(ys)) / 2, min(xs), max(ys) - min(ys), t))
    items.sort()
    rows: list[list] = []
    for it in items:
        if rows and abs(it[0] - rows[-1][0][0]) < max(it[2], rows[-1][0][2]) / 2:
            rows[-1].append(it)
        else:
            rows.append([it])
    return [" ".join(t for *_, t in sorted(row, key=lambda x: x[1])) for row in rows]


def read_page(job: tuple) -> PageText:
    """Worker entry point: OCR page `page` of the stored object. Never raises."""
    sha, path, fmt, page, limits = job
    start = time.perf_counter()
    try:
        images = page_images(Path(path), fmt, page, limits)
        parts, confs = [], []
        for img in images:
            text, conf = recognize(img, fmt=fmt)
            if text:
                parts.append(text)
            if conf is not None:
                confs.append(conf)
        return PageText(sha, page, "\n".join(parts),
                        round(sum(confs) / len(confs), 4) if confs else None,
                        time.perf_counter() - start)
    except MemoryError:
        return PageText(sha, page, seconds=time.perf_counter() - start, error="MemoryError")
    except Exception as e:         # a page we cannot decode: recorded, never fatal
        return PageText(sha, page, seconds=time.perf_counter() - start, error=type(e).__name__)


def _worker_start(threads: int = 1) -> None:
    """Initializer of a worker process (archive/guard.py ends it with its parent): load the
    models once, and pypdf (imported by a worker's first PDF page otherwise: twice that
    page's processor time, 0.09 s against 0.045)."""
    global _THREADS
    _THREADS = threads
    import pypdf  # noqa: F401
    engine()


# -- the queue -----------------------------------------------------------------------------

@dataclass
class OcrProgress:
    """Pages read so far, and the rate over the time there was something to read (a watcher
    idle all night does not lower it)."""
    pages_done: int = 0
    pages_total: int = 0
    files_done: int = 0
    busy_seconds: float = 0.0
    busy_since: float | None = None

    def resume(self) -> None:
        if self.busy_since is None:
            self.busy_since = time.monotonic()

    def pause(self) -> None:
        if self.busy_since is not None:
            self.busy_seconds += time.monotonic() - self.busy_since
            self.busy_since = None

    @property
    def pages_per_minute(self) -> float:
        busy = self.busy_seconds + (time.monotonic() - self.busy_since if self.busy_since else 0)
        return self.pages_done / busy * 60 if busy > 0 else 0.0

    def to_json(self) -> dict:
        return {"pages_done": self.pages_done, "pages_total": self.pages_total,
                "files_done": self.files_done, "pages_per_minute": round(self.pages_per_minute, 1)}


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


class OcrQueue:
    """Reads the pages the catalog says need OCR, in `workers` guarded processes (0: in this
    process, one page at a time), and saves what they read. `submit()` and `collect()` never
    block longer than asked, so the watcher's loop keeps archiving while pages are read. A
    worker that crashes or passes a limit on a page fails that page only and is replaced."""

    def __init__(self, catalog, store, limits: Limits = Limits(), workers: int | None = None,
                 threads: int = 1):
        self.catalog = catalog
        self.threads = threads          # onnxruntime threads in each worker
        self.store = store
        self.limits = limits
        self.workers = default_workers() if workers is None else workers
        self._pool: GuardedPool | None = None
        self._inflight: set[tuple[str, int]] = set()
        self._queued: set[tuple[str, int]] = set()
        self.progress = OcrProgress()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        self._inflight.clear()
        self._queued.clear()

    @property
    def busy(self) -> bool:
        return bool(self._inflight)

    def _jobs(self, only: set[str] | None = None) -> list[tuple]:
        jobs = []
        for obj in self.catalog.ocr_pending():
            if only is not None and obj["sha"] not in only:
                continue
            if not obj["left"]:
                self._finish(obj["sha"])             # all pages read before a kill: finish now
                continue
            path = str(self.store.path(obj["sha"]))
            for page in obj["left"]:
                if (obj["sha"], page) not in self._queued:
                    jobs.append((obj["sha"], path, obj["format"], page, self.limits))
        return jobs

    def submit(self, only: set[str] | None = None) -> int:
        """Queue every page waiting for OCR that is not queued yet (of the objects `only`, if
        given); returns how many. With no worker processes the pages are read now."""
        jobs = self._jobs(only)
        if not jobs:
            return 0
        self.progress.pages_total += len(jobs)
        self.progress.resume()
        if self.workers == 0:
            for job in jobs:
                self._save(read_page(job))
            self.progress.pause()
            return len(jobs)
        if self._pool is None:
            self._pool = GuardedPool(self.workers, initializer=_worker_start,
                                     initargs=(self.threads,))
        limits = self.limits.job_limits()
        for job in jobs:
            self._pool.submit(read_page, (job,), limits, tag=(job[0], job[3]))
            self._inflight.add((job[0], job[3]))
            self._queued.add((job[0], job[3]))
        return len(jobs)

    def collect(self, timeout: float = 0.0) -> int:
        """Save the pages read so far (waiting up to `timeout` for the first); returns how many."""
        if not self._inflight:
            return 0
        done = self._pool.collect(timeout)
        for job in done:
            sha, page = job.tag
            self._inflight.discard((sha, page))
            self._queued.discard((sha, page))
            if job.done.failure is None:
                res = job.done.value
            else:                  # the worker crashed or passed a limit on it: page failed
                res = PageText(sha, page, error=job.done.failure.value)
            self._save(res)
        if not self._inflight:
            self.progress.pause()
        return len(done)

    def run(self, progress: Callable[[OcrProgress], None] | None = None) -> OcrProgress:
        """Read everything pending, reporting progress after each page."""
        self.submit()
        progress and progress(self.progress)
        while self._inflight:
            if self.collect(timeout=1.0):
                progress and progress(self.progress)
        progress and progress(self.progress)
        return self.progress

    def _save(self, res: PageText) -> None:
        # an empty page read without error is saved with text "", so it is never read again
        self.catalog.save_ocr_page(res.sha, res.page, res.text, res.confidence,
                                   round(res.seconds, 3), res.error)
        if res.error:
            logging.getLogger("yingjian").warning(
                "OCR of page %d failed (%s): %s", res.page + 1, res.error, res.sha[:12])
        self.progress.pages_done += 1
        obj = self.catalog.object(res.sha)
        todo = json.loads(obj["ocr_todo"] or "[]") if obj else []
        if obj is not None and obj["ocr"] == "pending" and \
                set(todo) <= set(self.catalog.ocr_pages(res.sha)):
            self._finish(res.sha)

    def _finish(self, sha: str) -> None:
        """All pages are in: merge the OCR text into the object's pages and date it again."""
        self.catalog.finish_ocr(sha, **merged(self.catalog, sha))
        self.progress.files_done += 1


def all_pages_read(catalog, sha: str) -> bool:
    """Whether every page of `sha` that waits for OCR has its text (or its error) saved."""
    obj = catalog.object(sha)
    if obj is None or obj["ocr"] != "pending":
        return False
    return set(json.loads(obj["ocr_todo"] or "[]")) <= catalog.ocr_page_numbers(sha)


def merged(catalog, sha: str) -> dict:
    """The object's text with its OCR pages merged in, its confidence, failed pages and its
    evidence date found again: the arguments of `Catalog.finish_ocr`. Whoever saved the last
    page calls it (the in-process queue, or a worker of yingjian/workers.py)."""
    obj = catalog.object(sha)
    todo = json.loads(obj["ocr_todo"] or "[]")
    read = catalog.ocr_pages(sha)
    pages = (obj["text"] or "").split(PAGE_BREAK)
    confs = []
    for p in todo:
        r = read.get(p)
        if r is None:
            continue
        while len(pages) <= p:
            pages.append("")
        if r["text"]:
            pages[p] = r["text"]
        if r["confidence"] is not None:
            confs.append(r["confidence"])
    info = json.loads(obj["info"] or "{}")
    errors = [p for p in todo if p in read and read[p]["error"]]
    failed = bool(todo) and len(errors) == len(todo)
    info["ocr_pages"] = len(todo)
    if confs:
        info["ocr_confidence"] = round(sum(confs) / len(confs), 3)
    if errors:
        info["ocr_failed_pages"] = [p + 1 for p in errors]
        info["note"] = reasons.OCR_FAILED.format(pages=[p + 1 for p in errors[:10]])
    src = catalog.first_source_of(sha)
    date, date_source = evidence_date(
        pages=pages, exif=info.get("exif_date"), name=src["name"] if src else "",
        pdf=info.get("pdf_date"), mtime_ns=src["mtime_ns"] if src else None,
        metadata=info.get("meta_date"))
    return {"text": PAGE_BREAK.join(pages), "date": date, "date_source": date_source,
            "info": info, "failed": failed}
