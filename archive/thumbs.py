"""Thumbnails for the report and the web app: the photo (turned upright by its EXIF
orientation), the scanned first page of a PDF, or, for a document with only text, a small page
with its first lines. Made on first request from the stored object and kept in `thumbs/` as
JPEG; they are derived data, so deleting the folder loses nothing.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Callable

from .extract import PAGE_BREAK
from .guard import run_guarded
from .limits import Limits
from .ocr import page_images
from .readers.media import poster_frame
from .store import HOST

SIZE = (240, 320)           # width, height: an A4 page at thumbnail scale

FONT_CANDIDATES = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simsun.ttc",
    "C:/Windows/Fonts/simhei.ttf",
    "/System/Library/Fonts/PingFang.ttc",
]



def cjk_font(size: int, font: str | Path | None = None):
    """A font that draws Chinese: the one configured, else from the usual places on Debian and
    Windows."""
    from PIL import ImageFont
    for p in [font or "", *FONT_CANDIDATES]:
        if p and Path(p).is_file():
            try:
                return ImageFont.truetype(p, size)
            except OSError:
                continue
    return ImageFont.load_default()


def picture(src: Path, fmt: str, ocr: str | None, limits: Limits):
    """A video's poster frame or a photo's or a scan's first page, thumbnail-sized; None if the
    file has none that can be drawn. Runs in the guarded reader process."""
    from PIL import Image
    if fmt in ("mp4", "mov", "avi", "mkv"):
        try:
            img = poster_frame(src)
            if img is not None:
                img.thumbnail(SIZE, Image.LANCZOS)
                return img.convert("RGB")
        except Exception:
            pass            # a video we cannot decode gets the card
    if fmt in ("jpeg", "png", "gif", "tiff", "bmp", "webp", "pdf", "heic", "avif", "ofd"):
        try:
            images = page_images(src, fmt, 0, limits)
            if images and (fmt not in ("pdf", "ofd") or ocr is not None):
                img = images[0]
                img.thumbnail(SIZE, Image.LANCZOS)
                return img.convert("RGB")
        except Exception:
            pass            # a page we cannot draw gets the text card
    return None


class Thumbnails:
    def __init__(self, folder: Path, store, catalog, limits: Limits = Limits(),
                 labels: dict[str, str] | None = None, font: str | Path | None = None,
                 run: Callable = run_guarded):
        self.folder = Path(folder)
        self.store = store
        self.catalog = catalog
        self.limits = limits
        self.labels = labels or {}      # kind -> the word drawn on a file with no text to show
        self.font = font
        self.run = run                  # (fn, args, job limits) -> Done, in a guarded reader

    def path(self, sha: str) -> Path:
        return self.folder / sha[:2] / f"{sha}.jpg"

    def get(self, sha: str) -> Path | None:
        """The thumbnail of object `sha`, made now if it is not there yet; None if unknown."""
        out = self.path(sha)
        if out.is_file():
            return out
        obj = self.catalog.object(sha)
        if obj is None:
            return None
        save_jpeg(self._render(obj), out, quality=80)
        return out

    def _render(self, obj):
        """The picture, drawn in the guarded reader (PyAV, pi-heif and the PDF decoders are
        native code); the text card when there is none or the reader failed."""
        if obj["state"] != "problem":
            done = self.run(picture, (self.store.path(obj["sha"]), obj["format"], obj["ocr"],
                                      self.limits), self.limits.job_limits())
            if done.failure is None and done.value is not None:
                return done.value
        return self._card(obj)

    def _card(self, obj):
        """A small white page with the first lines of the text, or the kind of file."""
        from PIL import Image, ImageDraw
        img = Image.new("RGB", SIZE, "white")
        d = ImageDraw.Draw(img)
        d.rectangle([0, 0, SIZE[0] - 1, SIZE[1] - 1], outline=(190, 190, 190))
        text = (obj["text"] or "").split(PAGE_BREAK)[0].strip()
        if obj["state"] == "problem":
            d.rectangle([0, 0, SIZE[0], 6], fill=(200, 40, 40))
        if not text:
            font = cjk_font(28, self.font)
            label = self.labels.get(obj["kind"], obj["kind"] or "")
            d.text((SIZE[0] / 2, SIZE[1] / 2), label, font=font, fill=(120, 120, 120), anchor="mm")
            return img
        font = cjk_font(13, self.font)
        y = 14
        for line in text.splitlines():
            line = line.strip()
            while line and y < SIZE[1] - 18:
                cut = _fit(d, line, font, SIZE[0] - 24)
                d.text((12, y), line[:cut], font=font, fill=(40, 40, 40))
                line = line[cut:]
                y += 17
            if y >= SIZE[1] - 18:
                break
        return img


def save_jpeg(img, out: Path, quality: int) -> None:
    """`img` saved as `out` whole or not at all: written under a name of this machine, process
    and thread (several machines may make the same image at once on a shared folder), then
    renamed over."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f"{out.name}.{HOST}-{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        img.save(tmp, "JPEG", quality=quality)
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()


def _fit(draw, line: str, font, width: int) -> int:
    """How many characters of `line` fit in `width` pixels (at least one)."""
    lo, hi = 1, len(line)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if draw.textlength(line[:mid], font=font) <= width:
            lo = mid
        else:
            hi = mid - 1
    return lo
