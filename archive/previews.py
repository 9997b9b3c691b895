"""Page previews at reading size: a page of a PDF (text or scanned) rendered by PDFium
(pypdfium2), a photo or scanned image turned upright by its EXIF orientation, a page of a
multi-page TIFF, the images of a scanned OFD page. Made on first
view from the stored object and kept in `previews/` as JPEG beside the thumbnails; derived data,
so deleting the folder loses nothing.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from .guard import run_guarded
from .limits import Limits
from .ocr import page_images
from .thumbs import save_jpeg

WIDTH = 1240                 # pixels: an A4 page at 150 dpi, readable on a screen and a phone
IMAGE_FORMATS = ("jpeg", "png", "gif", "bmp", "webp", "heic", "heif", "avif")


class Previews:
    def __init__(self, folder: Path, store, catalog, limits: Limits = Limits(),
                 run: Callable = run_guarded):
        self.folder = Path(folder)
        self.store = store
        self.catalog = catalog
        self.limits = limits
        self.run = run                  # (fn, args, job limits) -> Done, in a guarded reader

    @staticmethod
    def pages(obj) -> int:
        """How many pages of `obj` (a catalog row) have a preview image; 0 if none."""
        if obj["state"] == "problem":
            return 0
        if obj["format"] in ("pdf", "tiff", "ofd"):       # a multi-page scan, an OFD
            return obj["pages"] or 1
        if obj["format"] in IMAGE_FORMATS:
            return 1
        return 0

    def path(self, sha: str, page: int) -> Path:
        return self.folder / sha[:2] / f"{sha}-{page}.jpg"

    def get(self, sha: str, page: int) -> Path | None:
        """The preview of page `page` (0-based) of object `sha`, made now if needed; None when
        the object has no such page or it cannot be drawn."""
        out = self.path(sha, page)
        if out.is_file():
            return out
        obj = self.catalog.object(sha)
        if obj is None or not 0 <= page < self.pages(obj):
            return None
        done = self.run(render_page, (self.store.path(sha), obj["format"], page, self.limits),
                        self.limits.job_limits())
        img = done.value if done.failure is None else None
        if img is None:
            return None            # a page PDFium or Pillow cannot draw: the text stays readable
        save_jpeg(img, out, quality=82)
        return out


def render_page(src: Path, fmt: str, page: int, limits: Limits):
    """Page `page` at reading width, or None; in the guarded reader process (PDFium is native
    code). Never raises."""
    try:
        return _render(src, fmt, page, limits)
    except Exception:
        return None


def _render(src: Path, fmt: str, page: int, limits: Limits):
    from PIL import Image
    if fmt == "pdf":
        import pypdfium2 as pdfium
        pdf = pdfium.PdfDocument(str(src))
        try:
            p = pdf[page]
            width = p.get_width() or 595
            bitmap = p.render(scale=min(4.0, WIDTH / width))
            img = bitmap.to_pil()
            p.close()
        finally:
            pdf.close()
    else:
        images = page_images(src, fmt, page, limits)
        if not images:
            return None
        img = images[0]
    if img.width > WIDTH:
        img.thumbnail((WIDTH, WIDTH * 4), Image.LANCZOS)
    return img.convert("RGB")
