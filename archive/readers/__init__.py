"""Every reader of a stored object, one module per family of formats: `pdf`, `media` (photos,
HEIC, TIFF scans, videos), `ooxml` (docx, xlsx, pptx, OpenDocument), `office97` (the Office 97
and WPS binaries, RTF), `ofd`, `text`. Each registers itself for its formats with
`base.reads`; `reader_for(fmt)` is how the dispatcher (`archive.extract`) finds one. A reader
takes a stored object and returns an `Extraction`; a file it cannot understand raises
`FormatError` with the reason a clerk reads.
"""
from __future__ import annotations

from . import media, ofd, office97, ooxml, pdf, text
from .base import (PAGE_BREAK, REGISTRY, Extraction, FormatError, Reader, bytes_reader_for, meaningful,
                   reader_for, reads, reads_bytes)

FAMILIES = (pdf, media, ooxml, office97, ofd, text)

__all__ = [
    "FAMILIES", "PAGE_BREAK", "REGISTRY", "Extraction", "FormatError", "Reader", "bytes_reader_for",
    "meaningful", "reader_for", "reads", "reads_bytes",
]
