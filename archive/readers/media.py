"""Photos and videos that Pillow alone does not open: HEIC / HEIF from phones (pi-heif, which
decodes only and carries no GPL encoder), multi-page TIFF scans (every frame a page for OCR),
and videos (PyAV, whose wheels bundle FFmpeg): the container's creation time, duration, title
tag, and a poster frame for the thumbnail.
"""
from __future__ import annotations

import re
from pathlib import Path

from .. import reasons
from ..dates import fold
from ..limits import Limits
from . import FormatError

_HEIF_READY = False


def register_heif() -> bool:
    """Teach Pillow to open HEIC / HEIF (once per process); False where pi-heif is missing."""
    global _HEIF_READY
    if not _HEIF_READY:
        try:
            from pi_heif import register_heif_opener
            register_heif_opener()
            _HEIF_READY = True
        except ImportError:
            return False
    return True


def tiff_frames(path: Path, upto: int = 2) -> int:
    """How many pages a TIFF holds, counted up to `upto` (1 when it cannot tell): frames are
    reached one after the other, never by walking the whole file for its count."""
    from PIL import Image
    try:
        with Image.open(path) as img:
            return _count_frames(img, upto)
    except Exception:
        return 1


def _count_frames(img, upto: int) -> int:
    n = 1
    while n < upto:
        try:
            img.seek(n)
        except EOFError:
            break
        n += 1
    img.seek(0)
    return n


def read_tiff_scan(path: Path, limits: Limits):
    """A multi-page TIFF scan: each frame checked to decode, each one a page for OCR; past the
    page limit, the rest are left unread and the file says so."""
    from PIL import Image

    from ..extract import Extraction
    Image.MAX_IMAGE_PIXELS = limits.max_image_pixels
    try:
        img = Image.open(path)
    except Exception:
        raise FormatError(reasons.IMAGE_CORRUPT)
    with img:
        try:
            found = _count_frames(img, limits.max_pdf_pages + 1)
        except Exception:
            raise FormatError(reasons.IMAGE_CORRUPT)
        n = min(found, limits.max_pdf_pages)
        info = {"width": img.size[0], "height": img.size[1], "image_format": "TIFF", "frames": n}
        for i in range(n):
            try:
                img.seek(i)
                w, h = img.size
                if w * h > limits.max_image_pixels:
                    raise FormatError(reasons.IMAGE_BOMB.format(
                        pixels=f"{w}×{h}", limit=f"{limits.max_image_pixels:,}"))
                img.load()
            except FormatError:
                raise
            except Exception as e:
                raise FormatError(reasons.IMAGE_TRUNCATED if "truncated" in str(e)
                                  else reasons.IMAGE_CORRUPT)
    ex = Extraction(pages=[""] * n, page_count=n, info=info, ocr_pages=list(range(n)))
    if found > n:
        ex.note = reasons.PAGES_CAPPED.format(fmt="TIFF", pages=f"{n}+", limit=n)
    return ex


# -- video ---------------------------------------------------------------------------------------

def read_video(path: Path, limits: Limits):
    from ..extract import Extraction
    try:
        import av
    except ImportError:
        return Extraction(note=reasons.NO_READER.format(fmt="video"), info={"unread": True})
    info: dict = {}
    try:
        with av.open(str(path), metadata_errors="ignore") as c:
            meta = {k.lower(): v for k, v in (c.metadata or {}).items()}
            streams = [s for s in c.streams if s.type == "video"]
            if c.duration:
                info["duration"] = round(c.duration / 1_000_000, 2)
            if streams:
                s = streams[0]
                info["width"], info["height"] = s.codec_context.width, s.codec_context.height
                if not info.get("duration") and s.duration and s.time_base:
                    info["duration"] = round(float(s.duration * s.time_base), 2)
                meta = {**{k.lower(): v for k, v in (s.metadata or {}).items()}, **meta}
            else:
                raise FormatError(reasons.VIDEO_CORRUPT)
            frame = _first_frame(c, streams[0])
            if frame is None:
                raise FormatError(reasons.VIDEO_CORRUPT)
    except FormatError:
        raise
    except Exception:
        raise FormatError(reasons.VIDEO_CORRUPT)
    when = meta.get("creation_time") or meta.get("date") or meta.get("com.apple.quicktime.creationdate")
    if when and not when.startswith(("1904", "1970", "0000")):
        info["meta_date"] = when
    title = (meta.get("title") or "").strip()
    if title:
        info["title"] = title[:200]
    return Extraction(pages=[title], info=info)


def _first_frame(container, stream):
    try:
        for frame in container.decode(stream):
            return frame
    except Exception:
        return None
    return None


def poster_frame(path: Path):
    """A frame a second in (or the first), as a Pillow image, for the thumbnail."""
    import av
    with av.open(str(path), metadata_errors="ignore") as c:
        stream = c.streams.video[0]
        stream.thread_type = "AUTO"
        if c.duration and c.duration > 2_000_000:
            try:
                c.seek(1_000_000)
            except Exception:
                pass
        for frame in c.decode(stream):
            return frame.to_image()
    return None


_META_DATE = [
    re.compile(r"(?:D:)?((?:19|20)\d{2})(\d{2})(\d{2})"),
    re.compile(r"((?:19|20)\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})"),
]


def meta_date(value) -> str | None:
    """A format's own date (OFD's 2021-6-4, D:20220708…, a video's 2023-01-18T09:00:00Z, a
    datetime) as an ISO date, or None."""
    from datetime import date
    if value is None:
        return None
    if hasattr(value, "year"):
        y, m, d = value.year, value.month, value.day
    else:
        for pat in _META_DATE:
            found = pat.search(fold(str(value)))
            if found:
                y, m, d = (int(g) for g in found.groups())
                break
        else:
            return None
    try:
        iso = date(y, m, d)
    except ValueError:
        return None
    return iso.isoformat() if 1980 <= y <= 2100 else None
