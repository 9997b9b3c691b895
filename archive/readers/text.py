"""Plain text and CSV: the bytes decoded as UTF-8 (with or without its mark), GB18030 or
UTF-16, whichever reads first; a file none of them reads is archived unread, with a note.
"""
from __future__ import annotations

from pathlib import Path

from .. import reasons
from ..limits import Limits
from .base import Extraction, reads


@reads("txt", "csv")
def read_text(path: Path, limits: Limits) -> Extraction:
    data = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030", "utf-16"):
        try:
            return Extraction(pages=[data.decode(enc)], info={"encoding": enc})
        except UnicodeDecodeError:
            continue
    return Extraction(note=reasons.TEXT_UNDECODABLE, info={"unread": True})
