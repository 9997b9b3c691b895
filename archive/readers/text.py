"""Plain text and CSV: the bytes decoded as UTF-8 (with or without its mark), GB18030 or
UTF-16, whichever reads first; a file none of them reads is archived unread, with a note.
"""
from __future__ import annotations

from pathlib import Path

from .. import reasons
from ..limits import Limits
from .base import Extraction, reads, reads_bytes


@reads("txt", "csv")
def read_text(path: Path, limits: Limits) -> Extraction:
    return decode_text(path.read_bytes(), limits)


@reads_bytes(read_text)
def decode_text(data: bytes, limits: Limits) -> Extraction:
    for enc in ("utf-8-sig", "gb18030", "utf-16"):
        try:
            return Extraction(pages=[data.decode(enc)], info={"encoding": enc})
        except UnicodeDecodeError:
            continue
    return Extraction(note=reasons.TEXT_UNDECODABLE, info={"unread": True})
