"""Reading what a stored object says, before OCR: the PDF text layer and page count, image size,
EXIF and orientation, Word and Excel text, plain text — and which pages need OCR (a scanned
page with no text layer or a meaningless one, a photo). This module only dispatches: it finds
the reader registered for the format (`archive/readers/`), caps what it returns, and turns
every failure into a reason a clerk understands; nothing here raises for a bad file.
"""
from __future__ import annotations

from pathlib import Path

from . import reasons
from .limits import Limits
from .readers import PAGE_BREAK, Extraction, FormatError, bytes_reader_for, reader_for

__all__ = ["PAGE_BREAK", "Extraction", "extract", "extract_bytes"]


def extract(path: Path, fmt: str, limits: Limits) -> Extraction:
    """Everything we can read from the object at `path`, whose format `fmt` came from its bytes."""
    return _extract(path.stat().st_size, fmt, limits, lambda reader: reader(path, limits),
                    reader_for(fmt))


def extract_bytes(data: bytes, fmt: str, limits: Limits) -> Extraction | None:
    """`extract` of a content whose bytes are in memory, for a format with a reader of bytes
    (plain text); None for the other formats, which are read from the stored object."""
    reader = bytes_reader_for(fmt)
    if reader is None:
        return None
    return _extract(len(data), fmt, limits, lambda r: r(data, limits), reader)


def _extract(size: int, fmt: str, limits: Limits, call, reader) -> Extraction:
    if size == 0:
        return Extraction(problem=reasons.EMPTY)
    if size > limits.max_extract_bytes:
        return Extraction(note=reasons.TOO_LARGE_TO_READ.format(
            size=reasons.human_size(size), limit=reasons.human_size(limits.max_extract_bytes)))
    if reader is None:
        return _unreadable_format(fmt)
    try:
        ex = call(reader)
    except FormatError as e:
        return Extraction(problem=e.reason)
    except MemoryError:
        return Extraction(problem=reasons.OFFICE_BOMB)
    except Exception as e:      # a bad file must never stop the pipeline
        return Extraction(problem=reasons.EXTRACT_FAILED.format(error=type(e).__name__))
    total = sum(len(p) for p in ex.pages)
    if total > limits.max_text_chars:
        ex.pages = _cap_pages(ex.pages, limits.max_text_chars)
        ex.info["text_truncated"] = True
    return ex


def _unreadable_format(fmt: str) -> Extraction:
    """A format with no reader here: archived, with a warning that says so (never plain 正常)."""
    if fmt == "office-encrypted":
        return Extraction(problem=reasons.OFFICE_ENCRYPTED)
    if fmt == "rar":
        return Extraction(problem=reasons.RAR_UNSUPPORTED)
    if fmt in ("zip", "7z"):
        return Extraction()     # expanded into its members by the ingest
    if fmt in ("unknown", "ole"):
        return Extraction(problem=reasons.UNKNOWN_FORMAT)
    return Extraction(note=reasons.NO_READER.format(fmt=fmt.upper()), info={"unread": True})


def _cap_pages(pages: list[str], limit: int) -> list[str]:
    out, left = [], limit
    for p in pages:
        out.append(p[:left])
        left -= len(out[-1])
        if left <= 0:
            break
    return out
