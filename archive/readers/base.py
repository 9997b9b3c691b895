"""What every reader shares: the `Extraction` it returns, the `FormatError` it raises for a
damaged or refused file, and the registry that maps a format (as `archive.detect` names it) to
the one reader of that format. A reader module registers itself with `@reads("fmt", …)`; the
dispatcher (`archive.extract`) asks `reader_for(fmt)` and knows no reader by name.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

from ..dates import meta_date
from ..limits import Limits

PAGE_BREAK = "\f"


@dataclass
class Extraction:
    pages: list[str] = field(default_factory=list)   # text of each page (one page for non-PDF)
    page_count: int | None = None
    info: dict = field(default_factory=dict)         # width, height, orientation, exif_date ...
    problem: str | None = None                       # why this file cannot serve as evidence
    note: str | None = None                          # worth knowing, not a problem
    ocr_pages: list[int] = field(default_factory=list)  # pages (0-based) whose text OCR must read

    @property
    def text(self) -> str:
        return PAGE_BREAK.join(self.pages)


class FormatError(Exception):
    """The file is of a known format but damaged or refused; `reason` is a `Reason` (a code and
    its data), which yingjian/messages.py puts into words."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Reader(Protocol):
    """A reader: the stored object's path and the limits in, an `Extraction` out; a file it
    cannot understand raises `FormatError` (anything else it raises becomes EXTRACT_FAILED)."""

    def __call__(self, path: Path, limits: Limits) -> Extraction: ...


REGISTRY: dict[str, Reader] = {}
"""Format name → its reader, filled by the reader modules as `archive.readers` imports them."""


def reads(*formats: str) -> Callable[[Reader], Reader]:
    """Register the decorated function as the reader of `formats` (one reader per format)."""
    def register(reader: Reader) -> Reader:
        for fmt in formats:
            if fmt in REGISTRY:
                raise ValueError(f"two readers for {fmt}: {REGISTRY[fmt]!r} and {reader!r}")
            REGISTRY[fmt] = reader
        return reader
    return register


def reader_for(fmt: str) -> Reader | None:
    return REGISTRY.get(fmt)


BytesReader = Callable[[bytes, Limits], Extraction]


def reads_bytes(reader: Reader) -> Callable[[BytesReader], BytesReader]:
    """Register the decorated function as `reader`'s way of reading a content whose bytes are
    already in memory, for a reader that is plain Python over bytes (the ingest reads a small
    plain-text file from the bytes it has just stored, without opening the object again). It
    belongs to the reader: a format with no reader has none either."""
    def register(from_bytes: BytesReader) -> BytesReader:
        reader.from_bytes = from_bytes
        return from_bytes
    return register


def bytes_reader_for(fmt: str) -> BytesReader | None:
    return getattr(REGISTRY.get(fmt), "from_bytes", None)


_MEANINGFUL = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")


def meaningful(text: str) -> bool:
    """Whether a text layer says something: a few real characters, mostly letters, digits or
    Han. Scanners that add a text layer of garbage (or of nothing) fail this and get OCR."""
    visible = [c for c in text if not c.isspace()]
    if len(visible) < 6:
        return False
    good = sum(1 for c in visible if _MEANINGFUL.match(c))
    return good / len(visible) >= 0.5


def with_meta_date(ex: Extraction) -> Extraction:
    """The format's own date (Office SummaryInformation, OFD CreationDate, a video's
    creation_time) as an ISO date in info['meta_date'], its raw value kept beside it."""
    raw = ex.info.get("meta_date")
    if raw:
        ex.info["meta_date_raw"] = str(raw)[:40]
        ex.info["meta_date"] = meta_date(raw)
        if ex.info["meta_date"] is None:
            del ex.info["meta_date"]
    return ex
