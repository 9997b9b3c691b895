"""Photos and videos: JPEG, PNG, GIF, BMP, WebP through Pillow (size, EXIF date and orientation,
refused on the header alone when too many pixels); HEIC / HEIF from phones (pi-heif, which
decodes only and carries no GPL encoder), multi-page TIFF scans (every frame a page for OCR),
and videos (PyAV, whose wheels bundle FFmpeg): the container's creation time, duration, title
tag, and a poster frame for the thumbnail.
"""
from __future__ import annotations

import warnings
import zlib
from pathlib import Path

from .. import reasons
from ..detect import count_frames, tiff_frames
from ..limits import Limits
from .base import Extraction, FormatError, reads, with_meta_date

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


# -- photos ---------------------------------------------------------------------------------

_EXIF_ORIENTATION = 0x0112
_EXIF_DATETIME = 0x0132
_EXIF_IFD = 0x8769
_EXIF_DATETIME_ORIGINAL = 0x9003


@reads("jpeg", "png", "gif", "bmp", "webp")
def read_image(path: Path, limits: Limits) -> Extraction:
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = limits.max_image_pixels
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(path)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            return Extraction(problem=reasons.IMAGE_BOMB.format(
                pixels=reasons.PIXELS_UNKNOWN, limit=f"{limits.max_image_pixels:,}"))
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            return Extraction(problem=reasons.IMAGE_CORRUPT)
        with img:
            w, h = img.size
            if w * h > limits.max_image_pixels:
                # refused on the header alone: the pixels are never decoded
                return Extraction(problem=reasons.IMAGE_BOMB.format(
                    pixels=f"{w}×{h}", limit=f"{limits.max_image_pixels:,}"))
            info = {"width": w, "height": h, "image_format": img.format}
            # decode the pixels first: reading EXIF may load the image itself and hide the error
            try:
                if img.format == "JPEG":
                    img.draft("RGB", (max(1, w // 8), max(1, h // 8)))   # decode every block, cheaply
                img.load()
            except (OSError, SyntaxError, ValueError, zlib.error) as e:
                problem = reasons.IMAGE_TRUNCATED if "truncated" in str(e) else reasons.IMAGE_CORRUPT
                return Extraction(info=info, problem=problem)
            except Image.DecompressionBombError:
                return Extraction(info=info, problem=reasons.IMAGE_BOMB.format(
                    pixels=f"{w}×{h}", limit=f"{limits.max_image_pixels:,}"))
            try:
                exif = img.getexif()
                orientation = exif.get(_EXIF_ORIENTATION)
                if orientation:
                    info["orientation"] = int(orientation)
                dt = exif.get_ifd(_EXIF_IFD).get(_EXIF_DATETIME_ORIGINAL) or exif.get(_EXIF_DATETIME)
                if dt:
                    info["exif_date"] = str(dt)
                for tag, key in ((0x010F, "camera_make"), (0x0110, "camera_model")):
                    if exif.get(tag):
                        info[key] = str(exif.get(tag)).strip("\x00 ")[:100]
            except Exception:
                pass
    return Extraction(pages=[""], info=info, ocr_pages=[0] if min(w, h) >= 32 else [])


@reads("heic", "avif")
def read_heic(path: Path, limits: Limits) -> Extraction:
    if not register_heif():
        return Extraction(note=reasons.NO_READER.format(fmt="HEIC"), info={"unread": True})
    ex = read_image(path, limits)
    if ex.problem == reasons.IMAGE_CORRUPT:
        ex.problem = reasons.HEIC_CORRUPT
    return ex


@reads("tiff")
def read_tiff(path: Path, limits: Limits) -> Extraction:
    if tiff_frames(path) > 1:
        return read_tiff_scan(path, limits)
    return read_image(path, limits)


def read_tiff_scan(path: Path, limits: Limits) -> Extraction:
    """A multi-page TIFF scan: each frame checked to decode, each one a page for OCR; past the
    page limit, the rest are left unread and the file says so."""
    from PIL import Image
    Image.MAX_IMAGE_PIXELS = limits.max_image_pixels
    try:
        img = Image.open(path)
    except Exception:
        raise FormatError(reasons.IMAGE_CORRUPT)
    with img:
        try:
            found = count_frames(img, limits.max_pdf_pages + 1)
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

@reads("mp4", "mov", "avi", "mkv")
def read_video(path: Path, limits: Limits) -> Extraction:
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
    return with_meta_date(Extraction(pages=[title], info=info))


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
